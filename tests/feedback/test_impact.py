"""Impact measurement on planted data: a real change is found, no change is not called significant."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from post_mortem.impact.engine import ImpactInput, measure
from post_mortem.models import AssessmentStatus, ImpactAssessment, ImplementationStatus, JobRun, RunStatus
from post_mortem.services.impact import impact_measure, impact_windows
from tests.factories import RecommendationFactory
from tests.feedback.helpers import plant_trades

UTC = dt.UTC
IMPL = dt.date(2026, 8, 1)
AS_OF = dt.datetime(2026, 9, 15, tzinfo=UTC)


def _implemented(**kwargs):
    return RecommendationFactory(
        implementation_status=ImplementationStatus.IMPLEMENTED, implementation_date=IMPL, **kwargs
    )


def _two_windows(account: str, before_r: float, after_r: float, seed: int, per_day: int = 4) -> None:
    plant_trades(
        account=account,
        start=dt.datetime(2026, 7, 2, tzinfo=UTC),
        days=30,
        per_day=per_day,
        mean_r=before_r,
        seed=seed,
        prefix=f"{account}b",
    )
    plant_trades(
        account=account,
        start=dt.datetime(2026, 8, 1, 4, tzinfo=UTC),
        days=30,
        per_day=per_day,
        mean_r=after_r,
        seed=seed + 1000,
        prefix=f"{account}a",
    )


def test_windows_are_equal_and_start_at_desk_midnight(settings):
    settings.DESK_TIMEZONE = "America/New_York"
    w = impact_windows(implementation_date=IMPL, window_days=30, as_of=AS_OF)
    assert w.after_start == dt.datetime(2026, 8, 1, 4, tzinfo=UTC)  # EDT midnight
    assert w.after_start - w.before_start == w.after_end - w.after_start == dt.timedelta(days=30)
    # Ten days after the change both windows shrink to ten days.
    w = impact_windows(implementation_date=IMPL, window_days=30, as_of=dt.datetime(2026, 8, 11, 4, tzinfo=UTC))
    assert w.days == pytest.approx(10)
    assert w.after_start - w.before_start == dt.timedelta(days=10)


@pytest.mark.django_db
def test_planted_improvement_is_found_with_roi_and_did():
    _two_windows("DESK-A", before_r=-0.1, after_r=0.4, seed=1)
    _two_windows("DESK-B", before_r=0.0, after_r=0.0, seed=2)  # control: no change
    rec = _implemented(scope_accounts=["DESK-A"])
    [a] = impact_measure(recommendations=[rec], as_of=AS_OF)
    assert a.status == AssessmentStatus.MEASURED
    assert a.n_before == 120 and a.n_after == 120
    assert 0.3 < a.effect < 0.7
    assert a.ci_low > 0
    assert a.p_value < 0.01 and a.significant
    assert a.did_effect == pytest.approx(a.effect - (a.details["control"]["change"]), abs=1e-9)
    assert a.did_ci_low > 0
    # ROI: effect x 120 trades in 30 days (per month of 30.44 days) x $100 per R.
    expected_roi = a.effect * 120 / (30 / (365.25 / 12)) * 100
    assert a.roi_per_month == pytest.approx(expected_roi, rel=1e-6)
    assert a.roi_ci_low < a.roi_per_month < a.roi_ci_high
    rec.refresh_from_db()
    assert rec.impact_score == pytest.approx(a.effect)
    assert rec.history.count() == 1  # the measurement is not a person's change


@pytest.mark.django_db
def test_market_wide_change_is_removed_by_difference_in_differences():
    _two_windows("DESK-A", before_r=0.0, after_r=0.5, seed=3)
    _two_windows("DESK-B", before_r=0.0, after_r=0.5, seed=4)
    rec = _implemented(scope_accounts=["DESK-A"])
    [a] = impact_measure(recommendations=[rec], as_of=AS_OF)
    assert a.effect > 0.3
    assert a.did_ci_low < 0 < a.did_ci_high


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [11, 12, 13, 14, 15])
def test_no_change_is_not_significant(seed):
    _two_windows("DESK-A", before_r=0.1, after_r=0.1, seed=seed)
    rec = _implemented()
    [a] = impact_measure(recommendations=[rec], as_of=AS_OF, n_boot=1000)
    assert a.status == AssessmentStatus.MEASURED
    assert not a.significant
    assert a.did_effect is None  # unscoped: no trades outside the scope


@pytest.mark.django_db
def test_too_few_trades_is_not_a_verdict():
    _two_windows("DESK-A", before_r=-1.0, after_r=1.0, seed=5, per_day=0)
    plant_trades(account="DESK-A", start=dt.datetime(2026, 8, 2, tzinfo=UTC), days=5, per_day=2, mean_r=2.0)
    rec = _implemented()
    [a] = impact_measure(recommendations=[rec], as_of=AS_OF)
    assert a.status == AssessmentStatus.INSUFFICIENT
    assert "not enough data yet" in a.message
    assert a.effect is None and not a.significant
    rec.refresh_from_db()
    assert rec.impact_score is None


@pytest.mark.django_db
def test_bh_applies_across_recommendations_measured_together():
    _two_windows("DESK-A", before_r=0.0, after_r=0.0, seed=21)
    recs = [_implemented(scope_accounts=["DESK-A"]) for _ in range(3)]
    rows = impact_measure(recommendations=recs, as_of=AS_OF, n_boot=500)
    ps = np.array([r.p_value for r in rows])
    qs = np.array([r.q_value for r in rows])
    assert np.all(qs >= ps - 1e-12)


def test_engine_segment_share_and_expectancy():
    before = np.array([-1.0, -1.0, 1.0, 1.0])
    after = np.array([1.0, 1.0, -1.0, 2.0])
    res = measure(
        ImpactInput(
            before=before,
            after=after,
            after_days=30,
            segment_before=np.array([True, True, False, False]),
            segment_after=np.array([False, False, True, False]),
        ),
        min_sample=2,
        n_boot=200,
    )
    assert res.details["segment"]["before"] == {"n": 2, "share": 0.5, "expectancy": -1.0}
    assert res.details["segment"]["after"] == {"n": 1, "share": 0.25, "expectancy": -1.0}


@pytest.mark.django_db
def test_command_sync_json_last_line():
    _two_windows("DESK-A", before_r=0.0, after_r=0.5, seed=31)
    rec = _implemented()
    out = StringIO()
    call_command("measure_impact", "--sync", "--json", "--recommendation", str(rec.pk), stdout=out)
    payload = json.loads(out.getvalue().strip().splitlines()[-1])
    [a] = payload["assessments"]
    assert a["recommendation"] == rec.pk
    assert set(a) >= {"effect", "ci_low", "ci_high", "p_value", "significant", "roi_per_month"}
    assert a["significant"] is True
    run = JobRun.objects.get(pk=payload["run"])
    assert run.status == RunStatus.SUCCEEDED
    assert ImpactAssessment.objects.filter(run=run).count() == 1


@pytest.mark.django_db
def test_command_rejects_unimplemented_recommendation():
    from django.core.management.base import CommandError

    rec = RecommendationFactory()
    with pytest.raises(CommandError, match="not implemented"):
        call_command("measure_impact", "--sync", "--recommendation", str(rec.pk), stdout=StringIO())


@pytest.mark.django_db
def test_run_retry_replaces_assessments_and_schedule_is_idempotent():
    from django_q.models import Schedule

    from post_mortem.services.impact import impact_schedule_ensure

    _two_windows("DESK-A", before_r=0.0, after_r=0.5, seed=41)
    rec = _implemented()
    run = JobRun.objects.create(kind="IMPACT", params={"recommendation_id": rec.pk})
    impact_measure(recommendations=[rec], as_of=AS_OF, run=run, n_boot=200)
    impact_measure(recommendations=[rec], as_of=AS_OF, run=run, n_boot=200)
    assert ImpactAssessment.objects.filter(run=run).count() == 1
    impact_schedule_ensure()
    impact_schedule_ensure()
    assert Schedule.objects.filter(func="post_mortem.tasks.impact.impact_daily_task").count() == 1


@pytest.mark.django_db
def test_targeted_segment_share_and_expectancy_use_the_miner_definition():
    # 12 trades a day, 25 minutes apart, exits 5 minutes after entry: the next entry is 20 minutes
    # after a losing exit whenever the previous trade lost, i.e. an "after_loss=true" trade.
    _two_windows("DESK-A", before_r=0.0, after_r=0.3, seed=51, per_day=12)
    rec = _implemented(segment={"factor": "after_loss", "value": True})
    [a] = impact_measure(recommendations=[rec], as_of=AS_OF, n_boot=300)
    seg = a.details["segment"]
    assert "segment_note" not in a.details
    for side in ("before", "after"):
        assert 0.2 < seg[side]["share"] < 0.8
        assert seg[side]["n"] == round(seg[side]["share"] * (a.n_before if side == "before" else a.n_after))
        assert seg[side]["expectancy"] is not None


@pytest.mark.django_db
def test_unknown_segment_factor_is_reported_not_fatal():
    _two_windows("DESK-A", before_r=0.0, after_r=0.3, seed=52)
    rec = _implemented(segment={"factor": "moon_phase", "value": "full"})
    [a] = impact_measure(recommendations=[rec], as_of=AS_OF, n_boot=300)
    assert a.status == AssessmentStatus.MEASURED
    assert "could not be evaluated" in a.details["segment_note"]
