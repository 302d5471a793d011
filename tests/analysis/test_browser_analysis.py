"""Browser: select trades, Analyze (engine choice), watch the run page reach 100 %, open a post-mortem."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from post_mortem.models import JobRun, RunStatus
from tests.browser.conftest import admin_page, browser, page  # noqa: F401  (fixtures)
from tests.factories import MarketBarFactory, TradeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_select_analyze_watch_run_open_analysis(admin_page, live_server):  # noqa: F811
    start = dt.datetime(2026, 1, 5, 14, 30, tzinfo=dt.UTC)
    trades = [
        TradeFactory(
            entry_time=start + dt.timedelta(minutes=30 * i),
            exit_time=start + dt.timedelta(minutes=30 * i + 20),
            exit_price=Decimal("97") if i == 0 else Decimal("101"),
            notes="<b>not bold</b>" if i == 0 else "",
        )
        for i in range(4)
    ]
    for i in range(60):  # explicit times: the factory's sequence runs on across the whole suite
        MarketBarFactory(  # a range holding every fill, so the bars are used
            timestamp=start - dt.timedelta(minutes=30) + dt.timedelta(minutes=5 * i), high=101.5, low=96.5
        )
    tab = admin_page
    tab.goto(f"{live_server.url}/admin/post_mortem/trade/")
    form = tab.locator("#changelist-form")
    for trade in trades[:3]:
        form.locator(f"input.action-select[value='{trade.pk}']").check()
    form.locator("select[name=action]").select_option("analyze_selected_trades")
    form.locator("button[type=submit][name=index]").click()

    confirm = tab.locator("form#analyze-form")
    confirm.locator("select[name=engine]").select_option("rules")
    confirm.locator("button[name=apply]").click()

    tab.wait_for_url(re.compile(r"/admin/post_mortem/jobrun/\d+/change/"))
    tab.locator("#run-pct").filter(has_text="100").wait_for()
    assert tab.locator("#run-bar").get_attribute("style").replace(" ", "") == "width:100%"
    assert tab.locator("#run-succeeded").inner_text() == "3"
    run = JobRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED and run.total == 3

    tab.locator("a.analysis-link", has_text=str(trades[0])).click()
    tab.wait_for_url(re.compile(r"/admin/post_mortem/tradeanalysis/\d+/change/"))
    assert tab.locator("#section-risk_management").is_visible()
    assert tab.locator(".opportunity[data-type-code='stop_not_honoured']").is_visible()
    tab.locator("#price-chart canvas").wait_for()  # drawn by the chart script after load
    assert tab.locator("#price-chart canvas").count() == 1
    assert tab.locator("#trade-notes").inner_text() == "<b>not bold</b>"  # shown as text, not markup

    # Set the recommendation's status from the page (CSRF form), and see it saved.
    opportunity = tab.locator(".opportunity[data-type-code='stop_not_honoured']")
    opportunity.locator("select[name=status]").select_option("IGNORED")
    opportunity.locator("input[name=reason]").fill("stop was a mistake in the plan")
    opportunity.locator("button[type=submit]").click()
    tab.wait_for_load_state()
    selected = tab.locator(".opportunity[data-type-code='stop_not_honoured'] select[name=status]").input_value()
    assert selected == "IGNORED"
