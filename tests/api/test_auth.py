"""Every endpoint refuses the anonymous, refuses users outside the groups, and follows the groups:
Auditor reads, Ops reads and writes. Token and session authentication both work; session writes
need the CSRF token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    AnalysisPatternFactory,
    ImprovementPlanFactory,
    JobRunFactory,
    TradeAnalysisFactory,
    TradeFactory,
)

API = "/api/post-mortem/"


@pytest.fixture
def world(db) -> dict[str, int]:
    analysis = TradeAnalysisFactory()
    unanalysed = TradeFactory()
    return {
        "trade": analysis.trade_id,
        "fresh_trade": unanalysed.pk,
        "pattern": AnalysisPatternFactory().pk,
        "plan": ImprovementPlanFactory().pk,
        "run": JobRunFactory().pk,
    }


READS = [
    "",
    "trades/",
    "trades/{trade}/",
    "analyses/",
    "analyses/{trade}/",
    "patterns/",
    "patterns/{pattern}/",
    "improvement-plans/",
    "improvement-plans/{plan}/",
    "runs/",
    "runs/{run}/",
]
WRITES = [
    ("analyses/{fresh_trade}/", {"engine": "rules"}),
    ("analyses/batch/", {"trade_ids": ["{fresh_trade}"], "engine": "rules"}),
]


def _fill(template, world):
    if isinstance(template, str):
        return template.format(**world)
    if isinstance(template, list):
        return [int(_fill(x, world)) if isinstance(x, str) else x for x in template]
    return {k: _fill(v, world) for k, v in template.items()}


@pytest.mark.parametrize("path", READS)
def test_anonymous_gets_401_on_reads(anon_api, world, path):
    response = anon_api.get(API + path.format(**world))
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_anonymous_gets_401_on_writes(anon_api, world, path, body):
    response = anon_api.post(API + _fill(path, world), _fill(body, world), format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("path", [p for p in READS if p])
def test_user_outside_the_groups_gets_403(nogroup_api, world, path):
    response = nogroup_api.get(API + path.format(**world))
    assert response.status_code == 403, response.content


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("role", ["auditor_api", "ops_api"])
def test_auditor_and_ops_read(request, world, path, role):
    client = request.getfixturevalue(role)
    response = client.get(API + path.format(**world))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_auditor_cannot_write(auditor_api, world, path, body):
    response = auditor_api.post(API + _fill(path, world), _fill(body, world), format="json")
    assert response.status_code == 403, response.content


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_nogroup_cannot_write(nogroup_api, world, path, body):
    response = nogroup_api.post(API + _fill(path, world), _fill(body, world), format="json")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "trades/{trade}/"),
        ("patch", "trades/{trade}/"),
        ("delete", "trades/{trade}/"),
        ("post", "trades/"),
        ("delete", "patterns/{pattern}/"),
        ("post", "improvement-plans/"),
        ("delete", "runs/{run}/"),
        ("delete", "analyses/{trade}/"),
        ("get", "analyses/batch/"),
    ],
)
def test_read_only_endpoints_refuse_writes_even_for_ops(ops_api, world, method, path):
    from post_mortem.models import AnalysisPattern, JobRun, Trade, TradeAnalysis

    before = [M.objects.count() for M in (Trade, TradeAnalysis, AnalysisPattern, JobRun)]
    response = getattr(ops_api, method)(API + path.format(**world), {}, format="json")
    # 403 when Ops lacks the model permission for that verb, 405 when it has it but the API is read-only.
    assert response.status_code in {403, 405}, response.content
    assert [M.objects.count() for M in (Trade, TradeAnalysis, AnalysisPattern, JobRun)] == before


def test_invalid_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(API + "trades/").status_code == 401


def test_session_auth_reads_and_enforces_csrf_on_writes(db, world, ops_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(ops_user)
    assert client.get(API + "trades/").status_code == 200
    response = client.post(API + "analyses/batch/", {"trade_ids": [world["fresh_trade"]]}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
