"""The within-day estimator against a brute-force dense computation, the significance rule, and
segments holding the same trades folded into one finding."""

from __future__ import annotations

import numpy as np
import pytest

from post_mortem.mining import inference
from post_mortem.mining.miner import mine
from post_mortem.mining.segments import AnalysisColumns
from post_mortem.mining.significance import is_significant, not_significant_reasons
from post_mortem.mining.synthetic import DEMO_EFFECTS, synthetic_frame


def _dense_reference(y, columns, day, n_days):
    """OLS with explicit day dummies and a hand-written CR1 sandwich (the textbook formula)."""
    n = len(y)
    x = np.zeros((n, len(columns)))
    for j, rows in enumerate(columns):
        x[rows, j] = 1.0
    d = np.zeros((n, n_days))
    d[np.arange(n), day] = 1.0
    full = np.hstack([x, d])
    coef, *_ = np.linalg.lstsq(full, y, rcond=None)
    resid = y - full @ coef
    # FWL: the sandwich on the within-transformed regressors
    xw = x - d @ np.linalg.lstsq(d, x, rcond=None)[0]
    bread = np.linalg.inv(xw.T @ xw)
    meat = np.zeros((x.shape[1], x.shape[1]))
    for g in range(n_days):
        s = xw[day == g].T @ resid[day == g]
        meat += np.outer(s, s)
    k = x.shape[1]
    c = n_days / (n_days - 1) * (n - 1) / (n - k)
    return coef[:k], c * bread @ meat @ bread


def test_within_day_fit_matches_dense_ols_with_day_dummies_and_cluster_sandwich():
    rng = np.random.default_rng(3)
    n, n_days = 600, 40
    day = rng.integers(0, n_days, n)
    a = rng.random(n) < 0.3
    b = rng.random(n) < 0.5
    y = 0.4 * a - 0.2 * b + rng.normal(0, 0.7, n_days)[day] + rng.standard_t(5, n)
    columns = [np.flatnonzero(a), np.flatnonzero(b)]
    fit = inference.fit_within_day(y, columns, day, n_days)
    beta, cov = _dense_reference(y, columns, day, n_days)
    assert fit.beta == pytest.approx(beta, rel=1e-8)
    assert fit.cov == pytest.approx(cov, rel=1e-6)
    assert fit.df == n_days - 1
    # the day effects are what is left of each day's mean R
    assert fit.day_effect[5] == pytest.approx(
        y[day == 5].mean() - (beta[0] * a[day == 5] + beta[1] * b[day == 5]).mean()
    )


def test_day_shock_cancels_within_days():
    rng = np.random.default_rng(4)
    n, n_days = 3000, 100
    day = rng.integers(0, n_days, n)
    shock = rng.normal(0, 2.0, n_days)
    # the segment is more common on bad days: a naive difference blames it for the day
    seg = rng.random(n) < np.where(shock[day] < 0, 0.6, 0.1)
    y = shock[day] + rng.normal(0, 1, n)
    naive = y[seg].mean() - y[~seg].mean()
    fit = inference.fit_within_day(y, [np.flatnonzero(seg)], day, n_days)
    low, high, p = inference.t_intervals(fit.beta, np.sqrt(np.diag(fit.cov)), np.array([fit.df]))
    assert naive < -1.0
    assert low[0] < 0 < high[0] and p[0] > 0.01


def test_collinear_and_constant_columns_are_not_estimable():
    rng = np.random.default_rng(5)
    n, n_days = 400, 20
    day = rng.integers(0, n_days, n)
    a = np.flatnonzero(rng.random(n) < 0.4)
    per_day = np.flatnonzero(day < 10)  # constant within each day: absorbed by the day effect
    fit = inference.fit_within_day(rng.normal(size=n), [a, a.copy(), per_day], day, n_days)
    assert fit.estimable.tolist() == [True, False, False]
    assert np.isfinite(fit.beta[0]) and np.isnan(fit.beta[1]) and np.isnan(fit.beta[2])
    assert np.isnan(inference.contrast(fit, np.array([0.0, 1.0, 0.0]))[0])


def test_typical_levels_ignore_one_bad_value():
    # five weekdays, Monday bad: the typical ones are the middle of the others, never Monday
    estimates = np.array([-0.5, 0.02, -0.01, 0.03, 0.0])
    typical = inference.typical_levels(estimates, np.ones(5))
    assert 0 not in typical and len(typical) >= 2
    # two levels: the one holding the median of the weight
    assert inference.typical_levels(np.array([-0.3, 0.0]), np.array([300.0, 700.0])) == [1]


