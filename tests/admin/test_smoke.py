"""Every model registered in the admin opens for a superuser and, read-only, for an Auditor.

The models are discovered from `admin.site` (nothing hard-coded), so a newly registered admin is
covered the day it lands. Each gets one saved instance built from its own field definitions.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import models
from django.forms.models import model_to_dict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
IDS = [model._meta.label for model, _ in REGISTERED]
_counter = itertools.count(1)


def _task_payload() -> dict[str, Any]:
    from django_q.signing import SignedPackage

    task = {"id": uuid.uuid4().hex, "name": "smoke-task", "func": "math.floor", "args": (1.5,), "kwargs": {}}
    return {"key": "smoke", "payload": SignedPackage.dumps(task), "lock": None}


# Field values a model needs to be visible in its admin (its queryset filters on them) or to render.
HINTS: dict[str, Any] = {
    "django_q.Success": lambda: {"success": True},
    "django_q.Failure": lambda: {"success": False},
    "django_q.OrmQ": _task_payload,
    # The group shape is a domain rule (see the field help text) a generic builder cannot guess.
    "post_mortem.Experiment": lambda: {"treatment": {"account": ["DESK-C"]}, "control": {"account": ["DESK-D"]}},
}


def _value_for(field: models.Field, superuser) -> Any:
    n = next(_counter)
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        if field.related_model._meta.label == "auth.User":
            return superuser if isinstance(field, models.ForeignKey) else build_instance(field.related_model, superuser)
        return build_instance(field.related_model, superuser)
    if isinstance(field, models.DateTimeField):
        return timezone.now() + dt.timedelta(seconds=n)
    if isinstance(field, models.DateField):
        return dt.date(2026, 1, 1) + dt.timedelta(days=n)
    if isinstance(field, models.DecimalField):
        return Decimal("1")
    if isinstance(field, models.IntegerField | models.FloatField):
        return 1
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.EmailField):
        return f"smoke{n}@example.com"
    if isinstance(field, models.CharField | models.TextField):
        return f"smoke-{n}"[: field.max_length or 40]
    raise NotImplementedError(f"no smoke value for {field!r}: add one to tests/admin/test_smoke.py")


def build_instance(model: type[models.Model], superuser) -> models.Model:
    """Save one instance filling every required field; optional ones keep their defaults."""
    if model._meta.label == "knox.AuthToken":  # its manager makes the digest from a fresh token
        return model.objects.create(user=superuser)[0]
    values: dict[str, Any] = {}
    hint = HINTS.get(model._meta.label)
    if hint:
        values.update(hint())
    for field in model._meta.concrete_fields:
        if field.name in values or isinstance(field, models.AutoField):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.has_default() or field.null:
            continue
        if field.blank and not field.unique and isinstance(field, models.CharField | models.TextField):
            continue
        values[field.name] = _value_for(field, superuser)
    return model.objects.create(**values)


def _url(model: type[models.Model], view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _change_url(client, model, obj) -> str:
    """The change link the changelist shows (some admins, e.g. DRF's tokens, map ids)."""
    changelist = client.get(_url(model, "changelist"))
    prefix = re.escape(_url(model, "changelist"))
    match = re.search(rf'href="({prefix}[^"/]+/change/)', changelist.content.decode())
    return match.group(1) if match else _url(model, "change", quote(obj.pk))


@pytest.fixture
def obj_for(superuser):
    return lambda model: build_instance(model, superuser)


def test_registry_is_discovered():
    labels = set(IDS)
    assert {"post_mortem.Trade", "post_mortem.Recommendation", "auth.User", "django_q.Success"} <= labels
    assert len(labels) >= 15


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=IDS)
def test_superuser_pages(superuser_client, superuser, obj_for, model, model_admin, rf):
    obj = obj_for(model)
    assert superuser_client.get(_url(model, "changelist")).status_code == 200
    assert superuser_client.get(_url(model, "changelist") + "?q=smoke").status_code == 200

    request = rf.get("/")
    request.user = superuser
    add = superuser_client.get(_url(model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)

    change = superuser_client.get(_change_url(superuser_client, model, obj))
    assert change.status_code == 200, change.get("Location")
    if model_admin.has_change_permission(request, obj):
        # The auditor test's "no save button" check means something only if it is here.
        assert 'name="_save"' in change.content.decode()
    try:
        history = superuser_client.get(_url(model, "history", quote(obj.pk)))
    except NoReverseMatch:
        return
    assert history.status_code in (200, 302)


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=IDS)
def test_auditor_reads_but_cannot_write(auditor_client, auditor_user, obj_for, model, model_admin, rf):
    obj = obj_for(model)
    opts = model._meta
    can_view = auditor_user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
    changelist = auditor_client.get(_url(model, "changelist"))
    if not can_view:
        assert changelist.status_code == 403
        return
    assert changelist.status_code == 200

    change_url = _change_url(auditor_client, model, obj)
    change = auditor_client.get(change_url)
    assert change.status_code == 200
    html = change.content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html

    assert auditor_client.get(_url(model, "add")).status_code == 403
    assert auditor_client.post(_url(model, "add"), {}).status_code == 403
    assert auditor_client.get(_url(model, "delete", quote(obj.pk))).status_code == 403
    assert auditor_client.post(_url(model, "delete", quote(obj.pk)), {"post": "yes"}).status_code == 403

    before = model_to_dict(model.objects.get(pk=obj.pk))
    post = auditor_client.post(change_url, {})
    request = rf.post(change_url)
    request.user = auditor_user
    # Refused: Django's change form answers 403; a custom read-only page (no one may change the
    # model) may render again, but never saves (a save redirects) and never changes the row.
    assert post.status_code in (403, 405) or not model_admin.has_change_permission(request, obj), post.status_code
    assert post.status_code != 302
    assert model_to_dict(model.objects.get(pk=obj.pk)) == before


def test_auditor_can_view_every_domain_and_queue_model(auditor_user):
    """The Auditor group reads everything the desk produces, history included."""
    for model, _ in REGISTERED:
        opts = model._meta
        if opts.app_label in {"post_mortem", "django_q"}:
            assert auditor_user.has_perm(f"{opts.app_label}.view_{opts.model_name}"), opts.label
    assert auditor_user.has_perm("post_mortem.view_historicalrecommendation")


def test_auditor_reads_recommendation_history(auditor_client, obj_for):
    from post_mortem.models import Recommendation

    rec = obj_for(Recommendation)
    rec.notes = "changed"
    rec.save()
    response = auditor_client.get(_url(Recommendation, "history", rec.pk))
    assert response.status_code == 200


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED[:3] + REGISTERED[-3:], ids=IDS[:3] + IDS[-3:])
def test_non_staff_and_anonymous_are_sent_to_login(client, django_user_model, model, model_admin):
    url = _url(model, "changelist")
    response = client.get(url)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    client.force_login(django_user_model.objects.create_user("outsider", password="x"))
    response = client.get(url)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
