"""Date-range filters on datetime columns that mean whole desk-local days.

Why: unfold's RangeDateFilter compares a datetime column with bare dates, which Django turns
into naive midnights in the server's default zone (UTC, with a RuntimeWarning): "to 2026-03-31"
then dropped almost all of March 31 and the day edges were UTC, not the desk's.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import DateTimeField, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.utils import parse_date_str


class DeskDayRangeFilter(RangeDateFilter):
    """From the first day's desk-local midnight up to (not including) the midnight after the last day."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if not isinstance(self.field, DateTimeField):
            return super().queryset(request, queryset)
        zone = timezone.get_current_timezone()  # the desk zone on admin pages (DeskTimezoneMiddleware)
        filters = {}
        first = self.used_parameters.get(f"{self.parameter_name}_from")
        if isinstance(first, str) and (day := parse_date_str(first)) is not None:
            filters[f"{self.parameter_name}__gte"] = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        last = self.used_parameters.get(f"{self.parameter_name}_to")
        if isinstance(last, str) and (day := parse_date_str(last)) is not None:
            filters[f"{self.parameter_name}__lt"] = dt.datetime.combine(
                day + dt.timedelta(days=1), dt.time(0), tzinfo=zone
            )
        return queryset.filter(**filters)
