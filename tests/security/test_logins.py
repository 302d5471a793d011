"""Logins: throttled by django-axes, passwords validated, each demo user with its own password."""

from __future__ import annotations

import logging
import stat
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

LOGIN = reverse("admin:login")


def _login(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


@pytest.mark.django_db
def test_repeated_failures_lock_the_login_out_and_are_logged(settings, caplog):
    User.objects.create_user("trader", password="right-password-123", is_staff=True)
    client = Client(REMOTE_ADDR="10.0.0.7")
    caplog.set_level(logging.WARNING, logger="axes")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, "trader", "wrong")
        assert response.status_code == 200  # the form again, with its error
    locked = _login(client, "trader", "wrong")
    assert locked.status_code == 429
    assert 'id="login-locked"' in locked.content.decode()
    # Even the right password is refused while locked out.
    again = _login(client, "trader", "right-password-123")
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="trader").failures_since_start >= settings.AXES_FAILURE_LIMIT
    assert AccessFailureLog.objects.filter(username="trader", locked_out=True).exists()
    assert any("trader" in r.getMessage() for r in caplog.records if r.name.startswith("axes"))

    # Another client address is not locked out (username + address pairs are counted).
    other = Client(REMOTE_ADDR="10.0.0.8")
    assert _login(other, "trader", "right-password-123").status_code == 302

    # An administrator unlocks by deleting the attempt row from the admin.
    AccessAttempt.objects.filter(username="trader").delete()
    assert _login(client, "trader", "right-password-123").status_code == 302


@pytest.mark.django_db
def test_login_attempts_page_is_read_only(superuser_client):
    AccessAttempt.objects.create(
        username="x",
        ip_address="10.0.0.1",
        user_agent="ua",
        http_accept="*/*",
        path_info="/admin/login/",
        get_data="",
        post_data="password=********************",
        failures_since_start=9,
    )
    page = superuser_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200 and "locked" in page.content.decode()
    assert superuser_client.get(reverse("admin:axes_accessattempt_add")).status_code == 403


@pytest.mark.parametrize("password", ["20261130", "ops12345", "password1234"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password, user=User(username="ops"))


@pytest.fixture
def login_dir(tmp_path, monkeypatch):
    for name in ("ADMIN_USERNAME", "ADMIN_PASSWORD", "OPS_PASSWORD", "AUDITOR_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOGIN_FILES_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["20261130", "ops12345"])
def test_ensure_logins_refuses_a_weak_admin_password(login_dir, monkeypatch, password):
    monkeypatch.setenv("ADMIN_PASSWORD", password)
    with pytest.raises(CommandError, match="ADMIN_PASSWORD refused"):
        call_command("ensure_logins", stdout=StringIO())
    assert not User.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_ensure_logins_gives_each_user_its_own_password(login_dir, rf):
    out = StringIO()
    call_command("ensure_logins", stdout=out)
    passwords = {}
    for name in ("admin", "ops", "auditor"):
        path = login_dir / f".{name}-login"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        passwords[name] = path.read_text().strip()
        assert f"{name} / {passwords[name]}" in out.getvalue()
        assert authenticate(rf.post(LOGIN), username=name, password=passwords[name]) is not None
    assert len(set(passwords.values())) == 3
    assert User.objects.get(username="ops").groups.filter(name="Ops").exists()
    assert User.objects.get(username="auditor").groups.filter(name="Auditor").exists()

    again = StringIO()
    call_command("ensure_logins", stdout=again)  # idempotent: the same logins
    assert all(f"{n} / {p}" in again.getvalue() for n, p in passwords.items())


@pytest.mark.django_db
def test_demo_users_sharing_the_admin_password_get_their_own(login_dir, rf):
    """An install from before: ops and auditor had the admin's password and no file of their own."""
    (login_dir / ".admin-login").write_text("shared-admin-password-1\n")
    for name in ("admin", "ops", "auditor"):
        User.objects.create_user(name, password="shared-admin-password-1", is_staff=True)
    call_command("ensure_logins", stdout=StringIO())
    assert authenticate(rf.post(LOGIN), username="admin", password="shared-admin-password-1") is not None
    for name in ("ops", "auditor"):
        assert authenticate(rf.post(LOGIN), username=name, password="shared-admin-password-1") is None
        own = (login_dir / f".{name}-login").read_text().strip()
        assert authenticate(rf.post(LOGIN), username=name, password=own) is not None


def test_a_password_containing_the_username_is_refused_at_any_length():
    with pytest.raises(ValidationError, match="contains the username"):
        validate_password("my-ops-password-2026", user=User(username="ops"))
