"""The pattern miner: every segment against the rest, with false discoveries controlled.

For each factor value (see `segments`) the miner compares the R-multiples of the trades in the
segment with those of the rest of the period's trades: difference in mean R with a bootstrap CI,
a Mann-Whitney p-value (the reported `p_value`: R is heavy-tailed, so a rank test is the robust
choice) and Welch's p for reference, win rates with Fisher's exact test. Benjamini-Hochberg runs
across every segment tested in the run; a segment is significant when q < alpha (0.05).

Why this shape: a journal that tests 150 segments at p < 0.05 "finds" seven patterns in pure
noise. BH keeps the expected share of false discoveries among the reported ones at alpha.

Pure numpy over the columnar frames; no ORM. Trades without an R-multiple (no stop) are excluded
from the statistics and counted in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from ..context import ContextFrame, TradeFrame
from ..stats import benjamini_hochberg
from . import fast_stats
from .segments import AnalysisColumns, FactorColumn, factor_columns

DEFAULT_MIN_TRADES = 30
DEFAULT_ALPHA = 0.05
DEFAULT_N_BOOT = 2000
# R histogram bins for the pattern page's chart (values beyond the edges fall in the end bins).
HIST_EDGES = np.round(np.arange(-3.0, 4.0001, 0.25), 2)


@dataclass(slots=True)
class SegmentResult:
    """One tested segment against the rest of the period's trades (R universe)."""

    factor: str
    segment: str
    n: int
    n_rest: int
    mean_r: float
    mean_r_rest: float
    effect: float  # mean R segment - rest; negative = worse
    ci_low: float
    ci_high: float
    p_value: float  # Mann-Whitney, two-sided
    p_welch: float
    q_value: float
    win_rate: float
    win_rate_rest: float
    fisher_p: float
    dollars_at_stake: float  # effect x n x typical risk
    significant: bool
    trade_ids: np.ndarray = field(repr=False)
    share: float = 0.0  # n / trades in the universe of this factor
    accounts: list[str] = field(default_factory=list)  # accounts with trades in the segment
    hist_segment: list[int] = field(default_factory=list)  # counts per HIST_EDGES bin
    hist_rest: list[int] = field(default_factory=list)
    mean_ci_segment: tuple[float, float] = (float("nan"), float("nan"))  # 95% t-interval of each mean
    mean_ci_rest: tuple[float, float] = (float("nan"), float("nan"))

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
            "segments_considered": self.segments_considered,
            "segments_tested": self.segments_tested,
            "significant": len(self.significant),
            "min_trades": self.min_trades,
            "alpha": self.alpha,
            "skipped_factors": self.skipped_factors,
        }


@dataclass(slots=True)
class _Tested:
    column: FactorColumn
    label: int
    n: int
    n_rest: int
    sum_seg: float
    sum_rest: float
    sumsq_seg: float
    sumsq_rest: float
    wins: int
    wins_rest: int
    p_mw: float
    p_welch: float
    universe: np.ndarray


def _mean_ci(total: float, total_sq: float, n: int) -> tuple[float, float]:
    """95% interval of one group's mean (for the chart; the effect's CI is the bootstrap one)."""
    if n < 2:
        return (float("nan"), float("nan"))
    mean = total / n
    sd = np.sqrt(max(total_sq - n * mean**2, 0.0) / (n - 1))
    half = float(sps.t.ppf(0.975, n - 1)) * sd / np.sqrt(n)
    return (float(mean - half), float(mean + half))


