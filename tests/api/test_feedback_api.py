"""Feedback REST endpoints: tracking with audited user, history, impact list, experiments + results."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client

from post_mortem.models import Experiment, ImplementationStatus, Recommendation
from post_mortem.services.impact import impact_measure
from tests.factories import RecommendationFactory
from tests.feedback.helpers import plant_trades

pytestmark = pytest.mark.django_db
BASE = "/api/post-mortem/"
UTC = dt.UTC


def test_anonymous_is_refused(anon_api):
    rec = RecommendationFactory()
    assert anon_api.get(f"{BASE}recommendations/").status_code == 401
    r = anon_api.post(f"{BASE}recommendations/track/", {"recommendation_id": rec.pk, "status": "IGNORED"})
    assert r.status_code == 401
    assert anon_api.get(f"{BASE}experiments/").status_code == 401


def test_no_group_is_forbidden(nogroup_api):
    assert nogroup_api.get(f"{BASE}recommendations/").status_code == 403
    assert nogroup_api.get(f"{BASE}impact-assessments/").status_code == 403


def test_list_filter_and_detail(auditor_api):
    a = RecommendationFactory(area="exit", type_code="trail_stop", expected_impact_r=0.3)
    RecommendationFactory(area="entry", type_code="wait_confirm")
    r = auditor_api.get(f"{BASE}recommendations/", {"area": "exit"})
    assert r.status_code == 200
    assert [row["id"] for row in r.json()["results"]] == [a.pk]
    row = r.json()["results"][0]
    assert row["type"] == "trail_stop" and row["implementation_status"] == "PENDING"
    assert {"text", "segment", "expected_impact", "implementation_date", "latest_impact"} <= set(row)
    assert auditor_api.get(f"{BASE}recommendations/", {"type": "wait_confirm"}).json()["count"] == 1
    assert auditor_api.get(f"{BASE}recommendations/{a.pk}/").json()["id"] == a.pk
    assert auditor_api.get(f"{BASE}recommendations/999999/").status_code == 404
    bad = auditor_api.get(f"{BASE}recommendations/", {"implementation_status": "DONE"})
    assert bad.status_code == 400 and "implementation_status" in bad.json()


def test_ops_tracks_and_history_records_api_user(ops_api, auditor_api):
    rec = RecommendationFactory()
    r = ops_api.post(
        f"{BASE}recommendations/track/",
        {
            "recommendation_id": rec.pk,
            "status": "implemented",
            "implementation_date": "2026-08-01",
            "notes": "from Monday",
            "reason": "desk meeting",
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["implementation_status"] == "IMPLEMENTED" and body["implementation_date"] == "2026-08-01"
    assert body["notes"] == "from Monday"
    h = auditor_api.get(f"{BASE}recommendations/{rec.pk}/history/")
    assert h.status_code == 200
    latest = h.json()["results"][0]
    assert latest["user"] == ops_api.user.username and latest["reason"] == "desk meeting"
    changes = {c["field"]: c for c in latest["changes"]}
    assert changes["implementation_status"] == {
        "field": "implementation_status",
        "old": "PENDING",
        "new": "IMPLEMENTED",
    }
    assert rec.history.first().history_user == ops_api.user


def test_auditor_cannot_track(auditor_api):
    rec = RecommendationFactory()
    r = auditor_api.post(f"{BASE}recommendations/track/", {"recommendation_id": rec.pk, "status": "IGNORED"})
    assert r.status_code == 403
    rec.refresh_from_db()
    assert rec.implementation_status == ImplementationStatus.PENDING


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "DONE"}, "status"),
        ({"status": "IMPLEMENTED", "implementation_date": "yesterday"}, "implementation_date"),
        ({"status": "IGNORED", "reason": "x" * 200}, "reason"),
        ({}, "status"),
        ({"status": "IGNORED", "note": "typo of notes"}, "note"),
    ],
)
def test_track_400_names_the_field(ops_api, payload, field):
    rec = RecommendationFactory()
    r = ops_api.post(f"{BASE}recommendations/track/", {"recommendation_id": rec.pk, **payload})
    assert r.status_code == 400
    assert field in r.json()
    assert rec.history.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "IMPLEMENTED", "implementation_date": "2999-01-01"}, "implementation_date"),
        ({"status": "IGNORED", "implementation_date": "2026-01-01"}, "implementation_date"),
    ],
)
def test_track_refused_by_a_rule_is_422_naming_the_field(ops_api, payload, field):
    rec = RecommendationFactory()
    r = ops_api.post(f"{BASE}recommendations/track/", {"recommendation_id": rec.pk, **payload})
    assert r.status_code == 422
    assert field in r.json()
    assert rec.history.count() == 1


def test_track_unknown_id_404_and_bad_id_400(ops_api):
    assert (
        ops_api.post(f"{BASE}recommendations/track/", {"recommendation_id": 987654, "status": "IGNORED"}).status_code
        == 404
    )
    r = ops_api.post(f"{BASE}recommendations/track/", {"recommendation_id": "abc", "status": "IGNORED"})
    assert r.status_code == 400 and "recommendation_id" in r.json()


def test_session_auth_change_is_recorded_with_user(ops_user):
    client = Client(enforce_csrf_checks=False)
    client.force_login(ops_user)
    rec = RecommendationFactory()
    r = client.post(
        f"{BASE}recommendations/track/",
        {"recommendation_id": rec.pk, "status": "IGNORED"},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert rec.history.first().history_user == ops_user


def test_impact_assessments_listing(auditor_api):
    plant_trades(account="A", start=dt.datetime(2026, 7, 2, tzinfo=UTC), days=30, per_day=4, mean_r=0.0, seed=1)
    plant_trades(account="A", start=dt.datetime(2026, 8, 1, 4, tzinfo=UTC), days=30, per_day=4, mean_r=0.5, seed=2)
    rec = RecommendationFactory(implementation_status="IMPLEMENTED", implementation_date=dt.date(2026, 8, 1))
    impact_measure(recommendations=[rec], as_of=dt.datetime(2026, 9, 15, tzinfo=UTC), n_boot=300)
    r = auditor_api.get(f"{BASE}impact-assessments/", {"recommendation": rec.pk, "significant": "true"})
    assert r.status_code == 200 and r.json()["count"] == 1
    row = r.json()["results"][0]
    assert row["significant"] is True and row["ci_low"] > 0 and row["roi_per_month"] > 0
    listed = auditor_api.get(f"{BASE}recommendations/{rec.pk}/").json()
    assert listed["latest_impact"]["significant"] is True


def test_experiment_create_list_results(ops_api, auditor_api):
    start = dt.datetime(2026, 9, 1, tzinfo=UTC)
    plant_trades(account="CHARLIE", start=start, days=76, per_day=3, mean_r=0.35, seed=1)
    plant_trades(account="DELTA", start=start, days=76, per_day=3, mean_r=0.0, seed=2)
    body = {
        "name": "half size after loss",
        "metric": "r_multiple",
        "treatment": {"account": ["CHARLIE"]},
        "control": {"account": ["DELTA"]},
        "start": "2026-09-01",
        "end": "2026-11-15",
    }
    r = ops_api.post(f"{BASE}experiments/", body)
    assert r.status_code == 201, r.content
    exp_id = r.json()["id"]
    assert r.json()["created_by"] == ops_api.user.username
    assert ops_api.post(f"{BASE}experiments/", body).status_code == 422  # duplicate name
    assert auditor_api.post(f"{BASE}experiments/", {**body, "name": "other"}).status_code == 403
    assert auditor_api.get(f"{BASE}experiments/").json()["count"] == 1
    res = auditor_api.get(f"{BASE}experiments/{exp_id}/results/")
    assert res.status_code == 200
    data = res.json()
    assert data["treatment"]["n"] == 228 and data["control"]["n"] == 228
    assert data["ci_low"] > 0 and data["significant"] is True
    assert {"difference", "ci_high", "p_value", "interim", "daily"} <= set(data)
    assert auditor_api.get(f"{BASE}experiments/424242/results/").status_code == 404
    # Pre-registered fields cannot be changed through the API.
    assert ops_api.patch(f"{BASE}experiments/{exp_id}/", {"metric": "win_rate"}).status_code == 405
    assert Experiment.objects.get(pk=exp_id).metric == "r_multiple"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metric": "sharpe"}, "metric"),
        ({"treatment": {"desk": ["X"]}}, "treatment"),
        ({"treatment": {"account": "CHARLIE"}}, "treatment"),
        ({"start": "not-a-date"}, "start"),
        ({"start": "2026-9-1"}, "start"),
        ({"recommendation": "1"}, "recommendation"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_experiment_create_400_names_field(ops_api, change, field):
    body = {
        "name": "x",
        "metric": "r_multiple",
        "treatment": {"account": ["CHARLIE"]},
        "control": {"account": ["DELTA"]},
        "start": "2026-09-01",
        "end": "2026-11-15",
        **change,
    }
    r = ops_api.post(f"{BASE}experiments/", body)
    assert r.status_code == 400 and field in r.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"control": {"account": ["CHARLIE"]}}, "control"),
        ({"end": "2026-08-01"}, "end"),
        ({"recommendation": 987654}, "recommendation"),
        ({"name": "   "}, "name"),
    ],
)
def test_experiment_refused_by_a_rule_is_422_naming_field(ops_api, change, field):
    body = {
        "name": "x",
        "metric": "r_multiple",
        "treatment": {"account": ["CHARLIE"]},
        "control": {"account": ["DELTA"]},
        "start": "2026-09-01",
        "end": "2026-11-15",
        **change,
    }
    r = ops_api.post(f"{BASE}experiments/", body)
    assert r.status_code == 422 and field in r.json()
    assert not Experiment.objects.exists()


def test_schema_includes_feedback_endpoints(ops_api):
    r = ops_api.get("/api/schema/")
    assert r.status_code == 200
    text = r.content.decode()
    for path in ("recommendations/track/", "recommendations/{id}/history/", "experiments/{id}/results/"):
        assert path in text
    assert User.objects.filter(username=ops_api.user.username).exists()
    assert Recommendation.objects.count() == 0


def test_measure_endpoint_queues_run(ops_api, auditor_api, django_capture_on_commit_callbacks):
    plant_trades(account="A", start=dt.datetime(2026, 7, 2, tzinfo=UTC), days=30, per_day=4, mean_r=0.0, seed=7)
    plant_trades(account="A", start=dt.datetime(2026, 8, 1, 4, tzinfo=UTC), days=30, per_day=4, mean_r=0.5, seed=8)
    rec = RecommendationFactory(implementation_status="IMPLEMENTED", implementation_date=dt.date(2026, 8, 1))
    pending = RecommendationFactory()
    assert auditor_api.post(f"{BASE}impact-assessments/measure/", {}).status_code == 403
    bad = ops_api.post(f"{BASE}impact-assessments/measure/", {"recommendation_id": pending.pk})
    assert bad.status_code == 422 and "recommendation_id" in bad.json()  # not implemented: nothing to measure
    assert ops_api.post(f"{BASE}impact-assessments/measure/", {"window_days": 0}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        r = ops_api.post(f"{BASE}impact-assessments/measure/", {"recommendation_id": rec.pk})
    assert r.status_code == 202
    run_id = r.json()["run"]
    rows = auditor_api.get(f"{BASE}impact-assessments/", {"run": run_id}).json()["results"]
    assert [row["recommendation"] for row in rows] == [rec.pk]


def test_list_query_count_does_not_grow_with_rows(auditor_api, django_assert_max_num_queries):
    RecommendationFactory.create_batch(30)
    with django_assert_max_num_queries(8):
        r = auditor_api.get(f"{BASE}recommendations/", {"page_size": 30})
    assert r.status_code == 200 and len(r.json()["results"]) == 30
