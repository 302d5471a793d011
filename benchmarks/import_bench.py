"""Import throughput: the project's import path against a raw csv + sqlite3 baseline, same run.

    python benchmarks/import_bench.py --rows 100000 --json
    python benchmarks/import_bench.py --mb 50 --json     # a 50 MB file: peak memory of the import

Generates a canonical trade file, imports it into a fresh migrated SQLite database through
`trades_import` (what `import_trades` and the admin's background import run: read, validate every
row, derive the numbers, write in one transaction, record the batch), then loads the same file with
the csv module + sqlite3 executemany in one transaction into a table of the same shape. Prints
{"rows_per_s", "raw_rows_per_s", "ratio", ...}. Target (issue 2): ratio >= 0.25.
`peak_rss_mb` is the process's peak resident memory right after the import (Django, the
migrated database and the import together; the import streams the file in chunks).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from post_mortem.importing.canonical import CANONICAL_COLUMNS  # noqa: E402  (stdlib-only module)

HEADER = list(CANONICAL_COLUMNS)


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A realistic mix: several accounts and symbols, offsets and naive times, optional stops."""
    rng = random.Random(seed)
    # Seven minutes apart, ending in early 2025: a big file never reaches the future (refused).
    start = dt.datetime(2025, 1, 2, 14, 30, tzinfo=dt.UTC) - dt.timedelta(minutes=7 * rows)
    symbols = ["AAPL", "MSFT", "NVDA", "TSLA", "AMD", "META", "ES", "NQ", "SPY", "QQQ"]
    setups = ["breakout", "pullback", "fade", "vwap reject", "opening drive", ""]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            side = rng.choice(["LONG", "SHORT", "buy", "sell"])
            long = side in ("LONG", "buy")
            entry = round(rng.uniform(20, 500), 2)
            move = round(entry * rng.gauss(0, 0.01), 2)
            exit_ = max(round(entry + move, 2), 0.01)
            stop = round(entry * (0.99 if long else 1.01), 2) if rng.random() < 0.8 else ""
            entry_time = start + dt.timedelta(minutes=7 * i)
            exit_time = entry_time + dt.timedelta(minutes=rng.randint(1, 240))
            writer.writerow(
                [
                    f"T{i:08d}",
                    f"ACC-{i % 5 + 1}",
                    rng.choice(symbols),
                    side,
                    rng.choice([10, 25, 50, 100, 200]),
                    entry_time.isoformat(),
                    exit_time.isoformat(),
                    entry,
                    exit_,
                    round(rng.uniform(0, 3), 2),
                    stop,
                    "",
                    rng.choice(setups),
                    "momentum;open" if i % 3 == 0 else "",
                    "" if i % 4 else "note with, a comma",
                ]
            )


RAW_TABLES = {
    # The real trade table (same columns, indexes and constraints, copied from the migrated
    # database): the baseline pays the same index maintenance as the import it is compared with.
    "same_schema": None,
    # A bare table with only the unique key, for reference.
    "minimal": (
        "CREATE TABLE trade (id INTEGER PRIMARY KEY, external_id TEXT, account TEXT, symbol TEXT, side TEXT,"
        " quantity TEXT, entry_time TEXT, exit_time TEXT, entry_price TEXT, exit_price TEXT, fees TEXT,"
        " stop_price TEXT, target_price TEXT, setup TEXT, tags TEXT, notes TEXT, UNIQUE(account, external_id))"
    ),
}


