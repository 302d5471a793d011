"""Turn an uploaded file (CSV or XLSX) into a header and a stream of `(line, {column: text})` rows.

Line numbers are the file's own (the header is line 1), so an error message points at the line a
person sees in a text editor or spreadsheet, even when a quoted cell spans several lines.
Rows are produced lazily: a 50 MB file is never held as a list of dicts, so an import's memory
stays bounded whatever the file's size. Problems found while reading raise `ImportFormatError`
from the iterator, naming the line.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from .canonical import ImportFormatError, RowError, normalize_header

XLSX_MAGIC = b"PK\x03\x04"
# A quoted cell spanning more lines than this is a quote someone forgot to close, not a note.
MAX_CELL_LINES = 50
READ_BLOCK = 1 << 20

Source = bytes | Path


@dataclass(slots=True)
class TableData:
    """A read file: normalised header, its rows (lazy), and the kind of file."""

    columns: list[str]
    rows: Iterable[tuple[int, dict[str, str]]]
    kind: str  # "csv" or "xlsx"
    raw_columns: list[str] = field(default_factory=list)


def read_source(source: bytes | BinaryIO | Path | str) -> Source:
    """Accept what callers naturally have; a path stays a path, so a big file is streamed from disk."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | Path):
        return Path(source)
    data = source.read()
    return data.encode() if isinstance(data, str) else data


def source_bytes(source: Source) -> bytes:
    return source if isinstance(source, bytes) else source.read_bytes()


def source_head(source: Source, size: int = 8) -> bytes:
    if isinstance(source, bytes):
        return source[:size]
    with source.open("rb") as fh:
        return fh.read(size)


