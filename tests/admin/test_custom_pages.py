"""The admin's own pages (admin_ext.views base): Auditors read every reading page and are refused
every page that acts; Ops reach both; a staff user with no group reaches none."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from post_mortem.models import ImportBatch, Question
from tests.factories import JobRunFactory, RecommendationFactory, TradeAnalysisFactory

READING = ("run", "run_progress", "what_if_result", "report", "prioritization", "history", "question")
ACTING = ("mine", "what_if", "ask", "set_status", "rollback", "analyze_batch", "broker_import", "group_values")


@pytest.fixture
def urls(db, django_user_model) -> dict[str, str]:
    run = JobRunFactory()
    what_if = JobRunFactory(kind="WHATIF")
    analysis = TradeAnalysisFactory()
    rec = RecommendationFactory()
    batch = ImportBatch.objects.create(file_name="t.csv", status="COMPLETED")
    asker = django_user_model.objects.create_user("asker", is_staff=True)
    question = Question.objects.create(user=asker, text="Why?")
    return {
        "run": reverse("admin:post_mortem_jobrun_change", args=[run.pk]),
        "run_progress": reverse("admin:post_mortem_jobrun_progress", args=[run.pk]),
        "what_if_result": reverse("admin:post_mortem_jobrun_what_if_result", args=[what_if.pk]),
        "report": reverse("admin:post_mortem_tradeanalysis_change", args=[analysis.pk]),
        "prioritization": reverse("admin:post_mortem_recommendation_prioritisation"),
        "history": reverse("admin:post_mortem_recommendation_audit"),
        "question": reverse("admin:post_mortem_question_ask_detail", args=[question.pk]),
        "mine": reverse("admin:post_mortem_analysispattern_mine"),
        "what_if": reverse("admin:post_mortem_jobrun_what_if"),
        "ask": reverse("admin:post_mortem_question_ask"),
        "set_status": reverse("admin:post_mortem_recommendation_set_status", args=[rec.pk]),
        "rollback": reverse("admin:post_mortem_importbatch_rollback", args=[batch.pk]),
        "analyze_batch": reverse("admin:post_mortem_trade_analyze_batch", args=[batch.pk]),
        "broker_import": reverse("admin:post_mortem_importlayout_import_file"),
        "group_values": reverse("admin:post_mortem_experiment_group_values") + "?kind=account",
    }


def _client(group: str | None) -> Client:
    user = User.objects.create_user(f"u-{group}", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def _status(client: Client, url: str) -> int:
    return client.get(url).status_code


def test_auditor_reads_but_does_not_act(urls):
    client = _client("Auditor")
    assert {name: _status(client, urls[name]) for name in READING} == dict.fromkeys(READING, 200) | {"history": 302}
    assert {name: _status(client, urls[name]) for name in ACTING} == dict.fromkeys(ACTING, 403)


def test_ops_reach_every_page(urls):
    client = _client("Ops")
    statuses = {name: _status(client, urls[name]) for name in (*READING, *ACTING)}
    assert statuses == dict.fromkeys((*READING, *ACTING), 200) | {"history": 302}


def test_staff_without_a_group_reaches_none(urls):
    client = _client(None)
    statuses = {name: _status(client, urls[name]) for name in (*READING, *ACTING)}
    assert statuses == dict.fromkeys((*READING, *ACTING), 403)
