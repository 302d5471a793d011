"""The pattern miner: every segment against its factor's typical value, with day dependence and
false discoveries controlled.

Comparisons (see `inference`):

- Trade-level factors (setup, symbol, side, account, hour, holding time, after a loss, loss streak,
  size, trade of the day, post-mortem codes, regime) are estimated jointly in one regression of R
  on segment indicators with day fixed effects and day-clustered errors: each trade is compared
  with trades of the same day (a bad tape cancels), and overlapping factors are separated (an
  after-loss trade is also a later trade of the day; only one of the two gets the blame).
- Day-level factors (weekday, or any factor constant within each day) are compared with the day
  as the unit: each day's effect (its mean R net of the trade-level factors) is one observation.
- Each value is compared with its factor's typical value (the level at the trade-weighted median
  of the estimates; for after_loss the trades not after a loss; for post-mortem codes the analysed
  trades without the code), never with "all the rest": one bad value in the rest would make every
  other value a mirror-image "strength".
- Segments holding (almost) the same trades (Jaccard overlap >= `overlap_threshold`, default 0.8)
  are one finding: the most actionable one is estimated and shown, the others are named on it.

Benjamini-Hochberg runs across every comparison of the run; `significance.is_significant` is the
one rule for "significant" (q < alpha, CI excludes zero, |effect| >= the minimum practical size).
Raw numbers (segment and comparison-group mean R, win rates with Fisher's test) are reported next
to the adjusted effect for reading, not for the verdict.

Pure numpy/scipy over the columnar frames; no ORM. Trades without an R-multiple (no stop) are
excluded from the statistics and counted in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..context import ContextFrame, TradeFrame
from ..stats import benjamini_hochberg
from . import fast_stats, inference
from .describe import STRENGTH_FACTORS
from .segments import AnalysisColumns, FactorColumn, factor_columns
from .significance import DEFAULT_ALPHA, DEFAULT_MIN_EFFECT_R, not_significant_reasons

DEFAULT_MIN_TRADES = 30
DEFAULT_N_BOOT = 2000  # kept for callers; the adjusted effects need no bootstrap
DEFAULT_GROUP_OVERLAP = 0.8  # Jaccard overlap of two segments' trades above which they are one finding
MIN_DAYS_PER_GROUP = 5  # a day-level value needs this many days (and the support in trades)
# Within-day comparisons use days with at least this many trades (desk-wide). Why: for factors
# defined by the account's earlier outcomes (after a loss, loss streak) the losing trade that
# triggered them sits in the same day's comparison group, which flatters the segment by about
# (its loss) / (other trades that day): 0.8R on a two-trade day, at most 0.16R from 6 trades.
MIN_TRADES_PER_DAY = 6
# Day-clustered errors need many days: with fewer busy days than this, no within-day comparison.
MIN_BUSY_DAYS = 20
# "Most actionable" first: the factor a desk can write a rule about is shown for a group of
# segments that hold the same trades; post-mortem codes last (they restate the others).
FACTOR_PRIORITY = (
    "after_loss",
    "position_size",
    "setup",
    "holding_time",
    "trade_of_day",
    "loss_streak",
    "hour",
    "weekday",
    "symbol",
    "side",
    "account",
    "trend",
    "volatility",
    "primary_factor",
)
WITHIN_DAY = "within_day"
DAYS_AS_UNIT = "days"
# R histogram bins for the pattern page's chart (values beyond the edges fall in the end bins).
HIST_EDGES = np.round(np.arange(-3.0, 4.0001, 0.25), 2)


@dataclass(slots=True)
class SegmentResult:
    """One tested segment against its comparison group (`reference`), adjusted for the day."""

    factor: str
    segment: str
    n: int
    n_rest: int  # trades in the comparison group
    mean_r: float  # raw mean R of the segment
    mean_r_rest: float  # raw mean R of the comparison group
    effect: float  # adjusted difference in R per trade; negative = worse
    ci_low: float
    ci_high: float
    p_value: float  # from the day-aware comparison, two-sided
    q_value: float
    win_rate: float
    win_rate_rest: float
    fisher_p: float
    dollars_at_stake: float  # effect x n x typical risk
    significant: bool
    trade_ids: np.ndarray = field(repr=False)
    share: float = 0.0  # n / trades with a value for this factor
    accounts: list[str] = field(default_factory=list)  # accounts with trades in the segment
    hist_segment: list[int] = field(default_factory=list)  # counts per HIST_EDGES bin
    hist_rest: list[int] = field(default_factory=list)
    mean_ci_segment: tuple[float, float] = (float("nan"), float("nan"))  # 95% t-interval of each raw mean
    mean_ci_rest: tuple[float, float] = (float("nan"), float("nan"))
    reference: str = ""  # the comparison group in words
    comparison: str = WITHIN_DAY  # WITHIN_DAY or DAYS_AS_UNIT
    se: float = float("nan")
    df: float = float("nan")
    n_days: int = 0  # days with trades in the segment
    n_days_ref: int = 0  # days with trades in the comparison group
    same_trades_as: list[dict] = field(default_factory=list)  # segments grouped into this finding
    reasons: list[str] = field(default_factory=list)  # why not significant (empty when significant)
    new_trades: int = 0  # trades not already in a larger significant finding of the same kind
    dollars_new: float = 0.0  # effect x new_trades x typical risk: sums without counting a trade twice

    @property
    def confidence(self) -> float:
        return 1.0 - self.q_value


@dataclass(slots=True)
class MiningResult:
    segments: list[SegmentResult]  # every segment that met the support, BH-adjusted
    trades_in_period: int
    trades_with_r: int
    trades_without_r: int
    typical_risk: float  # median risk_amount (1R in money) of the trades with R
    segments_considered: int  # factor values present among the period's trades
    segments_tested: int
    min_trades: int
    alpha: float
    skipped_factors: dict[str, str]  # factor -> why nothing was tested
    accounts_total: int = 0  # accounts with trades in the period
    min_effect: float = DEFAULT_MIN_EFFECT_R
    overlap_threshold: float = DEFAULT_GROUP_OVERLAP
    days: int = 0  # market days in the period (clusters)
    grouped: int = 0  # segments folded into another finding (same trades)

    @property
    def significant(self) -> list[SegmentResult]:
        return [s for s in self.segments if s.significant]

    def summary(self) -> dict:
        """Counts for the run row: what was tested and what was excluded, in plain numbers."""
        return {
            "trades_in_period": self.trades_in_period,
            "trades_with_r": self.trades_with_r,
            "trades_without_r_excluded": self.trades_without_r,
            "typical_risk": None if np.isnan(self.typical_risk) else round(self.typical_risk, 2),
            "days": self.days,
            "segments_considered": self.segments_considered,
            "segments_tested": self.segments_tested,
            "segments_grouped": self.grouped,
            "significant": len(self.significant),
            "min_trades": self.min_trades,
            "alpha": self.alpha,
            "min_effect_r": self.min_effect,
            "overlap_threshold": self.overlap_threshold,
            "skipped_factors": self.skipped_factors,
        }


@dataclass(slots=True)
class _Factor:
    """A factor's rows and supports among the period's trades with R (positions in the base set)."""

    column: FactorColumn
    rows: np.ndarray
    codes: np.ndarray
    known: np.ndarray
    n_seg: np.ndarray
    supported: np.ndarray
    mined: list[int]
    multi: bool
    day_level: bool
    excluded: set[int] = field(default_factory=set)  # labels folded into another finding
    same_as: dict[int, list[dict]] = field(default_factory=dict)
    cache: dict[object, np.ndarray] = field(default_factory=dict)

    def members(self, *labels: int) -> np.ndarray:
        """Positions of the trades holding any of `labels` (the rows grouped by value once, so each
        call is a slice, not a pass over every trade)."""
        key = tuple(sorted(labels))
        if key not in self.cache:
            if "grouped" not in self.cache:
                order = np.argsort(self.codes, kind="stable")
                self.cache["grouped"] = self.rows[order]
                self.cache["starts"] = np.r_[0, np.cumsum(np.bincount(self.codes, minlength=len(self.column.labels)))]
            grouped, starts = self.cache["grouped"], self.cache["starts"]
            parts = [grouped[starts[k] : starts[k + 1]] for k in key]
            self.cache[key] = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return self.cache[key]


@dataclass(slots=True)
class _Test:
    factor: _Factor
    label: int
    effect: float
    se: float
    df: float
    seg: np.ndarray  # positions of the segment's trades
    ref: np.ndarray  # positions of the comparison group's trades
    reference: str
    comparison: str
    n_days: int = 0
    n_days_ref: int = 0


def _mean_cis(groups: list[np.ndarray]) -> list[tuple[float, float]]:
    """95% t-intervals of raw group means (the chart's dots; the verdict uses the adjusted effect)."""
    n = np.array([len(g) for g in groups], dtype=float)
    mean = np.array([g.mean() if len(g) else np.nan for g in groups])
    sd = np.array([g.std(ddof=1) if len(g) > 1 else np.nan for g in groups])
    low, high, _ = inference.t_intervals(mean, sd / np.sqrt(np.maximum(n, 1)), n - 1)
    return [(float(a), float(b)) for a, b in zip(low, high, strict=True)]


def _constant_within_days(day: np.ndarray, codes: np.ndarray, n_labels: int) -> bool:
    """True when no day holds two values of the factor (weekday; anything fixed per day)."""
    if not len(codes):
        return False
    n_days = int(day.max()) + 1
    pairs = np.bincount(day * n_labels + codes, minlength=n_days * n_labels).reshape(n_days, n_labels)
    return bool(((pairs > 0).sum(axis=1) <= 1).all())


def _prepare(column: FactorColumn, pos: np.ndarray, y: np.ndarray, day: np.ndarray, min_trades: int):
    """The factor restricted to the base trades, with supports; (factor, None) or (None, why skipped)."""
    in_b = pos[column.rows] >= 0
    rows = pos[column.rows[in_b]]
    codes = column.codes[in_b]
    known = np.zeros(len(y), dtype=bool)
    known[rows] = True
    n_known = int(known.sum())
    n_labels = len(column.labels)
    if not n_labels or n_known == 0:
        return None, "no trade in the period has a value for this factor"
    if n_known < 2 * min_trades:
        return None, f"only {n_known} trades with R and a value (need {2 * min_trades})"
    win, loss = y > 0, y < 0
    n_seg = np.bincount(codes, minlength=n_labels)
    wins = np.bincount(codes, weights=win[rows], minlength=n_labels)
    losses = np.bincount(codes, weights=loss[rows], minlength=n_labels)
    supported = (n_seg >= min_trades) & (wins > 0) & (losses > 0)
    multi = len(rows) != n_known or column.factor == "primary_factor"
    if multi:
        wins_k, losses_k = float(win[known].sum()), float(loss[known].sum())
        supported &= (n_known - n_seg >= min_trades) & (wins_k - wins > 0) & (losses_k - losses > 0)
    mined = [int(label) for label in column.mined if supported[label]]
    restricted = len(column.mined) < n_labels
    references = [k for k in range(n_labels) if supported[k] and (k not in column.mined or not restricted)]
    if not mined or (not multi and (len(references) < 1 or int(supported.sum()) < 2)):
        return None, f"no value met the support ({min_trades}+ trades with wins and losses, both sides)"
    day_level = not multi and _constant_within_days(day[rows], codes, n_labels)
    return _Factor(column, rows, codes, known, n_seg, supported, mined, multi, day_level), None


def _group_same_trades(factors: list[_Factor], n: int, threshold: float) -> int:
    """Fold segments that hold (almost) the same trades into one finding; returns how many were folded.

    Overlap is Jaccard on the trades (|A and B| / |A or B|). Within a group the most actionable
    segment (FACTOR_PRIORITY, then the larger) stays; the others are excluded from the model (two
    near-identical indicators cannot be separated) and named on the one that stays.
    """
    keys = [(f, label) for f in factors for label in f.mined]
    if len(keys) < 2:
        return 0
    c = inference.indicator_matrix([f.rows[f.codes == label] for f, label in keys], n)
    inter = np.asarray((c.T @ c).todense())
    size = np.diag(inter)
    union = size[:, None] + size[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, inter / union, 0.0)
    parent = list(range(len(keys)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(jaccard >= threshold, k=1)), strict=True):
        if keys[i][0] is not keys[j][0]:
            parent[find(int(i))] = find(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(len(keys)):
        groups.setdefault(find(i), []).append(i)
    folded = 0
    for members in groups.values():
        if len(members) < 2:
            continue

        def rank(i: int) -> tuple[int, int]:
            factor = keys[i][0].column.factor
            order = FACTOR_PRIORITY.index(factor) if factor in FACTOR_PRIORITY else len(FACTOR_PRIORITY)
            return (order, -int(size[i]))

        keep = min(members, key=rank)
        kf, kl = keys[keep]
        for i in members:
            if i == keep:
                continue
            f, label = keys[i]
            f.excluded.add(label)
            kf.same_as.setdefault(kl, []).append(
                {
                    "factor": f.column.factor,
                    "segment": f.column.labels[label],
                    "n": int(size[i]),
                    "overlap": round(float(jaccard[keep, i]), 3),
                }
            )
            folded += 1
    for f in factors:
        f.mined = [label for label in f.mined if label not in f.excluded]
    return folded


def _design(factors: list[_Factor], n: int) -> tuple[list[np.ndarray], dict[tuple[int, object], int], dict[int, int]]:
    """Indicator columns of the single-valued trade-level factors: per factor a base value (no
    column), one column per other supported value, one for pooled small values, one for unknown."""
    columns: list[np.ndarray] = []
    index: dict[tuple[int, object], int] = {}
    bases: dict[int, int] = {}
    for fi, f in enumerate(factors):
        usable = [k for k in range(len(f.column.labels)) if f.supported[k] and k not in f.excluded]
        base = max(usable, key=lambda k: f.n_seg[k])
        bases[fi] = base
        for label in usable:
            if label != base:
                index[(fi, label)] = len(columns)
                columns.append(f.rows[f.codes == label])
        small = [k for k in range(len(f.column.labels)) if not f.supported[k] and k not in f.excluded]
        if small:
            rows = f.rows[np.isin(f.codes, small)]
            if len(rows):
                index[(fi, "other")] = len(columns)
                columns.append(rows)
        unknown = np.flatnonzero(~f.known)
        if len(unknown):
            index[(fi, "unknown")] = len(columns)
            columns.append(unknown)
    return columns, index, bases


def _reference_for(label: int, typical: list[int], weights: np.ndarray) -> list[int]:
    """The typical levels other than the tested one (the single nearest typical level if the tested
    level is the only typical one: then it is compared with nothing and not tested)."""
    return [k for k in typical if k != label]


def _reference_text(labels: tuple[str, ...], ref: list[int]) -> str:
    return ", ".join(labels[k] for k in ref)


def _within_day_tests(
    factors: list[_Factor], fit: inference.WithinDayFit, index: dict, bases: dict[int, int], n: int
) -> list[_Test]:
    p = len(fit.beta)
    tests: list[_Test] = []
    for fi, f in enumerate(factors):
        labels = f.column.labels
        usable = [k for k in range(len(labels)) if f.supported[k] and k not in f.excluded]
        level = {k: (0.0 if k == bases[fi] else fit.beta[index[(fi, k)]]) for k in usable}
        restricted = len(f.column.mined) < len(labels)
        candidates = [k for k in usable if np.isfinite(level[k]) and (k not in f.column.mined or not restricted)]
        if not candidates:
            continue
        typical = [
            candidates[j]
            for j in inference.typical_levels(
                np.array([level[k] for k in candidates]), np.array([f.n_seg[k] for k in candidates], dtype=float)
            )
        ]
        for label in f.mined:
            ref = _reference_for(label, typical, f.n_seg)
            if not ref:
                continue
            w = np.zeros(p)
            if label != bases[fi]:
                w[index[(fi, label)]] += 1.0
            total = float(sum(f.n_seg[k] for k in ref))
            for k in ref:
                if k != bases[fi]:
                    w[index[(fi, k)]] -= f.n_seg[k] / total
            est, se = inference.contrast(fit, w)
            tests.append(
                _Test(
                    f,
                    label,
                    est,
                    se,
                    fit.df,
                    f.members(label),
                    f.members(*ref),
                    _reference_text(labels, ref),
                    WITHIN_DAY,
                )
            )
    return tests


def _code_tests(factors: list[_Factor], fit: inference.WithinDayFit, sub: np.ndarray, n: int) -> list[_Test]:
    """Post-mortem codes, one at a time, each added to the factors' model: the code's effect beyond
    the factors it was derived from, within the same days, errors clustered by day.

    Why one at a time and beyond the factors: a code restates factors (a re-entry code on
    after-loss trades, a tilt code on loss streaks); estimated next to each other, one effect would
    be split between two names, often with opposite signs, and alone it would carry whatever the
    factors explain (an account's skill, a setup's edge). A code holding the same trades as a
    factor value is folded into that finding before this step; one that only restates factors
    has nothing left to estimate.
    """
    tests: list[_Test] = []
    for f in factors:
        for label in f.mined:
            seg = f.members(label)
            est, se = inference.added_column_effect(fit, _subset(seg, sub))
            without = f.known.copy()
            without[seg] = False
            tests.append(
                _Test(
                    f,
                    label,
                    est,
                    se,
                    fit.df,
                    seg,
                    np.flatnonzero(without),
                    "analyzed trades without this code, beyond the factors",
                    WITHIN_DAY,
                )
            )
    return tests


def _subset(rows: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """Positions of `rows` among the busy days' trades (rows on other days dropped)."""
    mapped = sub[rows]
    return mapped[mapped >= 0]


def _day_tests(factors: list[_Factor], day_effect: np.ndarray, day: np.ndarray, n_days: int, n: int) -> list[_Test]:
    tests: list[_Test] = []
    for f in factors:
        labels = f.column.labels
        day_label = np.full(n_days, -1, dtype=np.int64)
        day_label[day[f.rows]] = f.codes
        days_per = np.bincount(day_label[day_label >= 0], minlength=len(labels))
        usable = [
            k
            for k in range(len(labels))
            if f.supported[k] and k not in f.excluded and days_per[k] >= MIN_DAYS_PER_GROUP
        ]
        restricted = len(f.column.mined) < len(labels)
        candidates = [k for k in usable if k not in f.column.mined or not restricted]
        if not candidates:
            continue
        means = np.array([day_effect[day_label == k].mean() for k in candidates])
        typical = [candidates[j] for j in inference.typical_levels(means, days_per[candidates].astype(float))]
        for label in f.mined:
            ref = _reference_for(label, typical, days_per)
            if not ref or label not in usable:
                continue
            ref_days = np.isin(day_label, ref)
            cmp = inference.compare_day_groups(day_effect, day_label == label, ref_days)
            tests.append(
                _Test(
                    f,
                    label,
                    cmp.effect,
                    cmp.se,
                    cmp.df,
                    f.members(label),
                    f.members(*ref),
                    _reference_text(labels, ref),
                    DAYS_AS_UNIT,
                    n_days=cmp.n_days,
                    n_days_ref=cmp.n_days_ref,
                )
            )
    return tests


def mine(
    frame: TradeFrame,
    context: ContextFrame,
    *,
    period_mask: np.ndarray | None = None,
    analyses: AnalysisColumns | None = None,
    min_trades: int = DEFAULT_MIN_TRADES,
    alpha: float = DEFAULT_ALPHA,
    min_effect: float = DEFAULT_MIN_EFFECT_R,
    overlap_threshold: float = DEFAULT_GROUP_OVERLAP,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    r_values: np.ndarray | None = None,
    columns: list[FactorColumn] | None = None,
) -> MiningResult:
    """Test every segment of the period's trades; return all that met the support.

    `context` must come from the full history (so the first trades of a period still know their
    prior trades and `local_day` their market day); `period_mask` picks the trades that are mined.
    `r_values` overrides the frame's R-multiples (the calibration tests shuffle outcomes);
    `columns` reuses factor columns already built for this frame. Support: at least `min_trades`
    trades in the segment and in its comparison group, each with at least one win and one loss.
    `n_boot` and `seed` are accepted for callers of the earlier bootstrap miner; the result is
    deterministic.
    """
    del n_boot, seed
    if min_trades < 1:
        raise ValueError("min_trades must be at least 1")
    n_all = len(frame)
    in_period = np.ones(n_all, dtype=bool) if period_mask is None else np.asarray(period_mask, dtype=bool)
    r = np.asarray(frame.r_multiple if r_values is None else r_values, dtype=float)
    base = in_period & ~np.isnan(r)
    trades_in_period = int(in_period.sum())
    idx = np.flatnonzero(base)
    n = len(idx)
    pos = np.full(n_all, -1, dtype=np.int64)
    pos[idx] = np.arange(n)
    y = r[idx]
    risk = np.asarray(frame.risk_amount, dtype=float)[idx]
    risk = risk[~np.isnan(risk)]
    typical_risk = float(np.median(risk)) if len(risk) else float("nan")
    day, n_days = inference.day_codes(np.asarray(context.local_day)[idx]) if n else (np.zeros(0, np.int64), 0)

    if columns is None:
        columns = factor_columns(frame, context, analyses=analyses)
    skipped: dict[str, str] = {}
    considered = 0
    factors: list[_Factor] = []
    for column in columns:
        present = column.codes[pos[column.rows] >= 0]
        considered += int(np.count_nonzero(np.bincount(present, minlength=1))) if len(present) else 0
        prepared, why = _prepare(column, pos, y, day, min_trades)
        if prepared is None:
            skipped[column.factor] = why
        else:
            factors.append(prepared)
    grouped = _group_same_trades(factors, n, overlap_threshold)

    trade_level = [f for f in factors if not f.day_level and not f.multi]
    day_level = [f for f in factors if f.day_level]
    codes = [f for f in factors if f.multi]
    cols, index, bases = _design(trade_level, n)
    tests: list[_Test] = []
    if n:
        # Within-day comparisons only on busy days (see MIN_TRADES_PER_DAY); every day still counts
        # as a unit for the day-level factors.
        per_day = np.bincount(day, minlength=n_days)
        busy = np.flatnonzero(per_day[day] >= MIN_TRADES_PER_DAY)
        sub = np.full(n, -1, dtype=np.int64)
        sub[busy] = np.arange(len(busy))
        busy_day, n_busy_days = inference.day_codes(day[busy]) if len(busy) else (np.zeros(0, np.int64), 0)
        fit = inference.fit_within_day(y[busy], [_subset(c, sub) for c in cols], busy_day, n_busy_days)
        day_effect = inference.day_effects(y, cols, day, n_days, fit.beta)
        if n_busy_days >= MIN_BUSY_DAYS:
            tests = _within_day_tests(trade_level, fit, index, bases, n)
            tests += _code_tests(codes, fit, sub, n)
        else:
            for f in trade_level + codes:
                skipped[f.column.factor] = (
                    f"{n_busy_days} market days with {MIN_TRADES_PER_DAY}+ trades (need {MIN_BUSY_DAYS}): "
                    "too few to compare within days"
                )
        tests += _day_tests(day_level, day_effect, day, n_days, n)
    for f in factors:
        if f.mined and not any(t.factor is f for t in tests):
            skipped.setdefault(f.column.factor, "no value could be compared with a typical value")

    ci_lows, ci_highs, p_values = inference.t_intervals(
        np.array([t.effect for t in tests]), np.array([t.se for t in tests]), np.array([t.df for t in tests])
    )
    mean_cis = _mean_cis([y[t.seg] for t in tests] + [y[t.ref] for t in tests])
    q = benjamini_hochberg(p_values) if tests else np.zeros(0)

    account_column = next((c for c in columns if c.factor == "account"), None)
    account_codes = np.full(n_all, -1, dtype=np.int64)
    account_labels: tuple[str, ...] = ()
    if account_column is not None:
        account_codes[account_column.rows] = account_column.codes
        account_labels = account_column.labels
    account_b = account_codes[idx]
    n_bins = len(HIST_EDGES) - 1
    bin_index = np.clip(np.searchsorted(HIST_EDGES, y, side="right") - 1, 0, n_bins - 1)

    results: list[SegmentResult] = []
    masks: list[np.ndarray] = []
    for i, t in enumerate(tests):
        ci_low, ci_high, p_value = float(ci_lows[i]), float(ci_highs[i]), float(p_values[i])
        q_value = float(q[i]) if np.isfinite(q[i]) else float("nan")
        y_seg, y_ref = y[t.seg], y[t.ref]
        n_seg, n_ref = len(t.seg), len(t.ref)
        wins, wins_ref = int((y_seg > 0).sum()), int((y_ref > 0).sum())
        reasons = not_significant_reasons(
            q_value=q_value, ci_low=ci_low, ci_high=ci_high, effect=t.effect, alpha=alpha, min_effect=min_effect
        )
        effect = float(t.effect) if np.isfinite(t.effect) else float("nan")
        seg_account_b = account_b[t.seg]
        seg_accounts = np.flatnonzero(np.bincount(seg_account_b[seg_account_b >= 0], minlength=1))
        results.append(
            SegmentResult(
                factor=t.factor.column.factor,
                segment=t.factor.column.labels[t.label],
                n=n_seg,
                n_rest=n_ref,
                mean_r=float(y_seg.mean()),
                mean_r_rest=float(y_ref.mean()) if n_ref else float("nan"),
                effect=effect,
                ci_low=ci_low,
                ci_high=ci_high,
                p_value=p_value,
                q_value=q_value,
                win_rate=wins / n_seg,
                win_rate_rest=wins_ref / n_ref if n_ref else float("nan"),
                fisher_p=fast_stats.fisher_p(wins, n_seg, wins_ref, n_ref),
                dollars_at_stake=effect * n_seg * typical_risk if np.isfinite(typical_risk * effect) else 0.0,
                significant=not reasons,
                trade_ids=frame.id[idx[t.seg]],
                share=n_seg / max(int(t.factor.known.sum()), 1),
                accounts=[account_labels[k] for k in seg_accounts if k < len(account_labels)],
                hist_segment=np.bincount(bin_index[t.seg], minlength=n_bins).tolist(),
                hist_rest=np.bincount(bin_index[t.ref], minlength=n_bins).tolist(),
                mean_ci_segment=mean_cis[i],
                mean_ci_rest=mean_cis[len(tests) + i],
                reference=t.reference,
                comparison=t.comparison,
                se=float(t.se),
                df=float(t.df),
                n_days=t.n_days or int(np.count_nonzero(np.bincount(day[t.seg], minlength=n_days))),
                n_days_ref=t.n_days_ref or int(np.count_nonzero(np.bincount(day[t.ref], minlength=n_days))),
                same_trades_as=list(t.factor.same_as.get(t.label, [])),
                reasons=reasons,
            )
        )
        masks.append(t.seg)
    _count_each_trade_once(results, masks, n, typical_risk)
    return MiningResult(
        segments=results,
        trades_in_period=trades_in_period,
        trades_with_r=n,
        trades_without_r=trades_in_period - n,
        typical_risk=typical_risk,
        segments_considered=considered,
        segments_tested=len(tests),
        min_trades=min_trades,
        alpha=alpha,
        skipped_factors=skipped,
        accounts_total=len(np.unique(account_b[account_b >= 0])),
        min_effect=min_effect,
        overlap_threshold=overlap_threshold,
        days=n_days,
        grouped=grouped,
    )


def plan_order(segments: list) -> tuple[list, list]:
    """Significant weaknesses, most dollars lost first, and strengths a trader can choose more of,
    most dollars gained first: the order an improvement plan lists them in (objects with
    `significant`, `effect`, `factor`, `dollars_at_stake`, `q_value`)."""
    significant = [s for s in segments if s.significant]
    weaknesses = sorted((s for s in significant if s.effect < 0), key=lambda s: (s.dollars_at_stake, s.q_value))
    strengths = sorted(
        (s for s in significant if s.effect > 0 and s.factor in STRENGTH_FACTORS),
        key=lambda s: (-s.dollars_at_stake, s.q_value),
    )
    return weaknesses, strengths


def _count_each_trade_once(
    results: list[SegmentResult], members: list[np.ndarray], n: int, typical_risk: float
) -> None:
    """In plan order, count each trade for the first finding it falls in: `new_trades` and
    `dollars_new` add up without counting any trade twice (a plan's headline uses them)."""
    position = {id(s): i for i, s in enumerate(results)}
    for ordered in plan_order(results):
        covered = np.zeros(n, dtype=bool)
        for s in ordered:
            rows = members[position[id(s)]]
            s.new_trades = int((~covered[rows]).sum())
            s.dollars_new = s.effect * s.new_trades * typical_risk if np.isfinite(typical_risk) else 0.0
            covered[rows] = True
