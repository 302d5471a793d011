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


def test_a_guessed_date_order_is_shown_and_corrected_on_the_page(ops_client) -> None:
    from datetime import date

    from post_mortem.models import Trade

    data = (SAMPLES / "platform_ctrader.csv").read_bytes()
    html = ops_client.post(
        PAGE, {"sample": SimpleUploadedFile("ctrader.csv", data), "account": "CT-1"}
    ).content.decode()
    assert 'id="date-order-guess"' in html and '<option value="MDY" selected>' in html
    mapped = dict(re.findall(r'name="(map_\w+)" value="([^"]*)"', html))
    form = {"sample_b64": _hidden(html, "sample_b64"), "file_name": "ctrader.csv", "account": "CT-1", **mapped}
    corrected = ops_client.post(PAGE, {**form, "date_order": "DMY", "check": "1"}).content.decode()
    assert '<option value="DMY" selected>' in corrected and 'id="date-order-guess"' not in corrected
    assert 'id="trial-trades">3<' in corrected and 'id="trial-pnl">320.50<' in corrected
    saved = ops_client.post(PAGE, {**form, "date_order": "DMY", "name": "ctrader_page", "save": "1"})
    assert saved.status_code == 302
    assert ImportLayout.objects.get(name="ctrader_page").options["date_order"] == "DMY"
    out = StringIO()
    call_command("import_trades", str(SAMPLES / "platform_ctrader.csv"), "--format", "auto", "--account", "CT-1",
                 "--json", stdout=out)  # fmt: skip
    assert json.loads(out.getvalue().strip().splitlines()[-1])["created"] == 3
    assert Trade.objects.get(symbol="EURUSD").entry_time.date() == date(2026, 7, 2)


def test_a_proposal_without_trades_says_why_on_the_page(ops_client) -> None:
    text = "Instrument,Direction,Units,Timestamp,Rate\nAAPL,Buy,10,2026-07-01 09:30:00,100\n"
    page = ops_client.post(PAGE, {"sample": SimpleUploadedFile("open.csv", text.encode()), "account": "X"})
    html = page.content.decode()
    assert 'id="proposal-reason">No trades: no position in the file is closed (10 AAPL still open' in html
