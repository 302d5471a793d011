"""1M-trade benchmark (issue 7): load synthetic trades into a separate database, time the busy pages.

    .venv/bin/python benchmarks/scale_bench.py --db sqlite          # /tmp/post_mortem_bench.sqlite3
    .venv/bin/python benchmarks/scale_bench.py --db postgres        # database post_mortem_bench
    .venv/bin/python benchmarks/scale_bench.py --db postgres --trades 100000 --repeat 5

The data goes into its own database (never the app's): migrated with the real migrations, then
filled with raw bulk inserts (COPY on PostgreSQL, executemany on SQLite), one post-mortem per
trade, and statistics refreshed. A database that already holds exactly `--trades` benchmark trades
is reused. Then it prints one JSON object: server time (median of `--repeat` requests after a
warm-up, through Django's test client as a superuser) of the trade changelist, the dashboard, the
API trade list page of 100, their query counts and slowest query, and a pattern-mining run over all
trades. Targets: changelist < 100 ms, API page < 30 ms, mining < 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQLITE_BENCH = Path(os.environ.get("SCALE_BENCH_SQLITE", "/tmp/post_mortem_bench.sqlite3"))  # noqa: S108
PG_SERVER = os.environ.get("SCALE_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_DB = "post_mortem_bench"
TARGETS_MS = {"changelist": 100.0, "api_page": 30.0}
TARGET_MINING_S = 30.0
PREFIX = "SB"  # external_id prefix of benchmark trades

ACCOUNTS = [f"ACC{i:02d}" for i in range(40)]
SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "META", "GOOG", "AMD", "SPY", "QQQ", "ES", "NQ", "MNQ", "CL"]
SETUPS = ["breakout", "pullback", "reversal", "gap_fill", "vwap_reclaim", "opening_range", "momentum", ""]
FACTORS = ["stop_not_honoured", "early_exit", "after_loss_reentry", "oversized", "counter_trend", "good_process"]


def configure(db: str) -> None:
    """Point Django at the benchmark database before it is set up."""
    os.environ.setdefault("SECRET_KEY", "scale-bench-not-secret")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "internal.settings")
    os.environ.pop("REDIS_URL", None)
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            if not conn.execute("select 1 from pg_database where datname = %s", [PG_DB]).fetchone():
                conn.execute(f'create database "{PG_DB}"')
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(SQLITE_BENCH)
    import django

    django.setup()


def synth_columns(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Plausible trades, vectorised: prices, stops, sizes and times, derived numbers as trade_math does."""
    rng = np.random.default_rng(seed)
    start = datetime(2022, 1, 3, 14, 30, tzinfo=UTC).timestamp()
    entry_ts = np.sort(start + rng.uniform(0, 3.8 * 365 * 86400, n))
    holding_s = np.round(rng.lognormal(np.log(25 * 60), 1.0, n))
    exit_ts = entry_ts + holding_s
    side_long = rng.random(n) < 0.6
    direction = np.where(side_long, 1.0, -1.0)
    entry = np.round(rng.uniform(10, 500, n), 2)
    qty = rng.integers(1, 500, n).astype(float)
    risk_per_share = np.round(entry * rng.uniform(0.003, 0.02, n), 2) + 0.01
    has_stop = rng.random(n) < 0.9
    stop = entry - direction * risk_per_share
    r_real = rng.normal(0.05, 1.1, n)
    exit_price = np.round(entry + direction * r_real * risk_per_share, 2)
    exit_price = np.maximum(exit_price, 0.01)
    fees = np.round(qty * 0.005 + 1.0, 4)
    gross = np.round((exit_price - entry) * direction * qty, 4)
    net = np.round(gross - fees, 4)
    risk = np.round(np.abs(entry - stop) * qty, 4)
    r_mult = np.where(has_stop, np.round(net / risk, 6), np.nan)
    return {
        "i": np.arange(n),
        "account": rng.integers(0, len(ACCOUNTS), n),
        "symbol": rng.integers(0, len(SYMBOLS), n),
        "setup": rng.integers(0, len(SETUPS), n),
        "side_long": side_long,
        "qty": qty,
        "entry_ts": entry_ts,
        "exit_ts": exit_ts,
        "entry": entry,
        "exit": exit_price,
        "fees": fees,
        "stop": np.where(has_stop, np.round(stop, 2), np.nan),
        "gross": gross,
        "net": net,
        "risk": np.where(has_stop, risk, np.nan),
        "r": r_mult,
        "ret": np.round(net / (entry * qty) * 100, 6),
        "hold_min": np.round(holding_s / 60.0, 4),
        "score": np.clip(np.round(50 + 20 * r_real + rng.normal(0, 10, n)), 0, 100).astype(int),
        "factor": rng.integers(0, len(FACTORS), n),
        "factor2": rng.integers(0, len(FACTORS) * 3, n),
    }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def _trade_rows(cols: dict[str, np.ndarray], lo: int, hi: int, now: str, vendor: str):
    """Rows in TRADE_COLUMNS order; NULL is None."""
    for k in range(lo, hi):
        stop = cols["stop"][k]
        has_stop = not np.isnan(stop)
        entry_t, exit_t = _iso(cols["entry_ts"][k]), _iso(cols["exit_ts"][k])
        if vendor == "sqlite":  # Django stores aware datetimes on SQLite as naive UTC text
            entry_t, exit_t = entry_t[:-6].replace("T", " "), exit_t[:-6].replace("T", " ")
        yield (
            f"{PREFIX}{k:08d}",
            ACCOUNTS[cols["account"][k]],
            SYMBOLS[cols["symbol"][k]],
            "LONG" if cols["side_long"][k] else "SHORT",
            str(cols["qty"][k]),
            entry_t,
            exit_t,
            f"{cols['entry'][k]:.2f}",
            f"{cols['exit'][k]:.2f}",
            f"{cols['fees'][k]:.4f}",
            f"{stop:.2f}" if has_stop else None,
            None,
            "1",
            SETUPS[cols["setup"][k]],
            "",
            "",
            "",
            f"{cols['gross'][k]:.4f}",
            f"{cols['net'][k]:.4f}",
            f"{cols['risk'][k]:.4f}" if has_stop else None,
            float(cols["r"][k]) if has_stop else None,
            float(cols["ret"][k]),
            float(cols["hold_min"][k]),
            now,
            now,
            "",
            "",
        )


