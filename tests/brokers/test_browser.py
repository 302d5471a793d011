"""A real browser: ops staff import a thinkorswim statement through "Import broker file"."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from post_mortem.models import ImportBatch, Trade
from tests.browser.conftest import admin_page, browser, page  # noqa: F401 - pytest fixtures

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"


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
    assert "8 round trip(s): 8 new" in summary.inner_text()
    assert "NVDA still open" in p.locator("#import-notes").inner_text()
    assert Trade.objects.count() == 0

    p.locator("form#broker-confirm-form button[name=confirm]").click()
    p.wait_for_url("**/importbatch/*/change/")
    assert "Imported 8 round trips (thinkorswim)" in p.content()
    batch = ImportBatch.objects.get()
    assert (batch.file_format, batch.timezone, batch.created) == ("thinkorswim", "America/New_York", 8)
    assert Trade.objects.aggregate(s=Sum("gross_pnl"))["s"] == Decimal("477.5")
