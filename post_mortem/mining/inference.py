"""Dependence-aware estimates: within-day regression with day-clustered errors, and days as units.

Trades of one market day share the tape: a choppy day makes every trade of that day worse, and a
loss early in a bad day is followed by more trades in the same bad market. Comparing a segment's
trades with "the rest" across days then mistakes the day for the behavior. Two estimators fix it:

- `fit_within_day`: a joint least-squares regression of R on segment indicators with day fixed
  effects (every trade compared with trades of the same day, so a day shock cancels), all
  factors estimated together (after-loss trades are also later trades of the day: the overlap is
  separated), with cluster-robust (by day) covariance and G - 1 degrees of freedom. Indicators are
  sparse; the within transformation is applied to the small cross-product matrices only
  (Frisch-Waugh-Lovell), so 1M trades cost a few sparse products, never an n x p dense matrix.
- `compare_day_groups`: day-level factors (weekday, anything constant within a day) cannot be
  compared within a day; each day is one observation (its estimated day effect) and groups of days
  are compared with Welch's t on the days.

Pure numpy/scipy (no statsmodels): the estimator is the textbook CR1 sandwich
(Cameron & Miller 2015), small enough to own and test against a brute-force dense computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy import stats as sps


@dataclass(slots=True)
class WithinDayFit:
    """Coefficients (per indicator column), their day-clustered covariance, and the day effects."""

    beta: np.ndarray
    cov: np.ndarray
    df: int  # clusters - 1
    n_days: int
    day_effect: np.ndarray  # per day (in `day_codes` order): mean R of the day net of the factors
    day_trades: np.ndarray  # trades per day
    estimable: np.ndarray  # bool per column: it varies within at least one day and is not collinear
    # What `added_column_effect` needs to add one more column without refitting.
    x: sparse.csc_matrix | None = None
    xtd: np.ndarray | None = None
    bread_inv: np.ndarray | None = None
    resid: np.ndarray | None = None
    day: np.ndarray | None = None


def day_codes(local_day: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense day index per trade (0..G-1) and G."""
    uniq, inverse = np.unique(np.asarray(local_day, dtype=np.int64), return_inverse=True)
    return inverse.astype(np.int64), len(uniq)


def indicator_matrix(columns: list[np.ndarray], n: int) -> sparse.csc_matrix:
    """Sparse n x p 0/1 matrix from the row positions of each column."""
    if not columns:
        return sparse.csc_matrix((n, 0))
    lengths = np.array([len(c) for c in columns], dtype=np.int64)
    indptr = np.r_[0, np.cumsum(lengths)]
    indices = np.concatenate(columns).astype(np.int64) if lengths.sum() else np.zeros(0, dtype=np.int64)
    data = np.ones(len(indices))
    return sparse.csc_matrix((data, indices, indptr), shape=(n, len(columns)))


def fit_within_day(y: np.ndarray, columns: list[np.ndarray], day: np.ndarray, n_days: int) -> WithinDayFit:
    """OLS of y on 0/1 indicator columns (each given by its row positions) with day fixed effects;
    CR1 covariance clustered by day.

    Columns without within-day variation (or collinear with others) get NaN coefficients and are
    left out of the fit; `estimable` says which. Why clustered by day: residuals of one day share
    whatever the day fixed effect did not absorb (serial dependence inside the day).
    """
    y = np.asarray(y, dtype=float)
    n, p = len(y), len(columns)
    x = indicator_matrix(columns, n)
    counts = np.bincount(day, minlength=n_days).astype(float)
    safe = np.where(counts > 0, counts, 1.0)
    # Per-column sums over each day's trades (X'D, p x G) by bincount: cheaper than a sparse product.
    xtd = np.array([np.bincount(day[rows], minlength=n_days) for rows in columns], dtype=float).reshape(p, n_days)
    sum_y = np.bincount(day, weights=y, minlength=n_days)
    xtx = np.asarray((x.T @ x).todense()) - (xtd / safe) @ xtd.T
    xty = np.array([y[rows].sum() for rows in columns]) - xtd @ (sum_y / safe)

    estimable = _estimable_columns(xtx)
    beta = np.full(p, np.nan)
    cov = np.full((p, p), np.nan)
    keep = np.flatnonzero(estimable)
    bread_inv = np.zeros((0, 0))
    resid = y - sum_y[day] / safe[day]
    if len(keep):
        bread = xtx[np.ix_(keep, keep)]
        bread_inv = np.linalg.inv(bread)
        b = bread_inv @ xty[keep]
        beta[keep] = b
        xb = x[:, keep] @ b
        fitted_day_part = np.bincount(day, weights=xb, minlength=n_days) / safe
        resid = resid - (xb - fitted_day_part[day])
        scores = np.array([np.bincount(day[columns[j]], weights=resid[columns[j]], minlength=n_days) for j in keep])
        meat = scores @ scores.T
        g = max(int((counts > 0).sum()), 2)
        correction = g / (g - 1) * (n - 1) / max(n - len(keep), 1)
        cov[np.ix_(keep, keep)] = correction * bread_inv @ meat @ bread_inv
    day_effect = sum_y / safe - fitted_day_part_from(xtd, beta, safe, keep)
    return WithinDayFit(
        beta=beta,
        cov=cov,
        df=max(int((counts > 0).sum()) - 1, 1),
        n_days=int((counts > 0).sum()),
        day_effect=day_effect,
        day_trades=counts,
        estimable=estimable,
        x=x[:, keep],
        xtd=xtd[keep],
        bread_inv=bread_inv,
        resid=resid,
        day=day,
    )


