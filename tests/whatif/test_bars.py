"""Stops and targets replayed on bars, checked against outcomes computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from post_mortem.metrics.bars import BarSeries
from post_mortem.whatif.bars import BarTrades, replay_stops

T0 = 1_736_000_000.0  # a bar open; bars every 5 minutes
BARS = BarSeries(
    ts=T0 + 300.0 * np.arange(6),
    #                 b0     b1     b2     b3     b4     b5
    open=np.array([100.0, 100.2, 100.8, 102.0, 101.9, 101.8]),
    high=np.array([100.5, 101.0, 102.2, 102.5, 102.0, 102.4]),
    low=np.array([99.8, 99.6, 100.5, 101.5, 101.1, 101.2]),
    close=np.array([100.2, 100.8, 102.0, 102.3, 101.9, 102.0]),
)


def _trades(*rows) -> BarTrades:
    """rows: (direction, entry_bar, exit_bar, entry_price, exit_price, stop_price)."""
    cols = list(zip(*rows, strict=True))
    n = len(rows)
    return BarTrades(
        symbol=np.array(["ES"] * n, dtype=object),
        direction=np.array(cols[0], dtype=float),
        entry_ts=T0 + 300.0 * np.array(cols[1]) + 60,
        exit_ts=T0 + 300.0 * np.array(cols[2]) + 240,
        entry_price=np.array(cols[3], dtype=float),
        exit_price=np.array(cols[4], dtype=float),
        stop_price=np.array(cols[5], dtype=float),
        units=np.full(n, 100.0),
        fees=np.full(n, 2.0),
        risk_amount=np.abs(np.array(cols[3]) - np.array(cols[5], dtype=float)) * 100.0,
    )


def _replay(trades: BarTrades, stop_r=None, target_r=None):
    actual_pnl = (trades.exit_price - trades.entry_price) * trades.direction * trades.units - trades.fees
    actual_r = actual_pnl / trades.risk_amount
    return replay_stops(
        trades, {"ES": BARS}, actual_pnl=actual_pnl, actual_r=actual_r, stop_r=stop_r, target_r=target_r
    ), actual_pnl


LONG = (1, 0, 3, 100.0, 102.3, 99.0)  # long 100 -> 102.3 over b0..b3, stop 99 (1R = $1 x 100 = $100)


def test_target_hit_in_the_first_bar_that_reaches_it():
    out, _ = _replay(_trades(LONG), target_r=2)  # level 102.0: b2's high 102.2 reaches it
    assert out.exit_reason[0] == "target"
    assert out.pnl[0] == pytest.approx((102.0 - 100.0) * 100 - 2)  # 198
    assert out.r[0] == pytest.approx(1.98)


def test_tight_stop_hit_before_the_target():
    out, _ = _replay(_trades(LONG), stop_r=0.3, target_r=2)  # 99.7: b1's low 99.6 reaches it first
    assert out.exit_reason[0] == "stop"
    assert out.pnl[0] == pytest.approx(-0.3 * 100 - 2)
    assert out.r[0] == pytest.approx(-0.32)


def test_both_levels_in_one_bar_count_as_the_stop():
    out, _ = _replay(_trades(LONG), stop_r=0.3, target_r=1)  # b1 spans 99.6-101.0: 99.7 and 101.0
    assert out.exit_reason[0] == "stop" and out.r[0] == pytest.approx(-0.32)


def test_levels_never_reached_keep_the_actual_outcome():
    out, actual = _replay(_trades(LONG), stop_r=0.5, target_r=3)  # 99.5 and 103.0: neither reached
    assert out.exit_reason[0] == "" and out.pnl[0] == pytest.approx(actual[0]) and out.usable[0]


def test_a_stop_inside_the_entry_bar_fills_at_its_level():
    # Short 102.1 in b3 (stop 102.6, 1R = 0.5), held to b5. Stop at 1.5R = 102.85 is never reached;
    # at 0.5R = 102.35: b3 (entry bar, high 102.5) reaches it -> filled at the level, not the open.
    short = (-1, 3, 5, 102.1, 101.9, 102.6)
    out, _ = _replay(_trades(short), stop_r=0.5)
    assert out.exit_reason[0] == "stop"
    assert out.pnl[0] == pytest.approx((102.1 - 102.35) * 100 - 2)
    # A long from b3 at 102.0, stop 101.0: stop at 0.6R = 101.4; b4 opens 101.9, low 101.1 -> level 101.4.
    # A target of 0.5R = 102.5 is reached in b3 (high 102.5) first.
    gap_long = (1, 3, 5, 102.0, 102.0, 101.0)
    out, _ = _replay(_trades(gap_long), stop_r=0.6, target_r=0.5)
    assert out.exit_reason[0] == "target" and out.pnl[0] == pytest.approx(0.5 * 100 - 2)


def test_gap_beyond_the_stop_fills_at_the_bar_open():
    bars = BarSeries(
        ts=T0 + 300.0 * np.arange(3),
        open=np.array([100.0, 98.0, 98.5]),
        high=np.array([100.4, 98.6, 99.0]),
        low=np.array([99.7, 97.5, 98.2]),
        close=np.array([100.1, 98.4, 98.8]),
    )
    trades = _trades((1, 0, 2, 100.0, 98.8, 99.0))
    actual_pnl = (98.8 - 100.0) * 100 - 2.0
    out = replay_stops(
        trades,
        {"ES": bars},
        actual_pnl=np.array([actual_pnl]),
        actual_r=np.array([actual_pnl / 100]),
        stop_r=1.0,
        target_r=None,
    )
    # The stop at 99.0 is jumped over: b1 opens at 98.0, so the fill is 98.0 (-2R), worse than the level.
    assert out.exit_reason[0] == "stop" and out.pnl[0] == pytest.approx((98.0 - 100.0) * 100 - 2)


def test_bars_that_do_not_belong_or_no_stop_keep_the_trade_as_it_was():
    foreign = (1, 0, 3, 50.0, 51.0, 49.0)  # prices outside every bar: another market's bars
    no_stop = (1, 0, 3, 100.0, 102.3, np.nan)
    out, actual = _replay(_trades(LONG, foreign, no_stop), stop_r=0.3)
    assert out.usable.tolist() == [True, False, False]
    assert out.exit_reason.tolist() == ["stop", "", ""]
    assert out.pnl[1:] == pytest.approx(actual[1:], nan_ok=True)


def test_engine_replays_only_trades_whose_bars_the_bar_metrics_accept():
    from post_mortem.mining.synthetic import DESK_TZ, synthetic_frame
    from post_mortem.whatif.engine import replay_frame
    from post_mortem.whatif.rules import parse_rules

    frame, _ = synthetic_frame(2, seed=0, accounts=1)
    frame.symbol = np.array(["ES", "ES"], dtype=object)
    frame.side = np.array(["LONG", "LONG"], dtype=object)
    frame.entry_ts = np.array([T0 + 60, T0 + 60])
    frame.exit_ts = np.array([T0 + 3 * 300 + 240, T0 + 3 * 300 + 240])
    frame.entry_price = np.array([100.0, 50.0])  # the second trade's fills are nowhere near these bars
    frame.exit_price = np.array([102.3, 52.3])
    frame.stop_price = np.array([99.0, 49.0])
    frame.quantity = np.array([100.0, 100.0])
    frame.multiplier = np.ones(2)
    frame.fees = np.zeros(2)
    frame.risk_amount = np.array([100.0, 100.0])
    frame.net_pnl = np.array([230.0, 230.0])
    frame.r_multiple = np.array([2.3, 2.3])
    report = replay_frame(
        frame, parse_rules([{"type": "stop_r", "r": 0.3}]), desk_tz=DESK_TZ, bars={"ES": BARS}, n_boot=50
    )
    assert report["bars"] == {"with_bars": 1, "without_bars": 1, "stopped": 1, "target_hit": 0}
    assert report["what_if"]["net_pnl"] == pytest.approx(-30.0 + 230.0)
