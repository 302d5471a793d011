"""Load the demo desk (fixtures/demo/*.csv) through the same import path a user's file takes.

Why through `trades_import` / `bars_import` and not fixtures: the demo then exercises the real
validation, creates a real ImportBatch (so rollback and the batch list have something to show),
and re-running it is exactly the idempotency a user relies on: the second run reports every row
unchanged and writes no new batch.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from post_mortem.models import BatchStatus, ImportBatch, MarketBar, Trade
from post_mortem.services.imports import bars_import, trades_import

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"
TRADES_FILE = "trades.csv"
BARS_FILE = "bars.csv"


class Command(BaseCommand):
    help = "Load the demo desk (about 2,000 trades over a year, 4 accounts, bars). Idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", type=Path, default=DEMO_DIR, help="directory holding trades.csv and bars.csv")
        parser.add_argument("--no-bars", action="store_true", help="skip the OHLCV bars")
        parser.add_argument("--json", action="store_true", help="print one JSON summary as the last line")

    def handle(self, *args, **options) -> None:
        directory: Path = options["dir"]
        summary = {"trades": self._load_trades(directory / TRADES_FILE)}
        if not options["no_bars"]:
            summary["bars"] = self._load_bars(directory / BARS_FILE)
        summary["totals"] = {"trades": Trade.objects.count(), "bars": MarketBar.objects.count()}
        if options["json"]:
            self.stdout.write(json.dumps(summary))

    def _load_trades(self, path: Path) -> dict:
        data = _read(path)
        file_name = f"demo/{path.name}"
        # A file already imported whole (same bytes, batch not rolled back) whose trades are all
        # still there is skipped: re-importing it would change nothing but add an empty batch.
        loaded = ImportBatch.objects.filter(
            file_hash=hashlib.sha256(data).hexdigest(), status=BatchStatus.COMPLETED, rolled_back_at__isnull=True
        ).first()
        if loaded is not None and Trade.objects.filter(import_batch__file_hash=loaded.file_hash).count() >= loaded.rows:
            self.stdout.write(f"demo trades: unchanged ({loaded.rows} rows already imported by batch #{loaded.pk})")
            return {"rows": loaded.rows, "created": 0, "updated": 0, "unchanged": loaded.rows, "batch": loaded.pk}
        result = trades_import(source=data, file_name=file_name, tz_name=settings.DESK_TIMEZONE)
        if result.errors:
            lines = "\n".join(f"  line {e.line}, {e.field}: {e.message}" for e in result.errors[:20])
            raise CommandError(f"{file_name} was rejected ({len(result.errors)} bad rows):\n{lines}")
        self.stdout.write(
            self.style.SUCCESS(
                f"demo trades: {result.rows} rows, {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged (batch #{result.batch_id})"
            )
        )
        return {
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "batch": result.batch_id,
        }

    def _load_bars(self, path: Path) -> dict:
        data = _read(path)
        rows = _bars_unchanged(data)
        if rows is not None:
            self.stdout.write(f"demo bars: unchanged ({rows} rows already loaded)")
            return {"rows": rows, "created": 0, "updated": 0, "unchanged": rows}
        result = bars_import(source=data, file_name=f"demo/{path.name}")
        if result.errors:
            lines = "\n".join(f"  line {e.line}, {e.field}: {e.message}" for e in result.errors[:20])
            raise CommandError(f"demo/{path.name} was rejected ({len(result.errors)} bad rows):\n{lines}")
        self.stdout.write(
            self.style.SUCCESS(f"demo bars: {result.rows} rows, {result.created} created, {result.updated} updated")
        )
        return {"rows": result.rows, "created": result.created, "updated": result.updated}


def _bars_unchanged(data: bytes) -> int | None:
    """Row count when every bar of the file is already stored with the same values, else None.

    The bar upsert cannot tell "rewritten with the same values" from "updated", so the command
    compares first: one indexed range query per symbol, no writes.
    """
    wanted: dict[tuple[str, str], tuple[float, ...]] = {}
    for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
        key = (row["symbol"].strip().upper(), row["timestamp"].strip())
        wanted[key] = tuple(float(row[c]) for c in ("open", "high", "low", "close", "volume"))
    if not wanted:
        return None
    stamps = sorted(parse_datetime(ts) for _, ts in wanted)
    stored = MarketBar.objects.filter(
        symbol__in={s for s, _ in wanted}, timestamp__gte=stamps[0], timestamp__lte=stamps[-1]
    ).values_list("symbol", "timestamp", "open", "high", "low", "close", "volume")
    have = {(s, ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")): tuple(v) for s, ts, *v in stored}
    for key, values in wanted.items():
        found = have.get(key)
        if found is None or any(abs(a - b) > 1e-9 for a, b in zip(found, values, strict=True)):
            return None
    return len(wanted)


def _read(path: Path) -> bytes:
    if not path.exists():
        raise CommandError(f"{path} is missing; regenerate it with: python fixtures/generate_demo.py")
    return path.read_bytes()
