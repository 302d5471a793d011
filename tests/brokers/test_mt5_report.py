"""MetaTrader 5 Trade History Report (XLSX) through the real import door: errors name the sheet's row."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from post_mortem.models import Trade
from post_mortem.services.imports import trades_import

REPORT = Path(__file__).resolve().parents[2] / "fixtures" / "brokers" / "mt5_report.xlsx"

pytestmark = pytest.mark.django_db


def _edited(row: int, column: int, value: object) -> bytes:
    workbook = load_workbook(REPORT)
    workbook.active.cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_bad_cell_names_the_sheet_row_and_column_and_nothing_is_written() -> None:
    # Row 9 is XAUUSD's position (5 title rows, the "Positions" title, the header, EURUSD).
    data = _edited(9, 13, "five hundred")
    result = trades_import(source=data, file_name="ReportHistory-5012345.xlsx", file_format="auto", tz_name="UTC")
    assert [(e.line, e.field) for e in result.errors] == [(9, "Profit")]
    assert "'five hundred'" in result.errors[0].message
    assert Trade.objects.count() == 0


def test_profit_that_contradicts_the_prices_is_refused() -> None:
    data = _edited(10, 13, 20)  # US30 bought at 39000, closed at 38990: a loss, not a gain
    result = trades_import(source=data, file_name="report.xlsx", file_format="auto", tz_name="UTC")
    assert [(e.line, e.field) for e in result.errors] == [(10, "profit")]
    assert Trade.objects.count() == 0