def test_significance_rule_needs_q_interval_and_size():
    ok = {"q_value": 0.001, "ci_low": -0.5, "ci_high": -0.2, "effect": -0.35, "alpha": 0.05, "min_effect": 0.15}
    assert is_significant(**ok)
    assert not is_significant(**{**ok, "q_value": 0.06})
    assert not is_significant(**{**ok, "ci_low": -0.5, "ci_high": 0.01})  # the DESK-BRAVO case
    small = {**ok, "effect": 0.09, "ci_low": 0.01, "ci_high": 0.17}  # "hour 10 +0.09R"
    assert not is_significant(**small)
    assert "minimum practical size" in not_significant_reasons(**small)[0]
    assert not is_significant(**{**ok, "q_value": float("nan")})
    reasons = not_significant_reasons(**{**ok, "q_value": 0.2, "ci_low": -0.1, "ci_high": 0.3, "effect": 0.1})
    assert len(reasons) == 3


def test_every_significant_pattern_obeys_the_rule():
    frame, context = synthetic_frame(4000, seed=8, effects=DEMO_EFFECTS)
    result = mine(frame, context, min_effect=0.2)
    assert result.significant
    for s in result.segments:
        assert s.significant == (s.q_value < 0.05 and not (s.ci_low <= 0 <= s.ci_high) and abs(s.effect) >= 0.2)
        assert s.significant == (not s.reasons)


def test_segments_with_the_same_trades_are_one_finding():
    frame, context = synthetic_frame(4000, seed=12, effects=DEMO_EFFECTS)
    after = np.asarray(context.after_loss, dtype=bool)
    # a post-mortem code on (almost) exactly the after-loss trades, as the rules engine writes it
    rng = np.random.default_rng(0)
    codes = np.empty(len(frame), dtype=object)
    codes[:] = [["after_loss_reentry"] if a and rng.random() < 0.97 else ["planned_entry"] for a in after]
    analyses = AnalysisColumns.empty(len(frame))
    analyses.primary_factors = codes
    result = mine(frame, context, analyses=analyses)
    keys = {(s.factor, s.segment) for s in result.segments}
    assert ("after_loss", "true") in keys
    assert ("primary_factor", "after_loss_reentry") not in keys  # folded, not a second finding
    shown = next(s for s in result.segments if (s.factor, s.segment) == ("after_loss", "true"))
    assert shown.significant
    assert shown.same_trades_as[0]["factor"] == "primary_factor"
    assert shown.same_trades_as[0]["segment"] == "after_loss_reentry"
    assert shown.same_trades_as[0]["overlap"] >= 0.8
    assert result.grouped >= 1
    # with a stricter threshold they stay apart (the threshold is a parameter, documented)
    apart = mine(frame, context, analyses=analyses, overlap_threshold=0.99)
    assert ("primary_factor", "after_loss_reentry") in {(s.factor, s.segment) for s in apart.segments}


def test_new_trades_count_each_trade_once_in_plan_order():
    frame, context = synthetic_frame(5000, seed=14, effects=DEMO_EFFECTS)
    result = mine(frame, context)
    weak = sorted((s for s in result.significant if s.effect < 0), key=lambda s: (s.dollars_at_stake, s.q_value))
    assert len(weak) >= 3
    union = set()
    for s in weak:
        union |= set(s.trade_ids.tolist())
    assert sum(s.new_trades for s in weak) == len(union)
    assert weak[0].new_trades == weak[0].n
    assert sum(s.dollars_new for s in weak) == pytest.approx(
        sum(s.effect * s.new_trades for s in weak) * result.typical_risk
    )


def test_added_column_equals_refitting_with_it():
    rng = np.random.default_rng(6)
    n, n_days = 800, 50
    day = rng.integers(0, n_days, n)
    a = np.flatnonzero(rng.random(n) < 0.3)
    b = np.flatnonzero(rng.random(n) < 0.4)
    c = np.flatnonzero(rng.random(n) < 0.2)
    y = rng.normal(0, 0.6, n_days)[day] + rng.standard_t(5, n)
    y[c] -= 0.5
    fit = inference.fit_within_day(y, [a, b], day, n_days)
    est, se = inference.added_column_effect(fit, c)
    full = inference.fit_within_day(y, [a, b, c], day, n_days)
    assert est == pytest.approx(full.beta[2], rel=1e-8)
    assert se == pytest.approx(np.sqrt(full.cov[2, 2]), rel=1e-6)
    # a column the model already holds has nothing left to estimate
    assert np.isnan(inference.added_column_effect(fit, a)[0])


def test_quiet_desk_gets_no_within_day_verdicts_instead_of_biased_ones():
    """One account, about one trade a day: a "day" holds the losing trade that triggered an
    after-loss or streak segment, so within-day comparisons would flatter those segments by most
    of a loss. The miner says why it does not compare within days, and reports no mirror pair."""
    frame, context = synthetic_frame(800, seed=2, accounts=1, trades_per_account_day=1, effects=DEMO_EFFECTS)
    result = mine(frame, context)
    assert result.significant == []
    assert "too few to compare within days" in result.skipped_factors["loss_streak"]
    assert "too few to compare within days" in result.skipped_factors["setup"]
    assert all(s.comparison == "days" for s in result.segments)  # what is left uses days as the unit
