"""Statistics shared by pattern mining, impact measurement and A/B experiments.

Vectorised with numpy so hundreds of comparisons over 100k trades stay fast; scipy supplies the
distributions. Every comparison reports an effect with an interval, never a p-value alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps


def benjamini_hochberg(p_values: np.ndarray | list[float]) -> np.ndarray:
    """BH-adjusted q-values (monotone, capped at 1), in the input order. NaNs stay NaN."""
    p = np.asarray(p_values, dtype=float)
    q = np.full_like(p, np.nan)
    mask = ~np.isnan(p)
    m = int(mask.sum())
    if m == 0:
        return q
    pv = p[mask]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[mask] = out
    return q


def bootstrap_mean_diff_ci(
    a: np.ndarray,
    b: np.ndarray,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of mean(a) - mean(b), resampling each group independently.

    Seeded so the same data always gives the same interval (results are stored and compared).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    mean_a = _bootstrap_means(a, n_boot, rng)
    mean_b = _bootstrap_means(b, n_boot, rng)
    diffs = mean_a - mean_b
    alpha = (1 - confidence) / 2
    low, high = np.quantile(diffs, [alpha, 1 - alpha])
    return float(low), float(high)


def bootstrap_mean_ci(
    a: np.ndarray, *, n_boot: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    a = np.asarray(a, dtype=float)
    if len(a) == 0:
        return (float("nan"), float("nan"))
    means = _bootstrap_means(a, n_boot, np.random.default_rng(seed))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def _bootstrap_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of n_boot resamples, in blocks so memory stays bounded for large groups."""
    n = len(values)
    out = np.empty(n_boot)
    block = max(1, min(n_boot, 2_000_000 // max(n, 1)))
    for start in range(0, n_boot, block):
        stop = min(n_boot, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = values[idx].mean(axis=1)
    return out


@dataclass(frozen=True, slots=True)
class TwoSampleResult:
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    p_welch: float
    p_mannwhitney: float


def compare_means(a: np.ndarray, b: np.ndarray, *, n_boot: int = 2000, seed: int = 0) -> TwoSampleResult:
    """Difference of means a - b with a bootstrap CI, Welch's t-test and Mann-Whitney U."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ci_low, ci_high = bootstrap_mean_diff_ci(a, b, n_boot=n_boot, seed=seed)
    p_welch = p_mw = float("nan")
    if len(a) >= 2 and len(b) >= 2:
        if np.ptp(a) > 0 or np.ptp(b) > 0:
            p_welch = float(sps.ttest_ind(a, b, equal_var=False).pvalue)
        else:
            p_welch = 1.0 if a[0] == b[0] else 0.0
        p_mw = float(sps.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    return TwoSampleResult(
        n_a=len(a),
        n_b=len(b),
        mean_a=float(a.mean()) if len(a) else float("nan"),
        mean_b=float(b.mean()) if len(b) else float("nan"),
        diff=float(a.mean() - b.mean()) if len(a) and len(b) else float("nan"),
        ci_low=ci_low,
        ci_high=ci_high,
        p_welch=p_welch,
        p_mannwhitney=p_mw,
    )


def fisher_exact_p(wins_a: int, n_a: int, wins_b: int, n_b: int) -> float:
    """Two-sided Fisher exact test on win counts of two groups."""
    table = [[wins_a, n_a - wins_a], [wins_b, n_b - wins_b]]
    return float(sps.fisher_exact(table).pvalue)


# --- dependence-aware (day) bootstrap -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayBootstrap:
    """Bootstrap over days: `means` is (n_boot x groups), each row one resample of whole days."""

    means: np.ndarray
    observed: np.ndarray  # each group's mean on the data
    n_days: np.ndarray  # distinct days per group

    def interval(self, weights: np.ndarray | list[float], confidence: float = 0.95) -> tuple[float, float]:
        """Percentile CI of a linear combination of the group means (e.g. [1, -1] for a difference)."""
        draws = self.means @ np.asarray(weights, dtype=float)
        draws = draws[np.isfinite(draws)]
        if not len(draws):
            return (float("nan"), float("nan"))
        alpha = (1 - confidence) / 2
        low, high = np.quantile(draws, [alpha, 1 - alpha])
        return float(low), float(high)

    def p_value(self, weights: np.ndarray | list[float]) -> float:
        """Two-sided p of 'the combination is zero': estimate / bootstrap SE against t with
        (fewest days among the groups used - 1) degrees of freedom."""
        w = np.asarray(weights, dtype=float)
        draws = self.means @ w
        draws = draws[np.isfinite(draws)]
        estimate = float(self.observed @ w)
        se = float(draws.std(ddof=1)) if len(draws) > 1 else float("nan")
        days = self.n_days[w != 0]
        df = float(days.min() - 1) if len(days) else float("nan")
        if not (np.isfinite(se) and se > 0 and df >= 1 and np.isfinite(estimate)):
            return float("nan")
        return float(2 * sps.t.sf(abs(estimate) / se, df))


def day_bootstrap(groups: list[tuple[np.ndarray, np.ndarray]], *, n_boot: int = 2000, seed: int = 0) -> DayBootstrap:
    """Resample whole days (clusters) to get the sampling distribution of several groups' means.

    Why: trades of one day share the market, so a few big days can fake a before/after or A/B
    difference that resampling single trades would call certain. Each group is (values, day);
    a day is drawn with all of its trades in every group, so groups trading on the same days
    (A/B arms) keep their shared day shock, and the difference cancels it as the design intends.
    Days are resampled within strata of "which groups traded that day" so every resample keeps
    the design's shape (a before/after pair always has before days and after days). Seeded:
    the same data gives the same interval. `day` can be any cluster label (account-day, week).
    """
    values = [np.asarray(v, dtype=float) for v, _ in groups]
    days = [np.asarray(d) for _, d in groups]
    k = len(groups)
    all_days = np.concatenate(days) if k else np.zeros(0)
    uniq, inverse = np.unique(all_days, return_inverse=True)
    g_days = len(uniq)
    sums = np.zeros((g_days, k))
    counts = np.zeros((g_days, k))
    start = 0
    for j in range(k):
        idx = inverse[start : start + len(values[j])]
        start += len(values[j])
        sums[:, j] = np.bincount(idx, weights=values[j], minlength=g_days)
        counts[:, j] = np.bincount(idx, minlength=g_days)
    observed = np.array([v.mean() if len(v) else np.nan for v in values])
    n_days = (counts > 0).sum(axis=0)
    rng = np.random.default_rng(seed)
    boot_sums = np.zeros((n_boot, k))
    boot_counts = np.zeros((n_boot, k))
    pattern = (counts > 0) @ (1 << np.arange(k))
    for stratum in np.unique(pattern):
        members = np.flatnonzero(pattern == stratum)
        m = len(members)
        block = max(1, min(n_boot, 2_000_000 // max(m, 1)))
        for b0 in range(0, n_boot, block):
            b1 = min(n_boot, b0 + block)
            pick = members[rng.integers(0, m, size=(b1 - b0, m))]
            boot_sums[b0:b1] += sums[pick].sum(axis=1)
            boot_counts[b0:b1] += counts[pick].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(boot_counts > 0, boot_sums / boot_counts, np.nan)
    return DayBootstrap(means=means, observed=observed, n_days=n_days)
