"""Ask benchmark: what a question's tool calls cost over a large desk (no model involved).

    .venv/bin/python benchmarks/ask_bench.py --trades 100000 --json

Builds a throwaway SQLite database (its own file, migrated), inserts a synthetic desk (20 accounts,
5 symbols, 4 setups, R ~ Normal), then times the production tool code paths: the first
`trade_stats` of a conversation (reads every trade's columns and computes the context once), a
warm `trade_stats` with a segment and a `group_by`, `compare_selections` within days and with
days as the unit, and tracing a 20-number answer against the results. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="Print only the JSON figures")
    args = parser.parse_args()

    db_path = Path(tempfile.gettempdir()) / f"ask_bench_{os.getpid()}.sqlite3"
    os.environ["SQLITE_PATH"] = str(db_path)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "internal.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    import datetime as dt
    from decimal import Decimal

    import numpy as np
    from django.core.management import call_command

    from post_mortem.ask import tracing
    from post_mortem.ask.tools import ToolBox
    from post_mortem.models import Side, Trade

    try:
        call_command("migrate", verbosity=0)
        rng = np.random.default_rng(0)
        start = dt.datetime(2026, 1, 5, 14, 30, tzinfo=dt.UTC)
        span_s = (dt.datetime(2026, 11, 20, tzinfo=dt.UTC) - start).total_seconds()
        offsets = np.sort(rng.uniform(0, span_s, args.trades))
        t0 = time.perf_counter()
        rows = []
        for i, off in enumerate(offsets):
            entry = start + dt.timedelta(seconds=float(off))
            r = float(rng.normal(0.05, 1.0))
            rows.append(
                Trade(
                    external_id=f"Q{i:07d}",
                    account=f"ACC-{rng.integers(0, 20):02d}",
                    symbol=("NVDA", "AAPL", "ES", "MNQ", "TSLA")[rng.integers(0, 5)],
                    side=Side.LONG if rng.random() < 0.55 else Side.SHORT,
                    quantity=Decimal(100),
                    entry_time=entry,
                    exit_time=entry + dt.timedelta(minutes=float(rng.integers(1, 240))),
                    entry_price=Decimal(100),
                    exit_price=Decimal(100) + Decimal(f"{r:.4f}"),
                    stop_price=Decimal(99),
                    fees=Decimal(0),
                    setup=("fade_gap", "breakout", "pullback", "")[rng.integers(0, 4)],
                    net_pnl=Decimal(f"{r * 100:.4f}"),
                    gross_pnl=Decimal(f"{r * 100:.4f}"),
                    risk_amount=Decimal(100),
                    r_multiple=r,
                    holding_minutes=30.0,
                )
            )
        Trade.objects.bulk_create(rows, batch_size=5000)
        insert_s = time.perf_counter() - t0

        box = ToolBox()
        timings: dict[str, float] = {}

        def timed(name: str, tool: str, payload: dict) -> dict:
            t = time.perf_counter()
            out = box.run(tool, payload)
            timings[name] = round(time.perf_counter() - t, 3)
            return out

        first = timed("trade_stats_cold_s", "trade_stats", {"selection": {"accounts": ["ACC-03"]}})
        grouped = timed(
            "trade_stats_segment_group_by_s",
            "trade_stats",
            {
                "selection": {"setups": ["fade_gap"], "segments": [{"factor": "after_loss", "value": "true"}]},
                "group_by": "hour",
            },
        )
        within = timed(
            "compare_within_day_s",
            "compare_selections",
            {
                "a": {"setups": ["fade_gap"], "symbols": ["NVDA"]},
                "b": {"setups": ["fade_gap"], "exclude_symbols": ["NVDA"]},
            },
        )
        days = timed(
            "compare_days_as_unit_s",
            "compare_selections",
            {
                "a": {"segments": [{"factor": "weekday", "value": "Monday"}]},
                "b": {"segments": [{"factor": "weekday", "value": "Friday"}]},
            },
        )
        calls = [{"name": "t", "input": {}, "result": r} for r in (first, grouped, within, days)]
        answer = " ".join(f"{v}" for v in [first["n"], first["expectancy_r"], grouped["n"], within["difference_r"]] * 5)
        t = time.perf_counter()
        traced = tracing.trace(answer, tracing.sources_of(calls))
        timings["trace_20_numbers_s"] = round(time.perf_counter() - t, 4)
        figures = {
            "trades": args.trades,
            "insert_s": round(insert_s, 1),
            **timings,
            "traced": len(traced.numbers),
            "untraced": len(traced.untraced),
            "within_day_method": within.get("method"),
            "days_method": days.get("method"),
            "load_average": [round(x, 1) for x in os.getloadavg()],
        }
        print(json.dumps(figures) if args.json else json.dumps(figures, indent=2))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
