"""Feedback admin: status form (row/detail/bulk), read-only audited history, custom pages, experiments."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from post_mortem.models import Experiment, ImplementationStatus, Recommendation
from post_mortem.services.impact import impact_measure
from post_mortem.services.recommendations import recommendation_set_status
from tests.factories import RecommendationFactory
from tests.feedback.helpers import plant_trades

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def _set_status_url(rec):
    return reverse("admin:post_mortem_recommendation_set_status", args=[rec.pk])


def test_changelist_and_change_page_render(ops_client):
    rec = RecommendationFactory(text="Stop re-entering after a loss")
    r = ops_client.get(reverse("admin:post_mortem_recommendation_changelist"))
    assert r.status_code == 200
    assert b"Stop re-entering after a loss" in r.content
    assert _set_status_url(rec).encode() in r.content or b"row_set_status" in r.content
    r = ops_client.get(reverse("admin:post_mortem_recommendation_change", args=[rec.pk]))
    assert r.status_code == 200


def test_admin_status_change_records_user_and_reason(ops_client, ops_user):
    rec = RecommendationFactory()
    r = ops_client.post(
        _set_status_url(rec),
        {"status": "IMPLEMENTED", "implementation_date": "2026-08-01", "notes": "n", "reason": "risk meeting"},
    )
    assert r.status_code == 302
    rec.refresh_from_db()
    assert rec.implementation_status == ImplementationStatus.IMPLEMENTED
    assert rec.implementation_date == dt.date(2026, 8, 1)
    h = rec.history.first()
    assert h.history_user == ops_user and h.history_change_reason == "risk meeting"


def test_admin_status_form_shows_service_error_on_field(ops_client):
    rec = RecommendationFactory()
    r = ops_client.post(_set_status_url(rec), {"status": "IGNORED", "implementation_date": "2026-01-01", "reason": "x"})
    assert r.status_code == 200
    assert r.context["form"].errors["implementation_date"]
    r = ops_client.post(_set_status_url(rec), {"status": "IGNORED"})
    assert "reason" in r.context["form"].errors
    assert rec.history.count() == 1


def test_auditor_cannot_change_status_but_reads_history(auditor_client):
    rec = RecommendationFactory()
    recommendation_set_status(recommendation=rec, status="IGNORED", reason="no", user=None)
    assert auditor_client.get(_set_status_url(rec)).status_code == 403
    assert auditor_client.post(_set_status_url(rec), {"status": "PENDING", "reason": "x"}).status_code == 403
    r = auditor_client.get(reverse("admin:post_mortem_recommendation_history", args=[rec.pk]))
    assert r.status_code == 200
    r = auditor_client.get(reverse("admin:post_mortem_recommendation_audit"), follow=True)
    assert r.redirect_chain[0][0].startswith(reverse("admin:post_mortem_historicalrecommendation_changelist"))
    assert r.status_code == 200 and "Ignored" in r.content.decode()


def test_audit_log_reads_in_words_and_keeps_the_old_filters(auditor_client, ops_user):
    """The history list: desk time to the second (no microseconds), words for codes, no "None",
    and the old address's filters kept."""
    rec = RecommendationFactory(text="Cut size after two losses")
    other = RecommendationFactory(text="Another one")
    recommendation_set_status(recommendation=rec, status="IMPLEMENTED", reason="agreed", user=ops_user)
    recommendation_set_status(recommendation=other, status="IGNORED", reason="", user=None)
    url = reverse("admin:post_mortem_historicalrecommendation_changelist")
    body = auditor_client.get(url).content.decode()
    assert "Cut size after two losses" in body and "Another one" in body
    assert "Implementation status" in body and "Implemented" in body and "IMPLEMENTED" not in body
    assert "None" not in body.split('id="result_list"')[1].split("</table>")[0]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]{3}", body)
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", body)
    legacy = reverse("admin:post_mortem_recommendation_audit")
    filtered = auditor_client.get(legacy, {"recommendation": rec.pk, "user": ops_user.username}, follow=True)
    text = filtered.content.decode()
    assert "Cut size after two losses" in text and "Another one" not in text


