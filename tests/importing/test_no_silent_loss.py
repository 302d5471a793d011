"""Files that would lose data silently are refused, or reported, with the line and the field."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from post_mortem.importing.canonical import CANONICAL_COLUMNS
from post_mortem.models import BatchStatus, ImportBatch, Trade
from post_mortem.services.imports import trades_import

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
HEADER = ",".join(CANONICAL_COLUMNS)
ROW = "X-{i},ACC-1,AAPL,LONG,100,2026-01-05T09:35:00-05:00,2026-01-05T10:20:00-05:00,185.20,187.10,1.00,184.00,,s,,"
IMPORT_URL = reverse("admin:post_mortem_trade_import")
PROCESS_URL = reverse("admin:post_mortem_trade_process_import")


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def run(data: bytes, **kwargs):
    return trades_import(source=data, file_name="t.csv", **kwargs)


@pytest.mark.django_db
def test_a_misspelled_column_is_an_error_with_a_suggestion():
    header = HEADER.replace("stop_price", "stop")
    result = run(csv_bytes(ROW.format(i=1), header=header))
    assert [(e.line, e.field) for e in result.errors] == [(1, "stop")]
    assert "did you mean 'stop_price'?" in result.errors[0].message
    assert Trade.objects.count() == 0


@pytest.mark.django_db
def test_an_unrelated_extra_column_is_a_warning_in_the_json(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes(ROW.format(i=1) + ",IBKR", header=HEADER + ",broker"))
    out = io.StringIO()
    call_command("import_trades", str(path), "--json", stdout=out)
    payload = json.loads(out.getvalue().strip().splitlines()[-1])
    assert payload["created"] == 1
    assert payload["warnings"] == [{"line": 1, "field": "broker", "message": payload["warnings"][0]["message"]}]
    assert "not a trade column; it is ignored" in payload["warnings"][0]["message"]
    assert ImportBatch.objects.get().notes[0]["field"] == "broker"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (ROW.format(i=1) + "bad\x00note", "notes", "U+0000"),
        (ROW.format(i=1).replace("AAPL", "AA\x1bPL"), "symbol", "U+001B"),
        (ROW.format(i=1).replace("2026-01-05T10:20", "2099-01-05T10:20"), "exit_time", "in the future"),
        (ROW.format(i=1).replace("2026-01-05T09:35:00-05:00", "0001-01-01T00:00:00+05:00"), "entry_time", "edge"),
        (ROW.format(i=1).replace("2026-01-05T09:35:00-05:00", "0001-01-01T00:00:00"), "entry_time", "year 1"),
        (ROW.format(i=1).replace(",100,", ",=B2*2,"), "quantity", "formula"),
    ],
    ids=["nul", "escape", "future", "year-1-offset", "year-1", "formula-text"],
)
def test_bad_values_are_refused_with_what_is_wrong(row, field, words):
    result = run(csv_bytes(row))
    assert [(e.line, e.field) for e in result.errors] == [(2, field)]
    assert words in result.errors[0].message
    assert "not an ISO 8601" not in result.errors[0].message


@pytest.mark.django_db
def test_xlsx_formula_cell_without_a_saved_value_says_so():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(CANONICAL_COLUMNS))
    values = ROW.format(i=1).split(",")
    values[4] = "=2*50"  # openpyxl writes the formula, never its value
    sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = trades_import(source=buffer.getvalue(), file_name="t.xlsx")
    assert [(e.line, e.field) for e in result.errors] == [(2, "quantity")]
    assert "formula '=2*50' without a saved value" in result.errors[0].message


@pytest.mark.django_db
def test_skip_invalid_on_the_command_line_imports_the_valid_rows_and_lists_the_rest(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes((SAMPLES / "trades_bad_rows.csv").read_bytes())
    out = io.StringIO()
    call_command("import_trades", str(path), "--json", "--skip-invalid", stdout=out, stderr=io.StringIO())
    payload = json.loads(out.getvalue().strip().splitlines()[-1])
    assert payload["errors"] == []
    assert [s["line"] for s in payload["skipped"]] == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert payload["created"] == Trade.objects.count() > 0
    batch = ImportBatch.objects.get(pk=payload["batch_id"])
    assert batch.status == BatchStatus.COMPLETED and len(batch.skipped) == 9
    assert batch.skipped[0]["field"] == "entry_time"


@pytest.mark.django_db
def test_atomic_stays_the_default():
    result = trades_import(source=SAMPLES / "trades_bad_rows.csv", file_name="bad.csv")
    assert len(result.errors) == 9 and result.skipped == []
    assert Trade.objects.count() == 0


@pytest.mark.django_db
def test_skip_invalid_checkbox_on_the_admin_preview(superuser_client):
    data = (SAMPLES / "trades_bad_rows.csv").read_bytes()
    preview = superuser_client.post(
        IMPORT_URL,
        {
            "resource": "0",
            "format": "0",
            "timezone": "UTC",
            "file_format": "auto",
            "skip_invalid": "on",
            "import_file": SimpleUploadedFile("bad.csv", data),
        },
    )
    html = preview.content.decode()
    assert "9 invalid lines are skipped" in html and "line 3, entry_time" in html
    confirm = preview.context["confirm_form"]
    assert confirm.initial["skip_invalid"] is True
    response = superuser_client.post(PROCESS_URL, {**confirm.initial, "resource": "0"})
    assert response.status_code == 302
    batch = ImportBatch.objects.get(status=BatchStatus.COMPLETED)
    assert len(batch.skipped) == 9 and Trade.objects.count() == batch.created > 0
