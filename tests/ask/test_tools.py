"""The Ask tools against numbers computed independently (ORM + plain Python) on a mixed desk."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings
from scipy import stats as sps

from post_mortem.ask.tools import ToolBox, ToolInputError, tool_specs
from post_mortem.models import ImplementationStatus, Trade
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


def test_compare_uses_the_miners_test(desk):
    box = ToolBox()
    a = {"setups": ["fade_gap"], "symbols": ["NVDA"]}
    b = {"setups": ["fade_gap"], "exclude_symbols": ["NVDA"]}
    out = box.run("compare_selections", {"a": a, "b": b})
    r_a = [t.r_multiple for t in Trade.objects.filter(setup="fade_gap", symbol="NVDA") if t.r_multiple is not None]
    r_b = [
        t.r_multiple for t in Trade.objects.filter(setup="fade_gap").exclude(symbol="NVDA") if t.r_multiple is not None
    ]
    p = sps.mannwhitneyu(r_a, r_b, alternative="two-sided").pvalue
    assert out["p_mannwhitney"] == pytest.approx(p, rel=2e-3)
    assert out["difference_r"] == round(np.mean(r_a) - np.mean(r_b), 3)
    lo, hi = out["difference_ci_95"]
    assert lo < out["difference_r"] < hi
    assert out["comparisons_in_conversation"] == 1
    second = box.run("compare_selections", {"a": a, "b": b})
    assert second["p_bonferroni"] == pytest.approx(min(1, 2 * out["p_mannwhitney"]), rel=2e-3)


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
    }
    assert "$ref" not in str(specs) and "$defs" not in str(specs)
