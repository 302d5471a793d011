"""Impact and A/B intervals that respect market days: a bootstrap over days, not over trades."""

from __future__ import annotations

import numpy as np
import pytest

from post_mortem.impact.ab import compare_groups
from post_mortem.impact.engine import ImpactInput, measure
from post_mortem.stats import bootstrap_mean_diff_ci, day_bootstrap


def _window(rng, first_day: int, days: int, per_day: int, shock_sd: float, shift: float = 0.0):
    day = np.repeat(np.arange(first_day, first_day + days), per_day)
    values = shift + rng.normal(0, shock_sd, days)[day - first_day] + rng.standard_t(5, len(day))
    return values, day


def test_day_bootstrap_covers_the_truth_where_a_trade_bootstrap_does_not():
    """No effect, 20 days each side, 15 trades a day, day shocks sd 0.6R: the 95% interval over days
    contains zero about 95% of the time; resampling trades treats 300 trades as independent and
    "finds" an effect far more often than 5%."""
    rng = np.random.default_rng(1)
    day_cover, trade_cover = 0, 0
    sims = 150
    for i in range(sims):
        before, before_day = _window(rng, 0, 20, 15, 0.6)
        after, after_day = _window(rng, 20, 20, 15, 0.6)
        boot = day_bootstrap([(after, after_day), (before, before_day)], n_boot=400, seed=i)
        low, high = boot.interval([1, -1])
        day_cover += low < 0 < high
        t_low, t_high = bootstrap_mean_diff_ci(after, before, n_boot=400, seed=i)
        trade_cover += t_low < 0 < t_high
    assert day_cover / sims >= 0.88  # measured 0.947
    assert trade_cover / sims <= 0.8  # measured 0.71: one "significant" change in four is the market


def test_shared_days_cancel_in_an_ab_difference():
    """Two arms trading on the same days share each day's shock: resampling a day with both arms'
    trades keeps that, so the A/B interval is about as narrow as without any day shock."""
    rng = np.random.default_rng(2)
    days = np.repeat(np.arange(40), 10)
    shock = rng.normal(0, 1.0, 40)[days]
    treat = 0.3 + shock + rng.standard_t(5, len(days))
    ctrl = shock + rng.standard_t(5, len(days))
    boot = day_bootstrap([(treat, days), (ctrl, days)], n_boot=1000, seed=0)
    low, high = boot.interval([1, -1])
    separate_low, separate_high = day_bootstrap([(treat, days), (ctrl, days + 1000)], n_boot=1000, seed=0).interval(
        [1, -1]
    )
    assert (high - low) < 0.6 * (separate_high - separate_low)
    assert boot.observed[0] - boot.observed[1] == pytest.approx(treat.mean() - ctrl.mean())
    assert boot.n_days.tolist() == [40, 40]
    assert 0 <= boot.p_value([1, -1]) <= 1


def test_impact_measure_uses_days_when_given():
    rng = np.random.default_rng(3)
    before, before_day = _window(rng, 0, 25, 6, 0.6)
    after, after_day = _window(rng, 25, 25, 6, 0.6, shift=0.8)
    result = measure(
        ImpactInput(
            before=before,
            after=after,
            after_days=25,
            typical_risk=100.0,
            before_day=before_day,
            after_day=after_day,
        ),
        n_boot=500,
    )
    assert result.details["inference"] == {"method": "bootstrap over days", "days_before": 25, "days_after": 25}
    assert result.ci_low < result.effect < result.ci_high
    assert result.ci_low > 0  # a real +0.8R shift is still found
    assert "p_welch_trades" in result.details
    assert result.roi_ci_low == pytest.approx(result.ci_low * (len(after) / (25 / (365.25 / 12))) * 100.0)
    # without days: the trade bootstrap, and it says so
    plain = measure(ImpactInput(before=before, after=after, after_days=25), n_boot=500)
    assert plain.details["inference"]["method"].startswith("bootstrap over trades")


def test_ab_with_days_reports_day_aware_interval_and_did():
    rng = np.random.default_rng(4)
    days = np.repeat(np.arange(30), 8)
    pre_days = days - 100
    shock = rng.normal(0, 0.6, 30)[days]
    pre_shock = rng.normal(0, 0.6, 30)[days]
    out = compare_groups(
        treatment=0.5 + shock + rng.standard_t(5, len(days)),
        control=shock + rng.standard_t(5, len(days)),
        treatment_pre=pre_shock + rng.standard_t(5, len(days)),
        control_pre=pre_shock + rng.standard_t(5, len(days)),
        binary=False,
        min_sample=30,
        n_boot=500,
        days={"treatment": days, "control": days, "treatment_pre": pre_days, "control_pre": pre_days},
    )
    assert out["inference"]["method"] == "bootstrap over days"
    assert out["inference"]["days_treatment"] == 30
    assert out["ci_low"] < out["difference"] < out["ci_high"]
    assert out["did"]["ci_low"] < out["did"]["effect"] < out["did"]["ci_high"]
    assert out["significant"] == (out["p_value"] < 0.05 and (out["ci_low"] > 0 or out["ci_high"] < 0))
