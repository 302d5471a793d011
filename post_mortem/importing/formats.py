"""The layout stage of the one import door: a file in any known layout -> canonical text rows.

readers (CSV/XLSX) -> this module (canonical or a broker layout) -> canonical validation ->
the writer. `canonical` files stream straight through; anything else (`auto`, a built-in broker
layout name or a saved layout) goes to the broker layouts in `post_mortem.importing.brokers`,
which return canonical text rows with the file's own line numbers. What a layout leaves out
(open positions, repeated execution ids, cancelled orders) comes back as notes; columns the
canonical layout does not read come back as warnings (or errors, when they look like a
misspelled trade column). Pure: the caller passes the multiplier table and saved layouts in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .canonical import REQUIRED_COLUMNS, ImportFormatError, RowError, unknown_column_problems
from .readers import Source, _not_utf8, is_xlsx, read_table, source_bytes, xlsx_sheet_rows

BUILTIN_FORMATS = ("canonical", "auto")


@dataclass(slots=True)
class ConvertedFile:
    """Canonical text rows of a file, plus what was left out and what looked odd."""

    layout: str
    columns: list[str] | None  # the canonical header (None: broker rows carry canonical keys)
    rows: Iterable[tuple[int, dict[str, str]]]
    notes: list[RowError] = field(default_factory=list)  # left out by the layout, with the reason
    warnings: list[RowError] = field(default_factory=list)  # ignored columns


def is_canonical_header(columns: Sequence[str]) -> bool:
    """7 of the 9 required canonical columns: a missing one is then reported by name, which helps
    more than a list of broker layouts (the broker layout closest to canonical shares 5)."""
    return len(set(REQUIRED_COLUMNS) & set(columns)) >= 7


def convert(
    source: Source,
    *,
    file_name: str,
    file_format: str,
    tz_name: str,
    options: Mapping[str, Any] | None = None,
    multipliers: Mapping[str, Decimal] | None = None,
    specs: Sequence[Any] = (),
) -> ConvertedFile:
    """Read `source` in `file_format` (`canonical`, `auto` or a layout name) into canonical rows."""
    if file_format == "canonical":
        return _canonical(read_table(source, file_name=file_name))
    from . import brokers

    if is_xlsx(source, file_name):
        table = read_table(source, file_name=file_name)
        if file_format == "auto" and is_canonical_header(table.columns):
            return _canonical(table)
        text, line_map = brokers.sheet_to_text(xlsx_sheet_rows(source))
    else:
        data = source_bytes(source)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _not_utf8(data[: exc.start].count(b"\n") + 1, exc) from exc
        if not text.strip():
            raise ImportFormatError([RowError(1, "file", "the file is empty")])
        line_map = None
        if file_format == "auto" and brokers.is_canonical_text(text):
            return _canonical(read_table(source, file_name=file_name))
    try:
        parsed = brokers.parse_with_context(
            text, file_format=file_format, options=options, tz_name=tz_name, multipliers=multipliers, specs=specs
        )
    except ImportFormatError as exc:
        if line_map is not None:
            exc.errors = [RowError(line_map.get(e.line, e.line), e.field, e.message) for e in exc.errors]
        raise
    if parsed is None:  # an `auto` XLSX table that is canonical after all
        return _canonical(read_table(source, file_name=file_name))

    def mapped(line: int) -> int:
        return line_map.get(line, line) if line_map is not None else line

    return ConvertedFile(
        layout=parsed.layout,
        columns=None,
        rows=[(mapped(line), row) for line, row in parsed.rows],
        notes=[RowError(mapped(n.line), n.field, n.message) for n in parsed.warnings],
    )


def _canonical(table) -> ConvertedFile:
    errors, warnings = unknown_column_problems(table.columns)
    if errors:
        raise ImportFormatError(errors, layout="canonical")
    return ConvertedFile(layout="canonical", columns=table.columns, rows=table.rows, warnings=warnings)
