"""Feedback-loop benchmark (issue 5): impact measurement, A/B results and dashboard reads.

    .venv/bin/python benchmarks/impact_bench.py --trades 100000 --recommendations 20 --json

Builds a throwaway SQLite database (its own file, migrated), inserts a synthetic desk (R ~ Normal,
a +0.3R change on half the accounts from the implementation date), creates implemented
recommendations (half with an `after_loss` segment, half scoped to a few accounts), then times the
production code paths end to end: `impact_measure` (frame load + context + statistics + BH + save),
`experiment_results`, `prioritisation` and `rolling_expectancy`. Prints one JSON object.
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
    parser.add_argument("--recommendations", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="Print only the JSON figures")
    args = parser.parse_args()

    db_path = Path(tempfile.gettempdir()) / f"impact_bench_{os.getpid()}.sqlite3"
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

    from post_mortem.models import ImplementationStatus, Recommendation, Side, Trade
    from post_mortem.selectors.feedback import experiment_results, prioritisation, rolling_expectancy
    from post_mortem.services.experiments import experiment_create
    from post_mortem.services.impact import impact_measure

    try:
        call_command("migrate", verbosity=0)
        rng = np.random.default_rng(0)
        start = dt.datetime(2026, 1, 5, 14, 0, tzinfo=dt.UTC)
        impl = dt.date(2026, 8, 1)
        impl_ts = dt.datetime(2026, 8, 1, 4, tzinfo=dt.UTC)
        span_s = (dt.datetime(2026, 11, 20, tzinfo=dt.UTC) - start).total_seconds()
        accounts = [f"ACC-{i:02d}" for i in range(args.accounts)]
        offsets = np.sort(rng.uniform(0, span_s, args.trades))
        acct = rng.integers(0, args.accounts, args.trades)
        t0 = time.perf_counter()
        rows = []
        for i, (off, a) in enumerate(zip(offsets, acct, strict=True)):
            entry = start + dt.timedelta(seconds=float(off))
            r = float(rng.normal(0.3 if (entry >= impl_ts and a % 2 == 0) else 0.0, 1.0))
            rows.append(
                Trade(
                    external_id=f"B{i:07d}",
                    account=accounts[a],
                    symbol="ES",
                    side=Side.LONG,
                    quantity=Decimal(100),
                    entry_time=entry,
                    exit_time=entry + dt.timedelta(minutes=5),
                    entry_price=Decimal(100),
                    exit_price=Decimal(100) + Decimal(f"{r:.4f}"),
                    stop_price=Decimal(99),
                    fees=Decimal(0),
                    net_pnl=Decimal(f"{r * 100:.4f}"),
                    gross_pnl=Decimal(f"{r * 100:.4f}"),
                    risk_amount=Decimal(100),
                    r_multiple=r,
                    holding_minutes=5.0,
                )
            )
        Trade.objects.bulk_create(rows, batch_size=5000)
        insert_s = time.perf_counter() - t0

        recs = []
        for k in range(args.recommendations):
            recs.append(
                Recommendation.objects.create(
                    text=f"Bench recommendation {k}",
                    area="behavioral",
                    type_code=f"type_{k % 4}",
                    segment={"factor": "after_loss", "value": "true"} if k % 2 else {},
                    scope_accounts=[accounts[(2 * k) % args.accounts]] if k % 3 else [],
                    implementation_status=ImplementationStatus.IMPLEMENTED,
                    implementation_date=impl,
                )
            )
        as_of = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
        t0, c0 = time.perf_counter(), time.process_time()
        assessments = impact_measure(recommendations=recs, as_of=as_of, n_boot=args.n_boot)
        impact_s, impact_cpu = time.perf_counter() - t0, time.process_time() - c0

        exp = experiment_create(
            name="bench",
            metric="r_multiple",
            treatment={"account": accounts[0::2]},
            control={"account": accounts[1::2]},
            start=impl,
            end=dt.date(2026, 11, 15),
        )
        t0 = time.perf_counter()
        ab = experiment_results(experiment=exp, as_of=as_of, n_boot=args.n_boot)
        ab_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        prioritisation()
        rolling_expectancy()
        dashboard_s = time.perf_counter() - t0

        figures = {
            "trades": args.trades,
            "recommendations": args.recommendations,
            "n_boot": args.n_boot,
            "insert_s": round(insert_s, 2),
            "impact_measure_s": round(impact_s, 3),
            "impact_measure_cpu_s": round(impact_cpu, 3),
            "impact_per_recommendation_ms": round(1000 * impact_s / max(1, args.recommendations), 1),
            "significant": sum(a.significant for a in assessments),
            "scoped_even_accounts_effects": [
                round(a.effect, 3) for a in assessments if a.effect is not None and a.recommendation.scope_accounts
            ][:5],
            "experiment_results_s": round(ab_s, 3),
            "experiment_difference": round(ab["difference"], 3),
            "experiment_n": [ab["treatment"]["n"], ab["control"]["n"]],
            "prioritisation_plus_chart_s": round(dashboard_s, 3),
        }
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    if not args.json:
        print(
            f"impact: {figures['impact_measure_s']} s for {args.recommendations} recommendations "
            f"over {args.trades} trades"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
