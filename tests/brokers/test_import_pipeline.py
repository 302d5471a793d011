"""Broker files through the real import service and database: counts, P&L, batch, re-import no-op."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from post_mortem.models import ContractMultiplier, ImportBatch, ImportLayout, Trade
from post_mortem.services.imports import trades_import

from .test_golden import GOLDEN_FLAT

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"
OPTIONS = {"account": "OPT-ACCT", "session_date": "2026-07-02"}

pytestmark = pytest.mark.django_db


def _import(name: str, **kw):
    return trades_import(
        source=FIXTURES / name,
        file_name=name,
        file_format=kw.pop("file_format", "auto"),
        tz_name=kw.pop("tz_name", "America/New_York"),
        options=kw.pop("options", OPTIONS),
        **kw,
    )


def test_migration_seeds_the_multiplier_table() -> None:
    table = dict(ContractMultiplier.objects.values_list("root", "multiplier"))
    assert table["MNQ"] == Decimal(2)
    assert table["ES"] == Decimal(50)
    assert table["CL"] == Decimal(1000)
    assert table["MYM"] == Decimal("0.5")


@pytest.mark.parametrize("name", sorted(GOLDEN_FLAT))
def test_broker_file_imports_and_reimport_is_a_no_op(name: str) -> None:
    layout, trips, gross, fees = GOLDEN_FLAT[name]
    result = _import(name)
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (len(trips), 0, 0)
    assert result.file_format == layout
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert batch.file_format == layout
    assert batch.timezone == "America/New_York"
    totals = Trade.objects.aggregate(gross=Sum("gross_pnl"), net=Sum("net_pnl"), fees=Sum("fees"))
    assert totals["gross"] == Decimal(gross)
    assert totals["fees"] == Decimal(fees)
    assert totals["net"] == Decimal(gross) - Decimal(fees)

    again = _import(name)
    assert again.errors == []
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(trips))
    assert Trade.objects.count() == len(trips)


def test_naive_broker_times_are_read_in_the_chosen_timezone() -> None:
    _import("ninjatrader_trades.csv", tz_name="America/Chicago")
    first = Trade.objects.get(symbol="MNQ SEP26", side="LONG")
    assert first.entry_time.isoformat() == "2026-07-02T14:12:00+00:00"  # 9:12 CDT
    assert first.multiplier == Decimal(2)


def test_forced_format_and_edited_multiplier_are_used() -> None:
    ContractMultiplier.objects.filter(root="MNQ").update(multiplier=Decimal(20))
    result = _import("ninjatrader_trades.csv", file_format="ninjatrader_trades")
    assert [(e.line, e.field) for e in result.errors] == [(2, "profit"), (3, "profit")]
    assert "MNQ" in result.errors[0].message
    assert Trade.objects.count() == 0  # atomic: nothing written


def test_unknown_file_is_refused_with_what_to_do() -> None:
    result = _import("unknown_renamed_columns.csv")
    assert Trade.objects.count() == 0
    (error,) = result.errors
    assert (error.line, error.field) == (1, "format")
    assert "--format ninjatrader_trades" in error.message and "Entry price" in error.message
    assert ImportBatch.objects.get(pk=result.batch_id).status == "FAILED"


def test_saved_layout_is_detected_like_a_built_in_one(superuser) -> None:
    ImportLayout.objects.create(
        name="acme_fills",
        signature=["Acct", "Ticker", "B/S", "Shares", "Px", "When"],
        mapping={
            "account": "Acct",
            "symbol": "Ticker",
            "side": "B/S",
            "quantity": "Shares",
            "price": "Px",
            "time": "When",
        },
        options={"kind": "executions"},
        created_by=superuser,
    )
    data = (
        b"Acct,Ticker,B/S,Shares,Px,When\n"
        b"AC-1,IBM,B,10,200.00,2026-07-02 09:30:00\n"
        b"AC-1,IBM,S,10,201.50,2026-07-02 10:00:00\n"
    )
    result = trades_import(source=data, file_name="acme.csv", file_format="auto")
    assert result.errors == []
    assert result.file_format == "acme_fills"
    trade = Trade.objects.get()
    assert (trade.account, trade.side, trade.net_pnl) == ("AC-1", "LONG", Decimal("15.0000"))


def test_broker_layout_in_an_xlsx_workbook() -> None:
    """XLSX goes through the table reader, then the same layout (line numbers kept)."""
    import csv
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    text = (FIXTURES / "ninjatrader_trades.csv").read_text(encoding="utf-8-sig")
    for cells in csv.reader(io.StringIO(text)):
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = trades_import(source=buffer.getvalue(), file_name="nt.xlsx", file_format="auto", tz_name="UTC")
    assert result.errors == []
    assert (result.created, result.file_format) == (4, "ninjatrader_trades")
    assert Trade.objects.aggregate(s=Sum("gross_pnl"))["s"] == Decimal("572")


def test_auto_on_a_canonical_file_missing_a_column_names_the_column() -> None:
    data = (
        b"external_id,account,symbol,side,quantity,entry_time,exit_time,entry_price\n"
        b"1,A,X,LONG,1,2026-07-02T09:00,2026-07-02T10:00,10\n"
    )
    result = trades_import(source=data, file_name="c.csv", file_format="auto")
    assert [(e.line, e.field) for e in result.errors] == [(1, "exit_price")]
    empty = trades_import(source=b"", file_name="e.csv", file_format="auto")
    assert "empty" in empty.errors[0].message


def test_overlapping_exports_only_add_the_new_round_trips() -> None:
    """Monday's export, then a Monday-Tuesday export: Monday's trades are recognised, not doubled."""
    full = (FIXTURES / "tradenote.csv").read_bytes()
    lines = full.splitlines(keepends=True)
    monday = b"".join(lines[:4])  # header, the AMD buy of 200 and its two sells of 100
    first = trades_import(source=monday, file_name="mon.csv", file_format="auto")
    assert (first.errors, first.created) == ([], 1)
    both = trades_import(source=full, file_name="mon-tue.csv", file_format="auto")
    assert both.errors == []
    assert (both.created, both.updated, both.unchanged) == (1, 0, 1)
    assert Trade.objects.count() == 2


def test_fifo_grouping_option_pairs_lot_by_lot() -> None:
    result = _import("tradenote.csv", options={"grouping": "fifo"})
    assert (result.errors, result.created) == ([], 3)
    assert ImportBatch.objects.get(pk=result.batch_id).options == {"grouping": "fifo"}
    assert Trade.objects.aggregate(s=Sum("gross_pnl"))["s"] == Decimal(300)


def test_an_option_is_stored_with_its_terms_and_priced_with_multiplier_100() -> None:
    import datetime as dt

    _import("thinkorswim_statement.csv")
    trade = Trade.objects.get(option_type="CALL")
    assert (trade.symbol, trade.underlying, trade.strike, trade.expiry) == (
        "SPY 16 JAN 26 450 CALL",
        "SPY",
        Decimal(450),
        dt.date(2026, 1, 16),
    )
    assert trade.multiplier == Decimal(100)
    assert trade.gross_pnl == Decimal("50.0000")  # (5.60 - 5.10) x 1 contract x 100
    assert Trade.objects.exclude(pk=trade.pk).filter(option_type="").count() == Trade.objects.count() - 1
