"""Walk the desk's actual trade sequence and apply the scenario's rules, trade by trade.

Context is recomputed on the replayed sequence, never read from the original one: a trade that
a rule skips neither counts as a prior loss, nor as a trade of the day, nor in the usual size of
the trades after it, and a replayed stop that turned a loss into a smaller one changes the daily
loss the next trade sees. As in post_mortem.context, a trade only knows trades (of its account)
that exited strictly before it entered.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from ..context import MIN_PRIOR_FOR_NORMS
from ..mining.segments import SIZE_EDGES, SIZE_LABELS, STREAK_LABELS, TRADE_OF_DAY_LABELS
from .rules import SEQUENCE_FACTORS, Scenario


@dataclass(slots=True)
class ReplayTrades:
    """The selection, aligned arrays in any order (plain data: no ORM).

    `static_skip`: trades in a skipped segment whose membership does not depend on the sequence
    (setup, symbol, hour...), computed with the miner's `segment_mask`. `alt_pnl` / `alt_r`: the
    outcome after a replayed stop/target (the actual one where none applies).
    """

    account: np.ndarray  # int codes
    entry_ts: np.ndarray
    exit_ts: np.ndarray
    entry_day: np.ndarray  # desk-local day number of the entry
    exit_day: np.ndarray
    quantity: np.ndarray
    pnl: np.ndarray
    r: np.ndarray  # NaN without a stop
    static_skip: np.ndarray
    alt_pnl: np.ndarray
    alt_r: np.ndarray


@dataclass(slots=True)
class ReplayResult:
    kept: np.ndarray  # bool per trade
    pnl: np.ndarray  # replayed P&L per trade (0 where skipped)
    r: np.ndarray  # replayed R per trade (NaN where skipped or unknown)
    skipped_by: dict[str, int]  # rule -> trades it removed (first rule that applied)
    size_capped: int


def _label_index(labels: tuple[str, ...], value: str) -> int:
    return labels.index(value) if value in labels else -99


def replay(trades: ReplayTrades, scenario: Scenario, *, after_loss_minutes: float = 30) -> ReplayResult:
    """Apply `scenario` to the sequence; returns which trades are kept and their replayed outcome."""
    n = len(trades.entry_ts)
    order = np.lexsort((np.arange(n), trades.entry_ts))
    kept = np.zeros(n, dtype=bool)
    out_pnl = np.zeros(n)
    out_r = np.full(n, np.nan)
    skipped_by: dict[str, int] = {}
    size_capped = 0
    dynamic = [(f, v) for f, v in scenario.skip_segments if f in SEQUENCE_FACTORS]
    after_loss_value = {v for f, v in dynamic if f == "after_loss"}
    streak_skip = {_label_index(STREAK_LABELS, v) for f, v in dynamic if f == "loss_streak"}
    tod_skip = {_label_index(TRADE_OF_DAY_LABELS, v) for f, v in dynamic if f == "trade_of_day"}
    size_skip = {_label_index(SIZE_LABELS, v) for f, v in dynamic if f == "position_size"}
    reentry_s = None if scenario.no_reentry_minutes is None else scenario.no_reentry_minutes * 60
    use_alt = scenario.needs_bars

    # Per account: pending kept trades (exit_ts, position), and state from those already exited.
    pending: dict[int, list[tuple[float, int]]] = {}
    last_loss_exit: dict[int, float] = {}
    streak: dict[int, int] = {}
    qty_sum: dict[int, float] = {}
    qty_n: dict[int, int] = {}
    day_count: dict[tuple[int, int], int] = {}
    day_pnl: dict[tuple[int, int], float] = {}
    day_r: dict[tuple[int, int], float] = {}

    entry_ts, exit_ts = trades.entry_ts, trades.exit_ts
    for i in order:
        acct = int(trades.account[i])
        t = float(entry_ts[i])
        queue = pending.get(acct)
        while queue and queue[0][0] < t:
            _, j = heapq.heappop(queue)
            pnl_j = out_pnl[j]
            if pnl_j < 0:
                last_loss_exit[acct] = float(exit_ts[j])
                streak[acct] = streak.get(acct, 0) + 1
            else:
                streak[acct] = 0
            qty_sum[acct] = qty_sum.get(acct, 0.0) + float(trades.quantity[j])
            qty_n[acct] = qty_n.get(acct, 0) + 1
            key_j = (acct, int(trades.exit_day[j]))
            day_pnl[key_j] = day_pnl.get(key_j, 0.0) + pnl_j
            if not np.isnan(out_r[j]):
                day_r[key_j] = day_r.get(key_j, 0.0) + out_r[j]
        day_key = (acct, int(trades.entry_day[i]))
        nth = day_count.get(day_key, 0) + 1
        since_loss = t - last_loss_exit[acct] if acct in last_loss_exit else None
        usual = qty_sum[acct] / qty_n[acct] if qty_n.get(acct, 0) >= MIN_PRIOR_FOR_NORMS else None
        ratio = float(trades.quantity[i]) / usual if usual else None

        reason = None
        if trades.static_skip[i] or (
            dynamic
            and _in_dynamic_segment(
                after_loss_value,
                streak_skip,
                tod_skip,
                size_skip,
                since_loss,
                streak.get(acct, 0),
                nth,
                ratio,
                after_loss_minutes,
            )
        ):
            reason = "skip_segment"
        elif reentry_s is not None and since_loss is not None and since_loss <= reentry_s:
            reason = "no_reentry_after_loss"
        elif scenario.max_trades_per_day is not None and nth > scenario.max_trades_per_day:
            reason = "max_trades_per_day"
        elif (scenario.daily_loss_r is not None and day_r.get(day_key, 0.0) <= -scenario.daily_loss_r) or (
            scenario.daily_loss_usd is not None and day_pnl.get(day_key, 0.0) <= -scenario.daily_loss_usd
        ):
            reason = "daily_loss_limit"
        if reason is not None:
            skipped_by[reason] = skipped_by.get(reason, 0) + 1
            continue

        pnl_i = float(trades.alt_pnl[i] if use_alt else trades.pnl[i])
        r_i = float(trades.alt_r[i] if use_alt else trades.r[i])
        if scenario.max_size_multiple is not None and ratio is not None and ratio > scenario.max_size_multiple:
            # The position is cut to the cap; 1R shrinks with it, so R per trade is unchanged.
            pnl_i *= scenario.max_size_multiple / ratio
            size_capped += 1
        kept[i] = True
        out_pnl[i] = pnl_i
        out_r[i] = r_i
        day_count[day_key] = nth
        heapq.heappush(pending.setdefault(acct, []), (float(exit_ts[i]), int(i)))
    return ReplayResult(kept=kept, pnl=out_pnl, r=out_r, skipped_by=skipped_by, size_capped=size_capped)


def _in_dynamic_segment(
    after_loss_value: set[str],
    streak_skip: set[int],
    tod_skip: set[int],
    size_skip: set[int],
    since_loss: float | None,
    streak: int,
    nth: int,
    ratio: float | None,
    after_loss_minutes: float,
) -> bool:
    """The miner's segment definitions (post_mortem.mining.segments), on the replayed state."""
    if after_loss_value:
        after = since_loss is not None and since_loss <= after_loss_minutes * 60
        if ("true" in after_loss_value and after) or ("false" in after_loss_value and not after):
            return True
    if streak_skip and min(streak, 2) in streak_skip:
        return True
    if tod_skip and min(nth, 4) - 1 in tod_skip:
        return True
    if size_skip and ratio is not None:
        code = 0 if ratio < SIZE_EDGES[0] else (1 if ratio < SIZE_EDGES[1] else 2)
        if code in size_skip:
            return True
    return False
