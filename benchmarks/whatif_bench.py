"""What-if replay benchmark: seconds to replay rules over a 100k-trade desk (engine, no database).

    .venv/bin/python benchmarks/whatif_bench.py --trades 100000 --json

Builds a desk in memory (post_mortem.mining.synthetic with the demo's planted effects, among them
a -0.6R cost of re-entering within 30 minutes of a loss), then times the replay of each scenario
with the production engine: the walk over the sequence with context recomputed, the comparison
with a 2,000-sample block bootstrap, and the curves. One combined scenario adds the walk-forward
check (mining the earlier half). Prints one JSON object; the target is "in seconds" at 100k.
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

SCENARIOS = {
    "no_reentry_after_loss": [{"type": "no_reentry_after_loss", "minutes": 30}],
    "max_trades_per_day": [{"type": "max_trades_per_day", "n": 4}],
    "daily_loss_limit": [{"type": "daily_loss_limit", "r": 3}],
    "max_size": [{"type": "max_size", "multiple": 1.5}],
    "skip_segment": [{"type": "skip_segment", "factor": "setup", "value": "fade"}],
    "combined": [
        {"type": "no_reentry_after_loss", "minutes": 30},
        {"type": "max_trades_per_day", "n": 4},
        {"type": "daily_loss_limit", "r": 3},
        {"type": "max_size", "multiple": 1.5},
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="Print only the JSON figures")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "internal.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from post_mortem.mining.synthetic import DEMO_EFFECTS, DESK_TZ, synthetic_frame
    from post_mortem.whatif.engine import replay_frame, walk_forward
    from post_mortem.whatif.rules import parse_rules

    frame, _ = synthetic_frame(args.trades, seed=0, accounts=args.accounts, effects=DEMO_EFFECTS)
    figures: dict = {"trades": args.trades, "accounts": args.accounts, "n_boot": args.n_boot, "scenarios": {}}
    for name, rules in SCENARIOS.items():
        t0, c0 = time.perf_counter(), time.process_time()
        report = replay_frame(frame, parse_rules(rules), desk_tz=DESK_TZ, n_boot=args.n_boot)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        diff = report["difference"]
        figures["scenarios"][name] = {
            "seconds": round(wall, 3),
            "cpu_seconds": round(cpu, 3),
            "kept": report["what_if"]["trades"],
            "difference_r": diff["expectancy_r"],
            "ci": [diff["ci_low"], diff["ci_high"]],
            "significant": diff["significant"],
        }
        if not args.json:
            print(f"{name}: {wall:.2f}s, kept {report['what_if']['trades']:,}, {diff['expectancy_r']:+.3f}R")
    t0 = time.perf_counter()
    oos = walk_forward(
        frame, parse_rules(SCENARIOS["skip_segment"]), segment=("setup", "fade"), desk_tz=DESK_TZ, n_boot=args.n_boot
    )
    figures["walk_forward_seconds"] = round(time.perf_counter() - t0, 3)
    figures["walk_forward_adopted"] = oos["adopted"] if oos else None
    figures["max_seconds"] = max(s["seconds"] for s in figures["scenarios"].values())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
