"""Fixtures for the broker tests."""

from __future__ import annotations

import importlib

import pytest


@pytest.fixture
def seeded_multipliers(django_db_blocker):
    """The multiplier table as migration 0004 seeds it.

    Why: a transactional test (live server, qcluster) flushes every table when it ends, seed data
    included; a later transactional test re-applies the migration's own seed function.
    """
    from django.apps import apps

    migration = importlib.import_module("post_mortem.migrations.0004_brokers_multipliers")
    with django_db_blocker.unblock():
        migration.seed(apps, None)
