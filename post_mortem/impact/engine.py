"""Before/after impact of one recommendation, over plain arrays (no ORM).

The service gathers the R-multiples of the trades in scope before and after the implementation
date (and of trades outside the scope as a control); this module turns them into an effect with
a bootstrap CI, Welch and Mann-Whitney p-values, a difference-in-differences against the control,
the targeted segment's share and expectancy, and a dollar ROI per month. Kept pure so the
statistics can be tested on planted data in milliseconds.

With the trades' market days given (the service always gives them), the CIs and the p-value come
from a bootstrap over days (`stats.day_bootstrap`), not over trades: trades of one day share the
market, and a few big days can fake a before/after difference that a trade-level bootstrap would
call certain. The trade-level Welch p stays in `details` for reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..stats import bootstrap_mean_ci, compare_means, day_bootstrap

DAYS_PER_MONTH = 365.25 / 12
INSUFFICIENT_MESSAGE = "not enough data yet"


def _f(value: float | None) -> float | None:
    """JSON-safe float: NaN/inf become None so stored results and API output stay valid JSON."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def bootstrap_did_ci(
    treat_after: np.ndarray,
    treat_before: np.ndarray,
    ctrl_after: np.ndarray,
    ctrl_before: np.ndarray,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of (mean TA - mean TB) - (mean CA - mean CB), each group resampled alone."""
    groups = [np.asarray(g, dtype=float) for g in (treat_after, treat_before, ctrl_after, ctrl_before)]
    if any(len(g) == 0 for g in groups):
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = []
    for g in groups:
        n = len(g)
        out = np.empty(n_boot)
        block = max(1, min(n_boot, 2_000_000 // n))
        for start in range(0, n_boot, block):
            stop = min(n_boot, start + block)
            out[start:stop] = g[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
        means.append(out)
    did = (means[0] - means[1]) - (means[2] - means[3])
    alpha = (1 - confidence) / 2
    low, high = np.quantile(did, [alpha, 1 - alpha])
    return float(low), float(high)


@dataclass(slots=True)
class ImpactInput:
    """R-multiples (and optional masks) of one recommendation's windows."""

    before: np.ndarray
    after: np.ndarray
    after_days: float
    typical_risk: float | None = None  # dollars per 1R (median risk of trades in scope)
    segment_before: np.ndarray | None = None  # bool mask aligned with `before`
    segment_after: np.ndarray | None = None
    control_before: np.ndarray | None = None
    control_after: np.ndarray | None = None
    # Desk-local day of each trade, aligned with before/after/control_*: the bootstrap resamples days.
    before_day: np.ndarray | None = None
    after_day: np.ndarray | None = None
    control_before_day: np.ndarray | None = None
    control_after_day: np.ndarray | None = None


@dataclass(slots=True)
class ImpactResult:
    sufficient: bool
    message: str
    n_before: int
    n_after: int
    mean_before: float | None = None
    mean_after: float | None = None
    effect: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_mannwhitney: float | None = None
    did_effect: float | None = None
    did_ci_low: float | None = None
    did_ci_high: float | None = None
    trades_per_month_after: float | None = None
    roi_per_month: float | None = None
    roi_ci_low: float | None = None
    roi_ci_high: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ci_excludes_zero(self) -> bool:
        return self.ci_low is not None and self.ci_high is not None and (self.ci_low > 0 or self.ci_high < 0)


def _segment_details(values: np.ndarray, mask: np.ndarray | None) -> dict[str, Any]:
    if mask is None:
        return {}
    mask = np.asarray(mask, dtype=bool)
    n = len(values)
    seg = values[mask]
    return {
        "n": int(mask.sum()),
        "share": _f(mask.sum() / n) if n else None,
        "expectancy": _f(seg.mean()) if len(seg) else None,
    }