TRADE_COLUMNS = (
    "external_id, account, symbol, side, quantity, entry_time, exit_time, entry_price, exit_price, fees, "
    "stop_price, target_price, multiplier, setup, tags, notes, source_hash, gross_pnl, net_pnl, risk_amount, "
    "r_multiple, return_pct, holding_minutes, created_at, updated_at, option_type, underlying"
)
ANALYSIS_COLUMNS = (
    "trade_id, analysis_data, facts, success_score, primary_factors, engine, model, prompt_version, input_tokens, "
    "output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, created_at, updated_at, opportunity_impacts"
)


def _analysis_row(cols: dict[str, np.ndarray], k: int, trade_id: int, now: str) -> tuple:
    factors = [FACTORS[cols["factor"][k]]]
    extra = cols["factor2"][k]
    if extra < len(FACTORS) and FACTORS[extra] not in factors:
        factors.append(FACTORS[extra])
    score = int(cols["score"][k])
    data = {
        "performance_analysis": {"overall_evaluation": "synthetic benchmark post-mortem", "r_multiple": None},
        "improvement_opportunities": [],
    }
    tokens = (0, 0, 0, 0)
    no_opportunities = "{}"
    row = (trade_id, json.dumps(data), "{}", score, json.dumps(factors), "rules", "", "bench", *tokens, "0", now, now)
    return (*row, no_opportunities)


def load(n: int, vendor: str) -> dict[str, float | int | bool]:
    """Fill the benchmark database with n trades and one post-mortem each, unless already there."""
    from django.core.management import call_command
    from django.db import connection

    from post_mortem.models import Trade, TradeAnalysis

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    have = Trade.objects.filter(external_id__startswith=PREFIX).count()
    if have == n and Trade.objects.count() == n and TradeAnalysis.objects.count() == n:
        return {"reused": True, "trades": n, "migrate_s": round(time.perf_counter() - t0, 2)}
    with connection.cursor() as cur:
        if vendor == "postgresql":
            cur.execute("TRUNCATE post_mortem_trade RESTART IDENTITY CASCADE")
        else:
            cur.execute("DELETE FROM post_mortem_recommendation")
            cur.execute("DELETE FROM post_mortem_tradeanalysis")
            cur.execute("DELETE FROM post_mortem_trade")
    connection.ensure_connection()
    cols = synth_columns(n)
    now = datetime.now(tz=UTC).isoformat()
    now_db = now if vendor == "postgresql" else now[:-6].replace("T", " ")
    t_load = time.perf_counter()
    step = 100_000
    if vendor == "postgresql":
        raw = connection.connection  # psycopg 3 connection
        with raw.cursor() as cur:
            for lo in range(0, n, step):
                with cur.copy(f"COPY post_mortem_trade ({TRADE_COLUMNS}) FROM STDIN") as copy:
                    for row in _trade_rows(cols, lo, min(n, lo + step), now_db, vendor):
                        copy.write_row(row)
            cur.execute(f"SELECT id, external_id FROM post_mortem_trade WHERE external_id LIKE '{PREFIX}%'")
            ids = {ext: pk for pk, ext in cur.fetchall()}
            t_trades = time.perf_counter()
            for lo in range(0, n, step):
                with cur.copy(f"COPY post_mortem_tradeanalysis ({ANALYSIS_COLUMNS}) FROM STDIN") as copy:
                    for k in range(lo, min(n, lo + step)):
                        copy.write_row(_analysis_row(cols, k, ids[f"{PREFIX}{k:08d}"], now_db))
        raw.commit()
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE post_mortem_trade")
            cur.execute("VACUUM ANALYZE post_mortem_tradeanalysis")
    else:
        raw = connection.connection  # sqlite3 connection
        marks = ", ".join("?" * len(TRADE_COLUMNS.split(",")))
        amarks = ", ".join("?" * len(ANALYSIS_COLUMNS.split(",")))
        raw.execute("PRAGMA synchronous=OFF")
        for lo in range(0, n, step):
            raw.executemany(
                f"INSERT INTO post_mortem_trade ({TRADE_COLUMNS}) VALUES ({marks})",
                _trade_rows(cols, lo, min(n, lo + step), now_db, vendor),
            )
            raw.commit()
        ids = dict(
            raw.execute(f"SELECT external_id, id FROM post_mortem_trade WHERE external_id LIKE '{PREFIX}%'").fetchall()
        )
        t_trades = time.perf_counter()
        for lo in range(0, n, step):
            raw.executemany(
                f"INSERT INTO post_mortem_tradeanalysis ({ANALYSIS_COLUMNS}) VALUES ({amarks})",
                (_analysis_row(cols, k, ids[f"{PREFIX}{k:08d}"], now_db) for k in range(lo, min(n, lo + step))),
            )
            raw.commit()
        raw.execute("ANALYZE")
        raw.commit()
    done = time.perf_counter()
    return {
        "reused": False,
        "trades": n,
        "trades_load_s": round(t_trades - t_load, 2),
        "analyses_load_s": round(done - t_trades, 2),
        "trades_per_s": round(n / (t_trades - t_load)),
    }


