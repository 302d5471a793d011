"""Pattern-mining benchmark (issue 4): segments mined per second over a synthetic desk.

    .venv/bin/python benchmarks/mining_bench.py --trades 100000 --json
    .venv/bin/python benchmarks/mining_bench.py --trades 1000000 --json   # the scale check (< 30 s)

Builds a desk in memory (post_mortem.mining.synthetic: accounts, symbols, setups, New York hours,
the demo's planted effects), computes its context (prior trades only), and mines every segment
with the production miner (joint within-day regression with day-clustered errors, days as the
unit for day-level factors, Fisher, BH). Timed
stages: context, mining (the target: >= 100 segments in < 3 s at 100k trades). No database: the
read cost is measured by benchmarks/scale_bench.py through the service. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS_100K = 3.0
TARGET_SECONDS_1M = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="Print only the JSON figures")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "internal.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from post_mortem.context import compute_context
    from post_mortem.mining.miner import mine
    from post_mortem.mining.synthetic import DEMO_EFFECTS, DESK_TZ, synthetic_frame

    t0 = time.perf_counter()
    frame, _ = synthetic_frame(
        args.trades, seed=args.seed, accounts=args.accounts, symbols=args.symbols, effects=DEMO_EFFECTS
    )
    generate_s = time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    context = compute_context(frame, desk_tz=DESK_TZ)
    context_s, context_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    result = mine(frame, context, n_boot=args.n_boot, seed=args.seed)
    mine_s, mine_cpu = time.perf_counter() - t0, time.process_time() - c0

    target = TARGET_SECONDS_1M if args.trades >= 1_000_000 else TARGET_SECONDS_100K
    planted = {(f, v) for f, v, _ in DEMO_EFFECTS}
    found = {(s.factor, s.segment) for s in result.significant}
    figures = {
        "trades": args.trades,
        "accounts": args.accounts,
        "symbols": args.symbols,
        "n_boot": args.n_boot,
        "segments_considered": result.segments_considered,
        "segments_tested": result.segments_tested,
        "significant": len(result.significant),
        "planted_found": sorted(f"{f}={v}" for f, v in planted & found),
        "planted_missed": sorted(f"{f}={v}" for f, v in planted - found),
        "generate_s": round(generate_s, 3),
        "context_s": round(context_s, 3),
        "context_cpu_s": round(context_cpu, 3),
        "mine_s": round(mine_s, 3),
        "mine_cpu_s": round(mine_cpu, 3),
        "segments_per_s": round(result.segments_tested / mine_s, 1) if mine_s else None,
        "context_plus_mine_s": round(context_s + mine_s, 3),
        "target_s": target,
        "meets_target": bool(result.segments_tested >= 100 and mine_s < target),
    }
    if not args.json:
        for s in result.significant:
            print(f"{s.factor}={s.segment}: {s.effect:+.3f}R [{s.ci_low:+.3f}, {s.ci_high:+.3f}] q={s.q_value:.2g}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
