"""One what-if replay over a TradeFrame: plain data in, the report dict out (no ORM).

`replay_frame` gives actual vs replayed figures and the day-bootstrap difference;
`walk_forward` judges a rule that came from mining the same trades out-of-sample: the earlier
part of the days must discover the segment (the miner, with its multiple-testing correction),
and only then is the rule replayed on the later part, which discovery never saw.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..context import TradeFrame, compute_context, local_hour_and_weekday
from ..metrics.bars import BarSeries, compute_bar_metrics
from ..mining.segments import AnalysisColumns, segment_mask
from .bars import BarTrades, replay_stops
from .replay import ReplayTrades, replay
from .rules import SEQUENCE_FACTORS, Scenario
from .stats import Outcomes, compare, equity_curves, summary

DEFAULT_N_BOOT = 2000
WALK_FORWARD_SPLIT = 0.5  # share of the selection's days used for discovery


def _direction(side: np.ndarray) -> np.ndarray:
    return np.where(np.char.upper(side.astype(str)) == "SHORT", -1.0, 1.0)


def replay_frame(
    frame: TradeFrame,
    scenario: Scenario,
    *,
    desk_tz: str,
    bars: dict[str, BarSeries] | None = None,
    analyses: AnalysisColumns | None = None,
    after_loss_minutes: float = 30,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    include_kept: bool = False,
) -> dict[str, Any]:
    """Replay `scenario` on every trade of `frame` (the selection, in any order).

    `include_kept` adds the boolean array of kept trades under "kept" (not JSON: for callers that
    inspect which trades the rules removed).
    """
    n = len(frame)
    _, _, entry_day = local_hour_and_weekday(frame.entry_ts, desk_tz)
    _, _, exit_day = local_hour_and_weekday(frame.exit_ts, desk_tz)
    static = [(f, v) for f, v in scenario.skip_segments if f not in SEQUENCE_FACTORS]
    static_skip = np.zeros(n, dtype=bool)
    if static:
        context = compute_context(frame, desk_tz=desk_tz, after_loss_minutes=after_loss_minutes)
        for factor, value in static:
            static_skip |= segment_mask(frame, context, factor=factor, value=value, analyses=analyses)
    pnl = np.nan_to_num(np.asarray(frame.net_pnl, dtype=float))
    r = np.asarray(frame.r_multiple, dtype=float)
    alt_pnl, alt_r = pnl, r
    bar_counts = None
    if scenario.needs_bars:
        bar_trades = BarTrades(
            symbol=frame.symbol,
            direction=_direction(frame.side),
            entry_ts=frame.entry_ts,
            exit_ts=frame.exit_ts,
            entry_price=frame.entry_price,
            exit_price=frame.exit_price,
            stop_price=frame.stop_price,
            units=frame.quantity * np.nan_to_num(frame.multiplier, nan=1.0),
            fees=np.nan_to_num(frame.fees),
            risk_amount=frame.risk_amount,
        )
        belongs = compute_bar_metrics(frame, bars or {}, bar_trades.direction).has_bars
        stops = replay_stops(
            bar_trades,
            bars or {},
            actual_pnl=pnl,
            actual_r=r,
            stop_r=scenario.stop_r,
            target_r=scenario.target_r,
            belongs=belongs,
        )
        alt_pnl, alt_r = stops.pnl, stops.r
        bar_counts = {
            "with_bars": int(stops.usable.sum()),
            "without_bars": int(n - stops.usable.sum()),
            "stopped": int((stops.exit_reason == "stop").sum()),
            "target_hit": int((stops.exit_reason == "target").sum()),
        }
    accounts = {a: k for k, a in enumerate(dict.fromkeys(frame.account.tolist()))}
    trades = ReplayTrades(
        account=np.fromiter((accounts[a] for a in frame.account.tolist()), dtype=np.int64, count=n),
        entry_ts=frame.entry_ts,
        exit_ts=frame.exit_ts,
        entry_day=entry_day,
        exit_day=exit_day,
        quantity=np.asarray(frame.quantity, dtype=float),
        pnl=pnl,
        r=r,
        static_skip=static_skip,
        alt_pnl=alt_pnl,
        alt_r=alt_r,
    )
    result = replay(trades, scenario, after_loss_minutes=after_loss_minutes)
    actual = Outcomes(kept=np.ones(n, dtype=bool), pnl=pnl, r=r)
    what_if = Outcomes(kept=result.kept, pnl=result.pnl, r=result.r)
    exit_order = np.lexsort((np.arange(n), frame.exit_ts))
    report = {
        "actual": summary(actual, exit_order),
        "what_if": summary(what_if, exit_order),
        "difference": compare(actual, what_if, entry_day, n_boot=n_boot, seed=seed),
        "skipped_by": result.skipped_by,
        "size_capped": result.size_capped,
        "bars": bar_counts,
        "curves": equity_curves(actual, what_if, exit_day),
    }
    if include_kept:
        report["kept"] = result.kept
    return report


def walk_forward(
    frame: TradeFrame,
    scenario: Scenario,
    *,
    segment: tuple[str, str],
    desk_tz: str,
    bars: dict[str, BarSeries] | None = None,
    analyses: AnalysisColumns | None = None,
    after_loss_minutes: float = 30,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    min_trades: int | None = None,
) -> dict[str, Any] | None:
    """Discover on the earlier days, replay on the later ones; None when too few days to split.

    `adopted` says whether mining the earlier part alone finds `segment` significant and costly
    (effect < 0). When it does not, the rule would not have been adopted from that data: the
    out-of-sample gain of following the discovery process is zero, and the later-part replay is
    still shown for reference.
    """
    from ..mining.miner import DEFAULT_MIN_TRADES, mine

    _, _, entry_day = local_hour_and_weekday(frame.entry_ts, desk_tz)
    days = np.unique(entry_day)
    if len(days) < 10:
        return None
    split_day = days[int(len(days) * WALK_FORWARD_SPLIT)]
    earlier = entry_day < split_day
    context = compute_context(frame, desk_tz=desk_tz, after_loss_minutes=after_loss_minutes)
    mined = mine(
        frame,
        context,
        period_mask=earlier,
        analyses=analyses,
        min_trades=min_trades or DEFAULT_MIN_TRADES,
        n_boot=min(n_boot, 1000),
        seed=seed,
    )
    found = next((s for s in mined.segments if (s.factor, s.segment) == segment), None)
    adopted = bool(found is not None and found.significant and found.effect < 0)
    later_index = np.flatnonzero(~earlier)
    later = replay_frame(
        frame.take(later_index),
        scenario,
        desk_tz=desk_tz,
        bars=bars,
        analyses=analyses.take(later_index) if analyses is not None else None,
        after_loss_minutes=after_loss_minutes,
        n_boot=n_boot,
        seed=seed,
    )
    in_sample = replay_frame(
        frame.take(np.flatnonzero(earlier)),
        scenario,
        desk_tz=desk_tz,
        bars=bars,
        analyses=analyses.take(np.flatnonzero(earlier)) if analyses is not None else None,
        after_loss_minutes=after_loss_minutes,
        n_boot=n_boot,
        seed=seed,
    )
    return {
        "segment": {"factor": segment[0], "value": segment[1]},
        "split_day": int(split_day),
        "discovery_trades": int(earlier.sum()),
        "test_trades": len(later_index),
        "adopted": adopted,
        "discovery_effect_r": None if found is None else round(float(found.effect), 4),
        "discovery_q_value": None if found is None else round(float(found.q_value), 4),
        "in_sample": in_sample["difference"],
        "difference": later["difference"],
        "actual": later["actual"],
        "what_if": later["what_if"],
    }
