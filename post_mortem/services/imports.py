"""Trade and bar imports, and undoing an import.

Why a service around the resource: an import is more than writing rows. It is one ImportBatch
(file name, hash, who, when, counts, timezone, layout) so it can be audited and rolled back; it is
atomic (a file with any bad row writes nothing, and every bad row is reported); and a large one is
a JobRun with progress. The admin, `import_trades`, the background task and the demo loader all
come through here, so they behave the same.
"""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from ..importing.brokers.registry import LAYOUT_NAMES, groups_fills
from ..importing.canonical import (
    CanonicalTrade,
    CanonicalValidator,
    ImportFormatError,
    RowError,
    normalize_header,
    resolve_timezone,
)
from ..importing.formats import convert
from ..importing.grouping_guard import batch_grouping, grouping_conflicts
from ..importing.readers import file_hash, read_source, read_table
from ..importing.writer import RESTORED_FIELDS, TradeWriter, WriteCounts
from ..models import BatchStatus, ImportBatch, JobRun, MarketBar, RunKind, RunStatus, Trade
from ..selectors.brokers import multiplier_table, saved_layout_specs
from .runs import enqueue_after_commit, run_create, run_fail, run_finish, run_mark_started, run_set_progress

MAX_STORED_ERRORS = 1000
MAX_RAW_ROWS = 200
CHUNK_ROWS = 2000
ROLLBACK_CHUNK = 2000


@dataclass(slots=True)
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    batch_id: int | None = None
    file_format: str = "canonical"
    timezone: str = "UTC"
    dry_run: bool = False
    sample: list[tuple[str, CanonicalTrade]] = field(default_factory=list)
    raw_rows: dict[int, dict[str, str]] = field(default_factory=dict)
    skipped: list[RowError] = field(default_factory=list)  # --skip-invalid: lines left out
    notes: list[RowError] = field(default_factory=list)  # what the layout left out (open positions...)
    warnings: list[RowError] = field(default_factory=list)  # columns that were ignored

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        """The object `import_trades --json` prints (the issue fixes its keys)."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [e.as_dict() for e in self.errors],
            "skipped": [e.as_dict() for e in self.skipped],
            "warnings": [e.as_dict() for e in self.warnings],
            "notes": [e.as_dict() for e in self.notes],
            "batch_id": self.batch_id,
            "file_format": self.file_format,
            "timezone": self.timezone,
            "dry_run": self.dry_run,
        }


@dataclass(slots=True)
class BarsImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "errors": [e.as_dict() for e in self.errors],
        }


def _user(created_by: Any) -> Any:
    return created_by if created_by is not None and getattr(created_by, "is_authenticated", False) else None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's rows are built and written.

    Why: a 100k-row import allocates millions of small acyclic objects (dicts, Decimals, rows);
    the collector's repeated full passes over them cost ~25% of the CPU. Reference counting still
    frees everything; the collector runs again when the import ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_timezone(file_format: str) -> str:
    """Naive times of broker exports are the desk's local times; canonical files default to UTC."""
    return "UTC" if file_format == "canonical" else settings.DESK_TIMEZONE


class _Rejected(Exception):
    """Raised inside the import transaction to undo every chunk already written."""


@_gc_paused()
def trades_import(
    *,
    source: bytes | BinaryIO | Path,
    file_name: str,
    tz_name: str | None = None,
    dry_run: bool = False,
    file_format: str = "canonical",
    created_by: Any = None,
    options: dict | None = None,
    run: JobRun | None = None,
    batch: ImportBatch | None = None,
    skip_invalid: bool = False,
    record_rejection: bool | None = None,
) -> ImportResult:
    """Import a trade file (CSV or XLSX, canonical or a broker layout): the one door every caller uses.

    readers -> layout (canonical or broker) -> canonical validation -> TradeWriter -> ImportBatch.
    Atomic by default: any bad row writes nothing and every bad row is reported; `skip_invalid`
    imports the valid rows and lists the skipped lines. Rows are read, validated and written in
    chunks, so memory stays bounded for any file size. A rejected file leaves a FAILED batch with
    its errors (on a dry run too when `record_rejection`, as the admin's preview asks), so ops
    see attempts, not only successes. `batch`/`run` are passed by the background task.
    """
    source = read_source(source)
    digest = file_hash(source)
    tz_name = tz_name or default_timezone(file_format)
    record = (not dry_run) if record_rejection is None else (record_rejection or not dry_run)
    meta = {
        "file_name": file_name,
        "file_hash": digest,
        "tz_name": tz_name,
        "created_by": created_by,
        "options": options,
        "run": run,
    }
    layout = file_format
    notes: list[RowError] = []
    warnings: list[RowError] = []
    try:
        resolve_timezone(tz_name)
        specs = saved_layout_specs()
        converted = convert(
            source,
            file_name=file_name,
            file_format=file_format,
            tz_name=tz_name,
            options=options,
            multipliers=multiplier_table(),
            specs=specs,
        )
        layout, notes, warnings = converted.layout, converted.notes, converted.warnings
        return _validate_and_write(
            converted,
            meta=meta,
            dry_run=dry_run,
            batch=batch,
            skip_invalid=skip_invalid,
            record=record,
            guard=_grouping_guard(layout, options, specs),
        )
    except ImportFormatError as exc:
        layout = exc.layout or layout
        result = ImportResult(
            errors=exc.errors[:MAX_STORED_ERRORS],
            error_count=len(exc.errors),
            file_format=layout,
            timezone=tz_name,
            dry_run=dry_run,
            notes=notes,
            warnings=warnings,
        )
        if record:
            result.batch_id = _record_failed_batch(
                batch=batch, file_format=layout, errors=exc.errors, rows=0, notes=[*warnings, *notes], **meta
            )
        return result


