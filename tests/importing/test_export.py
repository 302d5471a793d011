"""Export through TradeResource: canonical columns, formulas neutralised in CSV and XLSX."""

from __future__ import annotations

import io

import pytest
from import_export.formats.base_formats import CSV, XLSX
from openpyxl import load_workbook

from post_mortem.importing.canonical import CANONICAL_COLUMNS
from post_mortem.importing.resources import TradeResource, neutralise_formula
from post_mortem.services.imports import trades_import
from tests.factories import TradeFactory


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("breakout", "breakout"),
        ("", ""),
        (None, None),
    ],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


@pytest.mark.django_db
def test_csv_and_xlsx_export_neutralise_formulas_but_not_numbers():
    TradeFactory(external_id="=cmd|' /C calc'!A0", setup='=HYPERLINK("http://x")', notes="@SUM(1)", tags="+x")
    TradeFactory(external_id="LOSER", entry_price=100, exit_price=90, fees=1)  # negative P&L stays a number
    dataset = TradeResource().export()
    assert dataset.headers[: len(CANONICAL_COLUMNS)] == list(CANONICAL_COLUMNS)
    text = CSV().export_data(dataset)
    assert "'=cmd|" in text and "'=HYPERLINK" in text and "'@SUM(1)" in text and "'+x" in text
    loser = next(r for r in dataset.dict if r["external_id"] == "LOSER")
    assert str(loser["net_pnl"]).startswith("-")

    workbook = load_workbook(io.BytesIO(XLSX().export_data(TradeResource().export())))
    cells = [c.value for row in workbook.active.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert not any(isinstance(c, str) and c.startswith("=") for c in cells)


@pytest.mark.django_db
def test_exported_csv_reimports_as_unchanged():
    TradeFactory.create_batch(3)
    TradeFactory(external_id="S-1", side="SHORT", stop_price=110, entry_price=100, exit_price=95, target_price=None)
    first = trades_import(source=CSV().export_data(TradeResource().export()).encode(), file_name="export.csv")
    # factory trades have no source_hash yet, so the first round trip records it
    assert first.ok and first.updated == 4
    again = trades_import(source=CSV().export_data(TradeResource().export()).encode(), file_name="export.csv")
    assert (again.updated, again.unchanged) == (0, 4)
