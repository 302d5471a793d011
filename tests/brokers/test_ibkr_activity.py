# ruff: noqa: E501
"""IBKR Activity Statement: which Trades rows are fills, and the account when the table has none."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from post_mortem.importing.brokers import BrokerOptions, detect_layout, parse_broker_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"

SINGLE_ACCOUNT = """Statement,Header,Field Name,Field Value
Statement,Data,Title,Activity Statement
Account Information,Header,Field Name,Field Value
Account Information,Data,Account,U9999999
Trades,Header,DataDiscriminator,Asset Category,Currency,Symbol,Date/Time,Quantity,T. Price,C. Price,Proceeds,Comm/Fee,Basis,Realized P/L,MTM P/L,Code
Trades,Data,Order,Stocks,USD,ESPR,"2026-07-02, 09:31:00","1,500",2.1,2.2,"-3,150",-1.5,3151.5,0,150,O
Trades,Data,Order,Stocks,USD,ESPR,"2026-07-02, 09:58:00","-1,500",2.2,2.2,"3,300",-1.5,-3151.5,147,0,C
Trades,Data,ClosedLot,Stocks,USD,ESPR,2026-07-02,,"1,500",2.101,,,3151.5,147,,ST
Trades,SubTotal,,Stocks,USD,ESPR,,,0,,,150,-3,0,147,150,
Trades,Header,DataDiscriminator,Asset Category,Currency,Symbol,Date/Time,Quantity,T. Price,C. Price,Proceeds,Comm/Fee,Basis,Realized P/L,MTM P/L,Code
Trades,Data,Order,Equity and Index Options,USD,QQQ 17JUL26 480 P,"2026-07-02, 10:00:00",-3,2.5,2.4,750,-2.1,-747.9,0,30,O
Trades,Data,Trade,Equity and Index Options,USD,QQQ 17JUL26 480 P,"2026-07-02, 10:00:00",-3,2.5,2.4,750,-2.1,-747.9,0,30,O
Trades,Data,Order,Equity and Index Options,USD,QQQ 17JUL26 480 P,"2026-07-02, 13:00:00",3,2,2,-600,-2.1,602.1,145.8,0,C
Trades,Data,Trade,Equity and Index Options,USD,QQQ 17JUL26 480 P,"2026-07-02, 13:00:00",1,2,2,-200,-0.7,200.7,48.6,0,C
Trades,Data,Trade,Equity and Index Options,USD,QQQ 17JUL26 480 P,"2026-07-02, 13:00:00",2,2,2,-400,-1.4,401.4,97.2,0,C
"""


def test_statement_account_stock_symbol_and_option_orders_counted_once() -> None:
    assert detect_layout(SINGLE_ACCOUNT) == "ibkr_activity"
    parsed = parse_broker_text(SINGLE_ACCOUNT, layout="ibkr_activity", options=BrokerOptions(account="IGNORED"))
    assert parsed.errors == []
    rows = sorted(
        (
            r["account"],
            r["symbol"],
            r["side"],
            r["quantity"],
            r["entry_price"],
            r["exit_price"],
            r["fees"],
            r["multiplier"],
        )
        for _line, r in parsed.rows
    )
    # Stocks are read at multiplier 1 whatever their symbol looks like.
    # The short put: sold 3 @2.50 (fee 2.10), bought back 1 + 2 @2.00 (0.70 + 1.40), x100.
    assert rows == [
        ("U9999999", "ESPR", "LONG", "1500", "2.1", "2.2", "3", "1"),
        ("U9999999", "QQQ 17JUL26 480 P", "SHORT", "3", "2.5", "2", "4.2", "100"),
    ]
    left_out = {w.message for w in parsed.warnings}
    assert "2 Order row(s) repeated by the Trade rows under them; left out" in left_out
    assert "1 ClosedLot row(s) (lots a closing trade closed, not fills); left out" in left_out


def test_a_row_that_cannot_be_read_names_line_and_column() -> None:
    broken = SINGLE_ACCOUNT.replace('"-1,500",2.2', '"-1,500",2.2x')
    parsed = parse_broker_text(broken, layout="ibkr_activity", options=BrokerOptions())
    assert [(e.line, e.field) for e in parsed.errors] == [(7, "T. Price")]
    assert "'2.2x' is not a price" in parsed.errors[0].message


def test_option_terms_are_read_from_the_ibkr_symbol() -> None:
    parsed = parse_broker_text(SINGLE_ACCOUNT, layout="ibkr_activity", options=BrokerOptions())
    rows = {row["symbol"]: row for _line, row in parsed.rows}
    put = rows["QQQ 17JUL26 480 P"]
    assert (put["option_type"], put["strike"], put["expiry"], put["underlying"], put["multiplier"]) == (
        "PUT",
        "480",
        "2026-07-17",
        "QQQ",
        "100",
    )
    assert rows["ESPR"]["option_type"] == rows["ESPR"]["expiry"] == ""


@pytest.mark.django_db
def test_the_statement_through_the_import_keeps_the_option_contract() -> None:
    from post_mortem.models import Trade
    from post_mortem.services.imports import trades_import

    result = trades_import(
        source=FIXTURES / "ibkr_activity.csv", file_name="ibkr_activity.csv", file_format="auto", tz_name="UTC"
    )
    assert (result.errors, result.created, result.file_format) == ([], 5, "ibkr_activity")
    call = Trade.objects.get(symbol="SPY 18DEC26 450 C")
    assert (call.option_type, call.strike, call.expiry.isoformat(), call.multiplier) == (
        "CALL",
        Decimal("450"),
        "2026-12-18",
        Decimal("100"),
    )
    assert Trade.objects.get(symbol="MESU6").option_type == ""


EXPIRED_SHORT_CALL = """Trades,Header,DataDiscriminator,Asset Category,Currency,Account,Symbol,Date/Time,Exchange,Quantity,T. Price,Proceeds,Comm/Fee,Basis,Realized P/L,Code
Trades,Data,Order,Equity and Index Options,USD,U5,XYZ 16JUL26 20.0 C,"2026-06-21, 10:38:40",-,-2,0.41,82,-1.42,-80.58,0,O
Trades,Data,Trade,Equity and Index Options,USD,U5,XYZ 16JUL26 20.0 C,"2026-06-21, 10:38:40",ISE,-1,0.41,41,-1.06,-39.94,0,O
Trades,Data,Trade,Equity and Index Options,USD,U5,XYZ 16JUL26 20.0 C,"2026-06-21, 10:38:40",BATS,-1,0.41,41,-0.36,-40.64,0,O
Trades,Data,Order,Equity and Index Options,USD,U5,XYZ 16JUL26 20.0 C,"2026-07-16, 16:20:00",-,2,0,0,0,80.58,80.58,C;Ep
Trades,Data,Trade,Equity and Index Options,USD,U5,XYZ 16JUL26 20.0 C,"2026-07-16, 16:20:00",--,2,0,0,0,80.58,80.58,C;Ep
Trades,Data,ClosedLot,Equity and Index Options,USD,,XYZ 16JUL26 20.0 C,2026-06-21,,-2,0.4029,,,-80.58,80.58,ST
Trades,SubTotal,,Equity and Index Options,USD,XYZ 16JUL26 20.0 C,,,,0,,82,-1.42,0,80.58,
"""


@pytest.mark.django_db
def test_a_short_call_that_expired_nets_the_statements_realized_pnl() -> None:
    """Sold 2 calls @0.41 over two exchanges (fees 1.06 + 0.36), expired at 0 (code C;Ep): the
    statement's Realized P/L is 80.58 = 0.41 x 2 x 100 - 1.42."""
    from post_mortem.models import Trade
    from post_mortem.services.imports import trades_import

    result = trades_import(
        source=EXPIRED_SHORT_CALL.encode(), file_name="expired.csv", file_format="auto", tz_name="America/New_York"
    )
    assert (result.errors, result.created) == ([], 1)
    trade = Trade.objects.get()
    assert (trade.side, trade.quantity, trade.exit_price, trade.fees) == ("SHORT", 2, 0, Decimal("1.42"))
    assert trade.net_pnl == Decimal("80.58")