def mine(
    frame: TradeFrame,
    context: ContextFrame,
    *,
    period_mask: np.ndarray | None = None,
    analyses: AnalysisColumns | None = None,
    min_trades: int = DEFAULT_MIN_TRADES,
    alpha: float = DEFAULT_ALPHA,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    r_values: np.ndarray | None = None,
    columns: list[FactorColumn] | None = None,
) -> MiningResult:
    """Test every segment of the period's trades; return all that met the support.

    `context` must come from the full history (so the first trades of a period still know their
    prior trades); `period_mask` picks the trades that are mined. `r_values` overrides the frame's
    R-multiples (used by the null-calibration tests to shuffle outcomes); `columns` reuses factor
    columns already built for this frame. Support: at least
    `min_trades` trades in the segment and in the rest, each side with at least one win and one loss.
    """
    if min_trades < 1:
        raise ValueError("min_trades must be at least 1")
    n_all = len(frame)
    in_period = np.ones(n_all, dtype=bool) if period_mask is None else np.asarray(period_mask, dtype=bool)
    r = np.asarray(frame.r_multiple if r_values is None else r_values, dtype=float)
    has_r = ~np.isnan(r)
    base = in_period & has_r
    trades_in_period = int(in_period.sum())
    trades_with_r = int(base.sum())
    risk = np.asarray(frame.risk_amount, dtype=float)[base]
    risk = risk[~np.isnan(risk)]
    typical_risk = float(np.median(risk)) if len(risk) else float("nan")
    r_clean = np.where(has_r, r, 0.0)
    win = r_clean > 0
    loss = r_clean < 0

    tested: list[_Tested] = []
    skipped: dict[str, str] = {}
    considered = 0
    rank_cache: dict[bytes, tuple[np.ndarray, float]] = {}
    if columns is None:
        columns = factor_columns(frame, context, analyses=analyses)
    for column in columns:
        universe = base & column.known
        n_u = int(universe.sum())
        in_u = universe[column.rows]
        rows = column.rows[in_u]
        codes = column.codes[in_u]
        labels_present = np.unique(codes)
        considered += len(labels_present)
        if not len(column.labels) or n_u == 0:
            skipped[column.factor] = "no trade in the period has a value for this factor"
            continue
        if n_u < 2 * min_trades:
            skipped[column.factor] = f"only {n_u} trades with R and a value (need {2 * min_trades})"
            continue
        key = universe.tobytes()
        if key not in rank_cache:
            ranks_u, tie_term = fast_stats.rank_with_ties(r[universe])
            ranks_full = np.zeros(n_all)
            ranks_full[universe] = ranks_u
            rank_cache[key] = (ranks_full, tie_term)
        ranks_full, tie_term = rank_cache[key]
        n_labels = len(column.labels)
        n_seg = np.bincount(codes, minlength=n_labels)
        sum_seg = np.bincount(codes, weights=r_clean[rows], minlength=n_labels)
        sumsq_seg = np.bincount(codes, weights=r_clean[rows] ** 2, minlength=n_labels)
        wins_seg = np.bincount(codes, weights=win[rows], minlength=n_labels).astype(np.int64)
        losses_seg = np.bincount(codes, weights=loss[rows], minlength=n_labels).astype(np.int64)
        rank_sum = np.bincount(codes, weights=ranks_full[rows], minlength=n_labels)
        total = float(r_clean[universe].sum())
        total_sq = float((r_clean[universe] ** 2).sum())
        wins_u = int(win[universe].sum())
        losses_u = int(loss[universe].sum())
        n_rest = n_u - n_seg

        p_mw = fast_stats.mannwhitney_p(rank_sum, n_seg, n_u, tie_term)
        p_welch = fast_stats.welch_p(sum_seg, sumsq_seg, n_seg, total - sum_seg, total_sq - sumsq_seg, n_rest)
        reasons = []
        for label in column.mined:
            ok = (
                n_seg[label] >= min_trades
                and n_rest[label] >= min_trades
                and wins_seg[label] > 0
                and losses_seg[label] > 0
                and wins_u - wins_seg[label] > 0
                and losses_u - losses_seg[label] > 0
            )
            if not ok:
                reasons.append(label)
                continue
            tested.append(
                _Tested(
                    column=column,
                    label=int(label),
                    n=int(n_seg[label]),
                    n_rest=int(n_rest[label]),
                    sum_seg=float(sum_seg[label]),
                    sum_rest=float(total - sum_seg[label]),
                    sumsq_seg=float(sumsq_seg[label]),
                    sumsq_rest=float(total_sq - sumsq_seg[label]),
                    wins=int(wins_seg[label]),
                    wins_rest=int(wins_u - wins_seg[label]),
                    p_mw=float(p_mw[label]),
                    p_welch=float(p_welch[label]),
                    universe=universe,
                )
            )
        if len(reasons) == len(column.mined):
            skipped[column.factor] = f"no value met the support ({min_trades}+ trades with wins and losses, both sides)"

    account_column = next((c for c in columns if c.factor == "account"), None)
    account_codes = np.full(n_all, -1, dtype=np.int64)
    account_labels: tuple[str, ...] = ()
    if account_column is not None:
        account_codes[account_column.rows] = account_column.codes
        account_labels = account_column.labels
    n_bins = len(HIST_EDGES) - 1
    bin_index = np.clip(np.searchsorted(HIST_EDGES, r_clean, side="right") - 1, 0, n_bins - 1)
    universe_hist: dict[bytes, np.ndarray] = {}

    q = benjamini_hochberg(np.array([t.p_mw for t in tested], dtype=float)) if tested else np.zeros(0)
    results: list[SegmentResult] = []
    for i, t in enumerate(tested):
        in_seg = t.column.mask(t.label) & t.universe
        rest = t.universe & ~in_seg
        rng = np.random.default_rng([seed, i])
        ci_low, ci_high = fast_stats.bootstrap_diff_ci(r[in_seg], r[rest], n_boot=n_boot, rng=rng)
        mean_seg = t.sum_seg / t.n
        mean_rest = t.sum_rest / t.n_rest
        effect = mean_seg - mean_rest
        n_universe = t.n + t.n_rest
        key = t.universe.tobytes()
        if key not in universe_hist:
            universe_hist[key] = np.bincount(bin_index[t.universe], minlength=n_bins)
        hist_seg = np.bincount(bin_index[in_seg], minlength=n_bins)
        seg_accounts = np.flatnonzero(np.bincount(account_codes[in_seg & (account_codes >= 0)], minlength=1))
        results.append(
            SegmentResult(
                factor=t.column.factor,
                segment=t.column.labels[t.label],
                n=t.n,
                n_rest=t.n_rest,
                mean_r=mean_seg,
                mean_r_rest=mean_rest,
                effect=effect,
                ci_low=ci_low,
                ci_high=ci_high,
                p_value=t.p_mw,
                p_welch=t.p_welch,
                q_value=float(q[i]),
                win_rate=t.wins / t.n,
                win_rate_rest=t.wins_rest / t.n_rest,
                fisher_p=fast_stats.fisher_p(t.wins, t.n, t.wins_rest, t.n_rest),
                dollars_at_stake=effect * t.n * typical_risk if not np.isnan(typical_risk) else 0.0,
                significant=bool(q[i] < alpha),
                trade_ids=frame.id[in_seg],
                share=t.n / n_universe,
                accounts=[account_labels[k] for k in seg_accounts if k < len(account_labels)],
                hist_segment=hist_seg.tolist(),
                hist_rest=(universe_hist[key] - hist_seg).tolist(),
                mean_ci_segment=_mean_ci(t.sum_seg, t.sumsq_seg, t.n),
                mean_ci_rest=_mean_ci(t.sum_rest, t.sumsq_rest, t.n_rest),
            )
        )
    return MiningResult(
        segments=results,
        trades_in_period=trades_in_period,
        trades_with_r=trades_with_r,
        trades_without_r=trades_in_period - trades_with_r,
        typical_risk=typical_risk,
        segments_considered=considered,
        segments_tested=len(tested),
        min_trades=min_trades,
        alpha=alpha,
        skipped_factors=skipped,
        accounts_total=len(np.unique(account_codes[base & (account_codes >= 0)])),
    )
