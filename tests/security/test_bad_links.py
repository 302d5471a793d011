"""Bad links to admin pages answer with a message, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import TradeFactory


@pytest.mark.parametrize("model", ["trade", "marketbar"])
@pytest.mark.parametrize("query", ["format=0", "format=99", "nonsense=1", "format=abc&account=X"])
def test_export_link_with_unknown_parameters(superuser_client, model, query):
    TradeFactory()
    url = reverse(f"admin:post_mortem_{model}_export")
    response = superuser_client.get(f"{url}?{query}")
    assert response.status_code == 302 and response["Location"] == url
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert "not filters of this list" in page.content.decode()


def test_export_link_with_a_real_filter_still_filters(superuser_client):
    TradeFactory(account="KEEP")
    url = reverse("admin:post_mortem_trade_export")
    assert superuser_client.get(f"{url}?account__exact=KEEP").status_code == 200
