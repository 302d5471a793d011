"""Whole-table dashboard aggregates are cached (1M trades), keyed so new trades show at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from post_mortem.models import Trade
from post_mortem.selectors.dashboard import account_breakdown, equity_curve, trade_kpis
from tests.factories import TradeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_new_trades_show_at_once_edits_within_the_timeout(cached, django_assert_num_queries):
    TradeFactory.create_batch(3, exit_price=Decimal("101"))
    first = trade_kpis()
    assert first.trades == 3
    with django_assert_num_queries(2):  # only the two newest-trade index look-ups, no aggregate
        assert trade_kpis() == first
    TradeFactory(exit_price=Decimal("90"))
    assert trade_kpis().trades == 4  # a new trade changes the key
    Trade.objects.update(net_pnl=0)
    assert trade_kpis().net_pnl != 0  # an edit of existing rows waits for the timeout
    cache.clear()
    assert trade_kpis().net_pnl == 0


def test_each_aggregate_is_cached_and_filtered_calls_are_not(cached, django_assert_num_queries):
    TradeFactory.create_batch(2, account="A")
    TradeFactory(account="B")
    curve, accounts = equity_curve(), account_breakdown()
    with django_assert_num_queries(4):
        assert equity_curve() == curve
        assert account_breakdown() == accounts
    with django_assert_num_queries(1):
        assert trade_kpis(trades=Trade.objects.filter(account="A")).trades == 2


def test_off_when_the_setting_is_zero(settings, django_assert_num_queries):
    settings.DASHBOARD_CACHE_SECONDS = 0
    TradeFactory()
    with django_assert_num_queries(2):
        trade_kpis()
        trade_kpis()
