"""Actual vs replayed: summary figures, equity curves, and the difference with a day bootstrap.

Trades of one day share the market and the trader's state, and days of one week share a regime,
so the unit of resampling is a block of days: the calendar week (Monday-Sunday, desk-local)
when the selection spans at least MIN_WEEKS weeks, else the day; never the single trade. The difference
in expectancy is replayed mean R minus actual mean R over the same resampled days (a paired
comparison). With tens of days a percentile interval is too narrow (it over-reports significance
on data with no effect), so the interval and the two-sided p-value use the bootstrap standard
error with a small-sample correction and Student's t on (blocks - 1) degrees of freedom: a t-test
with the day as the unit, measured to keep false "significant" replays under 5%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

ALPHA = 0.05
DAYS_PER_MONTH = 365.25 / 12
MAX_CURVE_POINTS = 400
MIN_WEEKS = 6


@dataclass(slots=True)
class Outcomes:
    """One side (actual or replayed), per trade, aligned with the selection."""

    kept: np.ndarray
    pnl: np.ndarray
    r: np.ndarray


def summary(side: Outcomes, exit_order: np.ndarray) -> dict[str, float | int | None]:
    """Trades kept, net P&L, expectancy (mean R of trades with R), win rate, max drawdown (money)."""
    kept = side.kept
    pnl = side.pnl[kept]
    r = side.r[kept]
    r = r[~np.isnan(r)]
    curve = np.cumsum(side.pnl[exit_order] * side.kept[exit_order])
    peak = np.maximum.accumulate(np.r_[0.0, curve])
    drawdown = float(np.max(peak - np.r_[0.0, curve])) if len(curve) else 0.0
    return {
        "trades": int(kept.sum()),
        "net_pnl": round(float(pnl.sum()), 2),
        "expectancy_r": round(float(r.mean()), 4) if len(r) else None,
        "win_rate": round(float((pnl > 0).mean()), 4) if len(pnl) else None,
        "max_drawdown": round(drawdown, 2),
    }


def equity_curves(actual: Outcomes, what_if: Outcomes, exit_day: np.ndarray) -> dict[str, list]:
    """Cumulative P&L of both sides at the end of each desk-local day (at most MAX_CURVE_POINTS)."""
    days, inverse = np.unique(exit_day, return_inverse=True)
    a = np.cumsum(np.bincount(inverse, weights=actual.pnl * actual.kept, minlength=len(days)))
    w = np.cumsum(np.bincount(inverse, weights=what_if.pnl * what_if.kept, minlength=len(days)))
    pick = np.unique(np.linspace(0, len(days) - 1, min(len(days), MAX_CURVE_POINTS)).astype(int)) if len(days) else []
    return {
        "day": [int(d) for d in days[pick]],
        "actual": [round(float(v), 2) for v in a[pick]],
        "what_if": [round(float(v), 2) for v in w[pick]],
    }


def compare(
    actual: Outcomes,
    what_if: Outcomes,
    day: np.ndarray,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = ALPHA,
) -> dict[str, float | bool | None]:
    """Difference in expectancy (R) and in P&L per month, with block-bootstrap CIs and a p-value.

    `day` is the desk-local day number of each trade (days since 1970-01-01, a Thursday).
    """
    day = np.asarray(day, dtype=np.int64)
    span_blocks = float(day.max() - day.min()) + 1 if len(day) else 1.0
    months = max(span_blocks / DAYS_PER_MONTH, 1 / DAYS_PER_MONTH)
    week = (day + 3) // 7  # Monday-based weeks
    unit = "week" if len(np.unique(week)) >= MIN_WEEKS else "day"
    blocks, inverse = np.unique(week if unit == "week" else day, return_inverse=True)
    n_blocks = len(blocks)

    def per_day(side: Outcomes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with_r = side.kept & ~np.isnan(side.r)
        sum_r = np.bincount(inverse, weights=np.where(with_r, side.r, 0.0), minlength=n_blocks)
        count_r = np.bincount(inverse, weights=with_r.astype(float), minlength=n_blocks)
        pnl = np.bincount(inverse, weights=np.where(side.kept, side.pnl, 0.0), minlength=n_blocks)
        return sum_r, count_r, pnl

    a_sum, a_n, a_pnl = per_day(actual)
    w_sum, w_n, w_pnl = per_day(what_if)
    empty = {
        "expectancy_r": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "net_pnl_per_month": None,
        "net_pnl_per_month_ci_low": None,
        "net_pnl_per_month_ci_high": None,
        "significant": False,
        "resampled": unit,
        "blocks": int(n_blocks),
        "n_boot": n_boot,
    }
    if n_blocks < 2 or a_n.sum() == 0 or w_n.sum() == 0:
        return empty
    diff = w_sum.sum() / w_n.sum() - a_sum.sum() / a_n.sum()
    pnl_month = (w_pnl.sum() - a_pnl.sum()) / months
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n_blocks, np.full(n_blocks, 1.0 / n_blocks), size=n_boot).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = (weights @ w_sum) / (weights @ w_n) - (weights @ a_sum) / (weights @ a_n)
    boot = boot[np.isfinite(boot)]
    boot_pnl = (weights @ (w_pnl - a_pnl)) / months
    inflate = np.sqrt(n_blocks / (n_blocks - 1))
    t_crit = float(sps.t.ppf(1 - alpha / 2, n_blocks - 1))
    # The larger of the bootstrap and the delete-one-block jackknife errors (the jackknife is the
    # steadier of the two for a ratio of sums over few blocks).
    with np.errstate(invalid="ignore", divide="ignore"):
        jack = (w_sum.sum() - w_sum) / (w_n.sum() - w_n) - (a_sum.sum() - a_sum) / (a_n.sum() - a_n)
    jack = jack[np.isfinite(jack)]
    se_jack = float(np.sqrt((len(jack) - 1) / len(jack) * np.sum((jack - jack.mean()) ** 2))) if len(jack) > 1 else 0.0
    se = max(float(np.std(boot, ddof=1)) * inflate, se_jack)
    se_pnl = float(np.std(boot_pnl, ddof=1)) * inflate
    low, high = diff - t_crit * se, diff + t_crit * se
    pnl_low, pnl_high = pnl_month - t_crit * se_pnl, pnl_month + t_crit * se_pnl
    p_value = float(2 * sps.t.sf(abs(diff) / se, n_blocks - 1)) if se > 0 else float(diff == 0)
    # Significant only when the t-interval and the plain percentile interval both exclude zero.
    p_low, p_high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    significant = bool(p_value < alpha and (low > 0 or high < 0) and (p_low > 0 or p_high < 0))
    return {
        "expectancy_r": round(float(diff), 4),
        "ci_low": round(float(low), 4),
        "ci_high": round(float(high), 4),
        "p_value": round(p_value, 4),
        "net_pnl_per_month": round(float(pnl_month), 2),
        "net_pnl_per_month_ci_low": round(float(pnl_low), 2),
        "net_pnl_per_month_ci_high": round(float(pnl_high), 2),
        "significant": significant,
        "resampled": unit,
        "blocks": int(n_blocks),
        "n_boot": n_boot,
    }
