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
