"""Bar metrics on hand-built trades and bars with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from post_mortem.context import TradeFrame
from post_mortem.metrics import BarSeries, compute_bar_metrics, compute_trade_metrics, prior_segment_mean_r

MIN = 60.0
T_ENTRY = 1_000_000 * MIN  # aligned on a bar boundary


def frame(**cols) -> TradeFrame:
    n = len(cols["side"])
    base = {
        "id": np.arange(1, n + 1),
        "account": np.array(["A"] * n, dtype=object),
        "symbol": np.array(["XYZ"] * n, dtype=object),
        "setup": np.array(["s"] * n, dtype=object),
        "tags": np.array([""] * n, dtype=object),
        "quantity": np.full(n, 10.0),
        "fees": np.zeros(n),
        "multiplier": np.ones(n),
        "target_price": np.full(n, np.nan),
        "net_pnl": np.zeros(n),
        "r_multiple": np.full(n, np.nan),
        "risk_amount": np.full(n, np.nan),
        "holding_minutes": np.full(n, 30.0),
    }
    base.update(cols)
    base["side"] = np.array(base["side"], dtype=object)
    return TradeFrame(**base)


def bars() -> BarSeries:
    """40 rising bars before the entry (ATR 0.5, +0.25 per bar), the trade's bars, then a run-up."""
    ts, o, h, lo, c = [], [], [], [], []
    for i in range(40):  # 5-minute bars before entry
        close = 90 + 0.25 * i
        ts.append(T_ENTRY - (40 - i) * 5 * MIN)
        o.append(close)
        h.append(close + 0.25)
        lo.append(close - 0.25)
        c.append(close)
    during = [
        (100, 100.4, 99.8, 100.2),
        (100.2, 100.3, 99.5, 100.0),
        (100, 102, 99.9, 101.8),
        (101.8, 104, 101.5, 103),
        (103, 103.2, 101.9, 102.2),
        (102.2, 102.4, 101.8, 102.0),
        (102, 102.3, 101.9, 102.1),
    ]
    for k, (op, hi, low, cl) in enumerate(during):  # 10:00 .. 10:30
        ts.append(T_ENTRY + k * 5 * MIN)
        o.append(op), h.append(hi), lo.append(low), c.append(cl)
    for k in range(1, 6):  # after the exit: high 105 at most
        ts.append(T_ENTRY + (30 + 5 * k) * MIN)
        o.append(102), h.append(102 + 0.6 * k), lo.append(101.5), c.append(102 + 0.5 * k)
    return BarSeries(ts=np.array(ts), open=np.array(o), high=np.array(h), low=np.array(lo), close=np.array(c))


def test_mae_mfe_efficiency_left_on_table_and_trend_for_a_long():
    f = frame(
        side=["LONG"],
        entry_ts=np.array([T_ENTRY + 60]),
        exit_ts=np.array([T_ENTRY + 30 * MIN + 10]),
        entry_price=np.array([100.0]),
        exit_price=np.array([102.0]),
        stop_price=np.array([99.0]),
    )
    tm = compute_trade_metrics(f)
    m = compute_bar_metrics(f, {"XYZ": bars()}, tm.direction)
    assert m.has_bars[0]
    assert m.mfe_price[0] == 104 and m.mae_price[0] == 99.5
    assert m.mfe_r[0] == pytest.approx(4.0) and m.mae_r[0] == pytest.approx(-0.5)
    assert m.mfe_usd[0] == pytest.approx(40.0) and m.mae_usd[0] == pytest.approx(-5.0)
    assert m.exit_efficiency[0] == pytest.approx(0.5)
    assert m.left_on_table_usd[0] == pytest.approx(30.0)  # 105 - 102, x10 units
    assert m.left_on_table_r[0] == pytest.approx(3.0)
    assert m.atr[0] == pytest.approx(0.5)
    assert m.trend_atr[0] == pytest.approx(10.0)  # +5 over 20 bars / ATR 0.5
    assert m.atr_ratio[0] == pytest.approx(1.0)


def test_short_sees_the_same_bars_mirrored_and_trades_without_bars_are_nan():
    f = frame(
        side=["SHORT", "LONG"],
        symbol=np.array(["XYZ", "NOBARS"], dtype=object),
        entry_ts=np.array([T_ENTRY + 60, T_ENTRY]),
        exit_ts=np.array([T_ENTRY + 30 * MIN + 10, T_ENTRY + 60]),
        entry_price=np.array([100.0, 10.0]),
        exit_price=np.array([102.0, 11.0]),
        stop_price=np.array([101.0, np.nan]),
    )
    tm = compute_trade_metrics(f)
    m = compute_bar_metrics(f, {"XYZ": bars()}, tm.direction)
    assert m.mfe_price[0] == 99.5 and m.mae_price[0] == 104
    assert m.mae_r[0] == pytest.approx(-4.0)
    assert m.trend_atr[0] == pytest.approx(-10.0)  # the rise is against a short
    assert m.exit_efficiency[0] == -1.0  # lost 2 after being only 0.5 up: clipped at -1
    assert not m.has_bars[1] and np.isnan(m.mfe_r[1])


def test_stop_discipline_and_target():
    f = frame(
        side=["LONG", "LONG", "SHORT"],
        entry_ts=np.zeros(3),
        exit_ts=np.ones(3),
        entry_price=np.array([100.0, 100.0, 50.0]),
        exit_price=np.array([98.5, 99.2, 47.0]),
        stop_price=np.array([99.0, 99.0, 51.0]),
        target_price=np.array([102.0, 103.0, 47.0]),
        r_multiple=np.array([-1.5, -0.8, 3.0]),
    )
    tm = compute_trade_metrics(f)
    assert tm.stop_honoured[:2].tolist() == [0.0, 1.0] and np.isnan(tm.stop_honoured[2])
    assert tm.loss_beyond_stop_r.tolist() == pytest.approx([0.5, 0.0, 0.0])
    assert tm.planned_rr.tolist() == pytest.approx([2.0, 3.0, 3.0])
    assert tm.target_reached.tolist() == [0.0, 0.0, 1.0]


def test_prior_segment_mean_uses_only_trades_exited_before_entry():
    f = frame(
        side=["LONG"] * 4,
        entry_ts=np.array([0.0, 10.0, 20.0, 25.0]),
        exit_ts=np.array([5.0, 15.0, 30.0, 40.0]),
        entry_price=np.ones(4),
        exit_price=np.ones(4),
        stop_price=np.zeros(4),
        r_multiple=np.array([-1.0, 2.0, -3.0, 0.5]),
    )
    mask = np.array([True, True, True, False])
    mean, count = prior_segment_mean_r(f, np.zeros(4, dtype=int), mask)
    assert count.tolist() == [0, 1, 2, 2]  # the 3rd trade exits at 30, after the 4th entered
    assert np.isnan(mean[0]) and mean[1] == -1.0 and mean[2] == pytest.approx(0.5) and mean[3] == pytest.approx(0.5)