def raw_baseline(path: Path, db_path: Path, *, schema: str) -> tuple[float, float]:
    """csv module + sqlite3 executemany in one transaction: the floor any importer pays."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    if schema == "minimal":
        conn.execute(RAW_TABLES["minimal"])
        sql = (
            "INSERT INTO trade (external_id, account, symbol, side, quantity, entry_time, exit_time, entry_price,"
            " exit_price, fees, stop_price, target_price, setup, tags, notes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        )

        def params(row):
            return row
    else:
        # NOT NULL columns without a database default get constants; times are stored as given.
        sql = (
            "INSERT INTO post_mortem_trade (external_id, account, symbol, side, quantity, entry_time, exit_time,"
            " entry_price, exit_price, fees, stop_price, target_price, setup, tags, notes, multiplier, source_hash,"
            " gross_pnl, net_pnl, r_multiple, return_pct, holding_minutes, created_at, updated_at, option_type,"
            " underlying)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,'',0,0,NULL,0,0,'2026-01-01','2026-01-01','','')"
        )

        def params(row):
            return [v if v != "" or i not in (10, 11) else None for i, v in enumerate(row)]

    started, cpu_started = time.perf_counter(), time.process_time()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        conn.execute("BEGIN")
        conn.executemany(sql, (params(r) for r in reader))
        conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    conn.close()
    return elapsed, cpu


def _current_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--mb", type=float, default=0, help="generate a file of about this many MB instead")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--reimport", action="store_true", help="also time a second, no-op import")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="import_bench_"))
    csv_path = work / "trades.csv"
    if args.mb:
        generate(csv_path, 2000)
        args.rows = int(args.mb * 1024 * 1024 / (csv_path.stat().st_size / 2000))
    generate(csv_path, args.rows)

    os.environ["SQLITE_PATH"] = str(work / "bench.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DEBUG", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "internal.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import shutil

    from django.db import connection

    connection.close()
    shutil.copyfile(work / "bench.sqlite3", work / "raw_same.sqlite3")  # empty migrated schema
    from post_mortem.models import Trade
    from post_mortem.services.imports import trades_import

    rss_before_mb = _current_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = trades_import(source=csv_path, file_name=csv_path.name)
    project_s, project_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert result.ok and result.created == args.rows, result.as_json()["errors"][:5]
    assert Trade.objects.count() == args.rows

    figures = {}
    if args.reimport:
        started = time.perf_counter()
        again = trades_import(source=csv_path, file_name=csv_path.name)
        figures["reimport_s"] = round(time.perf_counter() - started, 3)
        figures["reimport_unchanged"] = again.unchanged

    raw_s, raw_cpu = raw_baseline(csv_path, work / "raw_same.sqlite3", schema="same_schema")
    raw_min_s, raw_min_cpu = raw_baseline(csv_path, work / "raw_min.sqlite3", schema="minimal")
    rows_per_s = args.rows / project_s
    raw_rows_per_s = args.rows / raw_s
    out = {
        "rows": args.rows,
        "file_mb": round(csv_path.stat().st_size / 1024 / 1024, 1),
        "peak_rss_mb": round(peak_rss_mb),
        # Django, the project's modules and the migrated database, loaded before the import starts:
        # the import's own memory is the difference.
        "rss_before_import_mb": round(rss_before_mb),
        "import_memory_mb": round(peak_rss_mb - rss_before_mb),
        "seconds": round(project_s, 3),
        "raw_seconds": round(raw_s, 3),
        "rows_per_s": round(rows_per_s),
        "raw_rows_per_s": round(raw_rows_per_s),
        "ratio": round(rows_per_s / raw_rows_per_s, 3),
        # Same csv + executemany into a bare 15-column table with one unique index.
        "raw_minimal_rows_per_s": round(args.rows / raw_min_s),
        "ratio_vs_minimal": round(rows_per_s / (args.rows / raw_min_s), 3),
        # The same ratios from CPU time (everything runs in this process, SQLite included):
        # stable when other jobs share the machine, where wall-clock ratios swing.
        "cpu_rows_per_s": round(args.rows / project_cpu),
        "cpu_ratio": round(raw_cpu / project_cpu, 3),
        "cpu_ratio_vs_minimal": round(raw_min_cpu / project_cpu, 3),
        **figures,
    }
    connection.close()
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out) if args.json else out)


if __name__ == "__main__":
    main()
