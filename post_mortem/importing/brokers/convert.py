"""The bridge between the import pipeline and the broker layouts.

The pipeline (`post_mortem.importing.formats`) hands over the file's text (CSV) or a table it
already read (XLSX, turned back into CSV text with the line numbers mapped back), together with
the multiplier table and the saved layouts the service loaded: the parser itself never reads the
database. The result is canonical text rows for the one canonical validator, or ImportFormatError
with row errors that name the line and column (and the layout the file was read as).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ..canonical import CANONICAL_COLUMNS, EXTRA_COLUMNS, REQUIRED_COLUMNS
from .base import BrokerIssue, BrokerOptions, BrokerParse
from .custom import LayoutSpec
from .pairing import GROUPINGS
from .parsing import ParseError, csv_lines, norm_header, parse_date
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
    grouping = str(options.get("grouping") or "flat").lower()
    if grouping not in GROUPINGS:
        raise _format_error(1, "grouping", f"grouping must be flat or fifo, not {grouping!r}")
    kwargs: dict[str, Any] = {
        "grouping": grouping,
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


def _raise_errors(issues: Sequence[BrokerIssue], *, layout: str = ""):
    from ..canonical import ImportFormatError, RowError

    raise ImportFormatError([RowError(i.line, i.field, i.message) for i in issues], layout=layout)


def is_canonical_text(text: str) -> bool:
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
    specs: Sequence[LayoutSpec] = (),
) -> BrokerParse | None:
    """Detect (for ``auto``) and parse; None when an ``auto`` file is canonical.

    ``multipliers`` and ``specs`` come from the caller (the import service reads them from the
    database); without them the seed multiplier table and no saved layouts are used.
    """
    if file_format == "auto":
        if is_canonical_text(text):
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
        _raise_errors(parsed.errors, layout=layout)
    if not parsed.rows:
        issues = parsed.warnings or [BrokerIssue(1, "file", "the file holds no closed trades")]
        _raise_errors(
            [BrokerIssue(i.line, i.field, f"no closed round trips to import; {i.message}") for i in issues[:20]],
            layout=layout,
        )
    return parsed


def table_to_text(
    columns: list[str], rows: Iterable[tuple[int, dict[str, str]]], *, header: list[str] | None = None
) -> tuple[str, dict[int, int]]:
    """A table already read (XLSX) as CSV text, and the map from its text lines to the file's lines.

    `columns` are the rows' keys; `header` is the header as the file spelt it (written out).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header or columns)
    line_map = {1: 1}
    for index, (line, row) in enumerate(rows, start=2):
        writer.writerow([row.get(c, "") for c in columns])
        line_map[index] = line
    return buffer.getvalue(), line_map


def sheet_to_text(rows: Iterable[tuple[int, list[str]]]) -> tuple[str, dict[int, int]]:
    """A sheet's rows (title rows and all tables) as CSV text, and the map from text lines to sheet rows.

    Why: broker layouts find their header and sections in CSV text; a report saved as XLSX keeps
    its title rows and several tables, so it is written out row by row, not keyed by its first row.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    line_map: dict[int, int] = {}
    text_line = 1
    for sheet_line, cells in rows:
        line_map[text_line] = sheet_line
        before = buffer.tell()
        writer.writerow(cells)
        text_line += buffer.getvalue()[before:].count("\n")
    return buffer.getvalue(), line_map
