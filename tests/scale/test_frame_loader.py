"""The columnar trade loader returns the same numbers as the model, on SQLite and PostgreSQL.

It asks the database for floats (prices via CAST, times via EpochSeconds) instead of building a
Decimal and a datetime per value, which was most of a 1M-trade mining run.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from post_mortem.context import load_trade_frame
from post_mortem.models import Trade
from tests.factories import TradeFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def test_frame_matches_the_model_values():
    TradeFactory(
        entry_time=dt.datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC),
        exit_time=dt.datetime(2026, 3, 8, 7, 0, 0, 1, tzinfo=UTC),
        entry_price=Decimal("123.45678901"),
        exit_price=Decimal("0.00000001"),
        quantity=Decimal("0.5"),
        fees=Decimal("1.2345"),
        stop_price=None,
        target_price=None,
    )
    TradeFactory(
        entry_time=dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
        exit_time=dt.datetime(2000, 1, 1, 0, 0, 0, tzinfo=UTC),
        side="SHORT",
        stop_price=Decimal("101.5"),
    )
    TradeFactory(entry_time=dt.datetime(2038, 1, 19, 3, 14, 8, 500000, tzinfo=UTC))
    frame = load_trade_frame(Trade.objects.all())
    order = np.argsort(frame.id)
    trades = list(Trade.objects.order_by("id"))
    assert frame.id[order].tolist() == [t.pk for t in trades]
    for pos, trade in zip(order, trades, strict=True):
        assert frame.entry_ts[pos] == pytest.approx(trade.entry_time.timestamp(), abs=1e-6)
        assert frame.exit_ts[pos] == pytest.approx(trade.exit_time.timestamp(), abs=1e-6)
        assert frame.entry_price[pos] == float(trade.entry_price)
        assert frame.exit_price[pos] == float(trade.exit_price)
        assert frame.quantity[pos] == float(trade.quantity)
        assert frame.fees[pos] == float(trade.fees)
        assert frame.net_pnl[pos] == float(trade.net_pnl)
        for name in ("stop_price", "target_price", "risk_amount", "r_multiple"):
            value = getattr(trade, name)
            assert np.isnan(getattr(frame, name)[pos]) if value is None else getattr(frame, name)[pos] == float(value)
        assert frame.side[pos] == trade.side and frame.account[pos] == trade.account
    # Whole seconds stay exact: a period boundary at midnight must not move.
    boundary = dt.datetime(2000, 1, 1, tzinfo=UTC).timestamp()
    assert boundary in frame.exit_ts.tolist()


def test_empty_querysets_give_an_empty_frame():
    TradeFactory()
    for qs in (Trade.objects.none(), Trade.objects.filter(id__in=[]), Trade.objects.filter(account="nobody")):
        frame = load_trade_frame(qs)
        assert len(frame) == 0 and frame.entry_ts.dtype == float and frame.id.dtype == np.int64


def test_group_codes_equal_numpy_unique_codes():
    """The dict factorisation gives exactly the codes np.unique gave (context and facts rely on them)."""
    from post_mortem.context import _group_codes

    rng = np.random.default_rng(3)
    accounts = np.array(rng.choice(["A", "AB", "B", "acc-1", "Ä", ""], 5000), dtype=object)
    setups = np.array(rng.choice(["breakout", "", "fade", None], 5000), dtype=object)
    for keys in ((accounts,), (accounts, setups), (setups,)):
        joined = np.array(["\x1f".join(map(str, parts)) for parts in zip(*keys, strict=True)], dtype=object)
        _, expected = np.unique(joined, return_inverse=True)
        assert _group_codes(*keys).tolist() == expected.tolist()
    assert _group_codes(np.array([], dtype=object)).tolist() == []


def test_mining_frame_times_are_exact():
    """The miner's own loader reads times as exactly as the analysis loader: an entry at 10:00:00
    New York must not read as 09:59:59.99998 (hour 9), a period boundary must not move."""
    from post_mortem.selectors.patterns import trade_frame_for_mining

    ten = dt.datetime(2026, 7, 2, 14, 0, 0, tzinfo=UTC)  # 10:00:00 New York
    TradeFactory(entry_time=ten, exit_time=ten + dt.timedelta(minutes=5))
    TradeFactory(
        entry_time=dt.datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC),
        exit_time=dt.datetime(2026, 3, 8, 7, 0, 0, 1, tzinfo=UTC),
    )
    frame = trade_frame_for_mining(until=None)
    trades = {t.pk: t for t in Trade.objects.all()}
    for pos, pk in enumerate(frame.id.tolist()):
        assert frame.entry_ts[pos] == pytest.approx(trades[pk].entry_time.timestamp(), abs=1e-6)
        assert frame.exit_ts[pos] == pytest.approx(trades[pk].exit_time.timestamp(), abs=1e-6)
    assert ten.timestamp() in frame.entry_ts.tolist()
