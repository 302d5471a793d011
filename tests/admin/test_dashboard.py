"""Dashboard: the selectors' numbers, and the landing page that shows them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from admin_ext import dashboard as dashboard_module
from admin_ext.dashboard import DashboardCard, dashboard_card
from post_mortem.models import JobRun, RunKind, RunStatus
from post_mortem.selectors.dashboard import account_breakdown, equity_curve, latest_runs, trade_kpis
from tests.factories import TradeFactory

UTC = dt.UTC
pytestmark = pytest.mark.django_db


def _trade(account: str, exit_time: dt.datetime, exit_price: str, *, stop: str | None = "99", **kw):
    return TradeFactory(
        account=account,
        entry_time=exit_time - dt.timedelta(minutes=30),
        exit_time=exit_time,
        entry_price=Decimal("100"),
        exit_price=Decimal(exit_price),
        quantity=Decimal("100"),
        fees=Decimal("0"),
        stop_price=Decimal(stop) if stop else None,
        **kw,
    )


@pytest.fixture
def desk():
    # +200 (2R), -100 (-1R), +50 (no stop), -300 (-3R on another account)
    _trade("A", dt.datetime(2026, 3, 6, 15, 0, tzinfo=UTC), "102")
    _trade("A", dt.datetime(2026, 3, 6, 16, 0, tzinfo=UTC), "99")
    _trade("A", dt.datetime(2026, 3, 9, 14, 0, tzinfo=UTC), "100.5", stop=None)
    # 03:30 UTC on 9 March is 23:30 on 8 March in New York (EDT began that day): the 8th.
    _trade("B", dt.datetime(2026, 3, 9, 3, 30, tzinfo=UTC), "97")


def test_trade_kpis(desk):
    kpis = trade_kpis()
    assert kpis.trades == 4
    assert kpis.net_pnl == pytest.approx(-150.0)
    assert kpis.win_rate == pytest.approx(0.5)
    assert kpis.trades_with_r == 3
    assert kpis.expectancy_r == pytest.approx((2 - 1 - 3) / 3)
    assert kpis.avg_win == pytest.approx(125.0)
    assert kpis.avg_loss == pytest.approx(-200.0)


def test_trade_kpis_empty(db):
    kpis = trade_kpis()
    assert (kpis.trades, kpis.net_pnl, kpis.win_rate, kpis.expectancy_r) == (0, 0.0, None, None)


def test_equity_curve_days_in_desk_timezone(desk):
    curve = equity_curve(tz_name="America/New_York")
    assert curve.days == [dt.date(2026, 3, 6), dt.date(2026, 3, 8), dt.date(2026, 3, 9)]
    assert curve.daily_net_pnl == [100.0, -300.0, 50.0]
    assert curve.cumulative_net_pnl == [100.0, -200.0, -150.0]
    # In UTC the late trade belongs to the 9th.
    assert equity_curve(tz_name="UTC").days == [dt.date(2026, 3, 6), dt.date(2026, 3, 9)]


def test_equity_curve_sums_in_the_database(desk):
    """One query whatever the number of trades: the database groups, Python sees hours."""
    with CaptureQueriesContext(connection) as queries:
        equity_curve()
    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"].upper()


def test_account_breakdown(desk):
    rows = {row["account"]: row for row in account_breakdown()}
    assert rows["A"]["trades"] == 3
    assert rows["A"]["net_pnl"] == pytest.approx(150.0)
    assert rows["A"]["win_rate"] == pytest.approx(2 / 3)
    assert rows["A"]["expectancy_r"] == pytest.approx(0.5)
    assert rows["B"]["expectancy_r"] == pytest.approx(-3.0)


def test_latest_runs_newest_first(db):
    first = JobRun.objects.create(kind=RunKind.IMPORT)
    second = JobRun.objects.create(kind=RunKind.ANALYSIS, status=RunStatus.FAILED)
    assert [r.pk for r in latest_runs(limit=5)] == [second.pk, first.pk]
    assert len(latest_runs(limit=1)) == 1


def test_dashboard_page_shows_kpis_chart_accounts_and_runs(superuser_client, desk):
    run = JobRun.objects.create(kind=RunKind.ANALYSIS, status=RunStatus.FAILED)
    response = superuser_client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kpi="trades">4<' in html
    assert 'data-kpi="net-pl">-$150.00<' in html
    assert 'data-kpi="win-rate">50.0%<' in html
    assert 'data-kpi="expectancy">-0.67R<' in html
    # The run's time in the desk timezone, saying which zone ("2026-11-30 14:59 EST").
    created = run.created_at.astimezone(ZoneInfo(settings.DESK_TIMEZONE))
    assert created.strftime("%Y-%m-%d %H:%M %Z") in html
    assert 'data-type="line"' in html and "Cumulative net P&amp;L" in html
    assert "Failed" in html and reverse("admin:post_mortem_jobrun_changelist") in html


def test_dashboard_escapes_model_text(superuser_client):
    _trade("<script>alert(1)</script>", dt.datetime(2026, 3, 6, 15, 0, tzinfo=UTC), "101")
    html = superuser_client.get(reverse("admin:index")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_dashboard_query_count_does_not_grow_with_trades(superuser_client, desk):
    url = reverse("admin:index")
    superuser_client.get(url)
    with CaptureQueriesContext(connection) as few:
        superuser_client.get(url)
    for i in range(30):
        _trade(f"ACC{i % 7}", dt.datetime(2026, 4, 1 + i % 20, 15, 0, tzinfo=UTC), "101")
        JobRun.objects.create(kind=RunKind.IMPORT)
    with CaptureQueriesContext(connection) as many:
        superuser_client.get(url)
    assert len(many) == len(few)


def test_auditor_sees_the_dashboard(auditor_client, desk):
    response = auditor_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert 'data-kpi="trades">4<' in response.content.decode()


def test_staff_without_permissions_sees_no_numbers(client, desk, django_user_model):
    user = django_user_model.objects.create_user("plain", password="x", is_staff=True)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "data-kpi" not in response.content.decode()


def test_non_staff_is_sent_to_login(client, desk, django_user_model):
    user = django_user_model.objects.create_user("outsider", password="x")
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.fixture
def registry():
    saved = list(dashboard_module._CARD_PROVIDERS)
    yield
    dashboard_module._CARD_PROVIDERS[:] = saved


def test_extra_cards_render_in_order_and_a_broken_card_is_skipped(registry, superuser_client, caplog):
    @dashboard_card(order=90)
    def later(request):
        return DashboardCard(
            title="Later card",
            template="admin_ext/dashboard/cards/table.html",
            context={"table": {"headers": ["x"], "rows": [["<b>cell</b>"]]}},
        )

    @dashboard_card(order=10)
    def earlier(request):
        return DashboardCard(title="Earlier card", template="admin_ext/dashboard/cards/table.html", context={})

    @dashboard_card(order=20)
    def hidden(request):
        return None

    @dashboard_card(order=30)
    def broken(request):
        raise RuntimeError("boom")

    html = superuser_client.get(reverse("admin:index")).content.decode()
    assert html.index("Earlier card") < html.index("Later card")
    assert "Nothing yet." in html
    assert "&lt;b&gt;cell&lt;/b&gt;" in html
    assert any("broken" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("env", "debug", "label", "color"),
    [
        ("", True, "Development · Rules engine · sqlite", "info"),
        ("production", False, "Production · Rules engine · sqlite", "danger"),
        ("staging", False, "Staging · Rules engine · sqlite", "warning"),
        ("", False, "Rules engine · sqlite", "info"),
    ],
)
def test_environment_label(settings, monkeypatch, rf, env, debug, label, color):
    from admin_ext.callbacks import environment_callback

    monkeypatch.setenv("DEPLOY_ENVIRONMENT", env)
    settings.DEBUG = debug
    settings.POST_MORTEM_ENGINE = "rules"
    settings.DB_VENDOR = "sqlite"
    assert environment_callback(rf.get("/")) == [label, color]


def test_environment_label_is_in_the_header(superuser_client, monkeypatch):
    monkeypatch.setenv("DEPLOY_ENVIRONMENT", "production")
    assert "Production · " in superuser_client.get(reverse("admin:index")).content.decode()
