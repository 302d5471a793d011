"""A real browser: ops staff import a thinkorswim statement through "Import broker file"."""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from post_mortem.models import ImportBatch, Trade
from tests.browser.conftest import admin_page, browser, page  # noqa: F401 - pytest fixtures

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"
SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or tempfile.gettempdir())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_import_a_statement_through_the_admin(admin_page, live_server, seeded_multipliers) -> None:  # noqa: F811
    p = admin_page
    p.get_by_role("link", name="Import broker file").first.click()
    p.wait_for_url("**/importlayout/import-file/")
    form = p.locator("form#broker-import-form")
    form.locator("input[name=import_file]").set_input_files(str(FIXTURES / "thinkorswim_statement.csv"))
    form.locator("select[name=timezone]").select_option("America/New_York")
    form.locator("button[name=preview]").click()
    summary = p.locator("#import-summary")
    summary.wait_for()
    assert "Ready to import: thinkorswim" in summary.inner_text()
    assert "5 round trip(s): 5 new" in summary.inner_text()  # positions, flat to flat
    assert "read as America/New_York" in summary.inner_text()
    assert "NVDA still open" in p.locator("#import-notes").inner_text()
    assert Trade.objects.count() == 0
    p.screenshot(path=str(SCREENSHOTS / "broker_import_preview.png"), full_page=True)

    p.locator("form#broker-confirm-form button[name=confirm]").click()
    p.wait_for_url("**/importbatch/*/change/")
    assert "Imported 5 round trips (thinkorswim)" in p.content()
    batch = ImportBatch.objects.get()
    assert (batch.file_format, batch.timezone, batch.created) == ("thinkorswim", "America/New_York", 5)
    assert Trade.objects.aggregate(s=Sum("gross_pnl"))["s"] == Decimal("477.5")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_trades_import_preview_lists_skipped_lines_and_ignored_columns(admin_page, live_server, tmp_path) -> None:  # noqa: F811
    p = admin_page
    lines = (SAMPLES / "trades_bad_rows.csv").read_text().splitlines()
    text = "\n".join([lines[0] + ",broker", *(line + ",IBKR" for line in lines[1:])]) + "\n"
    upload = tmp_path / "bad_rows_extra_column.csv"
    upload.write_text(text)
    p.goto(f"{live_server.url}/admin/post_mortem/trade/import/")
    form = p.locator("form#import-form, form[enctype='multipart/form-data']").last
    form.locator("input[name=import_file]").set_input_files(str(upload))
    form.locator("select[name=format]").select_option(value="0")
    form.locator("input[name=skip_invalid]").check()
    form.locator("button[type=submit]").last.click()
    skipped = p.locator("#import-skipped")
    skipped.wait_for()
    assert "9 invalid lines are skipped" in skipped.inner_text()
    assert "column 'broker' is not a trade column" in p.locator("#import-warnings").inner_text()
    p.screenshot(path=str(SCREENSHOTS / "trade_import_preview_skipped.png"), full_page=True)
    assert Trade.objects.count() == 0
