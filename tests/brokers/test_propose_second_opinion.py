"""Claude's second opinion on "Propose from a sample" (the real anthropic SDK against a loopback server).

Claude is asked only about the fields the offline proposal left unplaced; its answer is shown and
filled in for a person to check, never tried or saved until they press a button.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from post_mortem.models import ImportLayout
from tests.llm.loopback import Loopback, error, message

PAGE = "/admin/post_mortem/importlayout/propose-from-sample/"
SAMPLES = Path(__file__).resolve().parent / "proposer_samples"

pytestmark = pytest.mark.django_db


@pytest.fixture
def loopback(monkeypatch):
    server = Loopback().start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    yield server
    server.stop()


def _value(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def _upload(client, name: str) -> str:
    data = (SAMPLES / name).read_bytes()
    page = client.post(PAGE, {"sample": SimpleUploadedFile(name, data), "account": ""})
    assert page.status_code == 200
    return page.content.decode()


def _form(html: str, file_name: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(map_[a-z_]+)" value="([^"]*)"', html))
    return {"sample_b64": _value(html, "sample_b64"), "file_name": file_name, "account": "", **fields}


def test_claude_places_the_optional_columns_and_the_person_applies_them(ops_client, loopback) -> None:
    html = _upload(ops_client, "fills_unusual_names.csv")
    assert 'id="trial-trades">1<' in html  # the offline proposal already reads the trade
    assert "Fields the proposal left unplaced:" in html and "Ask Claude about the unplaced fields" in html
    loopback.reply(
        200,
        message(
            {
                "mapping": {"account": "Portfolio", "exec_id": "Ref", "fees": "Commission", "symbol": "Shares"},
                "date_order": "MDY",
                "notes": "<script>alert(1)</script> Portfolio looks like an account.",
            },
            name="propose_column_mapping",
        ),
    )
    form = _form(html, "fills_unusual_names.csv")
    asked = ops_client.post(PAGE, {**form, "ask_claude": "1"}).content.decode()

    (request,) = loopback.requests
    payload = request.body["messages"][0]["content"]
    assert '"fields_to_place"' in payload and '"account"' in payload and "Portfolio" in payload
    assert '"already_placed"' in payload and '"Ticker"' in payload

    assert "Claude suggests these columns" in asked
    assert 'name="map_account" value="Portfolio"' in asked and 'name="map_exec_id" value="Ref"' in asked
    assert 'name="map_symbol" value="Ticker"' in asked  # placed offline: Claude's "Shares" is not taken
    assert "Ignored (not a column of the file): fees -&gt; &#x27;Commission&#x27;" in asked
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in asked and "<script>alert(1)" not in asked
    assert "Claude (suggested, not tried yet)" in asked
    assert not ImportLayout.objects.exists()

    applied = _form(asked, "fills_unusual_names.csv")
    saved = ops_client.post(PAGE, {**applied, "name": "unusual_fills", "save": "1"})
    assert saved.status_code == 302
    layout = ImportLayout.objects.get(name="unusual_fills")
    assert (layout.mapping["account"], layout.mapping["exec_id"]) == ("Portfolio", "Ref")


def test_a_file_the_proposal_cannot_finish_shows_the_form_to_complete(ops_client, loopback) -> None:
    html = _upload(ops_client, "fills_side_as_aggressor.csv")
    assert "has no column for side" in html
    assert 'name="map_side" value=""' in html  # the partial proposal, with side left to place
    assert 'name="map_symbol" value="Ticker"' in html
    loopback.reply(200, message({"mapping": {"side": "Aggressor"}, "date_order": "MDY"}, name="propose_column_mapping"))
    asked = ops_client.post(PAGE, {**_form(html, "aggressor.csv"), "ask_claude": "1"}).content.decode()
    assert 'name="map_side" value="Aggressor"' in asked
    # Not tried yet: the trial on the page is still the one without a side.
    assert "side must be mapped to a column" in asked
    tried = ops_client.post(PAGE, {**_form(asked, "aggressor.csv"), "check": "1"}).content.decode()
    assert "Aggressor: &#x27;LIFTED&#x27; is not a side" in tried  # the person sees the trial refuse Claude's idea
    assert not ImportLayout.objects.exists()


def test_a_failed_call_is_said_on_the_page_and_changes_nothing(ops_client, loopback) -> None:
    html = _upload(ops_client, "fills_unusual_names.csv")
    loopback.reply(400, error("invalid_request_error", "bad request"))
    page = ops_client.post(PAGE, {**_form(html, "f.csv"), "ask_claude": "1"}).content.decode()
    assert "Claude could not suggest a mapping" in page
    assert 'name="map_account" value=""' in page


def test_without_a_key_the_section_says_how_to_enable_it(ops_client, monkeypatch) -> None:
    from django.conf import settings

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setattr(settings, "ANTHROPIC_API_KEY", "", raising=False)
    html = _upload(ops_client, "fills_unusual_names.csv")
    assert "Not enabled: set <code>ANTHROPIC_API_KEY</code>" in html
    assert "Ask Claude about the unplaced fields" not in html
    page = ops_client.post(PAGE, {**_form(html, "f.csv"), "ask_claude": "1"}).content.decode()
    assert "Claude suggests" not in page
