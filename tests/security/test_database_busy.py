"""A writer that cannot get SQLite's lock gets "busy, try again" (503 + Retry-After), never a 500.

A real second connection holds the write lock (BEGIN IMMEDIATE) while the admin and the API try
to write; the busy timeout is shortened so the test does not wait 20 s.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from internal.busy import server_error
from post_mortem.models import JobRun, Recommendation
from tests.factories import RecommendationFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's single-writer lock"),
]


@contextmanager
def lock_held_by_another_process_connection():
    """Hold SQLite's write lock from a separate connection; Django's connection waits 0.3 s."""
    options = connection.settings_dict["OPTIONS"]
    saved = options.get("timeout")
    options["timeout"] = 0.3
    connection.close()
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        options["timeout"] = saved
        connection.close()


def test_admin_write_while_locked_is_busy_not_500(ops_client):
    rec = RecommendationFactory()
    url = reverse("admin:post_mortem_recommendation_set_status", args=[rec.pk])
    form = {"status": "IGNORED", "reason": "not for this desk", "notes": "", "implementation_date": ""}
    with lock_held_by_another_process_connection():
        response = ops_client.post(url, form)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert 'id="database-busy"' in response.content.decode() and "Nothing was saved" in response.content.decode()
    assert Recommendation.objects.get(pk=rec.pk).implementation_status == "PENDING"

    # Once the lock is gone, the same form goes through.
    assert ops_client.post(url, form).status_code == 302
    assert Recommendation.objects.get(pk=rec.pk).implementation_status == "IGNORED"


def test_api_write_while_locked_is_busy_json(ops_user):
    api = APIClient()
    api.force_authenticate(ops_user)
    url = "/api/post-mortem/impact-assessments/measure/"
    with lock_held_by_another_process_connection():
        response = api.post(url, {}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_busy"
    assert not JobRun.objects.exists()
    assert api.post(url, {}, format="json").status_code == 202


def test_handler500_answers_busy_for_a_lock_outside_the_view():
    request = RequestFactory().post("/admin/post_mortem/trade/")
    try:
        raise OperationalError("database is locked")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    try:
        raise OperationalError("no such table: x")
    except OperationalError:
        assert server_error(request).status_code == 500


def test_handler500_keeps_the_api_json_shape():
    request = RequestFactory().get("/api/post-mortem/trades/")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 500 and json.loads(response.content) == {"detail": "Server error."}
