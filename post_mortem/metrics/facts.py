"""Assemble each trade's facts: metrics + context + segment history, as JSON-safe plain dicts.

The facts are what an engine is given and what is stored in ``TradeAnalysis.facts``: the rules
engine reasons over them, Claude receives them verbatim, and the page shows them. Arrays are
rounded and converted with ``tolist()`` first, so 100k trades cost one pass of dict building.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..context import ContextFrame, TradeFrame, _group_codes
from ..engines.vocabulary import MAX_PLAUSIBLE_R, OVERSIZED_RATIO, OVERTRADING_NTH, TILT_STREAK
from .bars import (
    BAR_STATUS_ENTRY_OUTSIDE,
    BAR_STATUS_EXIT_OUTSIDE,
    BAR_STATUS_NONE,
    BAR_STATUS_NOT_COVERED,
    BAR_STATUS_OUTLIER,
    BAR_STATUS_USED,
    FILL_TOLERANCE,
    MAX_EXCURSION,
    BarMetrics,
    BarSeries,
    compute_bar_metrics,
)
from .trade import compute_trade_metrics, prior_segment_mean_r

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _column(values: np.ndarray, digits: int) -> list[Any]:
    arr = np.asarray(values, dtype=float)
    rounded = np.round(arr, digits)
    return [None if v != v else v for v in rounded.tolist()]  # NaN -> None


def _flag(values: np.ndarray) -> list[bool | None]:
    return [None if v != v else bool(v) for v in np.asarray(values, dtype=float).tolist()]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z")


def _price(value: float) -> str:
    if value != value:
        return "n/a"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4f}".rstrip("0").rstrip(".")


def bars_note(fact: dict[str, Any], status: str, lows_highs: tuple[float, float, float, float]) -> str:
    """One sentence saying whether the bars were used for this trade, and if not, why."""
    symbol = fact["symbol"]
    e_lo, e_hi, x_lo, x_hi = lows_highs
    if status == BAR_STATUS_USED:
        return f"Bars for {symbol} agree with the fills (within {FILL_TOLERANCE:.1%}) and were used."
    if status == BAR_STATUS_NONE:
        return f"No market bars for {symbol}: MAE/MFE, exit efficiency and trend are unavailable."
    if status == BAR_STATUS_NOT_COVERED:
        return f"The bars for {symbol} do not cover this trade's entry and exit times: bar-based facts unavailable."
    if status == BAR_STATUS_ENTRY_OUTSIDE:
        return (
            f"Bars not used: the entry at {_price(fact['entry_price'])} lies outside the bars' range "
            f"{_price(e_lo)}-{_price(e_hi)} around the entry (tolerance {FILL_TOLERANCE:.1%}); the bars are "
            f"probably another venue, an adjusted series or another instrument under {symbol}."
        )
    if status == BAR_STATUS_EXIT_OUTSIDE:
        return (
            f"Bars not used: the exit at {_price(fact['exit_price'])} lies outside the bars' range "
            f"{_price(x_lo)}-{_price(x_hi)} around the exit (tolerance {FILL_TOLERANCE:.1%}); the bars are "
            f"probably another venue, an adjusted series or another instrument under {symbol}."
        )
    if status == BAR_STATUS_OUTLIER:
        return (
            f"Bars not used: a bar during the trade is more than {MAX_EXCURSION:.0%} away from the entry price "
            f"(a bad tick or a series in other units)."
        )
    return f"Bars not used ({status})."


def data_problems(fact: dict[str, Any], status: str) -> list[str]:
    """Numbers too extreme to be advice: reported as problems with the data instead."""
    problems = []
    r = fact.get("r_multiple")
    if r is not None and abs(r) > MAX_PLAUSIBLE_R:
        problems.append(
            f"R of {r:+.2f} is beyond ±{MAX_PLAUSIBLE_R:g}R: the stop at {fact.get('stop_price')} is probably "
            f"mistyped (risk {fact.get('risk_amount')} for a net P&L of {fact.get('net_pnl')})."
        )
    if status in (BAR_STATUS_ENTRY_OUTSIDE, BAR_STATUS_EXIT_OUTSIDE, BAR_STATUS_OUTLIER):
        problems.append(fact["bars_note"])
    return problems


def compute_facts(
    frame: TradeFrame,
    context: ContextFrame,
    bars: dict[str, BarSeries] | None = None,
    *,
    positions: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Facts for the trades at ``positions`` (default: all) of a frame holding their full history."""
    metrics = compute_trade_metrics(frame)
    bar_metrics: BarMetrics = compute_bar_metrics(frame, bars or {}, metrics.direction)
    accounts = _group_codes(frame.account) if len(frame) else np.zeros(0, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        oversized = context.size_ratio >= OVERSIZED_RATIO
    seg_after_loss, n_after_loss = prior_segment_mean_r(frame, accounts, context.after_loss)
    seg_oversized, n_oversized = prior_segment_mean_r(frame, accounts, oversized)
    seg_late, n_late = prior_segment_mean_r(frame, accounts, context.trade_of_day >= OVERTRADING_NTH)
    seg_tilt, n_tilt = prior_segment_mean_r(frame, accounts, context.loss_streak >= TILT_STREAK)
    with np.errstate(invalid="ignore", divide="ignore"):
        holding_ratio = frame.holding_minutes / context.usual_holding_minutes

    pos = np.arange(len(frame)) if positions is None else np.asarray(positions)

    def take(a: np.ndarray) -> np.ndarray:
        return np.asarray(a)[pos]

    cols: dict[str, list[Any]] = {
        "id": take(frame.id).tolist(),
        "account": take(frame.account).tolist(),
        "symbol": take(frame.symbol).tolist(),
        "setup": take(frame.setup).tolist(),
        "side": take(frame.side).tolist(),
        "quantity": _column(take(frame.quantity), 6),
        "entry_price": _column(take(frame.entry_price), 8),
        "exit_price": _column(take(frame.exit_price), 8),
        "stop_price": _column(take(frame.stop_price), 8),
        "target_price": _column(take(frame.target_price), 8),
        "fees": _column(take(frame.fees), 4),
        "gross_pnl": _column(take(metrics.gross_pnl), 2),
        "net_pnl": _column(take(frame.net_pnl), 2),
        "risk_amount": _column(take(frame.risk_amount), 2),
        "r_multiple": _column(take(frame.r_multiple), 3),
        "holding_minutes": _column(take(frame.holding_minutes), 1),
        "planned_rr": _column(take(metrics.planned_rr), 2),
        "stop_honoured": _flag(take(metrics.stop_honoured)),
        "loss_beyond_stop_r": _column(take(metrics.loss_beyond_stop_r), 3),
        "target_reached": _flag(take(metrics.target_reached)),
        "has_bars": take(bar_metrics.has_bars).tolist(),
        "bar_status": take(bar_metrics.bar_status).tolist(),
        "mfe_price": _column(take(bar_metrics.mfe_price), 8),
        "mae_price": _column(take(bar_metrics.mae_price), 8),
        "mfe_usd": _column(take(bar_metrics.mfe_usd), 2),
        "mae_usd": _column(take(bar_metrics.mae_usd), 2),
        "mfe_r": _column(take(bar_metrics.mfe_r), 3),
        "mae_r": _column(take(bar_metrics.mae_r), 3),
        "exit_efficiency": _column(take(bar_metrics.exit_efficiency), 3),
        "left_on_table_usd": _column(take(bar_metrics.left_on_table_usd), 2),
        "left_on_table_r": _column(take(bar_metrics.left_on_table_r), 3),
        "trend_atr": _column(take(bar_metrics.trend_atr), 2),
        "atr_pct_of_price": _column(take(bar_metrics.atr_pct_of_price), 3),
        "atr_ratio": _column(take(bar_metrics.atr_ratio), 2),
        "prior_trades": take(context.prior_trades).tolist(),
        "account_expectancy_r": _column(take(context.account_expectancy_r), 3),
        "account_win_rate": _column(take(context.account_win_rate), 3),
        "setup_prior_trades": take(context.setup_prior_trades).tolist(),
        "setup_expectancy_r": _column(take(context.setup_expectancy_r), 3),
        "setup_win_rate": _column(take(context.setup_win_rate), 3),
        "usual_quantity": _column(take(context.usual_quantity), 2),
        "size_ratio": _column(take(context.size_ratio), 2),
        "usual_holding_minutes": _column(take(context.usual_holding_minutes), 1),
        "holding_ratio": _column(take(holding_ratio), 2),
        "minutes_since_loss_exit": _column(take(context.minutes_since_loss_exit), 1),
        "last_loss_r": _column(take(context.last_loss_r), 3),
        "loss_streak": take(context.loss_streak).tolist(),
        "after_loss": take(context.after_loss).astype(bool).tolist(),
        "trade_of_day": take(context.trade_of_day).tolist(),
        "entry_hour": take(context.entry_hour).tolist(),
        "entry_minute": take(context.entry_minute).tolist(),
        "weekday": [WEEKDAYS[w] for w in take(context.weekday).tolist()],
        "after_loss_segment_r": _column(take(seg_after_loss), 3),
        "after_loss_segment_n": take(n_after_loss).tolist(),
        "oversized_segment_r": _column(take(seg_oversized), 3),
        "oversized_segment_n": take(n_oversized).tolist(),
        "late_trades_segment_r": _column(take(seg_late), 3),
        "late_trades_segment_n": take(n_late).tolist(),
        "tilt_segment_r": _column(take(seg_tilt), 3),
        "tilt_segment_n": take(n_tilt).tolist(),
    }
    entry_iso = [_iso(t) for t in take(frame.entry_ts).tolist()]
    exit_iso = [_iso(t) for t in take(frame.exit_ts).tolist()]
    keys = list(cols)
    rows = zip(*cols.values(), strict=True)
    out = []
    ranges = zip(
        *(
            take(a).tolist()
            for a in (
                bar_metrics.entry_bar_low,
                bar_metrics.entry_bar_high,
                bar_metrics.exit_bar_low,
                bar_metrics.exit_bar_high,
            )
        ),
        strict=True,
    )
    for row, entry, exit_, lows_highs in zip(rows, entry_iso, exit_iso, ranges, strict=True):
        fact = dict(zip(keys, row, strict=True))
        fact["entry_time"] = entry
        fact["exit_time"] = exit_
        status = fact["bar_status"]
        fact["bars_note"] = bars_note(fact, status, lows_highs)
        fact["data_problems"] = data_problems(fact, status)
        out.append(fact)
    return out
