"""Pagination for the REST API.

`DeskPagination` is DRF's page-number style with strict input: a bad `page` or `page_size` is a
400 naming the parameter instead of being silently replaced by a default, so a script never
pages through something other than what it asked for.

`FastCountPagination` keeps the same `page` / `page_size` semantics for the huge tables (trades,
analyses) but never runs a full `COUNT(*)`: on a million rows that count alone costs more than the
whole page. It fetches one row more than the page to know whether a next page exists, and counts
at most `COUNT_CAP` + 1 rows; past the cap `count` is the cap and `count_exact` is false.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_PAGE_SIZE = 500
MAX_OFFSET = 2**63 - 1 - MAX_PAGE_SIZE  # the largest OFFSET a database takes, less one page


def _parse_positive_int(request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"A whole number is required, got {raw[:40]!r}."]}) from None
    if value < 1 or (maximum is not None and value > maximum):
        bound = f"between 1 and {maximum}" if maximum is not None else "at least 1"
        raise ValidationError({name: [f"Must be {bound}, got {value}."]})
    return value


class StrictPageParamsMixin:
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_query_param = "page"

    def get_page_size(self, request) -> int:
        return _parse_positive_int(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def get_page_number(self, request, paginator=None) -> int:
        """A page whose first row would lie past any 64-bit offset cannot exist: 404 like any page past the end."""
        number = _parse_positive_int(request, self.page_query_param, 1)
        if (number - 1) * self.get_page_size(request) > MAX_OFFSET:
            raise NotFound("Invalid page.")
        return number

    def get_schema_operation_parameters(self, view) -> list[dict]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"].update({"minimum": 1, "maximum": self.max_page_size, "default": self.page_size})
                param["description"] = f"Results per page (1-{self.max_page_size}, default {self.page_size})."
            elif param["name"] == self.page_query_param:
                param["schema"].update({"minimum": 1, "default": 1})
        return params


class DeskPagination(StrictPageParamsMixin, PageNumberPagination):
    """Page numbers with an exact count, for tables that stay small (patterns, plans, runs)."""


class FastCountPagination(StrictPageParamsMixin, PageNumberPagination):
    """Page numbers without a full COUNT(*): one extra row for `next`, a capped count for `count`."""

    COUNT_CAP = 10_000

    def paginate_queryset(self, queryset, request, view=None) -> list[Any]:
        self.request = request
        self.page_size_value = self.get_page_size(request)
        self.page_number = self.get_page_number(request)
        offset = (self.page_number - 1) * self.page_size_value
        rows = list(queryset[offset : offset + self.page_size_value + 1])
        self.has_next = len(rows) > self.page_size_value
        rows = rows[: self.page_size_value]
        if not rows and self.page_number > 1:
            raise NotFound("Invalid page.")
        if not self.has_next:
            # The last page tells the exact total for free.
            self.count, self.count_exact = offset + len(rows), True
        else:
            # Without ordering the database counts over whichever index serves the filter best; a view
            # may offer `count_queryset` (the same filter without display-only joins).
            source = getattr(view, "count_queryset", None)
            source = queryset if source is None else source
            # A view may lower the cap when its filters make each counted row cost a join probe.
            cap = view.get_count_cap(self.COUNT_CAP) if hasattr(view, "get_count_cap") else self.COUNT_CAP
            capped = source.order_by()[: cap + 1].count()
            self.count_exact = capped <= cap
            self.count = min(capped, cap)
        return rows

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.page_number + 1)

    def get_previous_link(self) -> str | None:
        if self.page_number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.page_number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.page_number - 1)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        base = super().get_paginated_response_schema(schema)
        base["required"] = ["count", "count_exact", "results"]
        base["properties"]["count"]["description"] = (
            f"Number of results; exact up to {self.COUNT_CAP:,} (1,000 when filtering on trade fields of a "
            "related row), beyond that the cap (see count_exact)."
        )
        base["properties"] = {
            "count": base["properties"]["count"],
            "count_exact": {
                "type": "boolean",
                "description": "False when there are more results than the cap and count is the cap.",
            },
            **{k: v for k, v in base["properties"].items() if k != "count"},
        }
        return base
