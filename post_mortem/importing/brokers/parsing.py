"""Shared parsing of broker files: tables with title rows and a BOM, money, numbers, dates.

Why one module: every broker quirk (``$48.10 ``, ``($75.90)``, ``$(400.00)``, ``"$1,200.00"``,
``+500``, ``7/2/2026 9:12``, ``20260702;093105``) is handled once, so each layout class only says
which column means what.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation

BOM = "\ufeff"


class ParseError(ValueError):
    """A cell that cannot be read; the layout turns it into a row error naming line and field."""


_SEPARATORS = re.compile(r"[\s_]+")


@functools.lru_cache(maxsize=4096)
def norm_header(cell: str) -> str:
    """Header cells compare case-, space-, underscore- and BOM-insensitively.

    Brokers change casing between versions, and the admin's reader turns spaces into underscores:
    ``Entry time``, ``entry_time`` and ``ENTRY  TIME`` are one column.
    """
    return _SEPARATORS.sub(" ", cell.replace(BOM, "").strip().strip('"').lower()).strip()


@dataclass(frozen=True, slots=True)
class Record:
    """One data row of a table: its physical line in the file and its cells by header name."""

    line: int
    cells: dict[str, str]

    def get(self, *names: str) -> str:
        """The first non-empty cell among ``names`` (normalised header names), stripped."""
        for name in names:
            value = self.cells.get(name)
            if value is not None and value.strip():
                return value.strip()
        return ""


def csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (physical line number of the row's first line, cells) for every CSV row.

    Line numbers are the ones a person sees in an editor (1-based), which is what error messages
    must name; a quoted cell spanning lines still counts its lines.
    """
    from ..readers import MAX_CELL_LINES, csv_records, unclosed_quote_error

    text = text.lstrip(BOM)
    for start, end, cells in csv_records(io.StringIO(text, newline="")):
        if end - start > MAX_CELL_LINES and any(c.count("\n") > MAX_CELL_LINES for c in cells):
            raise unclosed_quote_error(start)
        yield start, cells


def find_header(
    rows: Iterable[tuple[int, list[str]]],
    required: Iterable[str],
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> tuple[int, list[str], list[tuple[int, list[str]]]] | None:
    """Find the first row containing every ``required`` header; return it and the rows after it.

    Title rows above the header (exported-by lines, report names, blank lines) are skipped.
    ``aliases`` maps a required name to other spellings platforms use (DAS writes ``Symb`` or
    ``Symbol``); a header using an alias is returned with the required name in its place.
    """
    need = {norm_header(r) for r in required}
    alias_map = {norm_header(k): [norm_header(a) for a in v] for k, v in (aliases or {}).items()}
    rows = list(rows)
    for index, (line, cells) in enumerate(rows):
        names = [norm_header(c) for c in cells]
        present = set(names)
        for primary, alternatives in alias_map.items():
            if primary in present:
                continue
            for alternative in alternatives:
                if alternative in present:
                    names[names.index(alternative)] = primary
                    present = set(names)
                    break
        if need <= present:
            return line, names, rows[index + 1 :]
    return None


def records(header: list[str], rows: Iterable[tuple[int, list[str]]], *, stop_at_blank: bool = False) -> list[Record]:
    """Turn rows under ``header`` into Records, skipping blank rows (or stopping at the first one)."""
    out: list[Record] = []
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            if stop_at_blank:
                break
            continue
        if header and norm_header(cells[0]) == header[0] and [norm_header(c) for c in cells] == header:
            continue  # a header repeated per section or per account (IBKR Flex, concatenated exports)
        out.append(
            Record(
                line=line, cells={name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name}
            )
        )
    return out


_MONEY_STRIP = re.compile(r"[\s$€£,]")


def parse_decimal(text: str, *, what: str = "number") -> Decimal:
    """Read a number or money amount: ``$``, thousands separators, accounting negatives.

    ``($75.90)``, ``$(400.00)``, ``-$1,200.00``, ``+500`` and ``48.10 `` all work; an empty cell or
    anything else raises ParseError with a message a person understands.
    """
    raw = (text or "").strip()
    if raw.startswith('="') and raw.endswith('"'):  # spreadsheet-protected values (thinkorswim ref #)
        raw = raw[2:-1]
    s = _MONEY_STRIP.sub("", raw)
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    if s.startswith("(") and s.endswith(")"):  # -(5) or $(5) after the sign/currency was removed
        negative, s = not negative, s[1:-1]
    if not s:
        raise ParseError(f"{what} is empty" if not raw else f"{raw!r} is not a {what}")
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ParseError(f"{raw!r} is not a {what}") from None
    if not value.is_finite():
        raise ParseError(f"{raw!r} is not a {what}")
    return -value if negative else value


def parse_optional_decimal(text: str, *, what: str = "number") -> Decimal:
    """Like parse_decimal, but an empty cell is zero (commission columns are often blank)."""
    return parse_decimal(text, what=what) if (text or "").strip() else Decimal(0)


_DT = re.compile(
    r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})"
    r"(?:[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?\s*([AaPp][Mm])?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
