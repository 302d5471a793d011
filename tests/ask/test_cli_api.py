"""`manage.py ask --json` (the exact shape) and the API: POST ask/, GET ask/<id>/, permissions, errors."""

from __future__ import annotations

import io
import json

from django.core.management import call_command
from rest_framework.test import APIClient

from post_mortem.ask.tools import ToolBox
from post_mortem.models import Question, QuestionStatus
from post_mortem.services.ask import NO_KEY

from .conftest import text, tool_use

SEL = {"selection": {"setups": ["fade_gap"], "symbols": ["NVDA"]}}


def test_cli_json_shape(desk, loopback):
    expected = ToolBox().run("trade_stats", SEL)
    loopback.reply(200, tool_use(("trade_stats", SEL)))
    loopback.reply(200, text(f"Fading gaps on NVDA: {expected['n']} trades, expectancy {expected['expectancy_r']}R."))
    out = io.StringIO()
    call_command("ask", "Is fading gaps worse on NVDA?", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert list(data) == ["question", "status", "answer", "numbers", "tool_calls", "reason"]
    assert data["status"] == "answered" and data["reason"] == ""
    assert data["tool_calls"] == [{"name": "trade_stats", "input": SEL, "result": expected}]
    assert {"value": str(expected["n"]), "tool_call": 0} in data["numbers"]
    assert all(set(n) == {"value", "tool_call"} for n in data["numbers"])


def test_cli_failed_question_has_the_reason(desk, loopback):
    loopback.default = (400, {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}, {})
    out = io.StringIO()
    call_command("ask", "Anything?", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["status"] == "failed" and data["reason"] == "Claude API error 400: bad" and data["answer"] == ""


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_post_then_get(desk, loopback, ops_user, auditor_user, django_capture_on_commit_callbacks):
    expected = ToolBox().run("trade_stats", SEL)
    loopback.reply(200, tool_use(("trade_stats", SEL)))
    loopback.reply(200, text(f"{expected['n']} trades."))
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(ops_user).post("/api/post-mortem/ask/", {"question": "How many NVDA fades?"}, format="json")
    assert response.status_code == 202, response.content
    qid = response.json()["id"]
    got = _api(auditor_user).get(f"/api/post-mortem/ask/{qid}/")
    assert got.status_code == 200
    body = got.json()
    assert body["status"] == "answered" and body["user"] == "opsy"
    assert body["numbers"] == [{"value": str(expected["n"]), "tool_call": 0}]
    assert body["tool_calls"][0]["result"] == expected


def test_api_errors(db, ops_user, auditor_user, monkeypatch, settings, django_capture_on_commit_callbacks):
    assert APIClient().post("/api/post-mortem/ask/", {"question": "x?"}, format="json").status_code == 401
    assert _api(auditor_user).post("/api/post-mortem/ask/", {"question": "How?"}, format="json").status_code == 403
    bad = _api(ops_user).post("/api/post-mortem/ask/", {"question": "", "parent": 99}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"question"}
    unknown = _api(ops_user).post("/api/post-mortem/ask/", {"question": "How?", "parent": 99}, format="json")
    assert unknown.status_code == 422 and unknown.json()["parent"] == ["Unknown question 99."]
    assert _api(ops_user).get("/api/post-mortem/ask/99/").status_code == 404
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings.ANTHROPIC_API_KEY = ""
    with django_capture_on_commit_callbacks(execute=True):
        none = _api(ops_user).post("/api/post-mortem/ask/", {"question": "How?"}, format="json")
    assert none.status_code == 202
    assert Question.objects.get().status == QuestionStatus.FAILED and Question.objects.get().reason == NO_KEY


def test_api_follow_up_of_pending_question_is_refused(db, loopback, ops_user):
    parent = Question.objects.create(text="first?", status=QuestionStatus.PENDING)
    response = _api(ops_user).post("/api/post-mortem/ask/", {"question": "and?", "parent": parent.pk}, format="json")
    assert response.status_code == 422 and "not finished" in response.json()["question"][0]
