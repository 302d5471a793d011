"""The bridge between the import pipeline and the broker layouts.

Two entry points, because files reach the pipeline two ways:
- ``convert_file_text``: the raw file (``import_trades``, the background import). Multi-section
  statements and title rows above the header need the raw text, so this runs *before* the
  canonical reader and returns None when the file is canonical after all.
- ``convert_to_canonical``: a table someone else already read (the admin's import-export Dataset,
  XLSX), given as a header and ``(line, {column: text})`` rows; the table is turned back into CSV
  text and line numbers are mapped back to the file's.
Either way the result is canonical text rows for the one canonical validator, or
ImportFormatError with row errors that name the line and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ..canonical import CANONICAL_COLUMNS, EXTRA_COLUMNS, REQUIRED_COLUMNS
from .base import BrokerIssue, BrokerOptions, BrokerParse
from .custom import LayoutSpec
from .parsing import BOM, ParseError, csv_lines, norm_header, parse_date
from .registry import LAYOUT_NAMES, detect_layout, parse_broker_text, unknown_layout_message

OUTPUT_COLUMNS = [*CANONICAL_COLUMNS, *EXTRA_COLUMNS]
_CANONICAL_REQUIRED = {norm_header(c) for c in REQUIRED_COLUMNS}


def broker_options(options: Mapping[str, Any] | None, *, tz_name: str = "UTC", multipliers=None) -> BrokerOptions:
    """BrokerOptions from the import's options dict (``account``, ``date_order``, ``session_date``)."""
    options = dict(options or {})
    session = options.get("session_date") or None
    if isinstance(session, str):
        try:
            session = parse_date(session)
        except ParseError as exc:
            raise _format_error(1, "session_date", f"session date {session!r}: {exc}") from None
    date_order = str(options.get("date_order") or "MDY").upper()
    if date_order not in {"MDY", "DMY"}:
        raise _format_error(1, "date_order", f"date order must be MDY or DMY, not {date_order!r}")
    kwargs: dict[str, Any] = {
        "account": str(options.get("account") or ""),
        "date_order": date_order,
        "session_date": session if isinstance(session, date) else None,
        "tz_name": tz_name,
    }
    if multipliers is not None:
        kwargs["multipliers"] = {k.upper(): Decimal(v) for k, v in multipliers.items()}
    return BrokerOptions(**kwargs)


def _format_error(line: int, field: str, message: str):
    from ..canonical import ImportFormatError, RowError

    return ImportFormatError([RowError(line, field, message)])


def _raise_errors(issues: Sequence[BrokerIssue]):
    from ..canonical import ImportFormatError, RowError

    raise ImportFormatError([RowError(i.line, i.field, i.message) for i in issues])


def _database_context() -> tuple[dict[str, Decimal], list[LayoutSpec]]:
    """The multiplier table and the saved layouts, as ops staff keep them in the admin."""
    from ...selectors.brokers import multiplier_table, saved_layout_specs

    return multiplier_table(), saved_layout_specs()


def _is_canonical(text: str) -> bool:
    """A header with 7 of the 9 required canonical columns is canonical: a missing one is reported by
    name by the canonical reader, which helps more than a list of broker layouts. (The broker layout
    closest to canonical, NinjaTrader's Trades grid, shares 5.)"""
    for _line, cells in csv_lines(text):
        if any(c.strip() for c in cells):
            return len(_CANONICAL_REQUIRED & {norm_header(c) for c in cells}) >= 7
    return True  # an empty file: the canonical reader says so


