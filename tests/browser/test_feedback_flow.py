"""Real browser: an Ops user sets a recommendation Implemented in the admin, sees the change in its
history (with user and reason), and opens the prioritisation dashboard."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from tests.factories import RecommendationFactory
from tests.feedback.helpers import plant_trades

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context()
        pg = context.new_page()
        pg.set_default_timeout(20_000)
        yield pg
        context.close()
        browser.close()


def test_change_status_see_history_open_dashboard(live_server, ops_user, page):
    plant_trades(account="DESK-BRAVO", start=dt.datetime(2026, 7, 2, tzinfo=dt.UTC), days=60, per_day=3, mean_r=0.1)
    rec = RecommendationFactory(text="No re-entry within 30 minutes of a loss", area="behavioral")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    login = page.locator("form#login-form")
    login.locator("input[name=username]").fill("opsy")
    login.locator("input[name=password]").fill("pw-opsy")
    login.locator("[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/post_mortem/recommendation/{rec.pk}/change/")
    page.get_by_role("link", name="Set status").first.click()
    page.wait_for_url(f"**/recommendation/{rec.pk}/set-status/")
    form = page.locator("form#set-status-form")
    form.locator("select[name=status]").select_option("IMPLEMENTED")
    form.locator("input[name=implementation_date]").fill("2026-08-01")
    form.locator("input[name=reason]").fill("agreed at the risk meeting")
    form.locator("button[name=save_status]").click()
    page.wait_for_url(f"**/recommendation/{rec.pk}/change/")
    rec.refresh_from_db()
    assert rec.implementation_status == "IMPLEMENTED"
    assert rec.implementation_date == dt.date(2026, 8, 1)

    page.goto(f"{live_server.url}/admin/post_mortem/recommendation/{rec.pk}/history/")
    body = page.locator("body").inner_text()
    assert "agreed at the risk meeting" in body
    assert "opsy" in body

    page.goto(f"{live_server.url}/admin/")
    page.locator("a", has_text="Recommendation history").first.click()
    page.wait_for_url("**/historicalrecommendation/")
    row = page.locator("#result_list tbody tr").first
    assert "opsy" in row.inner_text() and "Implemented" in row.inner_text()

    page.locator("a", has_text="Prioritization").first.click()
    page.wait_for_url("**/recommendation/prioritisation/")
    assert "No re-entry within 30 minutes" in page.locator("#prio-implemented").inner_text()
    assert page.locator("canvas.chart").count() >= 1
    page.wait_for_function("() => document.querySelector('canvas.chart').width > 0")
