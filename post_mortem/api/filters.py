"""Filters and ordering for the REST API.

Every filter on a big table maps to an indexed column (or an index prefix), and a bad value is a
400 naming the parameter (django-filter's strict mode). Ordering is strict too: an unknown field
is a 400 rather than being silently ignored, and the primary key is appended as a tie-breaker in
the same direction so pages are stable and the database can still walk one index.
"""

from __future__ import annotations

import datetime as dt
import re

import django_filters as df
from django import forms
from django.db.models import QuerySet
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ..models import AnalysisPattern, Engine, ImprovementPlan, JobRun, RunKind, RunStatus, Side, Trade, TradeAnalysis
from .formats import parse_rfc3339_date, parse_rfc3339_datetime
from .ordering import StrictOrderingFilter

MAX_DB_ID = 2**63 - 1

__all__ = ["StrictOrderingFilter"]  # re-exported: views import filters from here


INTEGER = re.compile(r"-?[0-9]+")


def invalid(message: str, code: str = "invalid") -> forms.ValidationError:
    """A form error whose text may quote the input: passed as a parameter, so a `%` in it is not a format."""
    return forms.ValidationError("%(message)s", code=code, params={"message": message})


class PresentValueMixin:
    """A parameter given with an empty value (`?run=`) is a 400, not "no filter": the schema's integer,
    number, date and date-time types have no empty value. A parameter left out is no filter."""

    def to_python(self, value):
        if value == "":
            raise forms.ValidationError("Give a value or leave the parameter out.", code="required")
        return super().to_python(value)


class StrictIntegerField(PresentValueMixin, forms.IntegerField):
    """Digits only (Django would also take `1.0` and surrounding spaces)."""

    def to_python(self, value):
        if isinstance(value, str) and value and not INTEGER.fullmatch(value):
            raise invalid(f"A whole number is required, got {value[:40]!r}.")
        return super().to_python(value)


class StrictDecimalField(PresentValueMixin, forms.DecimalField):
    pass


class StrictNumberFilter(df.NumberFilter):
    """A number within [min_value, max_value], bounds in the OpenAPI schema too."""

    field_class = StrictDecimalField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        schema = {"type": "number", "minimum": kwargs["min_value"], "maximum": kwargs["max_value"]}
        set_override(self, "field", schema)


class BoundedIntFilter(df.Filter):
    """An integer within [min_value, max_value]; the bounds are in the OpenAPI schema too."""

    field_class = StrictIntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        schema = {"type": "integer", "format": "int64"}
        if kwargs.get("min_value") is not None:
            schema["minimum"] = kwargs["min_value"]
        if kwargs.get("max_value") is not None:
            schema["maximum"] = kwargs["max_value"]
        set_override(self, "field", schema)


class IdFilter(BoundedIntFilter):
    """A positive 64-bit id; anything else is a 400, never a database overflow."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DB_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    """`true` or `false` (the schema's boolean); anything else is an error instead of "no filter"."""

    widget = forms.TextInput  # the select widget would turn an unknown value into None

    def to_python(self, value):
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if value == "true":
            return True
        if value == "false":
            return False
        raise invalid(f"Use true or false, got {str(value)[:40]!r}.")

    def validate(self, value) -> None:
        return None


class StrictBooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField


class StrictDateTimeField(PresentValueMixin, forms.Field):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return parse_rfc3339_datetime(str(value))
        except ValueError as exc:
            raise invalid(str(exc)) from None


class StrictDateField(PresentValueMixin, forms.Field):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return parse_rfc3339_date(str(value))
        except ValueError as exc:
            raise invalid(str(exc)) from None


class StrictChoiceField(df.fields.ChoiceField):
    """One of the choices; an empty value (`?side=`) is an error, not "no filter"."""

    def to_python(self, value):
        if value is None:
            return ""
        if value == "":
            allowed = ", ".join(str(key) for key, _ in self.choices if key != "")
            raise invalid(f"Choose one of: {allowed}.", code="invalid_choice")
        return super().to_python(value)


class StrictChoiceFilter(df.ChoiceFilter):
    field_class = StrictChoiceField


class StrictDateTimeFilter(df.IsoDateTimeFilter):
    """An RFC 3339 date-time with an offset (no naive times, no other layouts)."""

    field_class = StrictDateTimeField


class StrictDateFilter(df.DateFilter):
    """A YYYY-MM-DD date (no other layouts)."""

    field_class = StrictDateField


def _day_start(value: dt.date) -> dt.datetime:
    return dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)


