"""Server time of the trade changelist at 1M trades (target < 100 ms), with its query count.

    python benchmarks/changelist_bench.py --trades 1000000 --json [--db /tmp/cl_bench.sqlite3]

Fills a fresh migrated SQLite file with N trades (plain sqlite3 executemany: this measures the
list page, not the import), then renders the changelist through Django's test client as a
superuser, unfiltered and with each filter, and prints the median milliseconds and the queries.
Re-running with the same --db reuses the filled database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VARIANTS = {
    "unfiltered": "",
    "side": "?side__exact=SHORT",
    "account": "?account__exact=ACC-3",  # two spellings in the data: ACC-3 and acc-3
    "account_one_spelling": "?account__exact=ACC-5",
    "account_lower_case": "?account__exact=acc-5",
    "symbol": "?symbol__exact=NVDA",
    "setup": "?setup__exact=fade",
    "entry_date_range": "?entry_time_from=2025-03-01&entry_time_to=2025-03-31",
    "net_pnl_range": "?net_pnl_from=100&net_pnl_to=500",
    "sort_net_pnl": "?o=6",
    "page_100": "?p=100",
    "analyzed_yes": "?analyzed=yes",
    "analyzed_no": "?analyzed=no",
    "import_batch": "?import_batch__id__exact=7",
    "search_full_id": "?q=T000123456",
    "search_id_start": "?q=T0001234",
    "search_id_part": "?q=0123456",
    "search_account_part": "?q=ACC-",
    "search_no_match": "?q=nothing-like-this",
    "account_and_analyzed": "?account__exact=ACC-5&analyzed=yes",
}
# The fill: trades spread over BATCHES import batches, every ANALYZED_EVERY-th trade analyzed.
BATCHES = 20
ANALYZED_EVERY = 10


def fill(db_path: Path, n: int, batch_ids: list[int]) -> None:
    rng = random.Random(3)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    start = dt.datetime(2024, 1, 2, 14, 30)
    symbols = ["AAPL", "MSFT", "NVDA", "TSLA", "AMD", "META", "ES", "NQ", "SPY", "QQQ"]
    setups = ["breakout", "pullback", "fade", "vwap reject", "opening drive", ""]
    sql = (
        "INSERT INTO post_mortem_trade (external_id, account, symbol, side, quantity, entry_time, exit_time,"
        " entry_price, exit_price, fees, stop_price, target_price, multiplier, setup, tags, notes, source_hash,"
        " gross_pnl, net_pnl, risk_amount, r_multiple, return_pct, holding_minutes, created_at, updated_at,"
        " import_batch_id, option_type, underlying)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL,1,?,'','','',?,?,?,?,?,?,?,?,?,'','')"
    )
    per_batch = max(1, -(-n // len(batch_ids)))

    def rows():
        for i in range(n):
            entry_time = start + dt.timedelta(seconds=37 * i)
            exit_time = entry_time + dt.timedelta(minutes=rng.randint(1, 240))
            entry = round(rng.uniform(20, 500), 2)
            exit_ = round(entry * (1 + rng.gauss(0, 0.01)), 2)
            qty = rng.choice([10, 50, 100])
            side = rng.choice(["LONG", "SHORT"])
            gross = round((exit_ - entry) * qty * (1 if side == "LONG" else -1), 4)
            stop = round(entry * (0.99 if side == "LONG" else 1.01), 2)
            risk = round(abs(entry - stop) * qty, 4)
            yield (
                f"T{i:09d}",
                "acc-3" if i % 16 == 11 else f"ACC-{i % 8}",  # one account in two spellings
                rng.choice(symbols),
                side,
                qty,
                entry_time.isoformat(" "),
                exit_time.isoformat(" "),
                entry,
                exit_,
                1.0,
                stop,
                rng.choice(setups),
                gross,
                gross - 1,
                risk,
                (gross - 1) / risk,
                (gross - 1) / (entry * qty) * 100,
                (exit_time - entry_time).total_seconds() / 60,
                "2026-01-01 00:00:00",
                "2026-01-01 00:00:00",
                batch_ids[i // per_batch],
            )

    conn.execute("BEGIN")
    conn.executemany(sql, rows())
    conn.execute(
        "INSERT INTO post_mortem_tradeanalysis (trade_id, analysis_data, facts, success_score, primary_factors,"
        " opportunity_impacts, engine, model, prompt_version, input_tokens, output_tokens, cache_read_tokens,"
        " cache_creation_tokens, cost_usd, created_at, updated_at)"
        " SELECT id, '{}', '{}', 50, '[]', '{}', 'rules', '', '', 0, 0, 0, 0, 0,"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM post_mortem_trade WHERE id % ? = 0",
        [ANALYZED_EVERY],
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "changelist_bench.sqlite3"))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    args = parser.parse_args()

    db_path = Path(args.db)
    os.environ["SQLITE_PATH"] = str(db_path)
    os.environ.pop("DATABASE_URL", None)
    # Production settings (DEBUG off: cached templates), as the desk runs it.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "changelist-bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "internal.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # No collectstatic here: plain static storage instead of the manifest (same page work).
    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    from post_mortem.models import ImportBatch, Trade

    existing = Trade.objects.count()
    if existing != args.trades:
        Trade.objects.all().delete()
        ImportBatch.objects.all().delete()
        batch_ids = [
            ImportBatch.objects.create(file_name=f"bench-{b}.csv", file_hash=f"{b:064d}", status="COMPLETED").pk
            for b in range(BATCHES)
        ]
        connection.close()
        started = time.perf_counter()
        fill(db_path, args.trades, batch_ids)
        fill_s = time.perf_counter() - started
    else:
        fill_s = 0.0
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    url = reverse("admin:post_mortem_trade_changelist")

    results = {}
    for name, query in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        warm = client.get(url + query)  # warm caches
        if warm.status_code != 200:  # a filter this version of the list does not have
            results[name] = {"status": warm.status_code}
            continue
        timings, cpu = [], []
        for _ in range(args.repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url + query)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        results[name] = {
            "median_ms": round(statistics.median(timings), 1),
            # CPU time of the (in-process) server incl. SQLite: robust when the machine is shared.
            "median_cpu_ms": round(statistics.median(cpu), 1),
            "queries": len(captured),
            "sql_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 1),
            "rows_shown": response.content.count(b'name="_selected_action"'),
        }
    out = {"trades": args.trades, "fill_seconds": round(fill_s, 1), "changelist": results}
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
