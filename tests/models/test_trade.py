import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError

from post_mortem.models import Side
from tests.factories import TradeFactory

pytestmark = pytest.mark.django_db


def test_long_trade_derived_numbers():
    trade = TradeFactory(
        quantity=Decimal("100"),
        entry_price=Decimal("100"),
        exit_price=Decimal("102"),
        fees=Decimal("2"),
        stop_price=Decimal("99"),
    )
    trade.refresh_from_db()
    assert trade.gross_pnl == Decimal("200")
    assert trade.net_pnl == Decimal("198")
    assert trade.risk_amount == Decimal("100")
    assert trade.r_multiple == pytest.approx(1.98)
    assert trade.holding_minutes == pytest.approx(45)
    assert trade.return_pct == pytest.approx(1.98)


def test_short_trade_with_multiplier_and_no_stop():
    trade = TradeFactory(
        side=Side.SHORT,
        quantity=Decimal("2"),
        entry_price=Decimal("18000"),
        exit_price=Decimal("17990.5"),
        fees=Decimal("1.24"),
        stop_price=None,
        multiplier=Decimal("2"),
    )
    assert trade.gross_pnl == Decimal("38")
    assert trade.net_pnl == Decimal("36.76")
    assert trade.r_multiple is None
    assert trade.risk_amount is None


def test_account_external_id_is_unique():
    TradeFactory(external_id="X1", account="A")
    TradeFactory(external_id="X1", account="B")
    with pytest.raises(IntegrityError):
        TradeFactory(external_id="X1", account="A")


def test_exit_before_entry_is_refused_by_the_database():
    start = dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC)
    with pytest.raises(IntegrityError):
        TradeFactory(entry_time=start, exit_time=start - dt.timedelta(minutes=1))