def _chunks(rows: Iterable[tuple[int, dict[str, str]]]) -> Iterator[list[tuple[int, dict[str, str]]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        yield chunk


def _grouping_guard(layout: str, options: dict | None, specs) -> tuple[str, list[str]] | None:
    """(this import's grouping, every layout that groups fills) when the file is grouped from fills."""
    if not groups_fills(layout, extra=specs):
        return None
    names = [*LAYOUT_NAMES, *(s.name for s in specs)]
    return batch_grouping(options), [n for n in names if groups_fills(n, extra=specs)]


def _validate_and_write(converted, *, meta: dict, dry_run: bool, batch, skip_invalid: bool, record: bool, guard=None):
    """Validate and write chunk by chunk inside one transaction; any error rolls every chunk back."""
    run = meta["run"]
    layout = converted.layout
    result = ImportResult(
        file_format=layout,
        timezone=meta["tz_name"],
        dry_run=dry_run,
        notes=converted.notes,
        warnings=converted.warnings,
    )
    if run is not None:
        run_mark_started(run_id=run.pk)
    validator = CanonicalValidator(tz_name=meta["tz_name"], columns=converted.columns)
    writer = TradeWriter()
    counts = WriteCounts()
    errors: list[RowError] = []
    try:
        with nullcontext() if dry_run else transaction.atomic():
            if not dry_run:
                batch = _batch_running(batch, layout=layout, **meta)
            for chunk in _chunks(converted.rows):
                valid, chunk_errors = validator.validate(chunk)
                if guard is not None and valid:
                    clashes = grouping_conflicts(valid, grouping=guard[0], fill_layouts=guard[1])
                    if clashes:
                        clash_lines = {e.line for e in clashes}
                        valid = [t for t in valid if t.line not in clash_lines]
                        chunk_errors = [*chunk_errors, *clashes]
                result.rows += len(chunk)
                if chunk_errors:
                    if skip_invalid:
                        result.skipped.extend(chunk_errors)
                    else:
                        errors.extend(chunk_errors)
                        bad_lines = {e.line for e in chunk_errors}
                        for line, row in chunk:
                            if line in bad_lines and len(result.raw_rows) < MAX_RAW_ROWS:
                                result.raw_rows[line] = row
                if not errors:
                    counts.add(writer.plan_rows(valid) if dry_run else writer.write_rows(valid, batch=batch))
                if run is not None:
                    run_set_progress(run_id=run.pk, done=result.rows * 2)
            errors.extend(validator.finish())
            if errors and not dry_run:
                raise _Rejected
            if not dry_run:
                _batch_completed(batch, result=result, counts=counts, layout=layout)
    except _Rejected:
        pass
    except (IntegrityError, DatabaseError) as exc:
        # A concurrent import of the same trades, or the database refusing: nothing was written.
        errors = [RowError(0, "database", f"the import was rolled back: {exc}")]
    except ImportFormatError as exc:  # found while reading, after some rows: nothing was written
        errors = [*errors, *exc.errors]
    if errors:
        errors.sort(key=lambda e: e.line)
        result.errors = errors[:MAX_STORED_ERRORS]
        result.error_count = len(errors)
        result.created = result.updated = result.unchanged = 0
        if record:
            keep = (
                batch if batch is not None and batch.pk and ImportBatch.objects.filter(pk=batch.pk).exists() else None
            )
            result.batch_id = _record_failed_batch(
                batch=keep,
                file_format=layout,
                errors=errors,
                rows=result.rows,
                notes=[*result.warnings, *result.notes],
                skipped=result.skipped,
                **meta,
            )
        return result
    result.created, result.updated, result.unchanged = counts.created, counts.updated, counts.unchanged
    result.sample = counts.sample
    if not dry_run:
        result.batch_id = batch.pk
        if run is not None:
            run_finish(run_id=run.pk, result=_run_summary(result), status=RunStatus.SUCCEEDED)
    return result


def _run_summary(result: ImportResult) -> dict[str, Any]:
    out = result.as_json()
    for key in ("errors", "skipped", "notes", "warnings"):
        out[key] = out[key][:50]  # the full lists live on the batch
    return out


def _stored(items: Sequence[RowError]) -> list[dict[str, object]]:
    return [e.as_dict() for e in items[:MAX_STORED_ERRORS]]


def _batch_running(batch, *, layout, file_name, file_hash, tz_name, created_by, options, run) -> ImportBatch:
    if batch is not None:
        return batch
    return ImportBatch.objects.create(
        file_name=file_name[:255],
        file_hash=file_hash,
        file_format=layout,
        timezone=tz_name,
        created_by=_user(created_by),
        options=options or {},
        run=run,
        status=BatchStatus.RUNNING,
    )


def _batch_completed(batch: ImportBatch, *, result: ImportResult, counts: WriteCounts, layout: str) -> None:
    batch.status = BatchStatus.COMPLETED
    batch.rows = result.rows
    batch.created = counts.created
    batch.updated = counts.updated
    batch.unchanged = counts.unchanged
    batch.error_count = 0
    batch.errors = []
    batch.skipped = _stored(result.skipped)
    batch.notes = _stored([*result.warnings, *result.notes])
    batch.file_format = layout
    batch.timezone = result.timezone
    batch.previous_values = counts.previous_values
    batch.finished_at = timezone.now()
    batch.save()


def _record_failed_batch(
    *,
    batch: ImportBatch | None,
    file_name: str,
    file_hash: str,
    tz_name: str,
    file_format: str,
    created_by: Any,
    options: dict | None,
    run: JobRun | None,
    errors: Sequence[RowError],
    rows: int,
    notes: Sequence[RowError] = (),
    skipped: Sequence[RowError] = (),
) -> int:
    """Rejected files are batches too (FAILED, no trades), so the attempt and its reasons are visible."""
    stored = _stored(errors)
    values = {
        "status": BatchStatus.FAILED,
        "rows": rows,
        "error_count": len(errors),
        "errors": stored,
        "notes": _stored(notes),
        "skipped": _stored(skipped),
        "finished_at": timezone.now(),
        "file_format": file_format,
        "timezone": tz_name,
    }
    if batch is not None:
        ImportBatch.objects.filter(pk=batch.pk).update(**values)
        batch_id = batch.pk
    else:
        batch_id = ImportBatch.objects.create(
            file_name=file_name[:255],
            file_hash=file_hash,
            created_by=_user(created_by),
            options=options or {},
            run=run,
            **values,
        ).pk
    if run is not None:
        first = "; ".join(f"line {e.line} {e.field}: {e.message}" for e in errors[:5])
        run_fail(run_id=run.pk, error=f"{len(errors)} error(s), nothing imported. {first}")
        JobRun.objects.filter(pk=run.pk).update(result={"errors": stored[:200], "rows": rows})
    return batch_id


# --- background (large) imports -----------------------------------------------------------


def trades_import_enqueue(
    *,
    data: bytes,
    file_name: str,
    tz_name: str | None = None,
    file_format: str = "auto",
    created_by: Any = None,
    rows_estimate: int = 0,
    options: dict | None = None,
    enqueue: bool = True,
) -> ImportBatch:
    """Store the upload, create the JobRun + PENDING ImportBatch, and enqueue the task after commit.

    Why: a 100k-row file takes seconds to validate and write; a web request must not hold it.
    The stored file is named by its hash so a retried task reads exactly the same bytes.
    """
    tz_name = tz_name or default_timezone(file_format)
    resolve_timezone(tz_name)
    digest = file_hash(data)
    upload_dir = Path(settings.IMPORT_UPLOAD_DIR)
    upload_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".xlsx" if data[:4] == b"PK\x03\x04" else ".csv"
    path = upload_dir / f"{digest}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    with transaction.atomic():
        run = run_create(
            kind=RunKind.IMPORT,
            params={"file_name": file_name, "timezone": tz_name, "file_format": file_format},
            total=rows_estimate * 2,
            created_by=created_by,
        )
        batch = ImportBatch.objects.create(
            file_name=file_name[:255],
            file_hash=digest,
            file_format=file_format,
            timezone=tz_name,
            created_by=_user(created_by),
            options={**(options or {}), "upload_path": str(path)},  # broker options travel to the task
            run=run,
            rows=rows_estimate,
            status=BatchStatus.PENDING,
        )
        if enqueue:  # False only when the caller queues the task itself (the real-qcluster test)
            enqueue_after_commit(
                "post_mortem.tasks.imports.trades_import_task", batch.pk, task_name=f"import batch {batch.pk}"
            )
    return batch


def trades_import_from_batch(*, batch_id: int) -> ImportResult | None:
    """Run a queued batch's import. Idempotent: a finished batch is left alone on a retry."""
    batch = ImportBatch.objects.select_related("run", "created_by").get(pk=batch_id)
    if batch.status in {BatchStatus.COMPLETED, BatchStatus.ROLLED_BACK}:
        return None
    path = Path(batch.options.get("upload_path", ""))
    if not path.is_file():
        error = RowError(0, "file", f"the uploaded file {path.name or '?'} is no longer on the server")
        _record_failed_batch(
            batch=batch,
            file_name=batch.file_name,
            file_hash=batch.file_hash,
            tz_name=batch.timezone,
            file_format=batch.file_format,
            created_by=batch.created_by,
            options=batch.options,
            run=batch.run,
            errors=[error],
            rows=0,
        )
        return ImportResult(errors=[error])
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    options = {k: v for k, v in batch.options.items() if k not in {"upload_path", "skip_invalid"}}
    result = trades_import(
        source=path,
        file_name=batch.file_name,
        tz_name=batch.timezone,
        file_format=batch.file_format,
        created_by=batch.created_by,
        options=options or None,
        run=batch.run,
        batch=batch,
        skip_invalid=bool(batch.options.get("skip_invalid")),
    )
    if result.ok:
        path.unlink(missing_ok=True)
    return result


# --- rollback ------------------------------------------------------------------------------


def import_batch_rollback(*, batch: ImportBatch, user: Any) -> dict[str, int]:
    """Undo a batch: restore the trades it updated, delete the trades it created.

    Only trades still owned by this batch are touched: a trade a later batch re-imported keeps
    the later values (rolling back an older batch must not undo a newer one). Written in
    transactions of ROLLBACK_CHUNK trades, so rolling back 190k trades never holds the database's
    write lock for long (SQLite has one writer); a rollback that stops half way is resumed by
    running it again, since restored and deleted trades are no longer owned by the batch.
    """
    batch = ImportBatch.objects.get(pk=batch.pk)
    if batch.status != BatchStatus.COMPLETED:
        raise ValueError(f"only a completed import can be rolled back (this one is {batch.get_status_display()})")
    previous = batch.previous_values or {}
    restored_ids = [int(pk) for pk in previous]
    restored = 0
    for start in range(0, len(restored_ids), ROLLBACK_CHUNK):
        chunk = restored_ids[start : start + ROLLBACK_CHUNK]
        with transaction.atomic():
            trades = list(Trade.objects.filter(pk__in=chunk, import_batch=batch))
            for trade in trades:
                for name, value in previous[str(trade.pk)].items():
                    setattr(trade, name, _restore_value(trade, name, value))
            Trade.objects.bulk_update(trades, list(RESTORED_FIELDS), batch_size=200)
        restored += len(trades)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Trade.objects.filter(import_batch=batch).order_by().values_list("pk", flat=True)[:ROLLBACK_CHUNK]
            )
            if not ids:
                break
            _total, per_model = Trade.objects.filter(pk__in=ids).delete()
        deleted += per_model.get(Trade._meta.label, 0)
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.ROLLED_BACK, rolled_back_at=timezone.now(), rolled_back_by=_user(user)
        )
    batch.refresh_from_db()
    return {"deleted": deleted, "restored": restored}