def day_effects(y: np.ndarray, columns: list[np.ndarray], day: np.ndarray, n_days: int, beta: np.ndarray) -> np.ndarray:
    """Each day's mean of y net of the fitted columns (columns without a coefficient count as 0):
    the observation a day-level comparison uses for that day."""
    counts = np.bincount(day, minlength=n_days).astype(float)
    safe = np.where(counts > 0, counts, 1.0)
    out = np.bincount(day, weights=np.asarray(y, dtype=float), minlength=n_days)
    for j, rows in enumerate(columns):
        if j < len(beta) and np.isfinite(beta[j]):
            out -= beta[j] * np.bincount(day[rows], minlength=n_days)
    return out / safe


def added_column_effect(fit: WithinDayFit, rows: np.ndarray) -> tuple[float, float]:
    """Coefficient and day-clustered SE of one more 0/1 column added to a fitted model, by
    Frisch-Waugh-Lovell: the column is residualised on the day effects and the fitted columns,
    and regressed on the model's residuals. Equal to refitting with the column, at the cost of a
    sparse product. NaN when nothing of the column is left (it restates the fitted columns).
    """
    day, resid = fit.day, fit.resid
    n = len(resid)
    n_days = len(fit.day_trades)
    safe = np.where(fit.day_trades > 0, fit.day_trades, 1.0)
    c = np.zeros(n)
    c[rows] = 1.0
    c_day = np.bincount(day[rows], minlength=n_days)
    c_within = c - (c_day / safe)[day]
    if fit.x is not None and fit.x.shape[1]:
        xtc = np.asarray(fit.x[rows].sum(axis=0)).ravel() - fit.xtd @ (c_day / safe)
        gamma = fit.bread_inv @ xtc
        xg = fit.x @ gamma
        c_within = c_within - (xg - (np.bincount(day, weights=xg, minlength=n_days) / safe)[day])
    ss = float(c_within @ c_within)
    if ss <= 1e-6 * max(len(rows), 1):
        return float("nan"), float("nan")
    beta = float(c_within @ resid) / ss
    e = resid - beta * c_within
    scores = np.bincount(day, weights=c_within * e, minlength=n_days)
    g = max(int((fit.day_trades > 0).sum()), 2)
    k = (fit.x.shape[1] if fit.x is not None else 0) + 1
    correction = g / (g - 1) * (n - 1) / max(n - k, 1)
    var = correction * float(scores @ scores) / ss**2
    return beta, float(np.sqrt(var)) if var > 0 else float("nan")


