"""Mining and plan services on real Trade rows: stored patterns, replacement, plans, commands."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from post_mortem.mining.synthetic import DEMO_EFFECTS
from post_mortem.models import AnalysisPattern, ImprovementPlan, JobRun, Recommendation, RunStatus
from post_mortem.services.patterns import mining_run_start, patterns_mine
from post_mortem.services.plans import plan_build
from tests.mining.helpers import store_synthetic_trades

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    return store_synthetic_trades(2500, seed=31, effects=DEMO_EFFECTS, no_stop_share=0.04)


def _last_json(out: StringIO) -> dict:
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_mine_stores_every_tested_segment_and_finds_planted(desk):
    outcome = patterns_mine(n_boot=300)
    stored = list(AnalysisPattern.objects.all())
    assert len(stored) == len(outcome.patterns) == outcome.summary["segments_tested"] > 30
    sig = {(p.factor, p.segment): p for p in stored if p.significant}
    for factor, value, shift in DEMO_EFFECTS:
        p = sig[(factor, value)]
        assert (p.effect < 0) == (shift < 0)
        assert p.pattern_type == ("weakness" if shift < 0 else "strength")
        assert p.confidence == pytest.approx(1 - p.q_value)
        assert p.ci_low < p.effect < p.ci_high
        assert p.affected_trades == p.n == len(p.affected_trade_ids)
        assert sum(p.details["hist_segment"]) == p.n and sum(p.details["hist_rest"]) == p.n_rest
    assert outcome.summary["trades_without_r_excluded"] > 0
    after_loss = sig[("after_loss", "true")]
    assert "within 30 minutes of a losing exit" in after_loss.description
    assert after_loss.category == "behavioral"


def test_mining_a_period_again_replaces_only_that_period(desk):
    patterns_mine(n_boot=100)
    all_time = AnalysisPattern.objects.count()
    first = patterns_mine(since=dt.date(2025, 1, 20), until=dt.date(2025, 3, 31), n_boot=100)
    assert all(p.period_start == dt.date(2025, 1, 20) for p in first.patterns)
    again = patterns_mine(since=dt.date(2025, 1, 20), until=dt.date(2025, 3, 31), n_boot=100)
    period_rows = AnalysisPattern.objects.filter(period_start=dt.date(2025, 1, 20))
    assert set(period_rows.values_list("pk", flat=True)) == {p.pk for p in again.patterns}
    assert AnalysisPattern.objects.filter(period_start__isnull=True).count() == all_time
    assert first.summary["trades_in_period"] < len(desk)


def test_bad_period_is_a_clear_error(desk):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="after until"):
        patterns_mine(since=dt.date(2025, 3, 1), until=dt.date(2025, 2, 1))
    with pytest.raises(CommandError, match="after --until"):
        call_command("mine_patterns", "--sync", "--since", "2025-03-01", "--until", "2025-02-01")
    with pytest.raises(CommandError, match="not a date"):
        call_command("mine_patterns", "--sync", "--since", "March")


def test_mine_patterns_command_json(desk):
    out = StringIO()
    call_command("mine_patterns", "--sync", "--json", stdout=out)
    payload = _last_json(out)
    run = JobRun.objects.get(pk=payload["run"])
    assert run.status == RunStatus.SUCCEEDED and run.result["segments_tested"] == len(payload["patterns"])
    keys = {"id", "factor", "segment", "n", "effect", "ci_low", "ci_high", "p_value", "q_value", "confidence"}
    keys.add("description")
    assert all(set(p) == keys for p in payload["patterns"])
    assert any(p["factor"] == "setup" and p["segment"] == "fade" and p["q_value"] < 0.05 for p in payload["patterns"])
    assert all(p["n"] >= 30 for p in payload["patterns"])


def test_queued_run_goes_through_django_q_sync(desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = mining_run_start(min_trades=40)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert AnalysisPattern.objects.filter(run=run).exists()
    assert all(p.n >= 40 for p in AnalysisPattern.objects.filter(run=run))


def test_plan_targets_the_planted_weaknesses(desk):
    patterns_mine(n_boot=200)
    plan = plan_build()
    recs = list(Recommendation.objects.filter(plan=plan).order_by("pk"))
    assert [i["recommendation_id"] for i in plan.improvements] == [r.pk for r in recs]
    segments = {(r.segment["factor"], r.segment["value"]) for r in recs}
    for factor, value, _ in DEMO_EFFECTS:
        assert (factor, value) in segments
    first = plan.improvements[0]
    assert first["kind"] == "avoid"
    dollars = [i["dollars_at_stake"] for i in plan.improvements if i["kind"] == "avoid"]
    assert dollars == sorted(dollars)  # worst first
    after_loss = next(r for r in recs if r.segment == {"factor": "after_loss", "value": "true"})
    assert after_loss.type_code == "avoid_after_loss_reentry"
    assert after_loss.source == "PLAN" and after_loss.implementation_status == "PENDING"
    assert after_loss.expected_impact_r == pytest.approx(-after_loss.pattern.effect, abs=1e-4)
    assert "No re-entry within 30 minutes" in after_loss.text
    assert "per affected trade" in after_loss.expected_impact
    assert after_loss.scope_accounts == []  # every account re-enters after losses: desk-wide
    assert after_loss.history.count() == 1
    fade = next(r for r in recs if r.segment == {"factor": "setup", "value": "fade"})
    assert fade.type_code == "avoid_setup_fade"
    pullback = next(r for r in recs if r.segment == {"factor": "setup", "value": "pullback"})
    assert pullback.type_code == "more_setup_pullback"
    assert plan.focus_areas and plan.patterns.count() == len(recs)
    # behavioural "strengths" (the absence of a weakness) are not separate improvements
    assert ("position_size", "0.75-1.5x") not in segments


def test_build_plan_command_json_and_empty_case(db):
    with pytest.raises(CommandError, match="No patterns have been mined"):
        call_command("build_plan", "--sync")
    store_synthetic_trades(1500, seed=32, effects=DEMO_EFFECTS)
    call_command("mine_patterns", "--sync", stdout=StringIO())
    out = StringIO()
    call_command("build_plan", "--sync", "--json", stdout=out)
    payload = _last_json(out)
    plan = ImprovementPlan.objects.get(pk=payload["plan"])
    assert payload["recommendations"] == list(plan.recommendations.order_by("pk").values_list("pk", flat=True))
    assert payload["recommendations"]


def test_no_significant_patterns_gives_a_clear_error(db):
    store_synthetic_trades(1500, seed=33)  # no effects; 30+ market days, so segments are compared
    patterns_mine(n_boot=50)
    if AnalysisPattern.objects.filter(significant=True).exists():
        pytest.skip("noise produced a discovery for this seed")
    with pytest.raises(CommandError, match="No significant pattern"):
        call_command("build_plan", "--sync")


def test_empty_desk_mines_nothing_cleanly(db):
    out = StringIO()
    call_command("mine_patterns", "--sync", "--json", stdout=out)
    payload = _last_json(out)
    assert payload["patterns"] == []
    run = JobRun.objects.get(pk=payload["run"])
    assert run.status == RunStatus.SUCCEEDED and run.result["trades_in_period"] == 0
    assert "setup" in run.result["skipped_factors"]
