"""Bar-based metrics: MAE/MFE, exit efficiency, money left on the table, trend and volatility.

All vectorised per symbol: bar indexes of each trade's entry and exit come from one
``searchsorted``, and range highs/lows from ``ufunc.reduceat`` over (start, end) index pairs, so
there is no Python loop over trades. A bar's timestamp is its open time; the bar containing the
entry is included (its high/low may precede the fill by up to one bar: the usual bar-data caveat).

Bars count for a trade only when they can be its market. A symbol's bars may come from another
venue, be split- or dividend-adjusted, belong to another instrument under the same ticker, or carry
a bad tick; MAE/MFE computed from such bars are fiction (a +2,000R "favourable move"). So:

- the entry price must lie inside the low-high of the bars around the entry (the entry bar and one
  bar either side), widened by ``FILL_TOLERANCE`` (0.2% of the price, at least one cent), and the
  exit price likewise around the exit;
- no bar during the trade may reach further than ``MAX_EXCURSION`` (50%) from the entry price
  (a bad tick, or a series in other units).

A trade that fails either check gets ``bar_status`` saying why and no bar-based number at all.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..context import TradeFrame

AFTER_EXIT_BARS = 12
TREND_BARS = 20
ATR_BARS = 14
ATR_BASELINE_BARS = 200
FILL_TOLERANCE = 0.002  # a fill may sit 0.2% of its price outside the bars' range (feeds differ)
MIN_FILL_TOLERANCE = 0.01  # ... and at least one cent
MAX_EXCURSION = 0.5  # a bar during the trade 50%+ away from the entry price is a data problem
FILL_WINDOW_BARS = 1  # bars either side of the fill's bar whose range the fill may fall in

# Why bars were not used for a trade (``bar_status``; "used" when they were).
BAR_STATUS_USED = "used"
BAR_STATUS_NONE = "no_bars"  # the symbol has no bars at all
BAR_STATUS_NOT_COVERED = "not_covered"  # the symbol's bars do not cover the trade's times
BAR_STATUS_ENTRY_OUTSIDE = "entry_outside_bars"  # entry price outside the bars' range at entry
BAR_STATUS_EXIT_OUTSIDE = "exit_outside_bars"  # exit price outside the bars' range at exit
BAR_STATUS_OUTLIER = "bar_outlier"  # a bar during the trade is implausibly far from the fills


@dataclass(slots=True)
class BarSeries:
    """One symbol's bars, sorted by time (epoch seconds)."""

    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    def __len__(self) -> int:
        return len(self.ts)


@dataclass(slots=True)
class BarMetrics:
    """Per trade; NaN when the trade's symbol has no bars covering it."""

    has_bars: np.ndarray  # bool: the bars are consistent with the fills and were used
    bar_status: np.ndarray  # object: one of the BAR_STATUS_* codes
    entry_bar_low: np.ndarray  # the bars' range around the entry (also when inconsistent, for the note)
    entry_bar_high: np.ndarray
    exit_bar_low: np.ndarray
    exit_bar_high: np.ndarray
    mfe_price: np.ndarray
    mae_price: np.ndarray
    mfe_usd: np.ndarray
    mae_usd: np.ndarray  # <= 0
    mfe_r: np.ndarray
    mae_r: np.ndarray
    exit_efficiency: np.ndarray  # realised price move / best favourable move, clipped to [-1, 1]
    left_on_table_usd: np.ndarray  # further favourable move within AFTER_EXIT_BARS after the exit (>= 0)
    left_on_table_r: np.ndarray
    trend_atr: np.ndarray  # 20-bar close change before entry, in ATRs, signed for the trade's side
    atr: np.ndarray
    atr_pct_of_price: np.ndarray
    atr_ratio: np.ndarray  # ATR at entry / its trailing 200-bar mean


def _empty(n: int) -> BarMetrics:
    values = {f.name: np.full(n, np.nan) for f in fields(BarMetrics)}
    values["has_bars"] = np.zeros(n, dtype=bool)
    values["bar_status"] = np.full(n, BAR_STATUS_NONE, dtype=object)
    return BarMetrics(**values)


