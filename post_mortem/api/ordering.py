"""Strict ordering for the API (also the project's default ordering backend, see settings).

Kept free of model imports: DRF reads DEFAULT_FILTER_BACKENDS when rest_framework.generics is
imported, which may happen before the app registry is ready.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=a,-b` over the view's `ordering_fields` only; unknown terms are a 400."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if not params:
            return self.get_default_ordering(view)
        valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        terms = [term.strip() for term in params.split(",") if term.strip()]
        bad = [term for term in terms if term.removeprefix("-") not in valid]
        if bad or not terms:
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
        for param in params:
            param["description"] = (
                f"Comma-separated fields to sort by, '-' for descending. Allowed: {', '.join(fields)}. "
                "Ties are broken by id in the direction of the last field."
            )
        return params
