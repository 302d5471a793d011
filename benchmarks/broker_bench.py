"""Broker import throughput: parse + FIFO-pair a synthetic executions file, then the full import.

    python benchmarks/broker_bench.py --fills 100000 --json

Prints {"fills", "round_trips", "parse_fills_per_s", "import_round_trips_per_s"}. The import part
runs against a throwaway SQLite file (migrated here), never the project database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_file(fills: int, seed: int = 7) -> bytes:
    """NinjaTrader Executions grid: scale-ins, partial exits and identical fills, across 3 accounts."""
    rng = random.Random(seed)
    lines = ["Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,"]
    t = datetime(2026, 1, 5, 9, 30)  # broker wall-clock time
    n = 0
    books: dict[tuple[str, str], int] = {}
    while n < fills:
        account = f"Sim{rng.randint(1, 3)}"
        symbol = rng.choice(["MNQ SEP26", "ES SEP26", "CL AUG26"])
        pos = books.get((account, symbol), 0)
        qty = rng.randint(1, 3)
        if pos == 0 or (abs(pos) < 6 and rng.random() < 0.45):
            buy = rng.random() < 0.5 if pos == 0 else pos > 0
        else:
            buy = pos < 0
            qty = min(qty, abs(pos))
        books[(account, symbol)] = pos + (qty if buy else -qty)
        t += timedelta(seconds=rng.randint(1, 40))
        if symbol.startswith("MNQ"):
            price = 20000 + rng.randint(-400, 400) * 0.25
        elif symbol.startswith("ES"):
            price = 5400 + rng.randint(-80, 80) * 0.25
        else:
            price = 75 + rng.randint(-100, 100) * 0.01
        stamp = f"{t.month}/{t.day}/{t.year} {t.strftime('%I:%M:%S %p').lstrip('0')}"
        side = "Buy" if buy else "Sell"
        fee = f"${0.62 * qty:.2f} "
        lines.append(f"{symbol},{side},{qty},{price:.2f},{stamp},x{n},,,o{n},,{fee},1,{account},Sim,")
        n += 1
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fills", type=int, default=20000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--grouping", default="", help="flat (the default) or fifo")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="broker_bench_"))
    os.environ.update({"DEBUG": "1", "SQLITE_PATH": str(tmp / "bench.sqlite3"), "DATABASE_URL": ""})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "internal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from post_mortem.importing.brokers import BrokerOptions, parse_broker_text
    from post_mortem.importing.brokers.futures import default_multiplier_table
    from post_mortem.services.imports import trades_import

    call_command("migrate", verbosity=0)
    data = make_file(args.fills)
    text = data.decode()

    extra = {"grouping": args.grouping} if args.grouping else {}
    start, cpu_start = time.perf_counter(), time.process_time()
    parsed = parse_broker_text(
        text, layout="ninjatrader_executions", options=BrokerOptions(multipliers=default_multiplier_table(), **extra)
    )
    parse_s, parse_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert not parsed.errors, parsed.errors[:3]

    start, cpu_start = time.perf_counter(), time.process_time()
    result = trades_import(
        source=data, file_name="bench.csv", file_format="auto", tz_name="America/Chicago", options=extra or None
    )
    import_s, import_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert result.ok, result.errors[:3]

    figures = {
        "fills": args.fills,
        "round_trips": len(parsed.rows),
        "open_lots_left": sum(1 for w in parsed.warnings if w.field == "position"),
        "parse_fills_per_s": round(args.fills / parse_s),
        "import_round_trips_per_s": round(result.created / import_s),
        "import_s": round(import_s, 2),
        # CPU time of this process (SQLite included): stable when other jobs share the machine.
        "cpu_parse_fills_per_s": round(args.fills / parse_cpu),
        "cpu_import_fills_per_s": round(args.fills / import_cpu),
        "cpu_import_s": round(import_cpu, 2),
    }
    print(json.dumps(figures) if args.json else figures)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