# Zone abbreviations exports append to times ("07/02/2026 09:31:05 EDT"), read as the zone they name.
ZONE_ABBREVIATIONS = {
    "UTC": "UTC",
    "GMT": "UTC",
    "Z": "UTC",
    "EDT": "America/New_York",
    "EST": "America/New_York",
    "ET": "America/New_York",
    "CDT": "America/Chicago",
    "CST": "America/Chicago",
    "CT": "America/Chicago",
    "MDT": "America/Denver",
    "MST": "America/Denver",
    "PDT": "America/Los_Angeles",
    "PST": "America/Los_Angeles",
    "PT": "America/Los_Angeles",
    "BST": "Europe/London",
    "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin",
    "EET": "Europe/Athens",
    "EEST": "Europe/Athens",
    "JST": "Asia/Tokyo",
    "HKT": "Asia/Hong_Kong",
    "SGT": "Asia/Singapore",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}
_ZONE_SUFFIX = re.compile(r"\s+\(?([A-Za-z]{1,5})\)?$")
_IBKR = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[;, ]+(\d{2}):?(\d{2}):?(\d{2}))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?\s*([AaPp][Mm])?$")


def _year(value: int) -> int:
    return value + 2000 if value < 100 else value


def _hour(hour: int, ampm: str | None) -> int:
    if not ampm:
        return hour
    if not 1 <= hour <= 12:
        raise ParseError(f"hour {hour} with {ampm.upper()}")
    pm = ampm.lower() == "pm"
    return (hour % 12) + (12 if pm else 0)


def parse_datetime(text: str, *, date_order: str = "MDY") -> datetime:
    """Read the date-times brokers write; naive results are in the import's chosen timezone.

    ISO 8601 (with or without offset, ``Z``), ``7/2/2026 9:12``, ``07/02/2026 09:12:33 PM``,
    ``7/1/26 09:31:05``, ``2026.07.02 09:12``, ``20260702;093105`` (IBKR), any of them followed by
    a zone abbreviation (``07/02/2026 09:31:05 EDT``: aware, in the zone it names). Slash dates are
    month-first unless ``date_order="DMY"``.
    """
    raw = (text or "").strip()
    if not raw:
        raise ParseError("date/time is empty")
    zone = _ZONE_SUFFIX.search(raw)
    if zone and zone.group(1).upper() in ZONE_ABBREVIATIONS:
        naive = parse_datetime(raw[: zone.start()], date_order=date_order)
        return naive.replace(tzinfo=zone_info(ZONE_ABBREVIATIONS[zone.group(1).upper()]))
    iso = raw[:-1] + "+00:00" if raw.endswith("Z") else raw
    if "-" in iso[:5] and len(iso) >= 10 and iso[4] == "-":
        try:
            return datetime.fromisoformat(iso)
        except ValueError:
            pass
    m = _IBKR.match(raw)
    if m:
        y, mo, d, hh, mm, ss = m.groups()
        try:
            return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))  # noqa: DTZ001
        except ValueError as exc:
            raise ParseError(f"{raw!r} is not a valid date/time ({exc})") from None
    m = _DT.match(raw)
    if not m:
        raise ParseError(f"{raw!r} is not a date/time this importer understands")
    a, b, c, hh, mm, ss, frac, ampm, offset = m.groups()
    tzinfo = _offset(offset) if offset else None
    try:
        if len(a) == 4:
            y, mo, d = int(a), int(b), int(c)
        elif date_order == "DMY":
            d, mo, y = int(a), int(b), _year(int(c))
        else:
            mo, d, y = int(a), int(b), _year(int(c))
        micro = int((frac or "0").ljust(6, "0")) if frac else 0
        return datetime(y, mo, d, _hour(int(hh or 0), ampm), int(mm or 0), int(ss or 0), micro, tzinfo=tzinfo)
    except ValueError as exc:
        hint = " (is the file day-first? use the DMY date order)" if date_order == "MDY" else ""
        raise ParseError(f"{raw!r} is not a valid date/time{hint}: {exc}") from None


def zone_info(name: str) -> tzinfo:
    """The IANA zone ``name`` (UTC as the datetime module's own)."""
    from zoneinfo import ZoneInfo

    return UTC if name == "UTC" else ZoneInfo(name)


def _offset(text: str) -> tzinfo:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_time(text: str) -> time:
    """A time of day without a date (DAS Trader), ``9:31:05`` or ``09:31:05 AM``."""
    raw = (text or "").strip()
    m = _TIME.match(raw)
    if not m:
        raise ParseError(f"{raw!r} is not a time of day")
    hh, mm, ss, frac, ampm = m.groups()
    try:
        micro = int((frac or "0").ljust(6, "0")) if frac else 0
        return time(_hour(int(hh), ampm), int(mm), int(ss or 0), micro)
    except ValueError as exc:
        raise ParseError(f"{raw!r} is not a valid time: {exc}") from None


def parse_date(text: str, *, date_order: str = "MDY") -> date:
    """A date alone (trade dates, DAS session dates)."""
    return parse_datetime(text, date_order=date_order).date()


def fmt_decimal(value: Decimal) -> str:
    """Canonical text for a Decimal: plain notation, no exponent, no trailing zeros beyond need."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def fmt_datetime(value: datetime) -> str:
    """ISO 8601; naive stays naive so the canonical validator reads it in the import's timezone."""
    return value.isoformat()