def _restore_value(trade: Trade, name: str, value: Any) -> Any:
    if value is None:
        return None
    model_field = Trade._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
    internal = model_field.get_internal_type()
    if internal == "DecimalField":
        return Decimal(value)
    if internal == "DateTimeField":
        return datetime.fromisoformat(value)
    if internal == "DateField":
        return date.fromisoformat(value)
    return value


# --- bars ----------------------------------------------------------------------------------

BAR_COLUMNS = ("symbol", "timestamp", "open", "high", "low", "close", "volume")


@_gc_paused()
def bars_import(*, source: bytes | BinaryIO | Path, file_name: str, tz_name: str = "UTC") -> BarsImportResult:
    """Load OHLCV bars, upserting on (symbol, timestamp); any bad row writes nothing."""
    data = read_source(source)
    try:
        resolve_timezone(tz_name)
        table = read_table(data, file_name=file_name)
        rows = list(table.rows)
    except ImportFormatError as exc:
        return BarsImportResult(errors=exc.errors)
    return bars_import_rows(columns=table.columns, rows=rows, tz_name=tz_name)


def bars_import_rows(
    *,
    columns: Sequence[str],
    rows: Sequence[tuple[int, dict[str, str]]],
    tz_name: str = "UTC",
    dry_run: bool = False,
) -> BarsImportResult:
    """Validate bars (numbers, high >= low, high/low around open/close) and upsert them atomically."""
    from ..importing.canonical import _parse_time

    columns = [normalize_header(c) for c in columns]
    result = BarsImportResult(rows=len(rows))
    missing = [c for c in BAR_COLUMNS[:-1] if c not in columns]
    if missing:
        result.errors = [RowError(1, c, f"required column '{c}' is missing from the header") for c in missing]
        return result
    if not rows:
        result.errors = [RowError(1, "file", "the file has no data rows")]
        return result
    tz = resolve_timezone(tz_name)
    bars: dict[tuple[str, datetime], MarketBar] = {}
    first_line: dict[tuple[str, datetime], int] = {}
    for line, row in rows:
        errs: list[RowError] = []
        symbol = (row.get("symbol") or "").strip().upper()
        if not symbol:
            errs.append(RowError(line, "symbol", "symbol is required"))
        elif len(symbol) > 40:
            errs.append(RowError(line, "symbol", "symbol is longer than 40 characters"))
        raw_ts = (row.get("timestamp") or "").strip()
        ts = None
        try:
            ts = _parse_time(raw_ts, tz) if raw_ts else None
            if ts is None:
                errs.append(RowError(line, "timestamp", "timestamp is required"))
        except (ValueError, OverflowError):
            errs.append(RowError(line, "timestamp", f"'{raw_ts}' is not an ISO 8601 date/time"))
        numbers: dict[str, float] = {}
        for name in ("open", "high", "low", "close", "volume"):
            raw = (row.get(name) or "").strip()
            if not raw:
                if name == "volume":
                    numbers[name] = 0.0
                    continue
                errs.append(RowError(line, name, f"{name} is required"))
                continue
            try:
                value = float(raw)
            except ValueError:
                errs.append(RowError(line, name, f"'{raw}' is not a number"))
                continue
            if not math.isfinite(value) or value < 0 or (value == 0 and name != "volume"):
                errs.append(RowError(line, name, f"{name} must be a positive number (got {raw})"))
                continue
            numbers[name] = value
        if len(numbers) == 5:
            if numbers["high"] < numbers["low"]:
                errs.append(RowError(line, "high", f"high {numbers['high']} is below low {numbers['low']}"))
            elif not (numbers["low"] <= numbers["open"] <= numbers["high"]) or not (
                numbers["low"] <= numbers["close"] <= numbers["high"]
            ):
                errs.append(RowError(line, "open", "open and close must lie between low and high"))
        if errs:
            result.errors.extend(errs)
            continue
        key = (symbol, ts)
        if key in first_line:
            result.errors.append(
                RowError(
                    line, "timestamp", f"duplicate bar for {symbol} at {raw_ts} (already on line {first_line[key]})"
                )
            )
            continue
        first_line[key] = line
        bars[key] = MarketBar(symbol=symbol, timestamp=ts, **numbers)
    if result.errors:
        return result
    existing = 0
    by_symbol: dict[str, list[datetime]] = defaultdict(list)
    for symbol, ts in bars:
        by_symbol[symbol].append(ts)
    for symbol, stamps in by_symbol.items():
        for start in range(0, len(stamps), 500):
            existing += MarketBar.objects.filter(symbol=symbol, timestamp__in=stamps[start : start + 500]).count()
    result.updated = existing
    result.created = len(bars) - existing
    if dry_run:
        return result
    with transaction.atomic():
        MarketBar.objects.bulk_create(
            list(bars.values()),
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["symbol", "timestamp"],
            update_fields=["open", "high", "low", "close", "volume"],
        )
    return result
