"""The one place where a non-canonical file layout becomes canonical text rows.

`canonical` files go straight to the validator. Anything else (`auto`, or a broker layout name)
is offered to the broker layouts in `post_mortem.importing.brokers` (the broker-formats work),
which return canonical text rows with the file's own line numbers, or raise `ImportFormatError`.
Two hooks, because files arrive two ways:

- `convert_raw`: the raw bytes (import_trades, the background import), before the CSV reader, so
  multi-section statements and title rows above the header can be parsed;
- `to_canonical`: a table someone already read (XLSX, the admin's import-export Dataset).
"""

from __future__ import annotations

from typing import Any

from .canonical import REQUIRED_COLUMNS, ImportFormatError, RowError, header_errors

BUILTIN_FORMATS = ("canonical", "auto")


def is_canonical_header(columns: list[str]) -> bool:
    return set(REQUIRED_COLUMNS) <= set(columns)


def _brokers():
    try:
        from . import brokers
    except ImportError:  # the broker layouts are optional: canonical files never need them
        return None
    return brokers


def convert_raw(
    data: bytes, *, file_format: str, tz_name: str, options: dict[str, Any] | None = None
) -> tuple[str, list[tuple[int, dict[str, str]]]] | None:
    """Raw file -> (layout, canonical rows), or None when the file should be read as canonical."""
    if file_format == "canonical":
        return None
    brokers = _brokers()
    if brokers is None or not hasattr(brokers, "convert_file_text"):
        return None
    parsed = brokers.convert_file_text(data, file_format=file_format, options=options, tz_name=tz_name)
    if parsed is None:
        return None
    return parsed.layout, list(parsed.rows)


def to_canonical(
    *,
    file_format: str,
    columns: list[str],
    rows: list[tuple[int, dict[str, str]]],
    options: dict[str, Any] | None = None,
    tz_name: str = "UTC",
) -> tuple[str, list[str] | None, list[tuple[int, dict[str, str]]]]:
    """A read table -> (layout name, canonical columns or None, canonical text rows)."""
    if file_format == "canonical" or (file_format == "auto" and is_canonical_header(columns)):
        return "canonical", columns, rows
    brokers = _brokers()
    if brokers is None or not hasattr(brokers, "convert_to_canonical"):
        if file_format == "auto":
            raise ImportFormatError(header_errors(columns))  # what the user can act on
        raise ImportFormatError([RowError(1, "format", f"unknown file format '{file_format}'")])
    layout, canonical_rows = brokers.convert_to_canonical(
        file_format=file_format, columns=columns, rows=rows, options=dict(options or {}), tz_name=tz_name
    )
    return layout, (columns if layout == "canonical" else None), list(canonical_rows)
