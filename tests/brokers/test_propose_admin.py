"""Admin "Import layouts -> Propose from a sample": upload, proposal + trial, correct, save, then detected."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from post_mortem.models import ImportLayout

PAGE = "/admin/post_mortem/importlayout/propose-from-sample/"
SAMPLES = Path(__file__).resolve().parent / "proposer_samples"

pytestmark = pytest.mark.django_db


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_ops_uploads_corrects_and_saves_a_proposed_layout(ops_client) -> None:
    assert ops_client.get(PAGE).status_code == 200
    data = (SAMPLES / "orders_with_status.csv").read_bytes()
    page = ops_client.post(PAGE, {"sample": SimpleUploadedFile("orders.csv", data), "account": ""})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="trial-trades">2<' in html and 'id="trial-pnl">128.50<' in html
    assert "Status is &#x27;Canceled&#x27;: not a trade row" in html
    form = {
        "sample_b64": _hidden(html, "sample_b64"),
        "file_name": "orders.csv",
        "account": "",
        "map_account": "Account",
        "map_symbol": "Instrument",
        "map_side": "B/S",
        "map_quantity": "Qty",  # a person's correction: the ordered size instead of the filled size
        "map_time": "Fill Time",
        "map_price": "Not a column",
        "name": "my_orders",
    }
    wrong = ops_client.post(PAGE, {**form, "check": "1"}).content.decode()
    assert 'id="trial-trades">0<' in wrong and "Not a column is empty" in wrong
    assert ops_client.post(PAGE, {**form, "save": "1"}).status_code == 200
    assert not ImportLayout.objects.exists()  # a mapping whose trial fails is not saved

    saved = ops_client.post(PAGE, {**form, "map_price": "Avg Fill Price", "save": "1"})
    assert saved.status_code == 302
    layout = ImportLayout.objects.get(name="my_orders")
    assert layout.mapping["quantity"] == "Qty" and layout.options["keep"][0]["column"] == "Status"

    out = StringIO()
    call_command("import_trades", str(SAMPLES / "orders_with_status.csv"), "--format", "auto", "--json", stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (result["file_format"], result["created"]) == ("my_orders", 2)


def test_auditor_cannot_open_the_page(auditor_client) -> None:
    assert auditor_client.get(PAGE).status_code == 403


def test_an_unreadable_sample_says_why(ops_client) -> None:
    page = ops_client.post(PAGE, {"sample": SimpleUploadedFile("n.csv", b"1,2,3\n4,5,6\n")})
    assert "no header row found" in page.content.decode()