def _range_reduce(ufunc: np.ufunc, values: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """ufunc over values[start:end] for each pair (NaN where start >= end)."""
    if len(start) == 0:
        return np.zeros(0)
    padded = np.r_[values, values[-1:]]  # reduceat needs every index < len
    idx = np.empty(2 * len(start), dtype=np.int64)
    idx[0::2] = start
    idx[1::2] = np.minimum(end, len(values))
    out = ufunc.reduceat(padded, idx)[0::2]
    return np.where(start < end, out, np.nan)


def _atr(series: BarSeries) -> np.ndarray:
    prev_close = np.r_[series.close[0], series.close[:-1]]
    tr = np.maximum(
        series.high - series.low, np.maximum(np.abs(series.high - prev_close), np.abs(series.low - prev_close))
    )
    cum = np.r_[0.0, np.cumsum(tr)]
    atr = np.full(len(tr), np.nan)
    if len(tr) >= ATR_BARS:
        atr[ATR_BARS - 1 :] = (cum[ATR_BARS:] - cum[:-ATR_BARS]) / ATR_BARS
    return atr


def fill_tolerance(price: np.ndarray) -> np.ndarray:
    """How far outside the bars' low-high a fill may be and still count as inside."""
    return np.maximum(np.abs(price) * FILL_TOLERANCE, MIN_FILL_TOLERANCE)


def _consistent(
    frame: TradeFrame,
    series: BarSeries,
    out: BarMetrics,
    members: np.ndarray,
    i_entry: np.ndarray,
    i_exit: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the trades whose fills lie inside the bars around them; record why the others fail."""
    last = len(series) - 1
    entry = frame.entry_price[members]
    exit_ = frame.exit_price[members]
    e_lo = _range_reduce(
        np.minimum,
        series.low,
        np.maximum(i_entry - FILL_WINDOW_BARS, 0),
        np.minimum(i_entry + FILL_WINDOW_BARS, last) + 1,
    )
    e_hi = _range_reduce(
        np.maximum,
        series.high,
        np.maximum(i_entry - FILL_WINDOW_BARS, 0),
        np.minimum(i_entry + FILL_WINDOW_BARS, last) + 1,
    )
    x_lo = _range_reduce(
        np.minimum,
        series.low,
        np.maximum(i_exit - FILL_WINDOW_BARS, 0),
        np.minimum(i_exit + FILL_WINDOW_BARS, last) + 1,
    )
    x_hi = _range_reduce(np.maximum, series.high, np.maximum(i_exit - FILL_WINDOW_BARS, 0),
                         np.minimum(i_exit + FILL_WINDOW_BARS, last) + 1)  # fmt: skip
    out.entry_bar_low[members], out.entry_bar_high[members] = e_lo, e_hi
    out.exit_bar_low[members], out.exit_bar_high[members] = x_lo, x_hi
    tol_e, tol_x = fill_tolerance(entry), fill_tolerance(exit_)
    entry_ok = (entry >= e_lo - tol_e) & (entry <= e_hi + tol_e)
    exit_ok = (exit_ >= x_lo - tol_x) & (exit_ <= x_hi + tol_x)
    hi = _range_reduce(np.maximum, series.high, i_entry, i_exit + 1)
    lo = _range_reduce(np.minimum, series.low, i_entry, i_exit + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        excursion = np.fmax(hi - entry, entry - lo) / np.abs(entry)
    sane = ~(excursion > MAX_EXCURSION)
    out.bar_status[members[~sane]] = BAR_STATUS_OUTLIER
    out.bar_status[members[~exit_ok]] = BAR_STATUS_EXIT_OUTSIDE
    out.bar_status[members[~entry_ok]] = BAR_STATUS_ENTRY_OUTSIDE
    keep = entry_ok & exit_ok & sane
    return members[keep], i_entry[keep], i_exit[keep]


def compute_bar_metrics(frame: TradeFrame, bars: dict[str, BarSeries], direction: np.ndarray) -> BarMetrics:
    """Metrics for every trade whose bars are consistent with its fills; the rest stay NaN.

    ``bar_status`` tells each trade's story: used, or why not (no bars, not covering the trade,
    a fill outside the bars' range, an implausible bar during the trade).
    """
    n = len(frame)
    out = _empty(n)
    risk_per_unit = np.abs(frame.entry_price - frame.stop_price)
    for symbol, series in bars.items():
        if len(series) < 2:
            continue
        members = np.flatnonzero(frame.symbol == symbol)
        if len(members) == 0:
            continue
        spacing = float(np.median(np.diff(series.ts)))
        entry_ts = frame.entry_ts[members]
        exit_ts = frame.exit_ts[members]
        i_entry = np.searchsorted(series.ts, entry_ts, side="right") - 1
        i_exit = np.searchsorted(series.ts, exit_ts, side="right") - 1
        covered = (i_entry >= 0) & (i_exit >= i_entry) & (entry_ts - series.ts[np.maximum(i_entry, 0)] <= 2 * spacing)
        covered &= exit_ts - series.ts[np.maximum(i_exit, 0)] <= 2 * spacing
        out.bar_status[members[~covered]] = BAR_STATUS_NOT_COVERED
        members, i_entry, i_exit = members[covered], i_entry[covered], i_exit[covered]
        if len(members) == 0:
            continue
        members, i_entry, i_exit = _consistent(frame, series, out, members, i_entry, i_exit)
        if len(members) == 0:
            continue
        d = direction[members]
        entry = frame.entry_price[members]
        exit_ = frame.exit_price[members]
        units = frame.quantity[members] * frame.multiplier[members]
        hi = _range_reduce(np.maximum, series.high, i_entry, i_exit + 1)
        lo = _range_reduce(np.minimum, series.low, i_entry, i_exit + 1)
        top = np.fmax(hi, np.maximum(entry, exit_))
        bottom = np.fmin(lo, np.minimum(entry, exit_))
        mfe_price = np.where(d > 0, top, bottom)
        mae_price = np.where(d > 0, bottom, top)
        mfe_move = (mfe_price - entry) * d  # >= 0
        mae_move = (mae_price - entry) * d  # <= 0
        realised = (exit_ - entry) * d
        risk = risk_per_unit[members]
        with np.errstate(invalid="ignore", divide="ignore"):
            out.exit_efficiency[members] = np.where(mfe_move > 0, np.clip(realised / mfe_move, -1.0, 1.0), np.nan)
            out.mfe_r[members] = np.where(risk > 0, mfe_move / risk, np.nan)
            out.mae_r[members] = np.where(risk > 0, mae_move / risk, np.nan)
        out.has_bars[members] = True
        out.bar_status[members] = BAR_STATUS_USED
        out.mfe_price[members] = mfe_price
        out.mae_price[members] = mae_price
        out.mfe_usd[members] = mfe_move * units
        out.mae_usd[members] = mae_move * units

        after_start = i_exit + 1
        after_end = np.minimum(i_exit + 1 + AFTER_EXIT_BARS, len(series))
        after_hi = _range_reduce(np.maximum, series.high, after_start, after_end)
        after_lo = _range_reduce(np.minimum, series.low, after_start, after_end)
        further = np.where(d > 0, after_hi - exit_, exit_ - after_lo)
        further = np.where(np.isnan(further), np.nan, np.maximum(further, 0.0))
        further = np.where(further > MAX_EXCURSION * np.abs(exit_), np.nan, further)  # a bad tick after the exit
        out.left_on_table_usd[members] = further * units
        with np.errstate(invalid="ignore", divide="ignore"):
            out.left_on_table_r[members] = np.where(risk > 0, further / risk, np.nan)

        atr = _atr(series)
        j = i_entry - 1  # last bar closed before the entry bar
        ok = j >= 0
        js = np.maximum(j, 0)
        atr_j = np.where(ok, atr[js], np.nan)
        back = j - TREND_BARS
        trend_ok = back >= 0
        change = np.where(trend_ok, series.close[js] - series.close[np.maximum(back, 0)], np.nan)
        atr_valid = np.where(np.isnan(atr), 0.0, atr)
        cum_atr = np.r_[0.0, np.cumsum(atr_valid)]
        cum_cnt = np.r_[0, np.cumsum(~np.isnan(atr))]
        lo_idx = np.maximum(js - ATR_BASELINE_BARS, 0)
        cnt = cum_cnt[js] - cum_cnt[lo_idx]  # bars js-200 .. js-1
        with np.errstate(invalid="ignore", divide="ignore"):
            baseline = np.where(cnt >= ATR_BARS, (cum_atr[js] - cum_atr[lo_idx]) / np.maximum(cnt, 1), np.nan)
            out.trend_atr[members] = np.where(atr_j > 0, change * d / atr_j, np.nan)
            out.atr[members] = atr_j
            out.atr_pct_of_price[members] = atr_j / entry * 100
            out.atr_ratio[members] = np.where(baseline > 0, atr_j / baseline, np.nan)
    return out
