"""Real browser: from a mined pattern's "What if" button to the replay, then the recommendation's line.

Screenshots at 1440 px go to docs/ (what_if_scenario.png, what_if_result.png) for the README.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import AnalysisPatternFactory, RecommendationFactory
from tests.mining.helpers import store_synthetic_trades

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_pattern_to_replay_to_recommendation(admin_page, live_server):
    page = admin_page
    store_synthetic_trades(2400, seed=31, effects=(("after_loss", "true", -0.6),))
    pattern = AnalysisPatternFactory(factor="after_loss", segment="true", effect=-0.6, n=400)
    rec = RecommendationFactory(
        text="No re-entry within 30 minutes of a losing exit",
        segment={"factor": "after_loss", "value": "true"},
        expected_impact_r=0.5,
    )

    page.goto(f"{live_server.url}/admin/post_mortem/analysispattern/{pattern.pk}/change/")
    page.get_by_role("link", name="What if").first.click()
    page.wait_for_url("**/jobrun/what-if/?rules=*")
    form = page.locator("form#what-if-form")
    assert form.locator("input[name=no_reentry_minutes]").input_value() == "30"
    page.screenshot(path=str(DOCS / "what_if_scenario.png"), full_page=True)
    form.locator("button[name=replay]").click()
    page.wait_for_url("**/jobrun/what-if/*/")
    page.locator("#what-if-figures").wait_for()
    verdict = page.locator("#what-if-verdict").inner_text()
    assert "Significant" in verdict, verdict
    assert page.locator("#what-if-difference circle").count() == 3  # whole, discovery part, out-of-sample
    assert "Out-of-sample" in page.locator("#what-if-oos").inner_text()
    page.wait_for_timeout(500)  # let Chart.js draw both curves
    page.screenshot(path=str(DOCS / "what_if_result.png"), full_page=True)

    # The same rule from the recommendation: its page then shows the replayed value.
    page.goto(f"{live_server.url}/admin/post_mortem/recommendation/{rec.pk}/change/")
    page.get_by_role("link", name="What if").first.click()
    page.wait_for_url("**/jobrun/what-if/?rules=*")
    page.locator("form#what-if-form button[name=replay]").click()
    page.locator("#what-if-figures").wait_for()
    page.goto(f"{live_server.url}/admin/post_mortem/recommendation/{rec.pk}/change/")
    line = page.locator("#replayed-impact").inner_text()
    assert "R per trade" in line and "$/month" in line, line
