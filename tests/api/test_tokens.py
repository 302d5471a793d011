"""API tokens: hashed at rest (knox), expiring, shown once by create_api_token, never listed in clear."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

API = "/api/post-mortem/trades/"


@pytest.fixture
def bot(db, django_user_model):
    user = django_user_model.objects.create_user(username="script-bot", password="x")
    user.groups.add(Group.objects.get(name="Auditor"))
    return user


def _create(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    assert "not shown again" in err.getvalue()
    return out.getvalue().strip()


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_create_api_token_prints_a_working_token_once(bot):
    token = _create("script-bot")
    assert len(token) == 64
    assert _client(token).get(API).status_code == 200
    assert _client(token[:-1] + ("0" if token[-1] != "0" else "1")).get(API).status_code == 401


def test_token_is_stored_only_as_a_digest(bot):
    token = _create("script-bot")
    row = AuthToken.objects.get(user=bot)
    assert row.digest != token and len(row.digest) == 128
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for values in cursor.fetchall():
                assert not any(isinstance(v, str) and token in v for v in values), table


def test_tokens_expire(bot):
    token = _create("script-bot", "--days", "7")
    row = AuthToken.objects.get(user=bot)
    assert dt.timedelta(days=6, hours=23) < row.expiry - timezone.now() <= dt.timedelta(days=7)
    AuthToken.objects.filter(user=bot).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert _client(token).get(API).status_code == 401


def test_default_expiry_is_bounded(bot):
    _create("script-bot")
    row = AuthToken.objects.get(user=bot)
    assert row.expiry is not None and row.expiry - timezone.now() <= dt.timedelta(days=90)


def test_rotation_revokes_earlier_tokens(bot):
    old = _create("script-bot")
    new = _create("script-bot", "--revoke-others")
    assert _client(old).get(API).status_code == 401
    assert _client(new).get(API).status_code == 200


@pytest.mark.parametrize("args", [("nobody",), ("script-bot", "--days", "0")])
def test_create_api_token_refuses_bad_input(bot, args):
    with pytest.raises(CommandError):
        call_command("create_api_token", *args, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("header", ["Token \xe9\xe9", "Token " + "a" * 5000, "Token"])
def test_malformed_token_headers_are_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(API).status_code == 401


def test_admin_lists_tokens_without_the_token(bot, admin_client):
    token = _create("script-bot")
    row = AuthToken.objects.get(user=bot)
    page = admin_client.get("/admin/knox/authtoken/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "script-bot" in html
    assert token not in html and row.token_key not in html  # the digest (a hash) keys the row links
    assert admin_client.get("/admin/authtoken/tokenproxy/").status_code == 404


def test_admin_add_shows_the_new_token_once(bot, admin_client):
    response = admin_client.post(
        "/admin/knox/authtoken/add/", {"user": bot.pk, "expiry_0": "2099-01-01", "expiry_1": "00:00:00"}, follow=True
    )
    assert response.status_code == 200
    [message] = [m.message for m in response.context["messages"] if m.message.startswith("TOKEN ")]
    token = message.split()[-1]
    assert _client(token).get(API).status_code == 200
