"""Shared fixtures: users in the real groups (created by the data migration), and factories."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User


def _staff_user(username: str, group: str | None = None, *, superuser: bool = False) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, is_staff=True, is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def superuser(db) -> User:
    return _staff_user("root", superuser=True)


@pytest.fixture
def ops_user(db) -> User:
    return _staff_user("opsy", "Ops")


@pytest.fixture
def auditor_user(db) -> User:
    return _staff_user("audrey", "Auditor")


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def ops_client(client, ops_user):
    client.force_login(ops_user)
    return client


@pytest.fixture
def auditor_client(client, auditor_user):
    client.force_login(auditor_user)
    return client


def qcluster_env(**extra: str) -> dict[str, str]:
    """Environment for a `manage.py qcluster` subprocess that must see the TEST database.

    Why: on SQLite the subprocess needs SQLITE_PATH=<test file>; on PostgreSQL it needs a
    DATABASE_URL naming the test database (not the configured one). Call it inside a test that
    uses `transactional_db` / `live_server`, after the test database exists.
    """
    import os

    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "internal.settings", "DEBUG": "1", **extra}
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(settings_dict["NAME"])
    else:
        user = settings_dict.get("USER") or "postgres"
        password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"
    return env


@pytest.fixture(autouse=True)
def _clear_cache_between_tests():
    """The API's write throttle counts per user id in the default cache; ids repeat across tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


BROWSER_FIXTURES = {"browser", "page", "admin_page"}


def _mark_tier(item) -> None:
    """The fast tier (`pytest -m "not slow and not browser"`) leaves out whatever drives chromium,
    starts a qcluster or a server process, or needs PostgreSQL, whether or not its module says so."""
    fixtures = set(getattr(item, "fixturenames", ()))
    if BROWSER_FIXTURES & fixtures and not item.get_closest_marker("browser"):
        item.add_marker(pytest.mark.browser)
    heavy = ("qcluster", "postgres", "browser")
    heavy_test = any(item.get_closest_marker(name) for name in heavy) or "live_server" in fixtures
    if heavy_test and not item.get_closest_marker("slow"):
        item.add_marker(pytest.mark.slow)


def pytest_collection_modifyitems(config, items):
    """Every transactional test (live_server, a real qcluster, transaction=True) gets
    serialized_rollback: such a test ends with a flush that empties every table, the Ops/Auditor
    groups of the data migration included. With serialized_rollback the flush does not re-create
    content types and permissions under new ids, and the next transactional test starts from the
    migrated database again; mixing serialized and plain transactional tests breaks both ways
    (missing groups, or duplicate content types on restore), so all of them are serialized.
    """
    for item in items:
        _mark_tier(item)
        marker = item.get_closest_marker("django_db")
        fixtures = set(getattr(item, "fixturenames", ()))
        transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server"} & fixtures
        )
        if not transactional:
            continue
        kwargs = {**(marker.kwargs if marker else {}), "transaction": True, "serialized_rollback": True}
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)
