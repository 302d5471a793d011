"""Server time of the Prioritization page's opportunity rollup (uncached), at N post-mortems.

    python benchmarks/rollup_bench.py --trades 1000000 --json [--db /tmp/rollup_bench.sqlite3]

Fills a fresh migrated SQLite file with N trades on 8 accounts and one post-mortem each naming
0-3 opportunity types with an expected R (plain sqlite3 executemany: this measures the rollup, not
the analysis), then times `selectors.decisions` computing the rollup for the whole desk, for one
account and for one type (the cache is bypassed), and prints wall and CPU seconds (median).
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
CODES = [
    "stop_not_honoured",
    "after_loss_reentry",
    "oversized",
    "early_exit",
    "late_entry",
    "target_missed",
    "chased_entry",
]


def fill(db_path: Path, n: int) -> None:
    rng = random.Random(5)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    start = dt.datetime(2024, 1, 2, 14, 30)
    trade_sql = (
        "INSERT INTO post_mortem_trade (id, external_id, account, symbol, side, quantity, entry_time, exit_time,"
        " entry_price, exit_price, fees, stop_price, target_price, multiplier, setup, tags, notes, source_hash,"
        " gross_pnl, net_pnl, risk_amount, r_multiple, return_pct, holding_minutes, created_at, updated_at,"
        " option_type, underlying)"
        " VALUES (?,?,?,'AAPL','LONG',100,?,?,100,101,1,99,NULL,1,'','','','',100,99,?,0.99,1,5,"
        "'2026-01-01 00:00:00','2026-01-01 00:00:00','','')"
    )
    analysis_sql = (
        "INSERT INTO post_mortem_tradeanalysis (trade_id, analysis_data, facts, success_score, primary_factors,"
        " opportunity_impacts, engine, model, prompt_version, input_tokens, output_tokens, cache_read_tokens,"
        " cache_creation_tokens, cost_usd, created_at, updated_at)"
        " VALUES (?, '{}', '{}', 50, '[]', ?, 'rules', '', '', 0, 0, 0, 0, 0,"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )

    def trades():
        for i in range(1, n + 1):
            entry = start + dt.timedelta(seconds=37 * i)
            risk = None if i % 9 == 0 else round(rng.uniform(50, 500), 2)
            exit_ = entry + dt.timedelta(minutes=5)
            yield (i, f"T{i:09d}", f"ACC-{i % 8}", entry.isoformat(" "), exit_.isoformat(" "), risk)

    def analyses():
        for i in range(1, n + 1):
            codes = rng.sample(CODES, rng.choice([0, 0, 1, 1, 2, 3]))
            impacts = {c: (None if rng.random() < 0.1 else round(rng.uniform(0.05, 2.5), 4)) for c in codes}
            yield (i, json.dumps(impacts))

    conn.execute("BEGIN")
    conn.executemany(trade_sql, trades())
    conn.executemany(analysis_sql, analyses())
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "rollup_bench.sqlite3"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    db_path = Path(args.db)
    os.environ["SQLITE_PATH"] = str(db_path)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("SECRET_KEY", "rollup-bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "internal.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from post_mortem.models import Trade, TradeAnalysis
    from post_mortem.selectors import decisions

    if Trade.objects.count() != args.trades or TradeAnalysis.objects.count() != args.trades:
        TradeAnalysis.objects.all().delete()
        Trade.objects.all().delete()
        fill(db_path, args.trades)

    cases = {"desk": (None, None), "one_account": ("ACC-3", None), "one_type": (None, "oversized")}
    out: dict[str, object] = {"trades": args.trades, "post_mortems": args.trades, "database": "sqlite"}
    for name, (account, type_code) in cases.items():
        walls, cpus = [], []
        for _ in range(args.repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            result = decisions.opportunity_rollup_uncached(account=account, type_code=type_code)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        out[name] = {
            "wall_s": round(statistics.median(walls), 3),
            "cpu_s": round(statistics.median(cpus), 3),
            "types": len(result["types"]),
            "trades_with_opportunities": result["trades_with_opportunities"],
        }
    out["load_average"] = os.getloadavg()[0]
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
