"""Synthetic trade frames with planted effects, for the miner's tests and benchmark.

Why here and not in tests/: the benchmark and the statistical tests need the same generator, and
building frames directly (no database) lets the null-calibration test mine hundreds of data sets
in seconds. Effects are planted in R per segment, using the same segment definitions the miner
tests, so "the miner finds what was planted" is a real check of the whole pipeline.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ..context import ContextFrame, TradeFrame, compute_context
from .segments import segment_mask

DESK_TZ = "America/New_York"
SETUPS = ("breakout", "pullback", "fade", "reversal", "momentum", "gap")
SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "META", "TSLA", "SPY", "QQQ", "AMD", "GOOG")
# The demo desk's planted effects (R per trade), as in fixtures: factor, value, shift.
DEMO_EFFECTS: tuple[tuple[str, str, float], ...] = (
    ("after_loss", "true", -0.6),
    ("setup", "fade", -0.5),
    ("setup", "pullback", 0.4),
    ("hour", "09", -0.4),
    ("position_size", "1.5x+", -0.5),
)
# Day-dependence calibration desks: setups with a gap_fade, a share of long holds, and the four
# behavioral effects a reviewer planted on top of shared day shocks.
CALIBRATION_SETUPS = ("breakout", "pullback", "gap_fade", "reversal", "momentum", "vwap_reclaim")
CALIBRATION_EFFECTS: tuple[tuple[str, str, float], ...] = (
    ("setup", "gap_fade", -0.6),
    ("weekday", "Monday", -0.5),
    ("holding_time", "240+ min", -0.5),
    ("after_loss", "true", -0.7),
)


def synthetic_frame(
    n: int,
    *,
    seed: int = 0,
    accounts: int = 8,
    effects: tuple[tuple[str, str, float], ...] = (),
    trades_per_account_day: float = 6.0,
    oversize_share: float = 0.08,
    no_stop_share: float = 0.0,
    symbols: int = len(SYMBOLS),
    setups: tuple[str, ...] = SETUPS,
    day_shock_sd: float = 0.0,
    day_shock_ar: float = 0.0,
    trade_ar: float = 0.0,
    long_hold_share: float = 0.0,
) -> tuple[TradeFrame, ContextFrame]:
    """A desk's trades (winter months, New York hours) with `effects` planted in R.

    Context depends on earlier outcomes (after_loss, loss_streak), so effects are applied over three
    rounds of computing the context; membership settles and the planted shifts hold per segment.

    Market days: `day_shock_sd` adds one shock per business day to every trade of that day (an
    AR(1) across days with coefficient `day_shock_ar`), and `trade_ar` makes the noise of an
    account's consecutive trades within a day AR(1): the dependence a real desk's trades have.
    `long_hold_share` of trades are held 4-6.5 hours.
    """
    rng = np.random.default_rng(seed)
    symbol_names = list(SYMBOLS[:symbols]) + [f"SYM{i:03d}" for i in range(max(0, symbols - len(SYMBOLS)))]
    account_names = np.array([f"ACC-{i + 1:02d}" for i in range(accounts)], dtype=object)
    acct = rng.integers(0, accounts, n)
    n_days = max(5, int(np.ceil(n / (accounts * trades_per_account_day))))
    # Business days from 2025-01-06 (a Monday); weekends skipped. Entries 09:30-15:29 New York
    # time, converted with the real UTC offset of each day (DST included).
    day_index = rng.integers(0, n_days, n)
    week, dow = np.divmod(day_index, 5)
    calendar_day = week * 7 + dow
    unique_days, inverse = np.unique(calendar_day, return_inverse=True)
    tz = ZoneInfo(DESK_TZ)
    first = date(2025, 1, 6)
    session_open = np.array(
        [datetime.combine(first + timedelta(days=int(d)), time(9, 30), tzinfo=tz).timestamp() for d in unique_days]
    )
    minute_of_session = rng.integers(0, 360, n)
    entry_ts = session_open[inverse] + minute_of_session * 60.0
    holding = np.round(rng.exponential(35.0, n) + 1.0, 1)
    long_hold = rng.random(n) < long_hold_share
    holding[long_hold] = np.round(rng.uniform(241.0, 390.0, int(long_hold.sum())), 1)
    exit_ts = entry_ts + holding * 60.0
    quantity = np.full(n, 100.0)
    oversized = rng.random(n) < oversize_share
    quantity[oversized] = 250.0
    risk_amount = quantity * 1.0  # $1 per share to the stop
    noise = rng.standard_t(5, n)
    if trade_ar:
        noise = _serial_within_groups(noise, acct, day_index, entry_ts, trade_ar)
    base_r = 0.05 + 0.9 * noise
    if day_shock_sd:
        shocks = np.zeros(n_days)
        innovations = rng.standard_normal(n_days) * day_shock_sd * np.sqrt(1 - day_shock_ar**2)
        shocks[0] = rng.standard_normal() * day_shock_sd
        for k in range(1, n_days):
            shocks[k] = day_shock_ar * shocks[k - 1] + innovations[k]
        base_r = base_r + shocks[day_index]

    frame = TradeFrame(
        id=np.arange(1, n + 1, dtype=np.int64),
        account=account_names[acct],
        symbol=np.array(symbol_names, dtype=object)[rng.integers(0, len(symbol_names), n)],
        setup=np.array(setups, dtype=object)[rng.integers(0, len(setups), n)],
        side=np.where(rng.random(n) < 0.6, "LONG", "SHORT").astype(object),
        tags=np.full(n, "", dtype=object),
        quantity=quantity,
        entry_ts=entry_ts,
        exit_ts=exit_ts,
        entry_price=np.full(n, 100.0),
        exit_price=np.full(n, 100.0),
        stop_price=np.full(n, 99.0),
        target_price=np.full(n, np.nan),
        fees=np.zeros(n),
        multiplier=np.ones(n),
        net_pnl=base_r * risk_amount,
        r_multiple=base_r.copy(),
        risk_amount=risk_amount,
        holding_minutes=holding,
    )
    context = compute_context(frame, desk_tz=DESK_TZ)
    for _ in range(3 if effects else 0):
        r = base_r.copy()
        for factor, value, shift in effects:
            r += shift * segment_mask(frame, context, factor=factor, value=value)
        frame.r_multiple = r
        frame.net_pnl = r * risk_amount
        context = compute_context(frame, desk_tz=DESK_TZ)
    if no_stop_share:
        no_stop = rng.random(n) < no_stop_share
        frame.r_multiple = np.where(no_stop, np.nan, frame.r_multiple)
        frame.risk_amount = np.where(no_stop, np.nan, frame.risk_amount)
        frame.stop_price = np.where(no_stop, np.nan, frame.stop_price)
    return frame, context


def _serial_within_groups(
    noise: np.ndarray, account: np.ndarray, day: np.ndarray, entry_ts: np.ndarray, rho: float
) -> np.ndarray:
    """AR(1) noise along each account-day's trades in entry order (unit variance kept)."""
    order = np.lexsort((entry_ts, day, account))
    out = noise.astype(float).copy()
    scale = np.sqrt(1 - rho**2)
    prev_key = None
    prev = 0.0
    for i in order:
        key = (account[i], day[i])
        out[i] = rho * prev + scale * noise[i] if key == prev_key else noise[i]
        prev, prev_key = out[i], key
    return out


def calibration_desk(
    seed: int, *, planted: bool, trades: int = 6000, accounts: int = 8
) -> tuple[TradeFrame, ContextFrame]:
    """A year-long desk (about 250 market days, 3 trades per account-day) with day shocks of sd 0.6R
    serially dependent across days (AR 0.3), 8% long holds; with `planted`, CALIBRATION_EFFECTS
    on top. No noise dependence between an account's consecutive trades: that would make "after a
    loss the next trade is worse" true, an effect the miner should report."""
    return synthetic_frame(
        trades,
        seed=seed,
        accounts=accounts,
        effects=CALIBRATION_EFFECTS if planted else (),
        trades_per_account_day=3.0,
        setups=CALIBRATION_SETUPS,
        day_shock_sd=0.6,
        day_shock_ar=0.3,
        long_hold_share=0.08,
    )
