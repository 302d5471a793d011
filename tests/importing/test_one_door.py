"""One import door: every way in (service/CLI, Trades > Import, Import broker file, background task)
reads the file the same way, hashes it the same way, and leaves a FAILED batch when it refuses it."""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from post_mortem.importing.brokers import parse_with_context
from post_mortem.importing.canonical import CANONICAL_COLUMNS
from post_mortem.models import BatchStatus, ImportBatch, Trade
from post_mortem.services.imports import trades_import

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
BROKERS = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"
IMPORT_URL = reverse("admin:post_mortem_trade_import")
BROKER_URL = "/admin/post_mortem/importlayout/import-file/"
HEADER = ",".join(CANONICAL_COLUMNS)


def good_row(i: int, notes: str = "") -> str:
    return (
        f"Q-{i},ACC-1,AAPL,LONG,10,2026-01-05T09:35:00-05:00,2026-01-05T10:20:00-05:00,185.20,187.10,1.00,,,s,,{notes}"
    )


def unclosed_quote_file(rows: int = 500) -> bytes:
    """Row 2 has `notes` = `"oops` and no closing quote: every later row would become its notes."""
    lines = [HEADER, good_row(0, '"oops'), *(good_row(i) for i in range(1, rows))]
    return ("\n".join(lines) + "\n").encode()


def admin_upload(client, data: bytes, name: str = "t.csv", fmt: str = "0"):
    return client.post(
        IMPORT_URL,
        {
            "resource": "0",
            "format": fmt,
            "timezone": "UTC",
            "file_format": "auto",
            "import_file": SimpleUploadedFile(name, data),
        },
    )


def broker_upload(client, data: bytes, name: str = "t.csv", **fields):
    return client.post(
        BROKER_URL,
        {
            "import_file": SimpleUploadedFile(name, data),
            "file_format": fields.pop("file_format", "auto"),
            "timezone": "UTC",
            "date_order": "MDY",
            **fields,
        },
    )


@pytest.mark.django_db
def test_unclosed_quote_is_an_error_at_its_line_on_the_command_line(tmp_path):
    out = io.StringIO()
    path = tmp_path / "unclosed.csv"
    path.write_bytes(unclosed_quote_file())
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_trades", str(path), "--json", stdout=out)
    assert exit_info.value.code == 1
    payload = json.loads(out.getvalue().strip().splitlines()[-1])
    assert payload["created"] == 0 and payload["errors"][0]["line"] == 2
    assert "never closed" in payload["errors"][0]["message"]
    assert Trade.objects.count() == 0
    assert ImportBatch.objects.get().status == BatchStatus.FAILED


@pytest.mark.django_db
def test_a_quote_closed_hundreds_of_lines_later_is_refused_too():
    lines = [HEADER, good_row(0, '"oops'), *(good_row(i) for i in range(1, 300)), good_row(300, 'x"')]
    result = trades_import(source=("\n".join(lines) + "\n").encode(), file_name="t.csv")
    assert [(e.line, e.field) for e in result.errors] == [(2, "file")]
    assert "never closed" in result.errors[0].message


@pytest.mark.django_db
def test_unclosed_quote_on_the_admin_import_is_refused_and_leaves_a_failed_batch(superuser_client):
    response = admin_upload(superuser_client, unclosed_quote_file())
    html = response.content.decode()
    assert response.status_code == 200
    assert "never closed" in html and "confirm_form" not in response.context
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.FAILED and batch.errors[0]["line"] == 2
    assert Trade.objects.count() == 0


@pytest.mark.django_db
def test_unclosed_quote_on_the_broker_page_is_refused(superuser_client):
    data = (BROKERS / "ninjatrader_trades.csv").read_bytes()
    lines = data.decode("utf-8-sig").splitlines()
    lines[1] = lines[1].replace(",", ',"', 1)
    response = broker_upload(superuser_client, ("\n".join(lines) + "\n").encode())
    html = response.content.decode()
    assert "Nothing can be imported" in html and "never closed" in html
    assert ImportBatch.objects.get().status == BatchStatus.FAILED


@pytest.mark.django_db
def test_every_door_records_the_same_file_hash(superuser_client):
    data = (SAMPLES / "trades_good.csv").read_bytes()
    expected = hashlib.sha256(data).hexdigest()
    preview = admin_upload(superuser_client, data)
    confirm = preview.context["confirm_form"]
    superuser_client.post(reverse("admin:post_mortem_trade_process_import"), {**confirm.initial, "resource": "0"})
    admin_batch = ImportBatch.objects.get()
    assert admin_batch.file_hash == expected and admin_batch.status == BatchStatus.COMPLETED
    again = trades_import(source=data, file_name="trades_good.csv")
    assert ImportBatch.objects.get(pk=again.batch_id).file_hash == expected
    assert (again.created, again.unchanged) == (0, 6)  # re-import through another door is a no-op


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04" + bytes(range(256)) * 8, b"PK\x03\x04\x14\x00\x00\x00garbage"],
    ids=["random-body", "truncated-zip"],
)
def test_corrupt_xlsx_is_a_clear_error_on_both_admin_pages(superuser_client, data):
    response = admin_upload(superuser_client, data, name="broken.xlsx", fmt="1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "not a readable XLSX workbook" in html and "encountered" not in html
    response = broker_upload(superuser_client, data, name="broken.xlsx")
    assert response.status_code == 200
    assert "not a readable XLSX workbook" in response.content.decode()
    assert list(ImportBatch.objects.values_list("status", flat=True)) == [BatchStatus.FAILED] * 2


@pytest.mark.django_db
def test_not_utf8_on_the_admin_import_says_so_like_the_command_line(superuser_client):
    data = (HEADER + "\n" + good_row(1, "caf\xe9") + "\n").encode("latin-1")
    response = admin_upload(superuser_client, data)
    html = response.content.decode()
    assert "not UTF-8 text" in html and "UnicodeDecodeError" not in html
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.FAILED and batch.errors[0]["line"] == 2


def test_broker_parser_uses_the_multipliers_it_is_given_without_a_database():
    text = (BROKERS / "topstepx.csv").read_text(encoding="utf-8-sig")
    table = {"MNQ": Decimal("2"), "MES": Decimal("5"), "NQ": Decimal("20")}
    parsed = parse_with_context(text, file_format="topstepx", options={"account": "T"}, multipliers=table)
    assert [row["multiplier"] for _line, row in parsed.rows] == ["2", "5", "20"]


@pytest.mark.django_db
def test_a_blank_upload_on_the_admin_import_is_a_failed_batch_too(superuser_client):
    response = admin_upload(superuser_client, b"\n\n  \n")
    assert response.status_code == 200 and "the file is empty" in response.content.decode()
    assert ImportBatch.objects.get().status == BatchStatus.FAILED
