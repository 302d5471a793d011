"""Admin pages for patterns and plans, rendered through the real admin with real users and groups."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from post_mortem.mining.synthetic import DEMO_EFFECTS
from post_mortem.models import AnalysisPattern, ImprovementPlan, JobRun, RunKind, RunStatus
from post_mortem.services.patterns import patterns_mine
from post_mortem.services.plans import plan_build
from tests.mining.helpers import store_synthetic_trades

pytestmark = pytest.mark.django_db


@pytest.fixture
def mined(db):
    store_synthetic_trades(1500, seed=41, effects=DEMO_EFFECTS)
    patterns_mine(n_boot=100)
    return AnalysisPattern.objects.get(factor="after_loss", segment="true")


def test_pattern_list_shows_verdicts_q_values_and_effects(ops_client, mined):
    response = ops_client.get(reverse("admin:post_mortem_analysispattern_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "After a loss: yes" in html and "after_loss" not in strip_tags(html)  # words, not the code
    assert f"{mined.effect:+.2f}R" in html
    assert "Not significant" in html  # every tested segment is listed, labelled
    assert "q (BH)" in html and "Confidence" not in html  # q-values, not "confidence 1.000"
    assert "same days:" in html  # the comparison each effect comes from
    assert "Mine patterns" in html


def test_pattern_page_has_charts_and_affected_trades(auditor_client, mined):
    response = auditor_client.get(reverse("admin:post_mortem_analysispattern_change", args=[mined.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pattern-charts"' in html and 'id="pattern-forest"' in html
    assert 'id="affected-trades"' in html
    assert html.count('href="/admin/post_mortem/trade/') >= 50
    assert "No re-entry within 30 minutes" in html
    # the changelist link filtered by ids works
    ids = mined.affected_trade_ids[:5]
    url = reverse("admin:post_mortem_trade_changelist") + "?id__in=" + ",".join(map(str, ids))
    assert auditor_client.get(url).status_code == 200


def test_mine_patterns_form_queues_a_run(ops_client, mined, django_capture_on_commit_callbacks):
    url = reverse("admin:post_mortem_analysispattern_mine")
    assert ops_client.get(url).status_code == 200
    bad = ops_client.post(url, {"since": "2025-03-01", "until": "2025-02-01", "min_trades": 30})
    assert bad.status_code == 200 and "Until must be on or after since" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(url, {"since": "2025-01-06", "until": "", "min_trades": 40})
    run = JobRun.objects.filter(kind=RunKind.MINING).latest("pk")
    assert response.status_code == 302 and response["Location"].endswith(f"/jobrun/{run.pk}/change/")
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.created_by.username == "opsy"
    assert AnalysisPattern.objects.filter(run=run, period_start__isnull=False).exists()


def test_auditor_cannot_mine_or_build(auditor_client, mined):
    assert auditor_client.get(reverse("admin:post_mortem_analysispattern_mine")).status_code == 403
    html = auditor_client.get(reverse("admin:post_mortem_analysispattern_changelist")).content.decode()
    assert "Mine patterns" not in html
    html = auditor_client.get(reverse("admin:post_mortem_improvementplan_changelist")).content.decode()
    assert "Build improvement plan" not in html


def test_build_plan_action_and_plan_document(ops_client, mined, django_capture_on_commit_callbacks):
    list_url = reverse("admin:post_mortem_improvementplan_changelist")
    assert "Build improvement plan" in ops_client.get(list_url).content.decode()
    build_url = reverse("admin:post_mortem_improvementplan_build_plan")
    confirm = ops_client.get(build_url)  # a GET only asks
    assert confirm.status_code == 200 and 'id="confirm-action-form"' in confirm.content.decode()
    assert not ImprovementPlan.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(build_url, {"confirm": "yes"})
    assert response.status_code == 302
    plan = ImprovementPlan.objects.get()
    html = ops_client.get(reverse("admin:post_mortem_improvementplan_change", args=[plan.pk])).content.decode()
    assert 'id="plan-document"' in html
    assert "No re-entry within 30 minutes of a losing exit" in html
    assert "Focus areas" in html and "Pending" in html
    assert 'data-factor="setup" data-value="fade"' in html


def test_plan_document_escapes_text(superuser_client, mined):
    plan = plan_build()
    plan.summary = "<script>alert(1)</script>"
    plan.save()
    html = superuser_client.get(reverse("admin:post_mortem_improvementplan_change", args=[plan.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_dashboard_card_lists_top_patterns(ops_client, auditor_client, mined):
    html = ops_client.get(reverse("admin:index")).content.decode()
    assert 'id="top-patterns"' in html and "After a loss: yes" in html
    assert "after_loss" not in strip_tags(html)
    assert 'id="top-patterns"' in auditor_client.get(reverse("admin:index")).content.decode()
