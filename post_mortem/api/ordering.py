"""Strict ordering for the API (also the project's default ordering backend, see settings).

Kept free of model imports: DRF reads DEFAULT_FILTER_BACKENDS when rest_framework.generics is
imported, which may happen before the app registry is ready.
"""

from __future__ import annotations

import re

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=a,-b` over the view's `ordering_fields` only; unknown terms are a 400.

    A view may name nullable fields in `ordering_skips_nulls`: ordering by one of them lists only
    the rows that have a value. Rows without one have no place in that order, and on PostgreSQL
    their NULL group (every trade without a stop, for r_multiple) would otherwise be sorted by id
    in full before the first page came out.
    """

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        skip = set(getattr(view, "ordering_skips_nulls", ()))
        nullable = [term.removeprefix("-") for term in ordering if term.removeprefix("-") in skip]
        if nullable:
            queryset = queryset.filter(**{f"{name}__isnull": False for name in nullable})
        return queryset.order_by(*ordering)

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if not params:
            return self.get_default_ordering(view)
        valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        terms = params.split(",")
        bad = [term for term in terms if term.removeprefix("-") not in valid]
        if bad:
            unknown = ", ".join(bad) or repr(params)
            allowed = ", ".join(sorted(valid))
            message = f"Unknown ordering {unknown}; choose from {allowed} (prefix '-' for descending)."
            raise ValidationError({self.ordering_param: [message]})
        if not any(term.removeprefix("-") in {"id", "pk"} for term in terms):
            terms.append("-id" if terms[-1].startswith("-") else "id")
        return terms

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None) or []
        skips = getattr(view, "ordering_skips_nulls", ())
        note = f" Ordering by {', '.join(skips)} lists only rows that have a value." if skips else ""
        names = "|".join(re.escape(name) for name in fields)
        for param in params:
            if names:
                param["schema"]["pattern"] = f"^(-?({names})(,-?({names}))*)?$"
            param["description"] = (
                f"Comma-separated fields to sort by, '-' for descending. Allowed: {', '.join(fields)}. "
                f"Ties are broken by id in the direction of the last field.{note}"
            )
        return params
