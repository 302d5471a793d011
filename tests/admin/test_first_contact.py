"""What a new user meets first: the login page and where it leads."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_direct_login_lands_on_the_admin(client, django_user_model):
    django_user_model.objects.create_user("ops-first", password="first-pw-1", is_staff=True)
    login = reverse("admin:login")
    page = client.get(login)
    assert page.status_code == 200
    response = client.post(login, {"username": "ops-first", "password": "first-pw-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(response["Location"]).status_code == 200


def test_login_page_has_a_favicon_and_no_link_back_to_itself(client):
    body = client.get(reverse("admin:login")).content.decode()
    assert 'rel="icon"' in body and "admin_ext/favicon.svg" in body
    assert "Return to site" not in body  # "/" is the admin, which sends a stranger back to login


def test_favicon_ico_points_at_the_icon(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("admin_ext/favicon.svg")
    with open(finders.find("admin_ext/favicon.svg"), "rb") as icon:
        assert icon.read().startswith(b"<svg")
