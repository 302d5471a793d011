"""Pagination: "…" is not a link, and a page past the end says so."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import TradeFactory

pytestmark = pytest.mark.django_db


def test_ellipsis_is_text_and_far_pages_are_links(superuser_client):
    TradeFactory.create_batch(51 * 12)  # 13 pages of 50: Django elides the middle
    page = superuser_client.get(reverse("admin:post_mortem_trade_changelist"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "?p=…" not in body and "p=%E2%80%A6" not in body
    assert '<span class="px-1 text-base-400" aria-hidden="true">…</span>' in body
    assert "?p=13" in body


def test_page_past_the_end_shows_the_last_page_and_says_so(superuser_client):
    TradeFactory.create_batch(120)  # 3 pages
    page = superuser_client.get(reverse("admin:post_mortem_trade_changelist") + "?p=9", follow=True)
    assert page.status_code == 200
    assert page.context["cl"].page_num == 3
    text = [str(m) for m in page.context["messages"]]
    assert any("There is no page 9" in m and "3 pages" in m for m in text), text


def test_page_past_a_single_page_list_says_so(superuser_client):
    TradeFactory.create_batch(3)
    page = superuser_client.get(reverse("admin:post_mortem_trade_changelist") + "?p=4")
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 3
    assert any("There is no page 4" in str(m) for m in page.context["messages"])
