"""A/B experiments on planted data, and the feedback selectors (history diffs, ROI per type, chart)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from post_mortem.models import ImplementationStatus
from post_mortem.selectors.feedback import (
    experiment_results,
    history_entries,
    history_queryset,
    prioritisation,
    roi_per_type,
    rolling_expectancy,
)
from post_mortem.services.experiments import experiment_create
from post_mortem.services.impact import impact_measure
from post_mortem.services.recommendations import recommendation_set_status
from tests.factories import RecommendationFactory
from tests.feedback.helpers import plant_trades

pytestmark = pytest.mark.django_db
UTC = dt.UTC
START, END = dt.date(2026, 9, 1), dt.date(2026, 11, 15)
AFTER_END = dt.datetime(2026, 11, 20, tzinfo=UTC)


def _ab_data(*, lift: float, seed: int, tag_treatment: bool = False) -> None:
    days = (END - START).days + 1
    pre_start = dt.datetime(2026, 6, 17, tzinfo=UTC)
    start = dt.datetime(2026, 9, 1, tzinfo=UTC)
    tags = "half-size-after-loss" if tag_treatment else ""
    plant_trades(account="CHARLIE", start=pre_start, days=days - 2, per_day=3, mean_r=0.0, seed=seed, prefix="Cp")
    plant_trades(account="DELTA", start=pre_start, days=days - 2, per_day=3, mean_r=0.0, seed=seed + 1, prefix="Dp")
    plant_trades(
        account="CHARLIE", start=start, days=days, per_day=3, mean_r=lift, seed=seed + 2, prefix="Ct", tags=tags
    )
    plant_trades(account="DELTA", start=start, days=days, per_day=3, mean_r=0.0, seed=seed + 3, prefix="Dt")


def _experiment(**kw):
    defaults = {
        "name": "half size after loss",
        "metric": "r_multiple",
        "treatment": {"account": ["CHARLIE"]},
        "control": {"account": ["DELTA"]},
        "start": START,
        "end": END,
    }
    return experiment_create(**{**defaults, **kw})


def test_planted_lift_is_found():
    _ab_data(lift=0.35, seed=1)
    exp = _experiment()
    res = experiment_results(experiment=exp, as_of=AFTER_END)
    assert res["treatment"]["n"] == res["control"]["n"] == 76 * 3
    assert 0.2 < res["difference"] < 0.5
    assert res["ci_low"] > 0 and res["p_value"] < 0.01
    assert res["significant"] is True and res["interim"] is False
    assert res["did"] is not None and res["did"]["ci_low"] > 0
    assert abs(res["did"]["pre_difference"]) < 0.25
    daily = res["daily"]
    assert len(daily["days"]) == 76 and len(daily["treatment"]) == len(daily["control"]) == 76
    assert daily["treatment"][-1] == pytest.approx(res["treatment"]["mean"])


def test_tag_groups_match_whole_tags_only():
    _ab_data(lift=0.35, seed=2, tag_treatment=True)
    exp = _experiment(treatment={"tag": ["half-size-after-loss"]}, control={"account": ["DELTA"]})
    res = experiment_results(experiment=exp, as_of=AFTER_END)
    assert res["treatment"]["n"] == 76 * 3
    exp2 = _experiment(name="partial tag", treatment={"tag": ["half-size"]}, control={"account": ["DELTA"]})
    assert experiment_results(experiment=exp2, as_of=AFTER_END)["treatment"]["n"] == 0


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_no_difference_not_significant(seed):
    _ab_data(lift=0.0, seed=seed * 10)
    res = experiment_results(experiment=_experiment(), as_of=AFTER_END, n_boot=1000)
    assert res["significant"] is False


def test_interim_warning_and_win_rate_metric():
    _ab_data(lift=0.35, seed=3)
    exp = _experiment(metric="win_rate")
    res = experiment_results(experiment=exp, as_of=dt.datetime(2026, 10, 1, tzinfo=UTC))
    assert res["interim"] is True
    assert any("Interim" in w for w in res["warnings"])
    assert 0 <= res["treatment"]["mean"] <= 1
    assert res["treatment"]["n"] < 76 * 3


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"metric": "sharpe"}, "metric"),
        ({"treatment": {"account": []}}, "treatment"),
        ({"treatment": {"desk": ["X"]}}, "treatment"),
        ({"control": {"account": ["CHARLIE"]}}, "control"),
        ({"end": START}, "end"),
    ],
)
def test_create_validation_names_field(kwargs, field):
    with pytest.raises(ValidationError) as exc:
        _experiment(**kwargs)
    assert field in exc.value.message_dict


def test_history_entries_show_user_reason_and_diff(ops_user):
    rec = RecommendationFactory()
    recommendation_set_status(recommendation=rec, status="IMPLEMENTED", reason="agreed at standup", user=ops_user)
    [latest, created] = history_entries(list(history_queryset().filter(id=rec.pk)))
    assert latest["user"] == "opsy" and latest["reason"] == "agreed at standup" and latest["type"] == "changed"
    fields = {c["field"]: c for c in latest["changes"]}
    assert fields["implementation_status"]["old"] == "PENDING"
    assert fields["implementation_status"]["new"] == "IMPLEMENTED"
    assert created["type"] == "created"


def test_roi_per_type_prioritisation_and_chart():
    plant_trades(account="A", start=dt.datetime(2026, 7, 2, tzinfo=UTC), days=30, per_day=4, mean_r=0.0, seed=1)
    plant_trades(account="A", start=dt.datetime(2026, 8, 1, 4, tzinfo=UTC), days=30, per_day=4, mean_r=0.5, seed=2)
    r1 = RecommendationFactory(
        type_code="no_reentry",
        area="behavioral",
        implementation_status=ImplementationStatus.IMPLEMENTED,
        implementation_date=dt.date(2026, 8, 1),
    )
    RecommendationFactory(type_code="no_reentry", area="behavioral", expected_impact_r=0.4)
    RecommendationFactory(type_code="tighter_stop", area="risk_management", expected_impact_r=0.1)
    impact_measure(recommendations=[r1], as_of=dt.datetime(2026, 9, 15, tzinfo=UTC), n_boot=500)
    [row] = roi_per_type()
    assert row["type_code"] == "no_reentry" and row["recommendations"] == 1
    assert row["roi_ci_low"] < row["roi_per_month"] < row["roi_ci_high"]
    p = prioritisation()
    assert [r.expected_impact_r for r in p["pending"]] == [0.4, 0.1]
    assert p["implemented"][0].pk == r1.pk and p["implemented"][0].latest_effect > 0
    assert prioritisation(area="risk_management")["implemented"] == []
    line = rolling_expectancy(days=60, window_days=30)
    assert len(line["days"]) == len(line["expectancy"]) == 60
    assert line["implementations"][0]["id"] == r1.pk
    assert line["implementation_marks"][line["days"].index("2026-08-01")] is not None
