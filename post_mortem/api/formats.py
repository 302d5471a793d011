"""Strict parsers for the schema's `date` and `date-time` formats (RFC 3339), shared by filters and bodies.

Django and DRF accept many spellings (naive times, `10/25/2006`, week dates); the OpenAPI schema
promises RFC 3339, so anything else is a 400. Instants at the ends of the calendar that Python
cannot hold in UTC are clamped instead of overflowing into a 500.
"""

from __future__ import annotations

import datetime as dt
import re

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
