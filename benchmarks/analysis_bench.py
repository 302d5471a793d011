"""Rules-engine analysis throughput, end to end, on a fresh SQLite database.

    python benchmarks/analysis_bench.py --trades 100000 --json [--bars] [--reanalyze]

Loads N synthetic trades (a few accounts and symbols, ~20% without a stop, optional 5-minute bars),
then times ``analysis_run_sync`` with the rules engine: facts (one columnar read of the history,
context, bar metrics), the engine, and saving TradeAnalysis rows in chunk transactions, with the
run/chunk bookkeeping (analysis writes no Recommendation: those exist once a person acts). Prints
{"trades_per_s", "seconds", "facts_seconds", ...}. Target (issue 3): >= 3,000 trades/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA", "AMD", "META", "SPY", "QQQ"]


def load(n: int, *, bars: bool, seed: int = 11) -> None:
    from post_mortem.models import MarketBar, Trade
    from post_mortem.trade_math import derive_trade_numbers

    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 2, 14, 30, tzinfo=dt.UTC)
    batch: list[Trade] = []
    for i in range(n):
        side = rng.choice(["LONG", "SHORT"])
        d = 1 if side == "LONG" else -1
        entry = Decimal(str(round(rng.uniform(50, 300), 2)))
        exit_ = Decimal(str(round(float(entry) * (1 + rng.gauss(0.0005 * d, 0.006)), 2)))
        stop = (entry * Decimal(str(0.99 if d > 0 else 1.01))).quantize(Decimal("0.01")) if rng.random() < 0.8 else None
        target = (entry * Decimal(str(1.02 if d > 0 else 0.98))).quantize(Decimal("0.01")) if stop else None
        qty = Decimal(rng.choice([50, 100, 100, 100, 200, 400]))
        entry_time = start + dt.timedelta(minutes=3 * i)
        exit_time = entry_time + dt.timedelta(minutes=rng.randint(2, 120))
        derived = derive_trade_numbers(
            side=side, quantity=qty, entry_price=entry, exit_price=exit_, fees=Decimal("1.5"), stop_price=stop,
            multiplier=Decimal(1), entry_time=entry_time, exit_time=exit_time,
        )  # fmt: skip
        batch.append(
            Trade(
                external_id=f"B{i:08d}",
                account=f"ACC-{i % 8 + 1}",
                symbol=SYMBOLS[i % len(SYMBOLS)],
                side=side,
                quantity=qty,
                entry_time=entry_time,
                exit_time=exit_time,
                entry_price=entry,
                exit_price=exit_,
                fees=Decimal("1.5"),
                stop_price=stop,
                target_price=target,
                setup=rng.choice(["breakout", "fade", ""]),
                gross_pnl=derived.gross_pnl,
                net_pnl=derived.net_pnl,
                risk_amount=derived.risk_amount,
                r_multiple=derived.r_multiple,
                return_pct=derived.return_pct,
                holding_minutes=derived.holding_minutes,
            )
        )
        if len(batch) == 5000:
            Trade.objects.bulk_create(batch)
            batch = []
    Trade.objects.bulk_create(batch)
    if bars:
        end = start + dt.timedelta(minutes=3 * n + 240)
        rows = []
        for symbol in SYMBOLS:
            price = 150.0
            t = start - dt.timedelta(hours=24)
            while t <= end:
                step = rng.gauss(0, 0.3)
                high = price + abs(rng.gauss(0, 0.3))
                low = price - abs(rng.gauss(0, 0.3))
                rows.append(MarketBar(symbol=symbol, timestamp=t, open=price, high=high, low=low, close=price + step))
                price = max(5.0, price + step)
                t += dt.timedelta(minutes=5)
        MarketBar.objects.bulk_create(rows, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--bars", action="store_true", help="also load 5-minute bars for every symbol")
    parser.add_argument("--reanalyze", action="store_true", help="also time a second run over the same trades")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="analysis_bench_"))
    os.environ["SQLITE_PATH"] = str(work / "bench.sqlite3")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("ANTHROPIC_API_KEY", None)
    os.environ.setdefault("DEBUG", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "internal.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from post_mortem.models import MarketBar, Recommendation, Trade, TradeAnalysis
    from post_mortem.selectors.analyses import analysis_facts_for
    from post_mortem.services.analyses import analysis_run_sync

    started = time.perf_counter()
    load(args.trades, bars=args.bars)
    load_s = time.perf_counter() - started

    ids = list(Trade.objects.values_list("id", flat=True))
    started = time.perf_counter()
    analysis_facts_for(trade_ids=ids, targets=Trade.objects.all())
    facts_s = time.perf_counter() - started

    started, cpu_started = time.perf_counter(), time.process_time()
    run = analysis_run_sync(queryset=Trade.objects.all(), engine="rules", chunk_size=args.chunk_size)
    run_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    assert run.succeeded == args.trades and run.failed == 0, (run.succeeded, run.failed, run.failures[:3])
    out = {
        "trades": args.trades,
        "bars": MarketBar.objects.count(),
        "seconds": round(run_s, 3),
        "trades_per_s": round(args.trades / run_s),
        # CPU time of this process: on a shared, oversubscribed machine wall time mostly measures
        # waiting for a core; trades / CPU second is what an idle core would do.
        "cpu_seconds": round(cpu_s, 3),
        "trades_per_cpu_s": round(args.trades / cpu_s),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "facts_seconds": round(facts_s, 3),
        "analyses": TradeAnalysis.objects.count(),
        "recommendations": Recommendation.objects.count(),
        "recommendation_history_rows": Recommendation.history.count(),
        "load_seconds": round(load_s, 3),
        "chunk_size": args.chunk_size,
        "target_trades_per_s": 3000,
    }
    if args.reanalyze:
        started = time.perf_counter()
        again = analysis_run_sync(queryset=Trade.objects.all(), engine="rules", chunk_size=args.chunk_size)
        out["reanalyze_seconds"] = round(time.perf_counter() - started, 3)
        out["reanalyze_trades_per_s"] = round(args.trades / (time.perf_counter() - started))
        out["reanalyze_failed"] = again.failed
        out["recommendations_after_reanalyze"] = Recommendation.objects.count()
    connection.close()
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out) if args.json else out)


if __name__ == "__main__":
    main()
