"""API test fixtures: DRF clients authenticated by token (the way scripts call us) for each group."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    # The write throttle counts in the default cache; each test starts from zero.
    cache.clear()
    yield
    cache.clear()


def _token_client(username: str, group: str | None) -> APIClient:
    user = User.objects.create_user(username=username, password="pw-" + username)
    if group:
        user.groups.add(Group.objects.get(name=group))
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.user = user
    return client


@pytest.fixture
def anon_api(db) -> APIClient:
    return APIClient()


@pytest.fixture
def ops_api(db) -> APIClient:
    return _token_client("api-ops", "Ops")


@pytest.fixture
def auditor_api(db) -> APIClient:
    return _token_client("api-auditor", "Auditor")


@pytest.fixture
def nogroup_api(db) -> APIClient:
    """Authenticated, but in no group: every endpoint must refuse it (403)."""
    return _token_client("api-nobody", None)