def _bench_user():
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(
        username="scale-bench", defaults={"is_staff": True, "is_superuser": True, "email": ""}
    )
    return user


def time_get(client, url: str, repeat: int) -> dict[str, object]:
    """Median server time of GET url (after one warm-up), its query count and slowest query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    # Read now: the next request's request_started signal clears the connection's query log.
    queries = list(ctx.captured_queries)
    if response.status_code != 200:
        body = response.content[:300].decode(errors="replace")
        return {"url": url, "error": f"HTTP {response.status_code}", "body": body}
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    slowest = max(queries, key=lambda q: float(q["time"]), default={"sql": "", "time": "0"})
    return {
        "url": url,
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        # Python CPU of this process: the machine is shared, so wall time includes waiting for a core.
        "median_cpu_ms": round(statistics.median(cpu), 1),
        "queries": len(queries),
        "slowest_query_ms": round(float(slowest["time"]) * 1000, 1),
        "slowest_query": slowest["sql"][:300],
    }


def time_mining() -> dict[str, object]:
    """One pattern-mining run over every trade: the body of the django-q2 mining task, timed."""
    from post_mortem.models import RunKind
    from post_mortem.services.patterns import DEFAULT_MIN_TRADES, mining_run_execute
    from post_mortem.services.runs import run_create

    run = run_create(kind=RunKind.MINING, params={"since": None, "until": None, "min_trades": DEFAULT_MIN_TRADES})
    t0 = time.perf_counter()
    c0 = time.process_time()
    run = mining_run_execute(run_id=run.pk)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    summary = {k: v for k, v in (run.result or {}).items() if not isinstance(v, list | dict)}
    return {
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "status": run.status,
        "error": run.error[:300],
        "summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-mining", action="store_true")
    args = parser.parse_args()

    configure(args.db)
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client's "testserver" host through ALLOWED_HOSTS
    # The machine may be shared: wall times include waiting for a core; *_cpu_* figures do not.
    figures: dict[str, object] = {
        "database": connection.vendor,
        "trades": args.trades,
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
    }
    figures["load"] = load(args.trades, connection.vendor)

    # DEBUG is off (as in production); static files are served unhashed so no collectstatic is needed.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        client = Client()
        client.force_login(_bench_user())
        figures["changelist"] = time_get(client, "/admin/post_mortem/trade/", args.repeat)
        figures["changelist_filtered"] = time_get(client, "/admin/post_mortem/trade/?account__exact=ACC07", args.repeat)
        figures["analysis_changelist"] = time_get(client, "/admin/post_mortem/tradeanalysis/", args.repeat)
        figures["dashboard"] = time_get(client, "/admin/", args.repeat)
        figures["api_page"] = time_get(client, "/api/post-mortem/trades/?page_size=100", args.repeat)
        figures["api_page_deep"] = time_get(client, "/api/post-mortem/trades/?page_size=100&page=50", args.repeat)
    if not args.skip_mining:
        figures["mining"] = time_mining()

    def within(key: str, target: float) -> bool | None:
        value = figures.get(key, {})
        return value.get("median_ms", float("inf")) < target if isinstance(value, dict) else None

    mining = figures.get("mining", {})
    figures["targets"] = {
        "changelist_lt_100ms": within("changelist", TARGETS_MS["changelist"]),
        "api_page_lt_30ms": within("api_page", TARGETS_MS["api_page"]),
        "mining_lt_30s": (mining.get("seconds", float("inf")) < TARGET_MINING_S) if isinstance(mining, dict) else None,
    }
    figures["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
