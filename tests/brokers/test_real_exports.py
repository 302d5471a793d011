"""Real-export quirks: what each platform's actual file shape needs, and messages that say what is wrong."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from post_mortem.importing.brokers import BrokerOptions, parse_broker_text
from post_mortem.models import BatchStatus, ImportBatch, Trade
from post_mortem.services.imports import trades_import

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"
OPTIONS = BrokerOptions(account="OPT-ACCT")


def parse(name: str, layout: str, options: BrokerOptions = OPTIONS, text: str | None = None):
    text = text if text is not None else (FIXTURES / name).read_text(encoding="utf-8-sig")
    return parse_broker_text(text, layout=layout, options=options)


def test_tradovate_orders_counts_the_orders_that_are_not_fills():
    parsed = parse("tradovate_orders.csv", "tradovate_orders")
    assert parsed.errors == []
    assert [w.message for w in parsed.warnings] == [
        "2 order(s) not filled (1 Canceled, 1 Rejected); not fills, left out"
    ]


def test_ibkr_transaction_history_leaves_out_what_is_not_a_trade_and_reports_the_open_position():
    parsed = parse("ibkr_transactions.csv", "ibkr_transactions")
    messages = [w.message for w in parsed.warnings]
    assert (
        "5 row(s) are not trades (1 Credit Interest, 1 Deposit, 1 Dividend, 1 Forex Trade Component, " in (messages[0])
    )
    assert any("10 NVDA still open" in m for m in messages)


def test_mt5_position_history_reports_an_open_position():
    parsed = parse("mt5_positions.csv", "mt5_positions")
    assert [(w.line, w.message) for w in parsed.warnings] == [(8, "position 800003 is still open; not imported")]


def test_ninjatrader_profit_larger_than_the_prices_allow_is_still_refused():
    text = (FIXTURES / "ninjatrader_trades_net.csv").read_text(encoding="utf-8-sig")
    text = text.replace("$22.10 ,$22.10", "$30.10 ,$30.10")  # more than the 24.00 the prices give
    parsed = parse("", "ninjatrader_trades", text=text)
    assert [(e.line, e.field) for e in parsed.errors] == [(2, "profit")]
    assert "the file says P&L 30.1, but a LONG of 1 from 20010.25 to 20022.25" in parsed.errors[0].message


def test_stated_pnl_against_the_side_says_so_not_a_multiplier_guess():
    text = (FIXTURES / "topstepx_roots.csv").read_text(encoding="utf-8-sig").replace(",11.00,1,Long", ",-11.00,1,Long")
    parsed = parse("", "topstepx", text=text)
    message = parsed.errors[0].message
    assert "a loss where the prices give a gain" in message and "check the side" in message
    assert "multiplier of" not in message


def test_wrong_point_value_names_what_the_file_implies():
    text = (FIXTURES / "topstepx_roots.csv").read_text(encoding="utf-8-sig")
    parsed = parse(
        "", "topstepx", BrokerOptions(account="A", multipliers={"MNQ": Decimal(20), "NQ": Decimal(20)}), text
    )
    assert "implies a point value of 2, the table has 20 for MNQ" in parsed.errors[0].message


def test_das_with_a_wrong_header_says_so_before_asking_for_the_session_date():
    parsed = parse("mt5.csv", "das", BrokerOptions())
    assert parsed.errors[0].field == "header" and "Symb" in parsed.errors[0].message


def test_missing_account_is_said_once_for_the_file():
    parsed = parse("tradervue.csv", "tradervue", BrokerOptions())
    assert len(parsed.errors) == 1
    assert parsed.errors[0].message.startswith("3 rows have no account (lines 2, 3, 4)")


@pytest.mark.django_db
def test_tradovate_performance_and_position_history_of_the_same_fills_import_once():
    first = trades_import(
        source=FIXTURES / "tradovate_performance.csv",
        file_name="perf.csv",
        file_format="auto",
        options={"account": "APEX-1"},
        tz_name="UTC",
    )
    assert (first.errors, first.created) == ([], 4)
    header = (
        "Position ID,Timestamp,Trade Date,Net Pos,Net Price,Bought,Avg. Buy,Sold,Avg. Sell,Account,Contract,Product,"
        "Product Description,Pair ID,Buy Fill ID,Sell Fill ID,Paired Qty,Buy Price,Sell Price,P/L,Currency,"
        "Bought Timestamp,Sold Timestamp"
    )
    rows = [
        "1,,,0,,,,,,APEX-1,MNQU6,MNQ,,9101,310001,310002,2,20000.00,20010.50,$42.00,USD,"
        "07/02/2026 09:30:01,07/02/2026 09:41:13",
        "2,,,0,,,,,,APEX-1,MNQU6,MNQ,,9102,310004,310003,1,20050.00,20030.00,$(40.00),USD,"
        "07/02/2026 10:05:00,07/02/2026 10:00:00",
    ]
    again = trades_import(
        source=("\n".join([header, *rows]) + "\n").encode(),
        file_name="positions.csv",
        file_format="auto",
        tz_name="UTC",
    )
    assert again.errors == [] and again.file_format == "tradovate_positions"
    assert (again.created, again.unchanged) == (0, 2)
    assert Trade.objects.count() == 4


@pytest.mark.django_db
def test_a_refused_broker_file_records_the_layout_it_was_read_as():
    result = trades_import(source=FIXTURES / "topstepx.csv", file_name="t.csv", file_format="auto")
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert (batch.status, batch.file_format) == (BatchStatus.FAILED, "topstepx")
    assert len(batch.errors) == 1 and "--account" in batch.errors[0]["message"]


@pytest.mark.django_db
def test_naive_broker_times_default_to_the_desk_timezone(settings):
    settings.DESK_TIMEZONE = "America/Chicago"
    result = trades_import(source=FIXTURES / "ninjatrader_trades_net.csv", file_name="nt.csv", file_format="auto")
    assert result.errors == [] and result.timezone == "America/Chicago"
    trade = Trade.objects.order_by("entry_time").first()
    assert trade.entry_time.isoformat() == "2026-07-02T14:12:00+00:00"  # 9:12 in Chicago (CDT, UTC-5)
    assert ImportBatch.objects.get(pk=result.batch_id).timezone == "America/Chicago"
    assert Trade.objects.aggregate(f=Sum("fees"))["f"] == Decimal("5.7")
