"""A real browser: ops staff have a layout proposed for a cash history, save it, and the file imports."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from post_mortem.models import ImportLayout
from tests.browser.conftest import admin_page, browser, page  # noqa: F401 - pytest fixtures

SAMPLES = Path(__file__).resolve().parent / "proposer_samples"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or tempfile.gettempdir())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_propose_from_a_sample_then_save(admin_page, live_server) -> None:  # noqa: F811
    p = admin_page
    p.goto(f"{live_server.url}/admin/post_mortem/importlayout/")
    p.get_by_role("link", name="Propose from a sample").first.click()
    p.wait_for_url("**/importlayout/propose-from-sample/")
    form = p.locator("form#proposal-upload-form")
    form.locator("input[name=sample]").set_input_files(str(SAMPLES / "cash_history.csv"))
    form.locator("input[name=account]").fill("CASH-1")
    form.locator("button[name=upload]").click()
    p.locator("#proposal-summary").wait_for()
    assert p.locator("#trial-trades").inner_text() == "2"
    assert p.locator("#trial-pnl").inner_text() == "137.40"
    assert "Qualified Dividend" in p.locator("#trial-left-out").inner_text()
    p.screenshot(path=str(SCREENSHOTS / "propose_layout_1440.png"), full_page=True)
    proposal = p.locator("form#proposal-form")
    proposal.locator("input[name=name]").fill("cash_history_x")
    proposal.locator("button[name=save]").click()
    p.wait_for_url("**/importlayout/*/change/")
    assert ImportLayout.objects.filter(name="cash_history_x").exists()
