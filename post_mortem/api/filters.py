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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ..models import AnalysisPattern, Engine, ImprovementPlan, JobRun, RunKind, RunStatus, Side, Trade, TradeAnalysis
from .ordering import StrictOrderingFilter

MAX_DB_ID = 2**63 - 1

__all__ = ["StrictOrderingFilter"]  # re-exported: views import filters from here


class IdFilter(df.Filter):
    """A positive 64-bit id; anything else is a 400, never a database overflow."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DB_ID)
        super().__init__(*args, **kwargs)


class BoundedIntFilter(df.Filter):
    field_class = forms.IntegerField


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
        raise forms.ValidationError(f"Use true or false, got {str(value)[:40]!r}.", code="invalid")

    def validate(self, value) -> None:
        return None


class StrictBooleanFilter(df.BooleanFilter):
    field_class = StrictBooleanField


RFC3339_DATETIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d+))?"
    r"(?P<tz>[Zz]|[+-]\d{2}:\d{2})"
)
RFC3339_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
UTC_MIN = dt.datetime.min.replace(tzinfo=dt.UTC)
UTC_MAX = dt.datetime.max.replace(tzinfo=dt.UTC)


def parse_rfc3339_date(text: str) -> dt.date:
    """YYYY-MM-DD only (the schema's `date`); year 0 reads as the first representable day."""
    if not RFC3339_DATE.fullmatch(text):
        raise ValueError(f"Use a date as YYYY-MM-DD, got {text[:40]!r}.")
    if text.startswith("0000-"):
        return dt.date.min
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a calendar date.") from None


def parse_rfc3339_datetime(text: str) -> dt.datetime:
    """An RFC 3339 date-time with its offset, in UTC.

    Instants outside what Python can hold in UTC (`0001-01-01T00:00:00+05:00` is in year 0) are
    clamped to the first or last representable instant: as a bound they select the same rows.
    """
    match = RFC3339_DATETIME.fullmatch(text)
    if not match:
        raise ValueError(f"Use an ISO 8601 date-time with an offset (2026-01-31T14:30:00Z), got {text[:40]!r}.")
    tz = match["tz"].upper()
    offset = dt.timedelta() if tz == "Z" else int(tz[0] + "1") * dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:]))
    if abs(offset) >= dt.timedelta(days=1) or int(tz[4:] or 0) > 59:
        raise ValueError(f"{match['tz']!r} is not a valid UTC offset.")
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"])
    leap = second == 60  # a leap second reads as the instant after 59
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError(f"{text[:40]!r} is not a valid time of day.")
    if match["date"].startswith("0000-"):
        return UTC_MIN
    try:
        day = dt.date.fromisoformat(match["date"])
    except ValueError:
        raise ValueError(f"{match['date']!r} is not a calendar date.") from None
    micro = int((match["frac"] or "0")[:6].ljust(6, "0"))
    local = dt.datetime.combine(day, dt.time(hour, minute, 59 if leap else second, micro))
    try:
        utc = (local - offset).replace(tzinfo=dt.UTC)
        return utc + dt.timedelta(seconds=1) if leap else utc
    except OverflowError:
        return UTC_MIN if local.year < 5000 else UTC_MAX


class StrictDateTimeField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return parse_rfc3339_datetime(str(value))
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class StrictDateField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return parse_rfc3339_date(str(value))
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class StrictChoiceField(df.fields.ChoiceField):
    """One of the choices; an empty value (`?side=`) is an error, not "no filter"."""

    def to_python(self, value):
        if value is None:
            return ""
        if value == "":
            allowed = ", ".join(str(key) for key, _ in self.choices if key != "")
            raise forms.ValidationError(f"Choose one of: {allowed}.", code="invalid_choice")
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
    max_q = df.NumberFilter(field_name="q_value", lookup_expr="lte", help_text="q-value <= this.")
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
