"""The vectorised tests equal scipy's on the same splits (rank once vs. re-rank per split)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from post_mortem.mining import fast_stats


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mannwhitney_and_welch_match_scipy(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_t(4, 600), 1)  # rounding makes ties, so the tie correction matters
    codes = rng.integers(0, 5, len(x))
    ranks, tie = fast_stats.rank_with_ties(x)
    rank_sum = np.bincount(codes, weights=ranks, minlength=5)
    n1 = np.bincount(codes, minlength=5)
    p = fast_stats.mannwhitney_p(rank_sum, n1, len(x), tie)
    s = np.bincount(codes, weights=x, minlength=5)
    ss = np.bincount(codes, weights=x**2, minlength=5)
    pw = fast_stats.welch_p(s, ss, n1, x.sum() - s, (x**2).sum() - ss, len(x) - n1)
    for k in range(5):
        a, b = x[codes == k], x[codes != k]
        expected = sps.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic").pvalue
        assert p[k] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert pw[k] == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-7)


def test_degenerate_inputs_do_not_crash():
    ranks, tie = fast_stats.rank_with_ties(np.ones(10))
    p = fast_stats.mannwhitney_p(np.array([ranks[:5].sum()]), np.array([5]), 10, tie)
    assert p[0] == 1.0
    pw = fast_stats.welch_p(np.array([5.0]), np.array([5.0]), np.array([5]), np.array([5.0]), np.array([5.0]), [5])
    assert pw[0] == 1.0


def test_bootstrap_ci_covers_the_true_difference_and_is_seeded():
    rng = np.random.default_rng(3)
    a = rng.normal(-0.5, 1.0, 200)
    b = rng.normal(0.0, 1.0, 5000)  # large group: normal limit path
    ci = fast_stats.bootstrap_diff_ci(a, b, n_boot=2000, rng=np.random.default_rng(1))
    assert ci == fast_stats.bootstrap_diff_ci(a, b, n_boot=2000, rng=np.random.default_rng(1))
    assert ci[0] < a.mean() - b.mean() < ci[1]
    se = np.sqrt(a.var(ddof=1) / 200 + b.var(ddof=1) / 5000)
    assert ci[1] - ci[0] == pytest.approx(2 * 1.96 * se, rel=0.1)


def test_bootstrap_coverage_is_about_95_percent():
    rng = np.random.default_rng(11)
    hits = 0
    trials = 300
    for _ in range(trials):
        a = rng.standard_t(5, 60) - 0.3
        b = rng.standard_t(5, 1500)
        low, high = fast_stats.bootstrap_diff_ci(a, b, n_boot=800, rng=rng)
        hits += low < -0.3 < high
    assert 0.89 <= hits / trials <= 0.99


@pytest.mark.parametrize(
    "table",
    [(3, 10, 7, 10), (0, 30, 15, 40), (30, 30, 0, 30), (120, 400, 2100, 6000), (5, 31, 5, 31), (1, 1, 0, 1)],
)
def test_fisher_matches_scipy(table):
    wa, na, wb, nb = table
    expected = sps.fisher_exact([[wa, na - wa], [wb, nb - wb]]).pvalue
    assert fast_stats.fisher_p(wa, na, wb, nb) == pytest.approx(expected, rel=1e-6, abs=1e-300)
