"""A person's path through the admin in a real browser: log in, import a CSV, see the trades;
then the dashboard over the demo desk, saved as docs/dashboard.png for the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from post_mortem.models import Trade

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "dashboard.png"

pytestmark = pytest.mark.browser


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
