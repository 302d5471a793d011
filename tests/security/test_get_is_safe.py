"""A plain GET of any admin page never changes state (links, prefetchers and crawlers follow GETs).

Every URL the admin site routes is discovered from the URLconf (nothing hard-coded), one object
of each registered model exists, and each page is fetched as a superuser. The database must see
no INSERT, UPDATE or DELETE other than the session row, and no page may answer 500.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, reverse
from django.urls.resolvers import RoutePattern

from tests.admin.test_smoke import REGISTERED, build_instance

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _params(pattern: URLPattern) -> tuple[str, ...]:
    """Keyword names of a route; a regex route's unnamed groups as "object_id", then "1", "2", ..."""
    if isinstance(pattern.pattern, RoutePattern):
        return tuple(pattern.pattern.converters)
    regex = pattern.pattern.regex
    if regex.groupindex:
        return tuple(regex.groupindex)
    return tuple(["object_id", *[str(i) for i in range(1, regex.groups)]][: regex.groups])


def _admin_url_names() -> list[tuple[str, tuple[str, ...], type | None]]:
    """(url name, its kwargs, the model whose admin routes it) for every named admin URL."""
    found = []

    def walk(patterns, model):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, getattr(pattern.urlconf_name, "model", None) or model)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.append((pattern.name, _params(pattern), model))

    site_urls, _app, _ns = admin.site.urls
    for pattern in site_urls:
        if isinstance(pattern, URLResolver):
            route = str(pattern.pattern)
            model = next((m for m, _ in REGISTERED if route == f"{m._meta.app_label}/{m._meta.model_name}/"), None)
            walk(pattern.url_patterns, model)
        elif pattern.name:
            found.append((pattern.name, _params(pattern), None))
    return found


URL_NAMES = _admin_url_names()


def test_discovers_the_custom_action_urls():
    names = {name for name, _kw, _m in URL_NAMES}
    assert {"post_mortem_improvementplan_build_plan", "post_mortem_recommendation_measure_impact_now"} <= names
    assert len(names) > 100


@pytest.fixture
def every_object(superuser):
    objects = {}
    for model, _ in REGISTERED:
        objects[model] = build_instance(model, superuser)
    return objects


@pytest.mark.django_db
def test_no_admin_get_writes(superuser_client, every_object):
    offenders, errors, visited = [], [], 0
    for name, kwarg_names, model in URL_NAMES:
        if name == "logout":
            continue  # POST-only since Django 5 (a GET answers 405 and writes nothing)
        kwargs = {}
        obj = every_object.get(model)
        for key in kwarg_names:
            if key == "object_id" and obj is not None:
                kwargs[key] = str(obj.pk)
            elif key in {"content_type_id", "app_label"}:
                break
            else:
                kwargs[key] = "1"
        else:
            if all(k.isdigit() or k == "object_id" for k in kwargs) and kwargs:
                url = reverse(f"admin:{name}", args=list(kwargs.values()))
            else:
                url = reverse(f"admin:{name}", kwargs=kwargs)
            with CaptureQueriesContext(connection) as queries:
                try:
                    response = superuser_client.get(url)
                except Exception as exc:  # collected, reported below
                    errors.append(f"{url}: {exc!r}")
                    continue
            visited += 1
            if response.status_code >= 500:
                errors.append(f"{url}: {response.status_code}")
            sqls = [q["sql"] for q in queries.captured_queries]
            writes = [sql[:80] for sql in sqls if WRITE.match(sql) and "django_session" not in sql]
            if writes:
                offenders.append(f"{url}: {writes[0]}")
    assert visited > 100
    assert not offenders, "GET changed state:\n" + "\n".join(offenders)
    assert not errors, "GET failed:\n" + "\n".join(errors)


@pytest.mark.parametrize(
    "url_name", ["admin:post_mortem_improvementplan_build_plan", "admin:post_mortem_recommendation_measure_impact_now"]
)
def test_link_actions_need_a_csrf_checked_post(superuser, url_name):
    """The confirmation form's POST is CSRF-checked like every admin form."""
    from django.test import Client

    from post_mortem.models import JobRun

    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    url = reverse(url_name)
    assert client.post(url, {"confirm": "yes"}).status_code == 403
    page = client.get(url)
    assert page.status_code == 200 and 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert not JobRun.objects.exists()
