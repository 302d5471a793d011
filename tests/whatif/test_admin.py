"""Admin: What-if buttons, the scenario page (GET never runs anything), the result page, the recommendation line."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from post_mortem.models import JobRun, RunKind
from tests.factories import AnalysisPatternFactory, RecommendationFactory
from tests.mining.helpers import store_synthetic_trades

pytestmark = pytest.mark.django_db

SCENARIO = "admin:post_mortem_jobrun_what_if"


def _rules_in(url: str) -> list[dict]:
    return json.loads(parse_qs(urlparse(url).query)["rules"][0])


def test_pattern_what_if_button_proposes_its_rule(ops_client):
    pattern = AnalysisPatternFactory(factor="after_loss", segment="true", effect=-0.5)
    page = ops_client.get(reverse("admin:post_mortem_analysispattern_change", args=[pattern.pk]))
    assert page.status_code == 200 and b"What if" in page.content
    go = ops_client.get(reverse("admin:post_mortem_analysispattern_what_if", args=[pattern.pk]))
    assert go.status_code == 302
    assert _rules_in(go["Location"]) == [
        {"type": "no_reentry_after_loss", "minutes": 30, "source": {"pattern": pattern.pk}}
    ]
    scenario = ops_client.get(go["Location"])
    assert scenario.status_code == 200
    form = scenario.context["form"]
    assert form.initial["no_reentry_minutes"] == 30 and form.initial["source"] == f"pattern:{pattern.pk}"
    assert JobRun.objects.filter(kind=RunKind.WHATIF).count() == 0  # GET never runs anything


def test_recommendation_buttons_and_segmentless_recommendation(ops_client):
    rec = RecommendationFactory(segment={"factor": "setup", "value": "fade"})
    go = ops_client.get(reverse("admin:post_mortem_recommendation_row_what_if", args=[rec.pk]))
    assert _rules_in(go["Location"]) == [
        {"type": "skip_segment", "factor": "setup", "value": "fade", "source": {"recommendation": rec.pk}}
    ]
    bare = RecommendationFactory(segment={})
    go = ops_client.get(reverse("admin:post_mortem_recommendation_detail_what_if", args=[bare.pk]))
    assert go["Location"] == reverse(SCENARIO)  # nothing to propose: an empty scenario page
    page = ops_client.get(reverse("admin:post_mortem_recommendation_change", args=[bare.pk]))
    assert b"Not replayed yet" in page.content


def test_scenario_post_queues_a_run_and_the_result_page_draws_it(ops_client, django_capture_on_commit_callbacks):
    store_synthetic_trades(900, seed=8, effects=(("after_loss", "true", -0.6),))
    rec = RecommendationFactory(segment={"factor": "after_loss", "value": "true"})
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(
            reverse(SCENARIO),
            {"no_reentry_minutes": "30", "max_trades_per_day": "6", "source": f"recommendation:{rec.pk}"},
        )
    run = JobRun.objects.get(kind=RunKind.WHATIF)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:post_mortem_jobrun_what_if_result", args=[run.pk])
    assert run.params["source"] == {"recommendation": rec.pk}
    page = ops_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'id="what-if-figures"' in html and 'id="what-if-difference"' in html
    assert "Cumulative net P&amp;L" in html and "Actual" in html and "What if" in html
    assert reverse("admin:post_mortem_jobrun_change", args=[run.pk]) in html
    # The recommendation's page shows the replayed value next to its expected impact.
    rec_page = ops_client.get(reverse("admin:post_mortem_recommendation_change", args=[rec.pk])).content.decode()
    assert 'id="replayed-impact"' in rec_page and "R per trade" in rec_page and f"replay #{run.pk}" in rec_page
    # The run page links to the replay.
    run_page = ops_client.get(reverse("admin:post_mortem_jobrun_change", args=[run.pk])).content.decode()
    assert 'id="run-what-if"' in run_page


def test_scenario_errors_are_shown_and_nothing_runs(ops_client):
    store_synthetic_trades(30, seed=1)
    empty = ops_client.post(reverse(SCENARIO), {})
    assert empty.status_code == 200 and b"Give at least one rule." in empty.content
    half = ops_client.post(reverse(SCENARIO), {"skip_value": "fade"})
    assert b"rule 1: &#x27;factor&#x27; must be one of" in half.content
    nobody = ops_client.post(reverse(SCENARIO), {"max_trades_per_day": "2", "account": "NOBODY"})
    assert b"No trades in the selection" in nobody.content
    assert JobRun.objects.filter(kind=RunKind.WHATIF).count() == 0


def test_auditor_reads_results_but_cannot_run(auditor_client):
    assert auditor_client.get(reverse(SCENARIO)).status_code == 403
    run = JobRun.objects.create(kind=RunKind.WHATIF, status="SUCCEEDED", params={"rules": []}, result={})
    assert auditor_client.get(reverse("admin:post_mortem_jobrun_what_if_result", args=[run.pk])).status_code == 200
