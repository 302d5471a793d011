"""Browser: mine patterns from the admin form, open a pattern's charts, build and read the plan."""

from __future__ import annotations

import pytest

from post_mortem.mining.synthetic import DEMO_EFFECTS
from post_mortem.models import AnalysisPattern, ImprovementPlan, JobRun, RunKind, RunStatus
from tests.browser.conftest import admin_page, browser, page  # noqa: F401  (fixtures)
from tests.mining.helpers import store_synthetic_trades

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mine_open_pattern_build_plan(admin_page, live_server, tmp_path):  # noqa: F811
    store_synthetic_trades(1200, seed=61, effects=DEMO_EFFECTS)
    p = admin_page
    p.goto(f"{live_server.url}/admin/post_mortem/analysispattern/")
    p.get_by_role("link", name="Mine patterns").click()
    form = p.locator("form#mine-patterns-form")
    form.locator("input[name=min_trades]").fill("30")
    form.locator("button[name=mine]").click()
    p.wait_for_url("**/jobrun/*/change/")
    run = JobRun.objects.filter(kind=RunKind.MINING).latest("pk")
    assert run.status == RunStatus.SUCCEEDED, run.error  # django-q2 runs in sync mode in tests

    pattern = AnalysisPattern.objects.get(factor="after_loss", segment="true")
    p.goto(f"{live_server.url}/admin/post_mortem/analysispattern/")
    assert p.get_by_text("q (BH)").count() >= 1 and p.get_by_text("Confidence").count() == 0
    p.screenshot(path=str(tmp_path / "patterns.png"), full_page=True)
    p.get_by_role("link", name="After a loss: yes").click()
    p.wait_for_url(f"**/analysispattern/{pattern.pk}/change/")
    charts = p.locator("#pattern-charts canvas")
    assert charts.count() == 1  # the distribution (Chart.js); the forest plot is SVG
    assert p.locator("#pattern-forest circle.forest-mean").count() == 3
    box = charts.first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100  # Chart.js drew into it
    assert p.locator("#affected-trades tbody tr").count() == min(100, pattern.n)
    assert "within the same days" in p.locator("#pattern-comparison").inner_text()
    p.screenshot(path=str(tmp_path / "pattern.png"), full_page=True)
    p.locator("#pattern-charts").screenshot(path=str(tmp_path / "charts.png"))
    # a segment not called significant says which condition failed
    weak = AnalysisPattern.objects.filter(significant=False).order_by("q_value").first()
    p.goto(f"{live_server.url}/admin/post_mortem/analysispattern/{weak.pk}/change/")
    assert "Not called significant because" in p.locator("#pattern-reasons").inner_text()
    p.screenshot(path=str(tmp_path / "not_significant.png"), full_page=True)

    p.goto(f"{live_server.url}/admin/post_mortem/improvementplan/")
    p.get_by_role("link", name="Build improvement plan").click()
    p.wait_for_url("**/improvementplan/build_plan/")
    assert not ImprovementPlan.objects.exists()  # the link only opens the confirmation page
    p.locator("form#confirm-action-form button[type=submit]").click()
    p.wait_for_url("**/jobrun/*/change/")
    plan = ImprovementPlan.objects.get()
    p.goto(f"{live_server.url}/admin/post_mortem/improvementplan/{plan.pk}/change/")
    doc = p.locator("#plan-document")
    assert doc.get_by_text("No re-entry within 30 minutes of a losing exit").count() >= 1
    assert doc.locator(".plan-improvement").count() == len(plan.improvements)
    p.screenshot(path=str(tmp_path / "plan.png"), full_page=True)
