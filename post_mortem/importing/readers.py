"""Turn an uploaded file (CSV or XLSX bytes) into a header and `(line, {column: text})` rows.

Line numbers are the file's own (the header is line 1), so an error message points at the line a
person sees in a text editor or spreadsheet, even when a quoted cell spans several lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from .canonical import ImportFormatError, RowError, normalize_header

XLSX_MAGIC = b"PK\x03\x04"


@dataclass(slots=True)
class TableData:
    """A read file: normalised header, the rows, and how many data rows there are."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    kind: str  # "csv" or "xlsx"


def read_source(source: bytes | BinaryIO | Path | str) -> bytes:
    """Accept what callers naturally have (a path, an open file, bytes) and return the bytes."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    data = source.read()
    return data.encode() if isinstance(data, str) else data


def cell_text(value: object) -> str:
    """Spreadsheet cells arrive typed; the validator wants the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def read_table(data: bytes, *, file_name: str = "") -> TableData:
    """Read CSV (UTF-8, BOM and CRLF welcome) or XLSX (by magic bytes, not by trusting the name)."""
    if not data.strip():
        raise ImportFormatError([RowError(1, "file", "the file is empty")])
    if data[:4] == XLSX_MAGIC or file_name.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    return _read_csv(data)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFormatError(
            [
                RowError(
                    line, "file", f"the file is not UTF-8 text (bad byte at offset {exc.start}); save it as CSV UTF-8"
                )
            ]
        ) from exc


def _read_csv(data: bytes) -> TableData:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFormatError([RowError(1, "file", "the file is empty")]) from None
    except csv.Error as exc:
        raise ImportFormatError([RowError(1, "file", f"the header cannot be read as CSV: {exc}")]) from exc
    columns = [normalize_header(h) for h in header]
    width = len(columns)
    rows: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            line = start
            start = reader.line_num + 1
            if not record or not any(cell.strip() for cell in record):
                continue  # blank lines (a trailing newline, an empty spreadsheet row)
            if len(record) > width and any(cell.strip() for cell in record[width:]):
                raise ImportFormatError(
                    [RowError(line, "file", f"line has {len(record)} cells but the header has {width} columns")]
                )
            rows.append((line, dict(zip(columns, record, strict=False))))
    except csv.Error as exc:
        raise ImportFormatError([RowError(start, "file", f"cannot be read as CSV: {exc}")]) from exc
    return TableData(columns=columns, rows=rows, kind="csv")


def _read_xlsx(data: bytes) -> TableData:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken archive
        raise ImportFormatError([RowError(1, "file", f"the file is not a readable XLSX workbook ({exc})")]) from exc
    try:
        sheet = workbook.worksheets[0]
        iterator: Iterator[tuple] = sheet.iter_rows(values_only=True)
        header = next(iterator, None)
        if header is None:
            raise ImportFormatError([RowError(1, "file", "the workbook's first sheet is empty")])
        columns = [normalize_header(h) for h in header]
        rows: list[tuple[int, dict[str, str]]] = []
        for line, values in enumerate(iterator, start=2):
            texts = [cell_text(v) for v in values]
            if not any(t.strip() for t in texts):
                continue
            rows.append((line, dict(zip(columns, texts, strict=False))))
    finally:
        workbook.close()
    return TableData(columns=columns, rows=rows, kind="xlsx")


def rows_from_dataset(headers: Iterable[object], records: Iterable[Iterable[object]]) -> TableData:
    """Rows from a tablib Dataset (what django-import-export's admin hands the resource)."""
    columns = [normalize_header(h) for h in headers]
    rows: list[tuple[int, dict[str, str]]] = []
    for line, record in enumerate(records, start=2):
        texts = [cell_text(v) for v in record]
        if not any(t.strip() for t in texts):
            continue
        rows.append((line, dict(zip(columns, texts, strict=False))))
    return TableData(columns=columns, rows=rows, kind="dataset")


def count_data_rows(data: bytes) -> int:
    """A cheap upper bound on data rows, to decide sync vs background import before parsing."""
    if data[:4] == XLSX_MAGIC:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True)
        try:
            return max((workbook.worksheets[0].max_row or 1) - 1, 0)
        finally:
            workbook.close()
    stripped = data.rstrip(b"\r\n")
    return stripped.count(b"\n") if stripped else 0
