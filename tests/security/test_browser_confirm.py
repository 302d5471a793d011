"""Browser: a link action opens its confirmation page; a locked recommendation shows read-only targeting."""

from __future__ import annotations

import datetime as dt

import pytest

from post_mortem.models import JobRun
from tests.browser.conftest import admin_page, browser, page  # noqa: F401  (fixtures)
from tests.factories import RecommendationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_measure_impact_asks_first_and_locked_fields_are_read_only(admin_page, live_server, tmp_path):  # noqa: F811
    rec = RecommendationFactory(
        text="No re-entry within 30 minutes of a losing exit",
        implementation_status="IMPLEMENTED",
        implementation_date=dt.date(2026, 8, 1),
        scope_accounts=["DESK-BRAVO"],
        segment={"factor": "after_loss", "value": "true"},
        expected_impact_r=0.8,
    )
    p = admin_page
    p.goto(f"{live_server.url}/admin/post_mortem/recommendation/")
    p.get_by_role("link", name="Measure impact now").click()
    p.wait_for_url("**/recommendation/measure_impact_now/")
    form = p.locator("form#confirm-action-form")
    assert form.is_visible() and "1 implemented recommendation" in p.content()
    assert not JobRun.objects.exists()
    p.screenshot(path=str(tmp_path / "confirm.png"), full_page=True)
    p.get_by_role("link", name="No, take me back").click()
    p.wait_for_url("**/recommendation/")
    assert not JobRun.objects.exists()

    p.goto(f"{live_server.url}/admin/post_mortem/recommendation/{rec.pk}/change/")
    assert p.locator("textarea[name=scope_accounts], input[name=scope_accounts]").count() == 0
    assert p.locator("input[name=change_reason]").count() == 1
    assert "DESK-BRAVO" in p.content()
    p.screenshot(path=str(tmp_path / "locked.png"), full_page=True)
