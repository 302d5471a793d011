"""Claude proposes a column mapping (real anthropic SDK against a loopback server); a person saves."""

from __future__ import annotations

import pytest

from post_mortem.models import ImportLayout
from tests.llm.loopback import Loopback, error, message

from .test_admin import FROM_SAMPLE, _mapping_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def loopback(monkeypatch):
    server = Loopback().start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    yield server
    server.stop()


def _reply(mapping: dict[str, str], **extra) -> dict:
    return message({"mapping": mapping, **extra}, name="propose_column_mapping")


def test_proposal_fills_the_form_but_saves_nothing(ops_client, loopback) -> None:
    loopback.reply(
        200,
        _reply(
            {
                "account": "Acct",
                "symbol": "Ticker",
                "side": "B/S",
                "quantity": "Shares",
                "price": "Px",
                "time": "When",
                "fees": "Commission",  # not a column of the file: shown as ignored, never used
                "exec_id": "",
            },
            date_order="MDY",
            notes="Fee column looks like per-fill commission.",
        ),
    )
    page = ops_client.post(FROM_SAMPLE, {**_mapping_post(map_symbol="", map_price=""), "propose": "1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Claude proposed this mapping" in html
    assert "Ignored (not a column of the file): fees -&gt; &#x27;Commission&#x27;" in html
    assert '<option value="Ticker" selected>' in html
    assert '<option value="Px" selected>' in html
    assert not ImportLayout.objects.exists()

    (request,) = loopback.requests
    body = request.body
    assert body["tool_choice"] == {"type": "tool", "name": "propose_column_mapping"}
    assert "Acct" in body["messages"][0]["content"]  # the sample's header went as data
    assert request.headers.get("x-api-key") == "sk-test-key" or "sk-test-key" in request.headers.get(
        "authorization", ""
    )


def test_failed_proposal_is_an_error_on_the_page(ops_client, loopback) -> None:
    loopback.reply(400, error("invalid_request_error", "bad request"))
    page = ops_client.post(FROM_SAMPLE, {**_mapping_post(), "propose": "1"})
    assert "Claude could not propose a mapping" in page.content.decode()
    assert not ImportLayout.objects.exists()


def test_no_key_no_button(ops_client, monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    from django.conf import settings

    monkeypatch.setattr(settings, "ANTHROPIC_API_KEY", "", raising=False)
    page = ops_client.post(FROM_SAMPLE, {**_mapping_post(), "check": "1"})
    assert b"Ask Claude" not in page.content