def parse_with_context(
    text: str,
    *,
    file_format: str,
    options: Mapping[str, Any] | None,
    tz_name: str = "UTC",
    multipliers: Mapping[str, Decimal] | None = None,
    specs: Sequence[LayoutSpec] | None = None,
) -> BrokerParse | None:
    """Detect (for ``auto``) and parse; None when an ``auto`` file is canonical."""
    if multipliers is None or specs is None:
        db_multipliers, db_specs = _database_context()
        multipliers = db_multipliers if multipliers is None else multipliers
        specs = db_specs if specs is None else specs
    if file_format == "auto":
        if _is_canonical(text):
            return None
        layout = detect_layout(text, extra=specs)
        if layout is None:
            raise _format_error(1, "format", unknown_layout_message(text, extra=specs))
    else:
        layout = file_format
        if layout not in LAYOUT_NAMES and layout not in {s.name for s in specs}:
            known = ", ".join(["canonical", "auto", *LAYOUT_NAMES, *(s.name for s in specs)])
            raise _format_error(1, "format", f"unknown file format {layout!r}; known formats: {known}")
    opts = broker_options(options, tz_name=tz_name, multipliers=multipliers)
    parsed = parse_broker_text(text, layout=layout, options=opts, extra=specs)
    if parsed.errors:
        _raise_errors(parsed.errors)
    if not parsed.rows:
        issues = parsed.warnings or [BrokerIssue(1, "file", "the file holds no closed trades")]
        _raise_errors(
            [BrokerIssue(i.line, i.field, f"no closed round trips to import; {i.message}") for i in issues[:20]]
        )
    return parsed


def convert_file_text(
    data: bytes, *, file_format: str, options: Mapping[str, Any] | None = None, tz_name: str = "UTC"
) -> BrokerParse | None:
    """Raw file bytes -> parsed broker file, or None when the pipeline should read it as canonical."""
    if file_format == "canonical" or data[:4] == b"PK\x03\x04":
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None  # the canonical reader reports the encoding problem with its byte offset
    parsed = parse_with_context(text.lstrip(BOM), file_format=file_format, options=options, tz_name=tz_name)
    if parsed is not None:
        _remember_notes(_notes_key(data, file_format, options, tz_name), parsed.warnings)
    return parsed


# What the last few parsed files left out (open positions, repeated execution ids), keyed by the
# file and its options: the import pipeline returns only rows, and the command and the admin
# want to show these notes without parsing the file a second time. Small and bounded.
_NOTES: dict[str, list[BrokerIssue]] = {}
_NOTES_MAX = 32


def _notes_key(data: bytes, file_format: str, options: Mapping[str, Any] | None, tz_name: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest}|{file_format}|{sorted((options or {}).items())}|{tz_name}"


def _remember_notes(key: str, notes: list[BrokerIssue]) -> None:
    _NOTES.pop(key, None)
    _NOTES[key] = list(notes)
    while len(_NOTES) > _NOTES_MAX:
        _NOTES.pop(next(iter(_NOTES)))


def broker_notes(
    data: bytes, *, file_format: str, options: Mapping[str, Any] | None = None, tz_name: str = "UTC"
) -> list[BrokerIssue]:
    """What a broker file held that its import leaves out; [] for canonical files or bad files."""
    key = _notes_key(data, file_format, options, tz_name)
    if key not in _NOTES:
        try:
            convert_file_text(data, file_format=file_format, options=options, tz_name=tz_name)
        except Exception:
            return []
    return list(_NOTES.get(key, []))


def convert_to_canonical(
    *,
    file_format: str,
    columns: list[str],
    rows: list[tuple[int, dict[str, str]]],
    options: dict[str, Any] | None = None,
    tz_name: str = "UTC",
) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """A table already read (admin Dataset, XLSX) -> (layout, canonical rows with the file's lines)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    line_map = {1: 1}
    for index, (line, row) in enumerate(rows, start=2):
        writer.writerow([row.get(c, "") for c in columns])
        line_map[index] = line
    try:
        parsed = parse_with_context(buffer.getvalue(), file_format=file_format, options=options, tz_name=tz_name)
    except Exception as exc:
        errors = getattr(exc, "errors", None)
        if errors is not None:
            from ..canonical import RowError

            exc.errors = [RowError(line_map.get(e.line, e.line), e.field, e.message) for e in errors]
        raise
    if parsed is None:
        return "canonical", rows
    return parsed.layout, [(line_map.get(line, line), row) for line, row in parsed.rows]
