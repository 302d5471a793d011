"""Server time and queries of the experiment add form with many recommendations and trades.

    python benchmarks/experiment_form_bench.py --recommendations 100000 --trades 100000 [--json]

Fills a fresh migrated SQLite file with N recommendations and M trades (accounts in two
spellings, ';'-separated tags), then, through Django's test client as a superuser, renders the
add form and calls the autocompletes it uses (the recommendation search and the group pickers),
printing median milliseconds and query counts. Re-running with the same --db reuses the data.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.changelist_bench import fill as fill_trades  # noqa: E402

RECOMMENDATION_FIELD = {"app_label": "post_mortem", "model_name": "experiment", "field_name": "recommendation"}
TAG_SETS = ["half-size;morning", "fade", "Half-Size", "breakout;news", "", "after-loss;half-size"]


def fill(db_path: Path, *, recommendations: int, trades: int) -> None:
    """Trades through the changelist benchmark's filler, then tags and a second account spelling."""
    import sqlite3

    fill_trades(db_path, trades)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN")
    cases = " ".join(f"WHEN {i} THEN '{tags}'" for i, tags in enumerate(TAG_SETS))
    conn.execute(f"UPDATE post_mortem_trade SET tags = CASE id % {len(TAG_SETS)} {cases} END")
    conn.execute("UPDATE post_mortem_trade SET account = lower(account) WHERE id % 50 = 0")
    sql = (
        "INSERT INTO post_mortem_recommendation (text, area, type_code, expected_impact, segment, scope_accounts,"
        " evidence, source, implementation_status, notes, created_at, updated_at)"
        " VALUES (?, 'exit', ?, '', '{}', '[]', '{}', 'analysis', 'pending', '', '2026-01-01 00:00:00',"
        " '2026-01-01 00:00:00')"
    )
    conn.executemany(sql, ((f"Stop re-entering after loss #{i}", f"type_{i % 40}") for i in range(recommendations)))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recommendations", type=int, default=100_000)
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "experiment_form_bench.sqlite3"))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    db_path = Path(args.db)
    os.environ["SQLITE_PATH"] = str(db_path)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DEBUG"] = "0"  # production settings: cached templates, as the desk runs it
    os.environ.setdefault("SECRET_KEY", "experiment-form-bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "internal.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from post_mortem.models import Recommendation, Trade

    call_command("migrate", verbosity=0)
    fill_s = 0.0
    if Recommendation.objects.count() != args.recommendations or Trade.objects.count() != args.trades:
        Recommendation.objects.all().delete()
        Trade.objects.all().delete()
        connection.close()
        started = time.perf_counter()
        fill(db_path, recommendations=args.recommendations, trades=args.trades)
        fill_s = time.perf_counter() - started
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    values = reverse("admin:post_mortem_experiment_group_values")
    pages = {
        "add_form": (reverse("admin:post_mortem_experiment_add"), {}),
        "recommendation_search": (reverse("admin:autocomplete"), {**RECOMMENDATION_FIELD, "term": "loss #42"}),
        "accounts_all": (values, {"kind": "account"}),
        "accounts_term": (values, {"kind": "account", "term": "acc-3"}),
        "tags_all": (values, {"kind": "tag"}),
        "tags_term": (values, {"kind": "tag", "term": "half"}),
    }
    results = {}
    for name, (url, query) in pages.items():
        client.get(url, query)  # warm caches
        timings = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, query)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        results[name] = {
            "median_ms": round(statistics.median(timings), 1),
            "queries": len(captured),
            "sql_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 1),
        }
        if name == "add_form":
            results[name]["options_in_page"] = response.content.decode().count("<option")
        else:
            results[name]["results"] = len(response.json()["results"])
    out = {
        "recommendations": args.recommendations,
        "trades": args.trades,
        "fill_seconds": round(fill_s, 1),
        "pages": results,
    }
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
