"""Bad broker files: every bad row named by line and column, and what to do about it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from post_mortem.importing.brokers import BrokerOptions, detect_layout, parse_broker_text, unknown_layout_message

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"
NT_HEADER = "Instrument,Account,Market pos.,Qty,Entry time,Exit time,Entry price,Exit price,Profit,Commission\n"


def test_every_bad_row_is_reported_with_line_and_column() -> None:
    text = (
        "NinjaTrader export\n"  # a title row above the header
        + NT_HEADER
        + "MNQ SEP26,Sim101,Long,2,7/2/2026 9:12,7/2/2026 9:30,20010.25,20022.25,$46.76 ,$1.24 \n"
        + "MNQ SEP26,Sim101,Sideways,2,7/2/2026 9:12,7/2/2026 9:30,20010.25,20022.25,$46.76 ,$1.24 \n"
        + "MNQ SEP26,Sim101,Long,2,7/32/2026 9:12,7/2/2026 9:30,20010.25,20022.25,$46.76 ,$1.24 \n"
        + "MNQ SEP26,Sim101,Long,2,7/2/2026 9:12,7/2/2026 9:30,abc,20022.25,$46.76 ,$1.24 \n"
    )
    assert detect_layout(text) == "ninjatrader_trades"
    parsed = parse_broker_text(text, layout="ninjatrader_trades", options=BrokerOptions())
    assert [(e.line, e.field) for e in parsed.errors] == [(4, "Market pos."), (5, "Entry time"), (6, "Entry price")]
    assert "'Sideways' is not a side" in parsed.errors[0].message
    assert len(parsed.rows) == 1


def test_wrong_multiplier_is_caught_by_the_brokers_own_pnl() -> None:
    text = NT_HEADER + "MNQ SEP26,Sim101,Long,2,7/2/2026 9:12,7/2/2026 9:30,20010.25,20022.25,$46.76 ,$1.24 \n"
    parsed = parse_broker_text(
        text, layout="ninjatrader_trades", options=BrokerOptions(multipliers={"MNQ": Decimal(20)})
    )
    (error,) = parsed.errors
    assert (error.line, error.field) == (2, "profit")
    assert "MNQ" in error.message and "Contract multipliers" in error.message and "480" in error.message


def test_unknown_futures_root_names_the_root_and_the_fix() -> None:
    text = NT_HEADER + "ZZZ SEP26,Sim101,Long,1,7/2/2026 9:12,7/2/2026 9:30,100,101,$10.00 ,$0 \n"
    parsed = parse_broker_text(text, layout="ninjatrader_trades", options=BrokerOptions())
    (error,) = parsed.errors
    assert error.line == 2
    assert "'ZZZ'" in error.message and "Contract multipliers" in error.message


def test_layout_without_account_column_needs_the_account_option() -> None:
    text = (FIXTURES / "topstepx.csv").read_text()
    parsed = parse_broker_text(text, layout="topstepx", options=BrokerOptions())
    assert parsed.rows == []
    assert [(e.line, e.field) for e in parsed.errors] == [(1, "account")]
    assert "--account" in parsed.errors[0].message


def test_das_needs_the_session_date() -> None:
    text = (FIXTURES / "das_trades.csv").read_text()
    parsed = parse_broker_text(text, layout="das", options=BrokerOptions())
    assert [(e.field) for e in parsed.errors] == ["session_date"]
    dated = parse_broker_text(text, layout="das", options=BrokerOptions(session_date=date(2026, 7, 3)))
    assert dated.rows[0][1]["entry_time"] == "2026-07-03T09:30:05"


def test_day_first_files() -> None:
    text = NT_HEADER + "AAPL,Sim101,Long,100,13/7/2026 9:12,13/7/2026 9:30,190.5,191.25,$75.00 ,$0 \n"
    assert parse_broker_text(text, layout="ninjatrader_trades", options=BrokerOptions()).errors[0].field == "Entry time"
    parsed = parse_broker_text(text, layout="ninjatrader_trades", options=BrokerOptions(date_order="DMY"))
    assert parsed.rows[0][1]["entry_time"] == "2026-07-13T09:12:00"


def test_renamed_column_is_refused_with_the_closest_layouts() -> None:
    text = (FIXTURES / "unknown_renamed_columns.csv").read_text()
    assert detect_layout(text) is None
    message = unknown_layout_message(text)
    first = message.splitlines()[2]
    assert "NinjaTrader 8 Trades grid" in first and "--format ninjatrader_trades" in first
    assert "Entry price, Exit price" in first
    assert "Import layouts" in message


def test_detection_ignores_header_case_and_title_rows_and_bom() -> None:
    text = "\ufeffTrades report 2026-07-02\n\n" + NT_HEADER.upper()
    assert detect_layout(text) == "ninjatrader_trades"
    assert detect_layout("external_id,account,symbol\n1,2,3\n") is None


def test_forced_layout_that_does_not_fit_says_which_columns_it_needs() -> None:
    text = (FIXTURES / "mt5.csv").read_text()
    parsed = parse_broker_text(text, layout="tradervue", options=BrokerOptions())
    (error,) = parsed.errors
    assert error.field == "header" and "Quantity" in error.message


def test_saved_layout_remembers_day_first_dates() -> None:
    from post_mortem.importing.brokers import LayoutSpec

    spec = LayoutSpec(
        name="eu_trades",
        signature=("Instrument", "Dir", "Lots", "Open", "Close", "In", "Out"),
        mapping={
            "symbol": "Instrument",
            "side": "Dir",
            "quantity": "Lots",
            "entry_time": "Open",
            "exit_time": "Close",
            "entry_price": "In",
            "exit_price": "Out",
        },
        options={"kind": "round_trips", "date_order": "DMY"},
    )
    text = "Instrument,Dir,Lots,Open,Close,In,Out\nAAPL,Long,10,13/07/2026 09:30,13/07/2026 10:00,190,191\n"
    assert detect_layout(text, extra=[spec]) == "eu_trades"
    parsed = parse_broker_text(text, layout="eu_trades", options=BrokerOptions(account="EU-1"), extra=[spec])
    assert parsed.errors == []
    ((_line, row),) = parsed.rows
    assert (row["entry_time"], row["account"], row["side"]) == ("2026-07-13T09:30:00", "EU-1", "LONG")
