"""The changelist paginator: PostgreSQL's estimate for big unfiltered lists, exact counts otherwise."""

from __future__ import annotations

import pytest
from django.db import connection

from admin_ext import paginators
from admin_ext.paginators import EstimatedCountPaginator
from post_mortem.models import Trade
from tests.factories import TradeFactory

pytestmark = pytest.mark.django_db


def test_unfiltered_count_is_the_planner_estimate_on_postgres_exact_elsewhere(monkeypatch):
    TradeFactory.create_batch(5, account="A")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE post_mortem_trade")
    monkeypatch.setattr(paginators, "ESTIMATE_ABOVE", 1)
    TradeFactory.create_batch(3, account="B")  # after ANALYZE: the estimate does not know them
    unfiltered = EstimatedCountPaginator(Trade.objects.order_by("-entry_time"), 50).count
    filtered = EstimatedCountPaginator(Trade.objects.filter(account="B").order_by("-entry_time"), 50).count
    assert filtered == 3
    assert unfiltered == (5 if connection.vendor == "postgresql" else 8)


def test_small_tables_are_counted_exactly(monkeypatch):
    TradeFactory.create_batch(4)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE post_mortem_trade")
    TradeFactory.create_batch(2)
    assert EstimatedCountPaginator(Trade.objects.order_by("pk"), 50).count == 6


def test_trade_changelist_uses_it(superuser_client):
    TradeFactory.create_batch(3)
    response = superuser_client.get("/admin/post_mortem/trade/")
    assert response.status_code == 200
    assert isinstance(response.context["cl"].paginator, EstimatedCountPaginator)
    assert response.context["cl"].result_count == 3
