"""POST analyses/<trade_id>/ and analyses/batch/: 202 with a run, real run to completion, validation
that writes nothing, per-object permission for re-analysis, and the write throttle."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from knox.models import AuthToken
from rest_framework.test import APIClient

from post_mortem.api.throttling import WriteRateThrottle
from post_mortem.models import JobRun, RunChunk, TradeAnalysis
from tests.factories import TradeAnalysisFactory, TradeFactory

API = "/api/post-mortem/"


def _nothing_written():
    return JobRun.objects.count() == 0 and RunChunk.objects.count() == 0


@pytest.fixture
def trades(db):
    return TradeFactory.create_batch(3)


def test_post_one_trade_queues_a_run_and_the_run_completes(ops_api, trades, django_capture_on_commit_callbacks):
    trade = trades[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_api.post(API + f"analyses/{trade.pk}/", {"engine": "rules"}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    run = JobRun.objects.get(pk=body["run"])
    assert body["kind"] == "ANALYSIS" and body["total"] == 1 and body["engine"] == "rules"
    assert body["url"].endswith(f"/api/post-mortem/runs/{run.pk}/")
    assert response["Location"] == body["url"]
    assert run.created_by == ops_api.user
    # django-q2 runs in sync mode in tests: the committed run was processed for real.
    progress = ops_api.get(body["url"]).json()
    assert progress["status"] == "SUCCEEDED", progress
    assert (progress["total"], progress["done"], progress["succeeded"]) == (1, 1, 1)
    analysis = ops_api.get(API + f"analyses/{trade.pk}/")
    assert analysis.status_code == 200
    assert analysis.json()["engine"] == "rules"
    assert TradeAnalysis.objects.filter(trade=trade).count() == 1


def test_post_with_empty_body_uses_the_default_engine(ops_api, trades, settings):
    response = ops_api.post(API + f"analyses/{trades[0].pk}/")
    assert response.status_code == 202, response.content
    assert JobRun.objects.get(pk=response.json()["run"]).params["engine"] == settings.POST_MORTEM_ENGINE


def test_batch_queues_one_run_for_all_and_completes(ops_api, trades, django_capture_on_commit_callbacks):
    ids = [t.pk for t in trades]
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_api.post(
            API + "analyses/batch/", {"trade_ids": [*ids, ids[0]], "engine": "rules"}, format="json"
        )
    assert response.status_code == 202, response.content
    assert response.json()["total"] == 3  # duplicates ignored
    progress = ops_api.get(response.json()["url"]).json()
    assert progress["status"] == "SUCCEEDED" and progress["succeeded"] == 3
    assert TradeAnalysis.objects.filter(trade_id__in=ids).count() == 3


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"trade_ids": []}, "trade_ids", ""),
        ({"trade_ids": "1,2"}, "trade_ids", ""),
        ({"trade_ids": ["a"]}, "trade_ids", ""),
        ({"trade_ids": [0]}, "trade_ids", ""),
        ({"trade_ids": [2**70]}, "trade_ids", ""),
        ({}, "trade_ids", "required"),
        ({"trade_ids": [1], "engine": "gpt-4"}, "engine", "gpt-4"),
        ({"trade_ids": [1], "use_batches": "sometimes"}, "use_batches", ""),
        ({"trade_ids": [1], "use_batches": 0}, "use_batches", ""),
        ({"trade_ids": [1], "engin": "rules"}, "engin", "Unknown field"),
        ([1, 2], "non_field_errors", ""),
    ],
)
def test_batch_bad_input_is_400_naming_the_field_and_writes_nothing(ops_api, trades, body, field, text):
    if isinstance(body, dict) and body.get("trade_ids") == [1]:
        body = {**body, "trade_ids": [trades[0].pk]}
    response = ops_api.post(API + "analyses/batch/", body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert text in " ".join(map(str, errors[field]))
    assert _nothing_written()


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"trade_ids": [1, 987654, 987655]}, "trade_ids", "987654, 987655"),
        ({"trade_ids": [1], "engine": "rules", "use_batches": True}, "use_batches", "claude"),
    ],
)
def test_batch_refused_by_a_rule_is_422_naming_the_field_and_writes_nothing(ops_api, trades, body, field, text):
    body = {**body, "trade_ids": [trades[0].pk if t == 1 else t for t in body["trade_ids"]]}
    response = ops_api.post(API + "analyses/batch/", body, format="json")
    assert response.status_code == 422, response.content
    assert text in " ".join(response.json()[field])
    assert _nothing_written()


def test_single_null_body_is_400(ops_api, trades):
    response = ops_api.post(API + f"analyses/{trades[0].pk}/", "null", content_type="application/json")
    assert response.status_code == 400
    assert _nothing_written()


def test_batch_is_bounded(ops_api, trades, monkeypatch):
    response = ops_api.post(API + "analyses/batch/", {"trade_ids": list(range(1, 10_002))}, format="json")
    assert response.status_code == 400
    assert "trade_ids" in response.json()
    assert _nothing_written()


def test_single_bad_engine_is_400(ops_api, trades):
    response = ops_api.post(API + f"analyses/{trades[0].pk}/", {"engine": "gpt"}, format="json")
    assert response.status_code == 400
    assert "engine" in response.json()
    assert _nothing_written()


def test_claude_without_a_key_is_422_from_the_service(ops_api, trades, monkeypatch, settings):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings.ANTHROPIC_API_KEY = ""
    response = ops_api.post(API + "analyses/batch/", {"trade_ids": [trades[0].pk], "engine": "claude"}, format="json")
    assert response.status_code == 422
    assert "ANTHROPIC_API_KEY" in " ".join(response.json()["engine"])
    assert _nothing_written()


def test_unknown_trade_is_404_and_writes_nothing(ops_api, db):
    response = ops_api.post(API + "analyses/987654/", {"engine": "rules"}, format="json")
    assert response.status_code == 404
    assert "987654" in response.json()["detail"]
    assert _nothing_written()


@pytest.mark.parametrize("path", ["analyses/{pk}/", "analyses/batch/"])
def test_malformed_json_is_400(ops_api, trades, path):
    response = ops_api.post(
        API + path.format(pk=trades[0].pk), data='{"trade_ids": [1,', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert _nothing_written()


@pytest.fixture
def adder_api(db) -> APIClient:
    """May add post-mortems but not change (replace) them."""
    user = User.objects.create_user(username="adder", password="x")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="post_mortem", codename__in=["view_tradeanalysis", "add_tradeanalysis"]
        )
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def test_replacing_an_existing_post_mortem_needs_change_permission(adder_api, ops_api, db):
    analysed = TradeAnalysisFactory().trade
    fresh = TradeFactory()
    assert adder_api.post(API + f"analyses/{fresh.pk}/", {"engine": "rules"}, format="json").status_code == 202
    refused = adder_api.post(API + f"analyses/{analysed.pk}/", {"engine": "rules"}, format="json")
    assert refused.status_code == 403
    batch = adder_api.post(API + "analyses/batch/", {"trade_ids": [fresh.pk, analysed.pk]}, format="json")
    assert batch.status_code == 403
    assert str(analysed.pk) in batch.json()["detail"]
    assert JobRun.objects.count() == 1
    assert ops_api.post(API + f"analyses/{analysed.pk}/", {"engine": "rules"}, format="json").status_code == 202


def test_writes_are_throttled_per_user_reads_are_not(ops_api, auditor_api, trades, monkeypatch):
    monkeypatch.setattr(WriteRateThrottle, "THROTTLE_RATES", {"writes": "2/min"})
    url = API + f"analyses/{trades[0].pk}/"
    assert ops_api.post(url, {"engine": "rules"}, format="json").status_code == 202
    assert ops_api.post(url, {"engine": "rules"}, format="json").status_code == 202
    third = ops_api.post(url, {"engine": "rules"}, format="json")
    assert third.status_code == 429
    assert int(third["Retry-After"]) > 0
    assert JobRun.objects.count() == 2
    for _ in range(5):
        assert ops_api.get(API + "trades/").status_code == 200
    # another user has their own budget
    assert auditor_api.post(url, {"engine": "rules"}, format="json").status_code == 403


@pytest.mark.parametrize("path", ["recommendations/track/", "experiments/"])
def test_every_api_write_is_throttled_by_default(ops_api, db, monkeypatch, path):
    """The throttle is the project default, so the feedback endpoints' POSTs are limited too."""
    monkeypatch.setattr(WriteRateThrottle, "THROTTLE_RATES", {"writes": "1/min"})
    first = ops_api.post(API + path, {}, format="json")
    assert first.status_code == 400  # counted even when refused
    assert ops_api.post(API + path, {}, format="json").status_code == 429
    assert ops_api.get(API + path.split("/")[0] + "/").status_code == 200
