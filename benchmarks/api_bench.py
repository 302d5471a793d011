"""REST API benchmark (issue 6): server time of list pages with 1M trades in the database.

    .venv/bin/python benchmarks/api_bench.py                  # 1M trades, SQLite bench file
    .venv/bin/python benchmarks/api_bench.py --trades 50000   # quick run while developing
    .venv/bin/python benchmarks/api_bench.py --db postgres

The data set is the scale benchmark's (benchmarks/scale_bench.py): a separate database (never the
app's), migrated with the real migrations and filled with raw bulk inserts, one post-mortem per
trade; a database that already holds exactly `--trades` benchmark trades is reused. Requests go
through the whole Django stack (middleware, token authentication, model permissions, filters,
pagination, rendering) with an Ops user's token, as a script would call the API. Prints one JSON
object: per URL the median/min/max server time of `--repeat` requests after a warm-up, the query
count and the slowest query. Target: a page of 100 trades or analyses < 30 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

TARGET_MS = 30.0
scale_bench = None  # imported in main(), after SCALE_BENCH_SQLITE is set


def ops_token() -> str:
    from django.contrib.auth.models import Group, User
    from knox.models import AuthToken

    user, _ = User.objects.get_or_create(username="api-bench-ops", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Ops"))
    _, token = AuthToken.objects.create(user=user)
    return token


def time_get(client, url: str, repeat: int) -> dict[str, object]:
    """The scale benchmark's wall-clock figures, plus CPU time of the same requests.

    The machine is shared, so wall time includes waiting for a core; process CPU time (median) is
    what this process spent and is the steadier figure when others are busy.
    """
    figures = scale_bench.time_get(client, url, 1)
    if "error" in figures:
        return figures
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpus.append((time.process_time() - c0) * 1000)
        walls.append((time.perf_counter() - w0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    figures.update(
        median_ms=round(statistics.median(walls), 1),
        min_ms=round(min(walls), 1),
        max_ms=round(max(walls), 1),
        cpu_median_ms=round(statistics.median(cpus), 1),
        bytes=len(response.content),
    )
    return figures


def urls(sample_trade_id: int) -> dict[str, str]:
    base = "/api/post-mortem/"
    return {
        "trades_page_100": f"{base}trades/?page_size=100",
        "analyses_page_100": f"{base}analyses/?page_size=100",
        "trades_page_100_page_50": f"{base}trades/?page_size=100&page=50",
        "trades_account": f"{base}trades/?page_size=100&account=ACC07",
        "trades_account_symbol": f"{base}trades/?page_size=100&account=ACC07&symbol=NVDA",
        "trades_date_range": f"{base}trades/?page_size=100&date_from=2024-03-01&date_to=2024-03-31",
        "trades_by_net_pnl": f"{base}trades/?page_size=100&ordering=-net_pnl",
        "trades_page_500": f"{base}trades/?page_size=500",
        "analyses_by_score": f"{base}analyses/?page_size=100&ordering=-success_score",
        "analyses_engine": f"{base}analyses/?page_size=100&engine=rules",
        "analyses_account": f"{base}analyses/?page_size=100&account=ACC07",
        "trades_ordered_by_r": f"{base}trades/?page_size=100&ordering=-r_multiple",
        "trade_detail": f"{base}trades/{sample_trade_id}/",
        "analysis_detail": f"{base}analyses/{sample_trade_id}/",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--sqlite",
        help="Benchmark SQLite file; default: the scale benchmark's file for 1M trades (reused, not reloaded), "
        "a separate /tmp file for other sizes so a quick run never wipes the shared 1M set.",
    )
    args = parser.parse_args()
    if args.sqlite or args.trades != 1_000_000:
        os.environ["SCALE_BENCH_SQLITE"] = args.sqlite or f"/tmp/post_mortem_api_bench_{args.trades}.sqlite3"  # noqa: S108
    if args.db == "postgres" and args.trades != 1_000_000:
        parser.error("on PostgreSQL only the shared 1M set is used (another size would truncate it)")

    global scale_bench
    import scale_bench  # the shared 1M-trade loader; reads SCALE_BENCH_SQLITE at import

    scale_bench.configure(args.db)
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from post_mortem.models import Trade

    t0 = time.perf_counter()
    load = scale_bench.load(args.trades, connection.vendor)
    load["setup_s"] = round(time.perf_counter() - t0, 1)

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client(HTTP_AUTHORIZATION=f"Token {ops_token()}")
    sample = Trade.objects.order_by("id").values_list("id", flat=True)[args.trades // 2]
    figures = {name: time_get(client, url, args.repeat) for name, url in urls(sample).items()}
    pages = ("trades_page_100", "analyses_page_100")
    result = {
        "benchmark": "api",
        "db": connection.vendor,
        "trades": Trade.objects.count() if args.trades <= 100_000 else args.trades,
        "load": load,
        "target_ms": TARGET_MS,
        "pages_within_target_wall": all(figures[p].get("median_ms", 1e9) < TARGET_MS for p in pages),
        "pages_within_target_cpu": all(figures[p].get("cpu_median_ms", 1e9) < TARGET_MS for p in pages),
        "load_average": os.getloadavg()[0],
        "figures": figures,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
