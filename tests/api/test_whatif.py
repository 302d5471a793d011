"""POST /api/post-mortem/what-if/ (202 + run) and GET what-if/<id>/, by token, per group."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.mining.helpers import store_synthetic_trades

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {"trades", "net_pnl", "expectancy_r", "win_rate", "max_drawdown"}


def test_api_post_202_then_get_report(ops_api, auditor_api, anon_api, django_capture_on_commit_callbacks):
    store_synthetic_trades(400, seed=3)
    url = reverse("what-if")
    body = {"rules": [{"type": "max_trades_per_day", "n": 3}], "account": "ACC-01"}
    assert anon_api.post(url, body, format="json").status_code == 401
    assert auditor_api.post(url, body, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_api.post(url, body, format="json")
    assert response.status_code == 202, response.content
    run_id = response.json()["run"]
    assert response.json()["url"].endswith(f"/what-if/{run_id}/")
    report = auditor_api.get(reverse("what-if-detail", kwargs={"run_id": run_id}))
    assert report.status_code == 200
    data = report.json()
    assert data["status"] == "SUCCEEDED" and set(data["actual"]) == SUMMARY_KEYS
    assert ops_api.get(reverse("what-if-detail", kwargs={"run_id": 999999})).status_code == 404
    bad = ops_api.post(url, {"rules": [{"type": "daily_loss_limit"}]}, format="json")
    assert bad.status_code == 422 and "exactly one of 'r' or 'usd'" in json.dumps(bad.json())
