"""The Ask tools against numbers computed independently (ORM + plain Python) on a mixed desk."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings
from scipy import stats as sps

from post_mortem.ask.tools import ToolBox, ToolInputError, tool_specs
from post_mortem.models import ImplementationStatus, JobRun, RunKind, Trade
from tests.factories import AnalysisPatternFactory, ImprovementPlanFactory, RecommendationFactory

NY = ZoneInfo(settings.DESK_TIMEZONE)


def _expected(trades):
    r = [t.r_multiple for t in trades if t.r_multiple is not None]
    pnl = [float(t.net_pnl) for t in trades]
    return {
        "n": len(trades),
        "n_with_r": len(r),
        "expectancy_r": round(float(np.mean(r)), 3),
        "win_rate": round(sum(p > 0 for p in pnl) / len(pnl), 3),
        "net_pnl": round(sum(pnl), 2),
    }


def test_trade_stats_matches_the_orm(desk):
    out = ToolBox().run("trade_stats", {"selection": {"accounts": ["BRAVO"], "symbols": ["NVDA", "MNQ"]}})
    trades = list(Trade.objects.filter(account="BRAVO", symbol__in=["NVDA", "MNQ"]))
    assert {k: out[k] for k in _expected(trades)} == _expected(trades)
    low, high = out["expectancy_ci_95"]
    assert low < out["expectancy_r"] < high
    assert out["selection"] == {"accounts": ["BRAVO"], "symbols": ["NVDA", "MNQ"]}


def test_weekday_segment_and_desk_local_period(desk):
    sel = {"accounts": ["BRAVO"], "segments": [{"factor": "weekday", "value": "Monday"}], "since": "2026-03-02"}
    out = ToolBox().run("trade_stats", {"selection": sel})
    start = dt.datetime(2026, 3, 2, tzinfo=NY)
    trades = [
        t
        for t in Trade.objects.filter(account="BRAVO", entry_time__gte=start)
        if t.entry_time.astimezone(NY).weekday() == 0
    ]
    assert trades and {k: out[k] for k in _expected(trades)} == _expected(trades)
    assert out["small_sample"] is True
    assert out["note"] == f"n = {out['n_with_r']}: too few to conclude"


def test_exclusions_tags_and_sides(desk):
    sel = {"setups": ["fade_gap"], "exclude_symbols": ["NVDA"], "tags": ["gap"], "sides": ["long"]}
    out = ToolBox().run("trade_stats", {"selection": sel})
    trades = [
        t
        for t in Trade.objects.filter(setup="fade_gap", side="LONG").exclude(symbol="NVDA")
        if "gap" in t.tags.split(";")
    ]
    assert out["n"] == len(trades) > 0


def test_group_by_setup_sums_to_the_selection(desk):
    out = ToolBox().run("trade_stats", {"selection": {"accounts": ["ALPHA"]}, "group_by": "setup"})
    groups = {g["group"]["value"]: g for g in out["groups"]}
    assert set(groups) == {"fade_gap", "breakout", "(none)"}
    assert sum(g["n"] for g in groups.values()) == out["n"]
    for setup, label in (("fade_gap", "fade_gap"), ("", "(none)")):
        trades = list(Trade.objects.filter(account="ALPHA", setup=setup))
        assert groups[label]["net_pnl"] == _expected(trades)["net_pnl"]
    pnls = [g["net_pnl"] for g in out["groups"]]
    assert pnls == sorted(pnls)  # worst first


def _r_and_day(trades):
    return [(t.r_multiple, t.entry_time.astimezone(NY).date()) for t in trades if t.r_multiple is not None]


def test_compare_within_days_matches_a_dense_regression(desk):
    """A = fade_gap on NVDA, B = fade_gap elsewhere: they share days, so the miner's within-day
    regression applies; check it against a dense least-squares fit with day dummies."""
    box = ToolBox()
    a = {"setups": ["fade_gap"], "symbols": ["NVDA"]}
    b = {"setups": ["fade_gap"], "exclude_symbols": ["NVDA"]}
    out = box.run("compare_selections", {"a": a, "b": b})
    rows = [(r, d, 1.0) for r, d in _r_and_day(Trade.objects.filter(setup="fade_gap", symbol="NVDA"))]
    rows += [(r, d, 0.0) for r, d in _r_and_day(Trade.objects.filter(setup="fade_gap").exclude(symbol="NVDA"))]
    days = sorted({d for _, d, _ in rows})
    x = np.array([[flag] + [1.0 if d == day else 0.0 for day in days] for _, d, flag in rows])
    y = np.array([r for r, _, _ in rows])
    beta = np.linalg.lstsq(x, y, rcond=None)[0][0]
    assert out["method"].startswith("within-day regression")
    assert out["difference_r"] == pytest.approx(beta, abs=6e-4)
    lo, hi = out["difference_ci_95"]
    assert lo < out["difference_r"] < hi and 0 < out["p_value"] <= 1
    plain = np.mean([r for r, _, f in rows if f]) - np.mean([r for r, _, f in rows if not f])
    assert out["difference_in_means_r"] == round(plain, 3)
    assert out["comparisons_in_conversation"] == 1
    second = box.run("compare_selections", {"a": a, "b": b})
    assert second["p_bonferroni"] == pytest.approx(min(1, 2 * out["p_value"]), rel=2e-3)


def test_compare_day_level_selections_uses_days_as_the_unit(desk):
    a = {"segments": [{"factor": "weekday", "value": "Monday"}]}
    b = {"segments": [{"factor": "weekday", "value": "Tuesday"}]}
    out = ToolBox().run("compare_selections", {"a": a, "b": b})
    by_day: dict = {}
    for r, d in _r_and_day(Trade.objects.all()):
        by_day.setdefault(d, []).append(r)
    mon = [np.mean(v) for d, v in by_day.items() if d.weekday() == 0]
    tue = [np.mean(v) for d, v in by_day.items() if d.weekday() == 1]
    assert out["method"].startswith("days as the unit")
    assert (out["days_a"], out["days_b"]) == (len(mon), len(tue))
    assert out["difference_r"] == round(np.mean(mon) - np.mean(tue), 3)
    assert out["p_value"] == pytest.approx(sps.ttest_ind(mon, tue, equal_var=False).pvalue, rel=2e-3)


def test_overlapping_selections_count_shared_trades_in_a(desk):
    out = ToolBox().run("compare_selections", {"a": {"symbols": ["NVDA"]}, "b": {}})
    assert out["b"]["n"] == Trade.objects.exclude(symbol="NVDA").count()
    assert (
        out["overlap_note"]
        == f"{Trade.objects.filter(symbol='NVDA').count()} trades are in both selections; they are counted in A only"
    )


def test_time_of_day_window_is_desk_local(desk):
    out = ToolBox().run("trade_stats", {"selection": {"time_from": "09:30", "time_to": "10:00"}})
    trades = [
        t
        for t in Trade.objects.all()
        if dt.time(9, 30) <= t.entry_time.astimezone(NY).time().replace(second=0, microsecond=0) < dt.time(10, 0)
    ]
    assert out["n"] == len(trades) > 0


@pytest.mark.parametrize(
    ("tool", "payload", "message"),
    [
        (
            "trade_stats",
            {"selection": {"segments": [{"factor": "moon", "value": "full"}]}},
            "selection.segments.0.factor",
        ),
        ("trade_stats", {"selection": {"since": "2026-03-10", "until": "2026-03-01"}}, "since (2026-03-10) is after"),
        ("trade_stats", {"selection": {"sql": "DROP TABLE"}}, "selection.sql: Extra inputs are not permitted"),
        ("trade_stats", {"group_by": "mood"}, "group_by"),
        ("list_patterns", {"limit": 500}, "limit"),
        (
            "trade_stats",
            {"selection": {"time_from": "10:00", "time_to": "09:30"}},
            "time_from (10:00:00) is not before",
        ),
        ("drop_tables", {}, "unknown tool 'drop_tables'"),
    ],
)
def test_bad_input_names_the_field(db, tool, payload, message):
    with pytest.raises(ToolInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ToolBox().run(tool, payload)


def test_stored_rows(db):
    pattern = AnalysisPatternFactory(factor="setup", segment="fade_gap", effect=-0.41, dollars_at_stake=-5230.5)
    AnalysisPatternFactory(factor="hour", segment="15", significant=False)
    rec = RecommendationFactory(
        implementation_status=ImplementationStatus.IMPLEMENTED,
        implementation_date=dt.date(2026, 3, 2),
        expected_impact_r=0.2,
    )
    plan = ImprovementPlanFactory()
    rec.plan = plan
    rec.save()
    box = ToolBox()
    patterns = box.run("list_patterns", {})
    assert [p["pattern_id"] for p in patterns["patterns"]] == [pattern.pk]
    assert patterns["patterns"][0]["dollars_at_stake"] == -5230.5
    recs = box.run("list_recommendations", {"status": "IMPLEMENTED"})["recommendations"]
    assert recs[0]["recommendation_id"] == rec.pk and recs[0]["implementation_date"] == "2026-03-02"
    plans = box.run("list_plans", {})["plans"]
    assert plans[0]["recommendation_ids"] == [rec.pk]


def test_specs_are_self_contained_json_schema():
    specs = tool_specs()
    assert {s["name"] for s in specs} == {
        "trade_stats",
        "compare_selections",
        "list_patterns",
        "list_recommendations",
        "list_plans",
        "what_if",
    }
    assert "$ref" not in str(specs) and "$defs" not in str(specs)


def test_what_if_replays_through_the_whatif_service(desk):
    out = ToolBox().run(
        "what_if", {"rules": [{"type": "skip_segment", "factor": "setup", "value": "fade_gap"}], "account": "BRAVO"}
    )
    run = JobRun.objects.get(pk=out["run_id"])
    assert run.kind == RunKind.WHATIF and out["status"] == "SUCCEEDED"
    bravo = Trade.objects.filter(account="BRAVO")
    assert out["actual"]["trades"] == bravo.count()
    assert out["what_if"]["trades"] == bravo.exclude(setup="fade_gap").count()
    assert out["what_if"]["net_pnl"] == round(sum(float(t.net_pnl) for t in bravo.exclude(setup="fade_gap")), 2)
    with pytest.raises(ToolInputError, match="rule 1: 'type' must be one of"):
        ToolBox().run("what_if", {"rules": [{"type": "teleport"}]})
