"""Platform exports beyond the golden numbers: rows left out, zones, and two reports of one trade."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from post_mortem.importing.brokers import BrokerOptions, detect_layout, parse_broker_text
from post_mortem.models import Trade
from post_mortem.services.imports import trades_import

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"
FIFO = BrokerOptions(account="OPT-ACCT", grouping="fifo")


def parse(name: str, options: BrokerOptions = FIFO, text: str | None = None):
    text = text if text is not None else (FIXTURES / name).read_text(encoding="utf-8-sig")
    return parse_broker_text(text, layout=detect_layout(text) or "", options=options)


def ids(parsed) -> list[str]:
    return sorted(row["external_id"] for _line, row in parsed.rows)


def test_rithmic_orders_leave_out_cancelled_and_working_orders_and_read_the_zone_from_the_header():
    parsed = parse("rithmic_orders.csv")
    assert parsed.errors == []
    assert [w.message for w in parsed.warnings] == ["2 order(s) not filled (2 Cancelled); not fills, left out"]
    assert parsed.executions == 5  # the Working Orders table above is not read
    first = min(row["entry_time"] for _line, row in parsed.rows)
    assert first == "2026-07-02T09:30:05-04:00"  # "Update Time (EDT)"


def test_rithmic_orders_and_trade_performance_give_the_same_trade_ids():
    orders, performance = parse("rithmic_orders.csv"), parse("rithmic_performance.csv")
    assert ids(orders) == [
        "rithmic-1300000101~rithmic-1300000103",
        "rithmic-1300000101~rithmic-1300000104",
        "rithmic-1300000105~rithmic-1300000106",
    ]
    assert set(ids(orders)) < set(ids(performance))


@pytest.mark.django_db
def test_rithmic_performance_after_the_orders_export_only_adds_the_trades_the_orders_lacked():
    options = {"grouping": "fifo"}
    first = trades_import(
        source=FIXTURES / "rithmic_orders.csv", file_name="orders.csv", file_format="auto", options=options
    )
    assert (first.errors, first.created) == ([], 3)
    second = trades_import(
        source=FIXTURES / "rithmic_performance.csv",
        file_name="perf.csv",
        file_format="auto",
        tz_name="America/New_York",
    )
    assert second.errors == []
    assert (second.created, second.updated, second.unchanged) == (1, 0, 3)
    assert Trade.objects.aggregate(gross=Sum("gross_pnl"))["gross"] == Decimal("215.5")


def test_rithmic_performance_needs_an_instrument_row_above_its_trades():
    text = (FIXTURES / "rithmic_performance.csv").read_text(encoding="utf-8-sig").replace("MNQU6\n", "", 1)
    parsed = parse("rithmic_performance.csv", text=text)
    assert [(e.line, e.field) for e in parsed.errors] == [(3, "Instrument"), (4, "Instrument")]


def test_tradovate_fills_pair_like_the_performance_report_and_leave_out_inactive_fills():
    fills = parse("tradovate_fills.csv")
    assert [w.message for w in fills.warnings] == ["1 fill(s) not active (1 false); not fills, left out"]
    assert ids(fills) == ids(parse("tradovate_performance.csv"))


@pytest.mark.django_db
def test_tradovate_fills_after_the_performance_report_add_the_commissions_to_the_same_trades():
    trades_import(
        source=FIXTURES / "tradovate_performance.csv",
        file_name="perf.csv",
        file_format="auto",
        options={"account": "APEX-3"},
    )
    assert Trade.objects.aggregate(fees=Sum("fees"))["fees"] == 0
    result = trades_import(
        source=FIXTURES / "tradovate_fills.csv", file_name="fills.csv", file_format="auto", options={"grouping": "fifo"}
    )
    assert result.errors == []
    assert (result.created, result.updated) == (0, 4)
    assert Trade.objects.aggregate(fees=Sum("fees"))["fees"] == Decimal("18.6")


def test_quantower_keeps_the_offset_and_checks_the_sign_against_the_side():
    parsed = parse("quantower.csv")
    first = min(row["entry_time"] for _line, row in parsed.rows)
    assert first == "2026-07-02T09:30:05-04:00"
    text = (FIXTURES / "quantower.csv").read_text(encoding="utf-8-sig").replace(",Buy,Market,2,", ",Buy,Market,-2,")
    broken = parse("quantower.csv", text=text)
    assert [(e.line, e.field) for e in broken.errors] == [(2, "Quantity")]
    assert "disagrees with side Buy" in broken.errors[0].message


def test_tradestation_leaves_out_orders_not_filled_and_reads_fill_times():
    parsed = parse("tradestation.csv", dataclasses.replace(FIFO, grouping="flat"))
    assert [w.message for w in parsed.warnings] == [
        "2 order(s) not filled (1 Cancelled, 1 Rejected); not fills, left out"
    ]
    aapl = next(row for _line, row in parsed.rows if row["symbol"] == "AAPL")
    # the limit sell was entered at 9:31:00 and filled at 10:05:12 (Filled/Canceled)
    assert (aapl["entry_time"], aapl["exit_time"]) == ("2026-07-02T09:30:05", "2026-07-02T10:05:12")
