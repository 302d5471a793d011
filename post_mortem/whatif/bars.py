"""Stops and targets at k R replayed on a trade's own market bars.

Which level was hit first is decided by the order of the bars between entry and exit: the first
bar whose range reaches the stop (or the target) closes the trade there. When one bar reaches
both, the stop is assumed first (bars do not say which came first inside them: the cautious
reading). A bar that opens beyond the level fills at its open (a gap). A trade is replayed only
when its bars belong to it: bars cover its entry and exit times and its entry and exit prices lie
inside the range of the bar it happened in (otherwise the bars are someone else's market, e.g. a
different contract or a wrong symbol mapping); other trades keep their actual outcome and are
counted as `without_bars`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..metrics.bars import BarSeries

# Prices may differ from a bar's range by rounding; beyond this share of the price they do not belong.
PRICE_TOLERANCE = 1e-4


@dataclass(slots=True)
class BarTrades:
    """The trades to replay, aligned arrays (direction +1 long / -1 short, times in epoch seconds)."""

    symbol: np.ndarray
    direction: np.ndarray
    entry_ts: np.ndarray
    exit_ts: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    stop_price: np.ndarray
    units: np.ndarray  # quantity x multiplier
    fees: np.ndarray
    risk_amount: np.ndarray  # 1R in money


@dataclass(slots=True)
class BarReplay:
    """Per trade: replayed P&L and R (the actual values where nothing changed), and what happened."""

    pnl: np.ndarray
    r: np.ndarray
    usable: np.ndarray  # bars belong to the trade and it has a stop (so 1R is defined)
    exit_reason: np.ndarray  # "" unchanged, "stop", "target"


def bars_belong(trades: BarTrades, bars: dict[str, BarSeries]) -> np.ndarray:
    """Which trades' bars cover their times and contain their entry and exit prices."""
    n = len(trades.symbol)
    ok = np.zeros(n, dtype=bool)
    for symbol, series in bars.items():
        members = np.flatnonzero(trades.symbol == symbol)
        if len(members) == 0 or len(series) < 2:
            continue
        spacing = float(np.median(np.diff(series.ts)))
        i_entry = np.searchsorted(series.ts, trades.entry_ts[members], side="right") - 1
        i_exit = np.searchsorted(series.ts, trades.exit_ts[members], side="right") - 1
        inside = (i_entry >= 0) & (i_exit >= i_entry)
        e, x = np.maximum(i_entry, 0), np.maximum(i_exit, 0)
        inside &= (trades.entry_ts[members] - series.ts[e] <= spacing) & (
            trades.exit_ts[members] - series.ts[x] <= spacing
        )
        for price, i in ((trades.entry_price[members], e), (trades.exit_price[members], x)):
            tol = np.abs(price) * PRICE_TOLERANCE
            inside &= (price >= series.low[i] - tol) & (price <= series.high[i] + tol)
        ok[members[inside]] = True
    return ok


def replay_stops(
    trades: BarTrades,
    bars: dict[str, BarSeries],
    *,
    actual_pnl: np.ndarray,
    actual_r: np.ndarray,
    stop_r: float | None,
    target_r: float | None,
    belongs: np.ndarray | None = None,
) -> BarReplay:
    """Each trade's outcome had it carried a stop at `stop_r` R and/or a target at `target_r` R.

    `belongs` marks the trades whose bars are consistent with their fills; callers holding a
    TradeFrame pass the bar metrics' own verdict (`compute_bar_metrics(...).has_bars`), so the
    replay and the post-mortems agree on which bars belong to a trade. Without it, `bars_belong`.
    """
    n = len(trades.symbol)
    pnl = np.asarray(actual_pnl, dtype=float).copy()
    r = np.asarray(actual_r, dtype=float).copy()
    reason = np.full(n, "", dtype=object)
    risk_per_unit = np.abs(trades.entry_price - trades.stop_price)
    if belongs is None:
        belongs = bars_belong(trades, bars)
    usable = np.asarray(belongs, dtype=bool) & (risk_per_unit > 0) & (trades.risk_amount > 0)
    for i in np.flatnonzero(usable):
        series = bars[trades.symbol[i]]
        first = np.searchsorted(series.ts, trades.entry_ts[i], side="right") - 1
        last = np.searchsorted(series.ts, trades.exit_ts[i], side="right") - 1
        d, entry = float(trades.direction[i]), float(trades.entry_price[i])
        stop_level = entry - d * stop_r * risk_per_unit[i] if stop_r is not None else None
        target_level = entry + d * target_r * risk_per_unit[i] if target_r is not None else None
        fill = None
        for b in range(first, last + 1):
            o, hi, lo = series.open[b], series.high[b], series.low[b]
            adverse, favourable = (lo, hi) if d > 0 else (hi, lo)
            if stop_level is not None and (adverse - stop_level) * d <= 0:
                # The entry bar cannot gap through the stop before the fill: it fills at the level.
                gapped = b > first and (o - stop_level) * d < 0
                fill, reason[i] = (o if gapped else stop_level), "stop"
                break
            if target_level is not None and (favourable - target_level) * d >= 0:
                gapped = b > first and (o - target_level) * d > 0
                fill, reason[i] = (o if gapped else target_level), "target"
                break
        if fill is None:
            continue
        pnl[i] = (fill - entry) * d * trades.units[i] - trades.fees[i]
        r[i] = pnl[i] / trades.risk_amount[i]
    return BarReplay(pnl=pnl, r=r, usable=usable, exit_reason=reason)