def fitted_day_part_from(xtd: np.ndarray, beta: np.ndarray, safe: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Mean of x'beta over each day's trades (the part of the day's mean R the factors explain)."""
    if not len(keep):
        return np.zeros(len(safe))
    return (xtd[keep].T @ beta[keep]) / safe


def _estimable_columns(xtx: np.ndarray) -> np.ndarray:
    """Columns with within-day variation, dropping later columns that are (near) linear combinations
    of earlier ones: Gram-Schmidt on the within cross-product matrix (a column whose residual
    variance is below 1e-6 of its own is not estimable)."""
    p = len(xtx)
    keep = np.zeros(p, dtype=bool)
    if p == 0:
        return keep
    diag = np.diag(xtx).copy()
    scale = max(1.0, float(diag.max()))
    # Cholesky rows of the kept columns, built incrementally: L L' = xtx[kept, kept].
    chol = np.zeros((p, p))
    kept: list[int] = []
    for j in range(p):
        if diag[j] <= 1e-9 * scale:
            continue
        if kept:
            lk = chol[: len(kept), : len(kept)]
            v = np.linalg.solve(lk, xtx[kept, j]) if len(kept) else np.zeros(0)
            residual = diag[j] - v @ v
        else:
            v = np.zeros(0)
            residual = diag[j]
        if residual <= 1e-6 * diag[j]:
            continue
        m = len(kept)
        chol[m, :m] = v
        chol[m, m] = np.sqrt(residual)
        kept.append(j)
    keep[kept] = True
    return keep


def contrast(fit: WithinDayFit, weights: np.ndarray) -> tuple[float, float]:
    """Estimate and standard error of weights . beta (NaN when a used column is not estimable)."""
    used = weights != 0
    if not used.any() or not fit.estimable[used].all():
        return float("nan"), float("nan")
    w = weights[used]
    est = float(w @ fit.beta[used])
    var = float(w @ fit.cov[np.ix_(used, used)] @ w)
    return est, float(np.sqrt(var)) if var > 0 else float("nan")


def t_intervals(
    estimates: np.ndarray, ses: np.ndarray, dfs: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ci_low, ci_high, two-sided p) of estimates with t(df) sampling distributions (vectorised:
    scipy's per-call overhead is a millisecond). NaN where the estimate or its SE is unknown."""
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(ses, dtype=float)
    df = np.asarray(dfs, dtype=float)
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0) & np.isfinite(df) & (df >= 1)
    low = np.full(len(est), np.nan)
    high = np.full(len(est), np.nan)
    p = np.full(len(est), np.nan)
    if ok.any():
        half = sps.t.ppf(0.5 + confidence / 2, df[ok]) * se[ok]
        low[ok] = est[ok] - half
        high[ok] = est[ok] + half
        p[ok] = 2 * sps.t.sf(np.abs(est[ok]) / se[ok], df[ok])
    return low, high, p


@dataclass(slots=True)
class DayGroupComparison:
    effect: float  # mean over the group's days minus mean over the reference days
    se: float
    df: float
    n_days: int
    n_days_ref: int


def compare_day_groups(values: np.ndarray, in_group: np.ndarray, in_ref: np.ndarray) -> DayGroupComparison:
    """Welch's t on day-level values: days are the unit (n = number of days, not trades)."""
    a = np.asarray(values, dtype=float)[in_group]
    b = np.asarray(values, dtype=float)[in_ref]
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return DayGroupComparison(float("nan"), float("nan"), float("nan"), na, nb)
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    se = float(np.sqrt(va + vb))
    df = float((va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))) if se > 0 else float("nan")
    return DayGroupComparison(float(a.mean() - b.mean()), se, df, na, nb)


def typical_levels(estimates: np.ndarray, weights: np.ndarray) -> list[int]:
    """Indices of a factor's typical levels: the one holding the weighted median of the level
    estimates, and every level whose share of the weight is centred in the middle half (its
    cumulative-weight midpoint between 25% and 75%, ordered by estimate).

    Why not "the rest": with one bad value in the rest, every other value looks like a strength
    (a mirror image of the bad one). The middle of the distribution is unmoved by one or two
    extreme values, and pooling the middle levels keeps the comparison's variance low.
    """
    est = np.asarray(estimates, dtype=float)
    w = np.asarray(weights, dtype=float)
    if not len(est):
        return []
    order = np.argsort(est, kind="stable")
    cum = np.cumsum(w[order])
    total = cum[-1]
    median = int(order[min(int(np.searchsorted(cum, total / 2, side="right")), len(order) - 1)])
    mid = (cum - w[order] / 2) / total
    central = {int(k) for k, m in zip(order, mid, strict=True) if 0.25 <= m <= 0.75}
    return sorted(central | {median})
