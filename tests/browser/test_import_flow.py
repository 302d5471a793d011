"""A person's path through the admin in a real browser: log in, import a CSV, see the trades;
then the dashboard over the demo desk, saved as docs/dashboard.png for the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from post_mortem.models import ImportBatch, Trade

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "dashboard.png"

pytestmark = pytest.mark.browser

CSV_TEXT = (
    "external_id,account,symbol,side,quantity,entry_time,exit_time,entry_price,exit_price,fees,"
    "stop_price,target_price,setup,tags,notes\n"
    "BRW-001,DESK-BROWSER,AAPL,LONG,100,2026-03-02T09:45:00-05:00,2026-03-02T10:15:00-05:00,"
    "180.00,182.00,1.00,179.00,183.00,breakout,a-plus,clean break\n"
    "BRW-002,DESK-BROWSER,MSFT,SHORT,50,2026-03-02T11:00:00-05:00,2026-03-02T11:40:00-05:00,"
    "410.00,412.00,1.00,413.00,,fade,,Café au lait — stopped\n"
    "BRW-003,DESK-BROWSER,NVDA,buy,200,2026-03-03T10:05:00-05:00,2026-03-03T10:50:00-05:00,"
    "140.00,139.50,1.00,,,pullback,,\n"
)


def test_import_a_csv_through_the_admin_and_see_the_trades(admin_page, live_server, tmp_path):
    page = admin_page
    csv_path = tmp_path / "browser_trades.csv"
    csv_path.write_text(CSV_TEXT, encoding="utf-8")

    page.goto(f"{live_server.url}/admin/post_mortem/trade/")
    page.locator("a[href$='/admin/post_mortem/trade/import/']").first.click()
    page.wait_for_url(re.compile(r"/admin/post_mortem/trade/import/"))

    form = page.locator("form:has(input[type=file])")
    form.locator("input[type=file]").set_input_files(str(csv_path))
    format_select = form.locator("select[name=format]")
    if format_select.count():
        csv_option = format_select.locator("option", has_text=re.compile("csv", re.I)).first
        format_select.select_option(value=csv_option.get_attribute("value"))
    form.locator("button[type=submit], input[type=submit]").first.click()

    # django-import-export shows a preview with a confirm form; confirm it.
    confirm = page.locator("form[action*='process_import']")
    confirm.wait_for()
    assert "BRW-001" in page.content()
    confirm.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/post_mortem/trade/"))

    page.goto(f"{live_server.url}/admin/post_mortem/trade/?q=DESK-BROWSER")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    listed = rows.all_inner_texts()
    for symbol in ("AAPL", "MSFT", "NVDA"):
        assert any(symbol in row and "DESK-BROWSER" in row for row in listed), (symbol, listed)
    assert Trade.objects.filter(account="DESK-BROWSER").count() == 3
    assert ImportBatch.objects.filter(file_name="browser_trades.csv", created=3).exists()


def test_dashboard_over_the_demo_desk_screenshot(admin_page, live_server):
    call_command("load_demo", "--no-bars", verbosity=0)
    page = admin_page
    page.goto(f"{live_server.url}/admin/")
    trades = page.locator("[data-kpi=trades]")
    assert trades.inner_text().replace(",", "") == str(Trade.objects.count())
    assert page.locator("[data-kpi=expectancy]").inner_text().endswith("R")
    chart = page.locator("#dashboard canvas.chart")
    chart.wait_for()
    # Chart.js draws into the canvas: wait until it has a non-zero backing size.
    page.wait_for_function("() => document.querySelector('#dashboard canvas.chart')?.width > 0")
    assert page.get_by_text("DESK-BRAVO").count() >= 1
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 20_000