def test_audit_log_is_read_only_for_ops(ops_client):
    """Ops may change recommendations but not their history: no add, change, delete or action."""
    rec = RecommendationFactory()
    recommendation_set_status(recommendation=rec, status="IGNORED", reason="no", user=None)
    row = rec.history.first()
    base = "/admin/post_mortem/historicalrecommendation/"
    assert ops_client.get(base).status_code == 200
    assert ops_client.get(f"{base}add/").status_code == 403
    assert 'name="_save"' not in ops_client.get(f"{base}{row.history_id}/change/").content.decode()
    assert ops_client.post(f"{base}{row.history_id}/change/", {"history_change_reason": "x"}).status_code == 403
    assert ops_client.post(f"{base}{row.history_id}/delete/", {"post": "yes"}).status_code == 403
    ops_client.post(base, {"action": "delete_selected", "_selected_action": [row.history_id], "post": "yes"})
    assert rec.history.count() == 2 and b"delete_selected" not in ops_client.get(base).content


def test_history_cannot_be_reverted(superuser_client):
    rec = RecommendationFactory()
    recommendation_set_status(recommendation=rec, status="IGNORED", reason="first", user=None)
    first = rec.history.last()
    url = reverse("admin:post_mortem_recommendation_simple_history", args=[rec.pk, first.history_id])
    assert superuser_client.get(url).status_code == 200
    r = superuser_client.post(url, {"text": "reverted", "area": "x", "type_code": "y"})
    assert r.status_code == 403
    rec.refresh_from_db()
    assert rec.implementation_status == "IGNORED"


def test_bulk_action_intermediate_page_then_apply(ops_client, ops_user):
    recs = RecommendationFactory.create_batch(3)
    url = reverse("admin:post_mortem_recommendation_changelist")
    ids = [str(r.pk) for r in recs]
    r = ops_client.post(url, {"action": "bulk_set_status", "_selected_action": ids})
    assert r.status_code == 200 and b"set-status-form" in r.content
    r = ops_client.post(
        url, {"action": "bulk_set_status", "_selected_action": ids, "apply": "1", "status": "IGNORED", "reason": "bulk"}
    )
    assert r.status_code == 302
    assert set(Recommendation.objects.values_list("implementation_status", flat=True)) == {"IGNORED"}
    assert all(r.history.first().history_user == ops_user for r in recs)