def measure(data: ImpactInput, *, min_sample: int = 30, n_boot: int = 2000, seed: int = 0) -> ImpactResult:
    """Effect of the change on expectancy (mean R per trade): after minus before, with CI and p-values.

    Below ``min_sample`` trades on either side the result is "not enough data yet" (no verdict):
    a handful of trades would make noise look like an effect.
    ROI = effect x trades per month after x typical dollar risk; its CI scales the effect's CI by the
    same factor (trade rate and risk are treated as known: they are observed counts, not estimates
    of the effect).
    """
    before = np.asarray(data.before, dtype=float)
    after = np.asarray(data.after, dtype=float)
    n_b, n_a = len(before), len(after)
    details: dict[str, Any] = {
        "segment": {
            "before": _segment_details(before, data.segment_before),
            "after": _segment_details(after, data.segment_after),
        }
        if data.segment_before is not None
        else None,
        "min_sample": min_sample,
        "typical_risk": _f(data.typical_risk),
    }
    trades_per_month = n_a / (data.after_days / DAYS_PER_MONTH) if data.after_days > 0 else None
    if n_b < min_sample or n_a < min_sample:
        return ImpactResult(
            sufficient=False,
            message=f"{INSUFFICIENT_MESSAGE} ({n_b} trades before, {n_a} after; need {min_sample} on each side)",
            n_before=n_b,
            n_after=n_a,
            mean_before=_f(before.mean()) if n_b else None,
            mean_after=_f(after.mean()) if n_a else None,
            trades_per_month_after=_f(trades_per_month),
            details=details,
        )
    cmp = compare_means(after, before, n_boot=n_boot, seed=seed)
    result = ImpactResult(
        sufficient=True,
        message="",
        n_before=n_b,
        n_after=n_a,
        mean_before=_f(cmp.mean_b),
        mean_after=_f(cmp.mean_a),
        effect=_f(cmp.diff),
        ci_low=_f(cmp.ci_low),
        ci_high=_f(cmp.ci_high),
        p_value=_f(cmp.p_welch),
        p_mannwhitney=_f(cmp.p_mannwhitney),
        trades_per_month_after=_f(trades_per_month),
        details=details,
    )
    if data.typical_risk and trades_per_month is not None and result.effect is not None:
        scale = trades_per_month * float(data.typical_risk)
        result.roi_per_month = _f(result.effect * scale)
        result.roi_ci_low = _f(result.ci_low * scale) if result.ci_low is not None else None
        result.roi_ci_high = _f(result.ci_high * scale) if result.ci_high is not None else None
    cb = None if data.control_before is None else np.asarray(data.control_before, dtype=float)
    ca = None if data.control_after is None else np.asarray(data.control_after, dtype=float)
    has_control = cb is not None and ca is not None and len(cb) >= 2 and len(ca) >= 2
    by_day = _by_day(data, after, before, ca if has_control else None, cb if has_control else None, n_boot, seed)
    if by_day is not None:
        details["p_welch_trades"] = result.p_value
        result.ci_low, result.ci_high = map(_f, by_day.interval([1, -1, 0, 0][: by_day.means.shape[1]]))
        result.p_value = _f(by_day.p_value([1, -1, 0, 0][: by_day.means.shape[1]]))
        details["inference"] = {
            "method": "bootstrap over days",
            "days_before": int(by_day.n_days[1]),
            "days_after": int(by_day.n_days[0]),
        }
        if result.roi_per_month is not None and data.typical_risk and trades_per_month is not None:
            scale = trades_per_month * float(data.typical_risk)
            result.roi_ci_low = _f(result.ci_low * scale) if result.ci_low is not None else None
            result.roi_ci_high = _f(result.ci_high * scale) if result.ci_high is not None else None
    else:
        details["inference"] = {"method": "bootstrap over trades (no market days given)"}
    if has_control:
        control_change = float(ca.mean() - cb.mean())
        if by_day is not None:
            low, high = by_day.interval([1, -1, -1, 1])
        else:
            low, high = bootstrap_did_ci(after, before, ca, cb, n_boot=n_boot, seed=seed + 1)
        result.did_effect = _f(cmp.diff - control_change)
        result.did_ci_low = _f(low)
        result.did_ci_high = _f(high)
        details["control"] = {
            "n_before": len(cb),
            "n_after": len(ca),
            "mean_before": _f(cb.mean()),
            "mean_after": _f(ca.mean()),
            "change": _f(control_change),
        }
    else:
        details["control"] = None
    if by_day is not None:
        details["before_ci"] = list(map(_f, by_day.interval([0, 1, 0, 0][: by_day.means.shape[1]])))
        details["after_ci"] = list(map(_f, by_day.interval([1, 0, 0, 0][: by_day.means.shape[1]])))
    else:
        details["before_ci"] = list(map(_f, bootstrap_mean_ci(before, n_boot=n_boot, seed=seed)))
        details["after_ci"] = list(map(_f, bootstrap_mean_ci(after, n_boot=n_boot, seed=seed)))
    return result


def _by_day(data: ImpactInput, after, before, ca, cb, n_boot: int, seed: int):
    """The day bootstrap of (after, before[, control after, control before]) when days are known."""
    if data.before_day is None or data.after_day is None:
        return None
    groups = [(after, data.after_day), (before, data.before_day)]
    if ca is not None and cb is not None and data.control_after_day is not None and data.control_before_day is not None:
        groups += [(ca, data.control_after_day), (cb, data.control_before_day)]
    return day_bootstrap(groups, n_boot=n_boot, seed=seed)
