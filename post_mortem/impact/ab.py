"""A/B experiment statistics over plain arrays: per-group summaries, difference, diff-in-diff.

With each trade's market day given, intervals and the p-value come from a bootstrap over days
(`stats.day_bootstrap`): both arms trade in the same market, so a day is resampled with all of
its trades in both arms, and a few big days cannot make the difference look certain. The
trade-level test (Welch, or Fisher for win rate) stays in the result for reference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..stats import DayBootstrap, bootstrap_mean_ci, compare_means, day_bootstrap, fisher_exact_p
from .engine import _f, bootstrap_did_ci

ALPHA = 0.05


@dataclass(slots=True)
class GroupSummary:
    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None


def summarise(values: np.ndarray, *, n_boot: int = 2000, seed: int = 0) -> GroupSummary:
    values = np.asarray(values, dtype=float)
    if not len(values):
        return GroupSummary(n=0, mean=None, ci_low=None, ci_high=None)
    low, high = bootstrap_mean_ci(values, n_boot=n_boot, seed=seed)
    return GroupSummary(n=len(values), mean=_f(values.mean()), ci_low=_f(low), ci_high=_f(high))


def compare_groups(
    *,
    treatment: np.ndarray,
    control: np.ndarray,
    treatment_pre: np.ndarray | None,
    control_pre: np.ndarray | None,
    binary: bool,
    min_sample: int,
    n_boot: int = 2000,
    seed: int = 0,
    days: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Treatment minus control on the pre-registered metric, with CI and p-value.

    ``binary`` (win rate) uses Fisher's exact test for the p-value; means use Welch. `significant`
    needs both groups at the minimum sample, p < 0.05 and a CI that excludes 0. The
    difference-in-differences against the pre-period (same length, before start) removes a gap
    that existed before the treatment began; it is reported when both groups traded then.
    `days` maps "treatment", "control", "treatment_pre", "control_pre" to each trade's market day;
    with it every interval and the p-value are day-aware.
    """
    t = np.asarray(treatment, dtype=float)
    c = np.asarray(control, dtype=float)
    out: dict[str, Any] = {
        "treatment": asdict(summarise(t, n_boot=n_boot, seed=seed)),
        "control": asdict(summarise(c, n_boot=n_boot, seed=seed + 1)),
        "difference": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "p_mannwhitney": None,
        "sufficient": len(t) >= min_sample and len(c) >= min_sample,
        "significant": False,
        "did": None,
    }
    if len(t) >= 2 and len(c) >= 2:
        cmp = compare_means(t, c, n_boot=n_boot, seed=seed)
        p = cmp.p_welch
        if binary:
            p = fisher_exact_p(int(t.sum()), len(t), int(c.sum()), len(c))
        out.update(
            difference=_f(cmp.diff),
            ci_low=_f(cmp.ci_low),
            ci_high=_f(cmp.ci_high),
            p_value=_f(p),
            p_mannwhitney=_f(cmp.p_mannwhitney),
        )
        by_day = _by_day(t, c, treatment_pre, control_pre, days, n_boot=n_boot, seed=seed)
        if by_day is not None:
            out["p_trades"] = out["p_value"]
            low, high = by_day.interval([1, -1] + [0] * (by_day.means.shape[1] - 2))
            p = by_day.p_value([1, -1] + [0] * (by_day.means.shape[1] - 2))
            out.update(ci_low=_f(low), ci_high=_f(high), p_value=_f(p))
            for j, name in enumerate(("treatment", "control")):
                g_low, g_high = by_day.interval(np.eye(by_day.means.shape[1])[j])
                out[name].update(ci_low=_f(g_low), ci_high=_f(g_high))
            out["inference"] = {
                "method": "bootstrap over days",
                "days_treatment": int(by_day.n_days[0]),
                "days_control": int(by_day.n_days[1]),
            }
        else:
            out["inference"] = {"method": "bootstrap over trades (no market days given)"}
        low, high = out["ci_low"], out["ci_high"]
        excludes_zero = low is not None and high is not None and (low > 0 or high < 0)
        out["significant"] = bool(out["sufficient"] and p is not None and p < ALPHA and excludes_zero)
    if treatment_pre is not None and control_pre is not None:
        tp = np.asarray(treatment_pre, dtype=float)
        cp = np.asarray(control_pre, dtype=float)
        if len(tp) >= 2 and len(cp) >= 2 and len(t) >= 2 and len(c) >= 2:
            pre_gap = float(tp.mean() - cp.mean())
            by_day = _by_day(t, c, tp, cp, days, n_boot=n_boot, seed=seed)
            if by_day is not None and by_day.means.shape[1] == 4:
                low, high = by_day.interval([1, -1, -1, 1])
            else:
                low, high = bootstrap_did_ci(t, tp, c, cp, n_boot=n_boot, seed=seed + 2)
            out["did"] = {
                "pre_treatment": asdict(summarise(tp, n_boot=n_boot, seed=seed + 3)),
                "pre_control": asdict(summarise(cp, n_boot=n_boot, seed=seed + 4)),
                "pre_difference": _f(pre_gap),
                "effect": _f(float(t.mean() - c.mean()) - pre_gap),
                "ci_low": _f(low),
                "ci_high": _f(high),
            }
    return out


def _by_day(t, c, tp, cp, days, *, n_boot: int, seed: int) -> DayBootstrap | None:
    """Day bootstrap of (treatment, control[, treatment pre, control pre]) when days are known."""
    if not days or days.get("treatment") is None or days.get("control") is None:
        return None
    groups = [(t, days["treatment"]), (c, days["control"])]
    if (
        tp is not None
        and cp is not None
        and days.get("treatment_pre") is not None
        and days.get("control_pre") is not None
    ):
        tp, cp = np.asarray(tp, dtype=float), np.asarray(cp, dtype=float)
        if len(tp) >= 2 and len(cp) >= 2:
            groups += [(tp, days["treatment_pre"]), (cp, days["control_pre"])]
    return day_bootstrap(groups, n_boot=n_boot, seed=seed)


def cumulative_series(day_index: np.ndarray, values: np.ndarray, labels: list[str]) -> list[float | None]:
    """Running mean of the metric up to and including each day (None before the group's first trade)."""
    day_index = np.asarray(day_index, dtype=int)
    values = np.asarray(values, dtype=float)
    n_days = len(labels)
    sums = np.bincount(day_index, weights=values, minlength=n_days)[:n_days]
    counts = np.bincount(day_index, minlength=n_days)[:n_days]
    cum_sum = np.cumsum(sums)
    cum_n = np.cumsum(counts)
    return [(_f(s / k) if k else None) for s, k in zip(cum_sum, cum_n, strict=True)]