class UtcDateRangeMixin:
    """Calendar-date bounds turned into datetime bounds, so the entry_time index still serves them.

    (`entry_time__date` would wrap the column in a function and scan the whole table.)
    """

    @extend_schema_field(OpenApiTypes.DATE)
    def filter_date_from(self, queryset: QuerySet, name: str, value: dt.date | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(**{f"{name}__gte": _day_start(value)})

    @extend_schema_field(OpenApiTypes.DATE)
    def filter_date_to(self, queryset: QuerySet, name: str, value: dt.date | None) -> QuerySet:
        if value is None or value == dt.date.max:
            return queryset
        return queryset.filter(**{f"{name}__lt": _day_start(value + dt.timedelta(days=1))})


class TradeFilter(UtcDateRangeMixin, df.FilterSet):
    account = df.CharFilter(field_name="account", help_text="Exact account code.")
    symbol = df.CharFilter(field_name="symbol", help_text="Exact symbol.")
    setup = df.CharFilter(field_name="setup", help_text="Exact setup name.")
    side = StrictChoiceFilter(field_name="side", choices=Side.choices)
    entry_after = StrictDateTimeFilter(
        field_name="entry_time", lookup_expr="gte", help_text="Entry time at or after (ISO 8601)."
    )
    entry_before = StrictDateTimeFilter(
        field_name="entry_time", lookup_expr="lt", help_text="Entry time strictly before (ISO 8601)."
    )
    date_from = StrictDateFilter(
        field_name="entry_time", method="filter_date_from", help_text="Entered on or after this UTC date."
    )
    date_to = StrictDateFilter(
        field_name="entry_time", method="filter_date_to", help_text="Entered on or before this UTC date."
    )
    import_batch = IdFilter(field_name="import_batch_id", help_text="Id of the import batch.")
    analyzed = StrictBooleanFilter(
        field_name="analysis",
        lookup_expr="isnull",
        exclude=True,
        help_text="Only trades with (true) or without (false) a post-mortem.",
    )

    class Meta:
        model = Trade
        fields: list[str] = []


class AnalysisFilter(UtcDateRangeMixin, df.FilterSet):
    trade = IdFilter(field_name="trade_id", help_text="Id of the trade.")
    account = df.CharFilter(field_name="trade__account", help_text="Account of the trade.")
    symbol = df.CharFilter(field_name="trade__symbol", help_text="Symbol of the trade.")
    setup = df.CharFilter(field_name="trade__setup", help_text="Setup of the trade.")
    engine = StrictChoiceFilter(field_name="engine", choices=Engine.choices)
    min_score = BoundedIntFilter(
        field_name="success_score", lookup_expr="gte", min_value=0, max_value=100, help_text="Success score >= (0-100)."
    )
    max_score = BoundedIntFilter(
        field_name="success_score", lookup_expr="lte", min_value=0, max_value=100, help_text="Success score <= (0-100)."
    )
    updated_after = StrictDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = StrictDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    run = IdFilter(field_name="run_id", help_text="Id of the run that produced it.")

    class Meta:
        model = TradeAnalysis
        fields: list[str] = []


class PatternFilter(df.FilterSet):
    pattern_type = df.CharFilter(field_name="pattern_type")
    category = df.CharFilter(field_name="category")
    factor = df.CharFilter(field_name="factor")
    significant = StrictBooleanFilter(field_name="significant")
    max_q = StrictNumberFilter(
        field_name="q_value", lookup_expr="lte", min_value=0, max_value=1, help_text="q-value <= this (0-1)."
    )
    run = IdFilter(field_name="run_id")

    class Meta:
        model = AnalysisPattern
        fields: list[str] = []


class ImprovementPlanFilter(df.FilterSet):
    created_after = StrictDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StrictDateTimeFilter(field_name="created_at", lookup_expr="lt")
    pattern = IdFilter(field_name="patterns", help_text="Plans built from this pattern id.")

    class Meta:
        model = ImprovementPlan
        fields: list[str] = []


class RunFilter(df.FilterSet):
    kind = StrictChoiceFilter(field_name="kind", choices=RunKind.choices)
    status = StrictChoiceFilter(field_name="status", choices=RunStatus.choices)

    class Meta:
        model = JobRun
        fields: list[str] = []
