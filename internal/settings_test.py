"""Test settings: the real settings, with django-q2 in sync mode and fast password hashing.

Tests that need a real qcluster start one as a subprocess with the normal settings.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from .settings import *  # noqa: F403
from .settings import Q_CLUSTER, STORAGES

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A per-process memory cache even when REDIS_URL is set: concurrent test runs never share
# throttle counters or cached numbers; the dashboard computes fresh numbers in tests.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DASHBOARD_CACHE_SECONDS = 0
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

# A file database (not :memory:) so a real qcluster subprocess can share it in integration
# tests; the pid keeps concurrent test runs on one machine apart.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("SQLITE_TEST_PATH") or f"/tmp/post_mortem_test_{os.getpid()}.sqlite3"  # noqa: S108
    }
else:
    # On PostgreSQL too, the pid keeps two concurrent test runs (CI and a developer) apart.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("PG_TEST_DB") or f"test_post_mortem_{os.getpid()}"}  # noqa: F405
