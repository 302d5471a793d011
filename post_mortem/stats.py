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