def test_prioritisation_page(auditor_client):
    plant_trades(account="A", start=dt.datetime(2026, 7, 2, tzinfo=UTC), days=30, per_day=4, mean_r=0.0, seed=1)
    plant_trades(account="A", start=dt.datetime(2026, 8, 1, 4, tzinfo=UTC), days=30, per_day=4, mean_r=0.5, seed=2)
    rec = RecommendationFactory(
        text="No re-entry within 30 minutes of a loss",
        implementation_status="IMPLEMENTED",
        implementation_date=dt.date(2026, 8, 1),
    )
    RecommendationFactory(text="Pending <b>idea</b>", expected_impact_r=0.2)
    impact_measure(recommendations=[rec], as_of=dt.datetime(2026, 9, 15, tzinfo=UTC), n_boot=300)
    r = auditor_client.get(reverse("admin:post_mortem_recommendation_prioritisation"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "No re-entry within 30 minutes" in body and "paid" in body
    assert "Pending &lt;b&gt;idea&lt;/b&gt;" in body  # escaped
    assert 'data-type="line"' in body
    r = auditor_client.get(reverse("admin:post_mortem_recommendation_prioritisation"), {"area": "nope"})
    assert r.context["data"]["implemented"] == [] and r.context["data"]["pending"] == []


def test_pages_need_permission(client, django_user_model):
    user = django_user_model.objects.create_user("staffonly", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:post_mortem_recommendation_prioritisation")).status_code == 403
    assert client.get(reverse("admin:post_mortem_recommendation_audit")).status_code == 403


def test_experiment_admin_create_and_readonly_after(ops_client, ops_user):
    from tests.factories import TradeFactory

    TradeFactory(account="CHARLIE")
    TradeFactory(account="DELTA")
    url = reverse("admin:post_mortem_experiment_add")
    data = {
        "name": "half size",
        "hypothesis": "",
        "metric": "r_multiple",
        "treatment_kind": "account",
        "treatment_accounts": ["CHARLIE"],
        "control_kind": "account",
        "control_accounts": ["CHARLIE"],
        "start": "2026-09-01",
        "end": "2026-11-15",
        "min_sample": "30",
    }
    r = ops_client.post(url, data)
    assert r.status_code == 200 and "control_accounts" in r.context["adminform"].form.errors
    r = ops_client.post(url, {**data, "control_accounts": ["DELTA"]})
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    exp = Experiment.objects.get()
    assert exp.created_by == ops_user
    change = reverse("admin:post_mortem_experiment_change", args=[exp.pk])
    r = ops_client.get(change)
    assert r.status_code == 200 and b"experiment-results" in r.content
    ops_client.post(change, {**data, "metric": "win_rate", "control_accounts": ["DELTA"], "name": "renamed"})
    exp.refresh_from_db()
    assert exp.metric == "r_multiple" and exp.name == "half size"  # every field is fixed after creation


def test_impact_assessment_admin_is_read_only(ops_client):
    assert ops_client.get(reverse("admin:post_mortem_impactassessment_changelist")).status_code == 200
    assert ops_client.get(reverse("admin:post_mortem_impactassessment_add")).status_code == 403


def test_dashboard_card_shows_measured_recommendation(auditor_client):
    plant_trades(account="A", start=dt.datetime(2026, 7, 2, tzinfo=UTC), days=30, per_day=4, mean_r=0.0, seed=3)
    plant_trades(account="A", start=dt.datetime(2026, 8, 1, 4, tzinfo=UTC), days=30, per_day=4, mean_r=0.5, seed=4)
    rec = RecommendationFactory(
        text="Half size after a loss", implementation_status="IMPLEMENTED", implementation_date=dt.date(2026, 8, 1)
    )
    impact_measure(recommendations=[rec], as_of=dt.datetime(2026, 9, 15, tzinfo=UTC), n_boot=300)
    body = auditor_client.get(reverse("admin:index")).content.decode()
    assert "Did the changes pay?" in body and "Half size after a loss" in body and "paid" in body


def test_measure_impact_now_action_runs_and_needs_permission(
    ops_user, auditor_user, django_capture_on_commit_callbacks
):
    from django.test import Client

    from post_mortem.models import ImpactAssessment, JobRun

    ops_client, auditor_client = Client(), Client()
    ops_client.force_login(ops_user)
    auditor_client.force_login(auditor_user)

    plant_trades(account="A", start=dt.datetime(2026, 7, 2, tzinfo=UTC), days=30, per_day=4, mean_r=0.0, seed=5)
    plant_trades(account="A", start=dt.datetime(2026, 8, 1, 4, tzinfo=UTC), days=30, per_day=4, mean_r=0.5, seed=6)
    RecommendationFactory(implementation_status="IMPLEMENTED", implementation_date=dt.date(2026, 8, 1))
    url = reverse("admin:post_mortem_recommendation_measure_impact_now")
    assert auditor_client.get(url).status_code == 403
    assert auditor_client.post(url, {"confirm": "yes"}).status_code == 403
    confirm = ops_client.get(url)  # a GET only asks
    assert confirm.status_code == 200 and 'id="confirm-action-form"' in confirm.content.decode()
    assert not JobRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        r = ops_client.post(url, {"confirm": "yes"})
    assert r.status_code == 302
    run = JobRun.objects.get(kind="IMPACT")  # django-q2 runs in sync mode in tests
    assert run.status == "SUCCEEDED" and run.created_by.username == "opsy"
    assert ImpactAssessment.objects.filter(run=run).count() == 1


def test_changelist_filters_work(ops_client):
    RecommendationFactory(text="kept one", implementation_status="IGNORED")
    RecommendationFactory(text="other one")
    url = reverse("admin:post_mortem_recommendation_changelist")
    r = ops_client.get(url, {"implementation_status": "IGNORED"})
    assert r.status_code == 200
    assert b"kept one" in r.content and b"other one" not in r.content
    r = ops_client.get(url, {"implementation_date_from": "2026-01-01", "implementation_date_to": "2026-12-31"})
    assert r.status_code == 200
