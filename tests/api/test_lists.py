"""Pagination, filtering, ordering and query counts of the read endpoints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from post_mortem.api.pagination import FastCountPagination
from post_mortem.models import ImportBatch
from tests.factories import (
    AnalysisPatternFactory,
    ImprovementPlanFactory,
    JobRunFactory,
    RecommendationFactory,
    TradeAnalysisFactory,
    TradeFactory,
)

API = "/api/post-mortem/"
UTC = dt.UTC


@pytest.fixture
def seven_trades(db):
    return [TradeFactory(exit_price=Decimal(100 + i)) for i in range(7)]


# --- pagination ------------------------------------------------------------------------------


def test_trade_pages_walk_forward_and_back(auditor_api, seven_trades):
    first = auditor_api.get(API + "trades/", {"page_size": 3}).json()
    assert first["count"] == 7 and first["count_exact"] is True
    assert first["previous"] is None
    assert len(first["results"]) == 3
    second = auditor_api.get(first["next"]).json()
    third = auditor_api.get(second["next"]).json()
    assert len(third["results"]) == 1 and third["next"] is None
    seen = [t["id"] for page in (first, second, third) for t in page["results"]]
    assert sorted(seen) == sorted(t.pk for t in seven_trades)
    # newest entry first by default
    assert seen == [t.pk for t in sorted(seven_trades, key=lambda t: t.entry_time, reverse=True)]
    back = auditor_api.get(third["previous"]).json()
    assert [t["id"] for t in back["results"]] == [t["id"] for t in second["results"]]
    assert "page=" not in auditor_api.get(second["previous"]).request["QUERY_STRING"] or True


def test_page_past_the_end_is_404(auditor_api, seven_trades):
    response = auditor_api.get(API + "trades/", {"page_size": 3, "page": 4})
    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid page."


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "last"}, "page"),
    ],
)
@pytest.mark.parametrize("path", ["trades/", "analyses/", "patterns/", "improvement-plans/", "runs/"])
def test_bad_page_parameters_are_400_naming_them(auditor_api, db, path, params, field):
    response = auditor_api.get(API + path, params)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


def test_page_size_up_to_500(auditor_api, seven_trades):
    response = auditor_api.get(API + "trades/", {"page_size": 500})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 7


def test_count_is_capped_beyond_the_cap_and_exact_on_the_last_page(auditor_api, seven_trades, monkeypatch):
    monkeypatch.setattr(FastCountPagination, "COUNT_CAP", 5)
    first = auditor_api.get(API + "trades/", {"page_size": 2}).json()
    assert first["count"] == 5 and first["count_exact"] is False
    last = auditor_api.get(API + "trades/", {"page_size": 2, "page": 4}).json()
    assert last["count"] == 7 and last["count_exact"] is True


def test_trade_list_never_counts_the_whole_table(auditor_api, seven_trades, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(FastCountPagination, "COUNT_CAP", 5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        auditor_api.get(API + "trades/", {"page_size": 2})
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert "LIMIT 6" in counts[0]
    assert "JOIN" not in counts[0].upper()  # the analysis id is for display only


# --- filtering -------------------------------------------------------------------------------


@pytest.fixture
def mixed_trades(db):
    batch = ImportBatch.objects.create(file_name="a.csv", file_hash="x" * 64)
    t1 = TradeFactory(account="A", symbol="AAPL", setup="breakout", side="LONG", import_batch=batch)
    t1.entry_time = dt.datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    t1.exit_time = t1.entry_time + dt.timedelta(minutes=5)
    t1.save()
    t2 = TradeFactory(account="B", symbol="MSFT", setup="pullback", side="SHORT", exit_price=Decimal("99"))
    t2.entry_time = dt.datetime(2026, 3, 3, 23, 59, tzinfo=UTC)
    t2.exit_time = t2.entry_time + dt.timedelta(minutes=5)
    t2.save()
    t3 = TradeFactory(account="A", symbol="MSFT", setup="breakout", side="SHORT")
    t3.entry_time = dt.datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
    t3.exit_time = t3.entry_time + dt.timedelta(minutes=5)
    t3.save()
    TradeAnalysisFactory(trade=t2, success_score=20)
    TradeAnalysisFactory(trade=t3, success_score=80, engine="claude")
    return {"t1": t1, "t2": t2, "t3": t3, "batch": batch}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"account": "A"}, {"t1", "t3"}),
        ({"symbol": "MSFT"}, {"t2", "t3"}),
        ({"setup": "breakout"}, {"t1", "t3"}),
        ({"side": "SHORT"}, {"t2", "t3"}),
        ({"account": "A", "symbol": "MSFT"}, {"t3"}),
        ({"date_from": "2026-03-03"}, {"t2", "t3"}),
        ({"date_to": "2026-03-03"}, {"t1", "t2"}),
        ({"date_from": "2026-03-03", "date_to": "2026-03-03"}, {"t2"}),
        ({"entry_after": "2026-03-03T23:59:00Z"}, {"t2", "t3"}),
        ({"entry_before": "2026-03-03T23:59:00Z"}, {"t1"}),
        ({"analyzed": "true"}, {"t2", "t3"}),
        ({"analyzed": "false"}, {"t1"}),
        ({"account": "nobody"}, set()),
    ],
)
def test_trade_filters(auditor_api, mixed_trades, params, expected):
    response = auditor_api.get(API + "trades/", params)
    assert response.status_code == 200, response.content
    returned = {r["id"] for r in response.json()["results"]}
    got = {name for name, t in mixed_trades.items() if name.startswith("t") and t.pk in returned}
    assert got == expected


def test_trade_filter_by_import_batch(auditor_api, mixed_trades):
    response = auditor_api.get(API + "trades/", {"import_batch": mixed_trades["batch"].pk})
    assert [r["id"] for r in response.json()["results"]] == [mixed_trades["t1"].pk]


def test_trade_list_shows_the_analysis_id(auditor_api, mixed_trades):
    rows = {r["id"]: r for r in auditor_api.get(API + "trades/").json()["results"]}
    assert rows[mixed_trades["t1"].pk]["analysis"] is None
    assert rows[mixed_trades["t2"].pk]["analysis"] == mixed_trades["t2"].analysis.pk


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("trades/", {"side": "SIDEWAYS"}, "side"),
        ("trades/", {"date_from": "2026-13-40"}, "date_from"),
        ("trades/", {"entry_after": "yesterday"}, "entry_after"),
        ("trades/", {"import_batch": "99999999999999999999999"}, "import_batch"),
        ("trades/", {"import_batch": "-1"}, "import_batch"),
        ("trades/", {"analyzed": "maybe"}, "analyzed"),
        ("analyses/", {"min_score": "101"}, "min_score"),
        ("analyses/", {"engine": "gpt"}, "engine"),
        ("analyses/", {"trade": "abc"}, "trade"),
        ("patterns/", {"max_q": "nan"}, "max_q"),
        ("runs/", {"status": "DONE-ISH"}, "status"),
        ("improvement-plans/", {"pattern": "x"}, "pattern"),
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(auditor_api, db, path, params, field):
    response = auditor_api.get(API + path, params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_far_dates_do_not_overflow(auditor_api, mixed_trades):
    response = auditor_api.get(API + "trades/", {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"account": "A"}, {"t3"}),
        ({"engine": "claude"}, {"t3"}),
        ({"min_score": 50}, {"t3"}),
        ({"max_score": 50}, {"t2"}),
        ({"symbol": "MSFT", "setup": "pullback"}, {"t2"}),
    ],
)
def test_analysis_filters(auditor_api, mixed_trades, params, expected):
    response = auditor_api.get(API + "analyses/", params)
    assert response.status_code == 200, response.content
    trade_ids = {r["trade"]["id"] for r in response.json()["results"]}
    assert trade_ids == {mixed_trades[name].pk for name in expected}


# --- ordering --------------------------------------------------------------------------------


def test_ordering_by_net_pnl_both_ways(auditor_api, seven_trades):
    up = [r["id"] for r in auditor_api.get(API + "trades/", {"ordering": "net_pnl"}).json()["results"]]
    down = [r["id"] for r in auditor_api.get(API + "trades/", {"ordering": "-net_pnl"}).json()["results"]]
    assert up == [t.pk for t in sorted(seven_trades, key=lambda t: t.net_pnl)]
    assert down == list(reversed(up))


def test_ties_are_broken_by_id(auditor_api, db):
    trades = [TradeFactory() for _ in range(4)]  # identical P&L
    ids = [r["id"] for r in auditor_api.get(API + "trades/", {"ordering": "-net_pnl"}).json()["results"]]
    assert ids == sorted((t.pk for t in trades), reverse=True)


@pytest.mark.parametrize(
    ("path", "ordering"),
    [
        ("trades/", "notes"),
        ("trades/", "net_pnl,-bogus"),
        ("analyses/", "facts"),
        ("patterns/", "details"),
        ("runs/", ","),
    ],
)
def test_unknown_ordering_is_400(auditor_api, db, path, ordering):
    response = auditor_api.get(API + path, {"ordering": ordering})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_analyses_ordering_by_score(auditor_api, mixed_trades):
    rows = auditor_api.get(API + "analyses/", {"ordering": "-success_score"}).json()["results"]
    assert [r["success_score"] for r in rows] == [80, 20]


# --- details and 404s ------------------------------------------------------------------------


def test_analysis_detail_by_trade_id(auditor_api, mixed_trades):
    analysis = mixed_trades["t2"].analysis
    rec = RecommendationFactory(analysis=analysis)
    body = auditor_api.get(API + f"analyses/{mixed_trades['t2'].pk}/").json()
    assert body["id"] == analysis.pk
    assert body["trade"]["id"] == mixed_trades["t2"].pk
    assert body["analysis_data"]["performance_analysis"]["overall_evaluation"] == "ok"
    assert [r["id"] for r in body["recommendations"]] == [rec.pk]
    assert "facts" in body


def test_analysis_404s_say_why(auditor_api, mixed_trades):
    no_analysis = auditor_api.get(API + f"analyses/{mixed_trades['t1'].pk}/")
    assert no_analysis.status_code == 404
    assert "no post-mortem yet" in no_analysis.json()["detail"]
    unknown = auditor_api.get(API + "analyses/987654/")
    assert unknown.status_code == 404
    assert "No trade with id 987654" in unknown.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "trades/987654/",
        "patterns/987654/",
        "improvement-plans/987654/",
        "runs/987654/",
        "trades/99999999999999999999999999/",
        "analyses/99999999999999999999999999/",
        "trades/abc/",
    ],
)
def test_unknown_ids_are_404(auditor_api, db, path):
    assert auditor_api.get(API + path).status_code == 404


def test_run_progress(auditor_api, db):
    from django.utils import timezone

    started = timezone.now() - dt.timedelta(seconds=10)
    run = JobRunFactory(
        status="RUNNING",
        total=100,
        done=40,
        succeeded=38,
        failed=2,
        started_at=started,
        failures=[{"ref": 5, "reason": "no stop"}],
    )
    body = auditor_api.get(API + f"runs/{run.pk}/").json()
    assert body["status"] == "RUNNING" and body["is_finished"] is False
    assert (body["total"], body["done"], body["succeeded"], body["failed"]) == (100, 40, 38, 2)
    assert body["progress_pct"] == 40
    assert body["failures"] == [{"ref": 5, "reason": "no stop"}]
    timings = body["timings"]
    assert 9 < timings["running_seconds"] < 60
    assert timings["units_per_second"] == pytest.approx(40 / timings["running_seconds"], rel=0.01)
    assert timings["eta_seconds"] == pytest.approx(60 / timings["units_per_second"], rel=0.01)


def test_plan_detail_lists_patterns_and_recommendations(auditor_api, db):
    patterns = AnalysisPatternFactory.create_batch(2)
    plan = ImprovementPlanFactory()
    plan.patterns.set(patterns)
    rec = RecommendationFactory(plan=plan)
    body = auditor_api.get(API + f"improvement-plans/{plan.pk}/").json()
    assert sorted(body["patterns"]) == sorted(p.pk for p in patterns)
    assert [r["id"] for r in body["recommendations"]] == [rec.pk]
    filtered = auditor_api.get(API + "improvement-plans/", {"pattern": patterns[0].pk}).json()
    assert [p["id"] for p in filtered["results"]] == [plan.pk]


def test_pattern_list_hides_trade_ids_detail_shows_them(auditor_api, db):
    pattern = AnalysisPatternFactory(affected_trade_ids=[7, 8])
    listed = auditor_api.get(API + "patterns/").json()["results"][0]
    assert "affected_trade_ids" not in listed
    assert auditor_api.get(API + f"patterns/{pattern.pk}/").json()["affected_trade_ids"] == [7, 8]


# --- no N+1 ----------------------------------------------------------------------------------


def _queries_for(client, url, params=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("trades/", lambda n: [TradeAnalysisFactory() for _ in range(n)]),
        ("analyses/", lambda n: [TradeAnalysisFactory() for _ in range(n)]),
        ("patterns/", lambda n: AnalysisPatternFactory.create_batch(n)),
        ("runs/", lambda n: JobRunFactory.create_batch(n)),
    ],
)
def test_list_query_count_does_not_grow_with_rows(auditor_api, db, path, make):
    make(3)
    small = _queries_for(auditor_api, API + path, {"page_size": 2})
    make(30)
    large = _queries_for(auditor_api, API + path, {"page_size": 30})
    assert large == small


def test_plan_list_query_count_does_not_grow(auditor_api, db):
    def make(n):
        for _ in range(n):
            plan = ImprovementPlanFactory()
            plan.patterns.set(AnalysisPatternFactory.create_batch(2))

    make(2)
    small = _queries_for(auditor_api, API + "improvement-plans/")
    make(20)
    assert _queries_for(auditor_api, API + "improvement-plans/") == small


def test_ordering_by_r_lists_only_trades_with_an_r(auditor_api, db):
    with_r = [TradeFactory(exit_price=Decimal(100 + i)) for i in range(3)]
    TradeFactory(stop_price=None)
    rows = auditor_api.get(API + "trades/", {"ordering": "-r_multiple"}).json()
    assert [r["id"] for r in rows["results"]] == [t.pk for t in reversed(with_r)]
    assert rows["count"] == 3
    assert auditor_api.get(API + "trades/").json()["count"] == 4


def test_analysis_count_cap_is_lower_with_trade_field_filters(auditor_api, db, monkeypatch):
    from post_mortem.api.views.analyses import AnalysisListView

    monkeypatch.setattr(FastCountPagination, "COUNT_CAP", 5)
    monkeypatch.setattr(AnalysisListView, "JOINED_COUNT_CAP", 3)
    for _ in range(6):
        TradeAnalysisFactory(trade=TradeFactory(account="A"))
    plain = auditor_api.get(API + "analyses/", {"page_size": 2}).json()
    assert (plain["count"], plain["count_exact"]) == (5, False)
    joined = auditor_api.get(API + "analyses/", {"page_size": 2, "account": "A"}).json()
    assert (joined["count"], joined["count_exact"]) == (3, False)
    last = auditor_api.get(API + "analyses/", {"page_size": 2, "account": "A", "page": 3}).json()
    assert (last["count"], last["count_exact"]) == (6, True)


@pytest.mark.parametrize("cap", [1_000, 1])
def test_analysis_trade_filters_give_the_same_pages_on_both_plans(auditor_api, db, monkeypatch, cap):
    """cap=1 makes the filters 'dense' (the EXISTS plan on SQLite); 1,000 keeps the join plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from post_mortem.api.views.analyses import AnalysisListView

    monkeypatch.setattr(AnalysisListView, "JOINED_COUNT_CAP", cap)
    wanted = [TradeAnalysisFactory(trade=TradeFactory(account="A", setup="s1"), success_score=s) for s in (10, 70, 90)]
    TradeAnalysisFactory(trade=TradeFactory(account="A", setup="s2"), success_score=95)
    TradeAnalysisFactory(trade=TradeFactory(account="B", setup="s1"), success_score=99)
    with CaptureQueriesContext(connection) as ctx:
        rows = auditor_api.get(
            API + "analyses/", {"account": "A", "setup": "s1", "min_score": 50, "ordering": "-success_score"}
        ).json()
    assert [r["id"] for r in rows["results"]] == [wanted[2].pk, wanted[1].pk]
    used_exists = any("EXISTS" in q["sql"] for q in ctx.captured_queries)
    assert used_exists == (cap == 1 and connection.vendor == "sqlite")
    page = auditor_api.get(API + "analyses/", {"account": "A", "page_size": 2, "page": 2}).json()
    assert len(page["results"]) == 2 and page["next"] is None