def file_hash(source: Source) -> str:
    """SHA-256 of the file's bytes: the same on every door (CLI, admin, background task)."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        while block := fh.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def is_xlsx(source: Source, file_name: str = "") -> bool:
    return source_head(source, 4) == XLSX_MAGIC or file_name.lower().endswith(".xlsx")


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


def read_table(source: Source, *, file_name: str = "") -> TableData:
    """Read CSV (UTF-8, BOM and CRLF welcome) or XLSX (by magic bytes, not by trusting the name)."""
    if isinstance(source, bytes) and not source.strip():
        raise ImportFormatError([RowError(1, "file", "the file is empty")])
    if is_xlsx(source, file_name):
        return _read_xlsx(source)
    return _read_csv(source)


def _text_stream(source: Source) -> io.TextIOBase:
    raw: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _not_utf8(line: int, exc: UnicodeDecodeError) -> ImportFormatError:
    return ImportFormatError(
        [RowError(line, "file", f"line {line} is not UTF-8 text ({exc.reason}); save the file as CSV UTF-8")]
    )


def unclosed_quote_error(line: int) -> ImportFormatError:
    return ImportFormatError(
        [
            RowError(
                line,
                "file",
                f'a quoted cell opens on line {line} (") and is never closed: every line after it would be '
                "read as part of that one cell. Close or remove the quote, then import again.",
            )
        ]
    )


def check_record_span(line: int, end_line: int, record: list[str], width: int) -> None:
    """A cell that swallowed many lines (or a row's worth of delimiters across lines) is a stray quote."""
    if end_line - line <= 0:
        return
    for index, cell in enumerate(record):
        breaks = cell.count("\n")
        if not breaks:
            continue
        opened = line + sum(c.count("\n") for c in record[:index])
        if breaks > MAX_CELL_LINES or (width > 1 and cell.count(",") >= width - 1):
            raise unclosed_quote_error(opened)


def csv_records(text_lines: Iterable[str]) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of every CSV record; an unclosed quote is an error at its line."""
    reader = csv.reader(text_lines, strict=True)
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise unclosed_quote_error(start) from None
            raise ImportFormatError(
                [
                    RowError(
                        start,
                        "file",
                        f'line {start} cannot be read as CSV ({exc}); a quote inside a cell must be doubled ("")',
                    )
                ]
            ) from None
        yield start, reader.line_num, record
        start = reader.line_num + 1


def _read_csv(source: Source) -> TableData:
    stream = _text_stream(source)
    records = csv_records(stream)
    try:
        first = next(records, None)
    except UnicodeDecodeError as exc:
        stream.close()
        raise _not_utf8(1, exc) from exc
    except ImportFormatError:
        stream.close()
        raise
    if first is None or not any(c.strip() for c in first[2]):
        stream.close()
        raise ImportFormatError([RowError(1, "file", "the file is empty")])
    header = first[2]
    columns = [normalize_header(h) for h in header]
    return TableData(columns=columns, rows=_csv_rows(stream, records, columns), kind="csv", raw_columns=header)


def _csv_rows(stream, records, columns: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    width = len(columns)
    line = 1
    try:
        while True:
            try:
                item = next(records, None)
            except UnicodeDecodeError as exc:
                raise _not_utf8(line + 1, exc) from exc
            if item is None:
                return
            line, end_line, record = item
            if not record or not any(cell.strip() for cell in record):
                continue  # blank lines (a trailing newline, an empty spreadsheet row)
            check_record_span(line, end_line, record, width)
            if len(record) > width and any(cell.strip() for cell in record[width:]):
                raise ImportFormatError(
                    [RowError(line, "file", f"line has {len(record)} cells but the header has {width} columns")]
                )
            yield line, dict(zip(columns, record, strict=False))
    finally:
        stream.close()


def _open_workbook(data: bytes, *, data_only: bool):
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds for a broken archive
        reason = type(exc).__name__ if not str(exc) else str(exc)
        raise ImportFormatError(
            [RowError(1, "file", f"the file is not a readable XLSX workbook ({reason}); save it again as .xlsx or CSV")]
        ) from exc


def _read_xlsx(source: Source) -> TableData:
    data = source_bytes(source)
    values = _open_workbook(data, data_only=True)
    try:
        sheet = values.worksheets[0]
        iterator: Iterator[tuple] = sheet.iter_rows(values_only=True)
        header = next(iterator, None)
    except ImportFormatError:
        values.close()
        raise
    except Exception as exc:
        values.close()
        raise ImportFormatError([RowError(1, "file", f"the workbook cannot be read ({type(exc).__name__})")]) from exc
    if header is None or not any(cell_text(h).strip() for h in header):
        values.close()
        raise ImportFormatError([RowError(1, "file", "the workbook's first sheet is empty")])
    raw = [cell_text(h) for h in header]
    columns = [normalize_header(h) for h in raw]
    return TableData(columns=columns, rows=_xlsx_rows(data, values, iterator, columns), kind="xlsx", raw_columns=raw)


class _FormulaSheet:
    """The first sheet read a second time with formulas kept, opened only when a cell is empty."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._workbook = None
        self._rows: Iterator[tuple] | None = None
        self._line = 1

    def row_at(self, line: int) -> tuple | None:
        if self._workbook is None:
            self._workbook = _open_workbook(self._data, data_only=False)
            self._rows = self._workbook.worksheets[0].iter_rows(values_only=True, min_row=line)
            self._line = line - 1
        row: tuple | None = None
        while self._line < line:
            row = next(self._rows, None)  # type: ignore[arg-type]
            self._line += 1
            if row is None:
                return None
        return row

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()


def _xlsx_rows(data: bytes, values, iterator, columns: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Typed cells as text; a formula cell with no saved value reads as its formula (=B2*C2).

    Why: with the value missing the cell would look empty ("quantity is required"), when the
    truth is that the workbook was written by a program that never computed it.
    """
    formulas = _FormulaSheet(data)
    width = len(columns)
    try:
        for line, cells in enumerate(iterator, start=2):
            texts = [cell_text(v) for v in cells]
            if not any(t.strip() for t in texts):
                continue
            if any(v is None for v in cells[:width]):
                row = formulas.row_at(line)
                for index, value in enumerate(cells[:width]):
                    if value is None and row is not None and index < len(row):
                        formula = row[index]
                        if isinstance(formula, str) and formula.startswith("="):
                            texts[index] = formula
            yield line, dict(zip(columns, texts, strict=False))
    except ImportFormatError:
        raise
    except Exception as exc:
        raise ImportFormatError([RowError(0, "file", f"the workbook cannot be read ({type(exc).__name__})")]) from exc
    finally:
        values.close()
        formulas.close()


def xlsx_sheet_rows(source: Source) -> Iterator[tuple[int, list[str]]]:
    """Every row of the first sheet as (sheet row number, cell texts), title rows included.

    Why positional and not keyed by the first row: broker reports saved as XLSX (MetaTrader's
    Trade History Report) start with title rows and hold several tables, so the header is found
    by the broker layout, as in a CSV file. A formula cell without a saved value reads as its
    formula, as in `read_table`.
    """
    data = source_bytes(source)
    values = _open_workbook(data, data_only=True)
    formulas = _FormulaSheet(data)
    try:
        for line, cells in enumerate(values.worksheets[0].iter_rows(values_only=True), start=1):
            texts = [cell_text(v) for v in cells]
            if any(v is None for v in cells) and any(t.strip() for t in texts):
                row = formulas.row_at(line)
                for index, value in enumerate(cells):
                    formula = row[index] if row is not None and index < len(row) else None
                    if value is None and isinstance(formula, str) and formula.startswith("="):
                        texts[index] = formula
            while texts and not texts[-1].strip():
                texts.pop()
            yield line, texts
    except ImportFormatError:
        raise
    except Exception as exc:
        raise ImportFormatError([RowError(1, "file", f"the workbook cannot be read ({type(exc).__name__})")]) from exc
    finally:
        values.close()
        formulas.close()


def count_data_rows(data: bytes) -> int:
    """A cheap upper bound on data rows, to decide sync vs background import before parsing."""
    if data[:4] == XLSX_MAGIC:
        try:
            from openpyxl import load_workbook

            workbook = load_workbook(io.BytesIO(data), read_only=True)
        except Exception:
            return 0  # unreadable: the import itself reports why, in the request
        try:
            return max((workbook.worksheets[0].max_row or 1) - 1, 0)
        finally:
            workbook.close()
    stripped = data.rstrip(b"\r\n")
    return stripped.count(b"\n") if stripped else 0


def rows_from_dataset(headers: Iterable[object], records: Iterable[Iterable[object]]) -> TableData:
    """Rows from a tablib Dataset (the admin's bar import hands the bar resource one)."""
    columns = [normalize_header(h) for h in headers]
    rows: list[tuple[int, dict[str, str]]] = []
    for line, record in enumerate(records, start=2):
        texts = [cell_text(v) for v in record]
        if not any(t.strip() for t in texts):
            continue
        rows.append((line, dict(zip(columns, texts, strict=False))))
    return TableData(columns=columns, rows=rows, kind="dataset")
