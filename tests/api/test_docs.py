"""The API docs work offline (assets from this site) and send a logged-out person to the login page."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.parametrize("path", ["/api/docs/", "/api/schema/"])
def test_logged_out_person_is_sent_to_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


def test_login_then_lands_back_on_the_docs(client, ops_user):
    ops_user.set_password("pw-docs-123456")
    ops_user.save()
    response = client.post(
        "/admin/login/?next=/api/docs/",
        {"username": ops_user.username, "password": "pw-docs-123456", "next": "/api/docs/"},
    )
    assert response.status_code == 302 and response["Location"] == "/api/docs/"
    assert client.get("/api/docs/").status_code == 200


def test_a_script_with_a_bad_token_gets_401_not_a_redirect(db):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token bad")
    assert client.get("/api/schema/").status_code == 401


def test_docs_page_loads_every_asset_from_this_site(client, ops_user):
    client.force_login(ops_user)
    html = client.get("/api/docs/").content.decode()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(r"""["'](/static/[^"']+)["']""", html)
    assert urls, html[:500]
    assert not [u for u in urls if u.startswith(("http:", "https:", "//"))], urls
    assets = {u.split("?")[0] for u in urls if u.startswith("/static/")}
    assert any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_swagger_ui_reads_the_local_schema(client, ops_user):
    client.force_login(ops_user)
    html = client.get("/api/docs/").content.decode()
    assert "/api/schema/" in html
    assert client.get("/api/schema/?format=json").status_code == 200
