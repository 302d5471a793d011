"""The proposer on real platforms' export formats no built-in layout reads, through the real import.

Each sample (tests/brokers/proposer_samples/platform_*.csv, README there) is proposed with the CLI,
saved with --save, then imported with `--format auto` (the saved layout is detected) and imported
again (a no-op). The trades, their P&L and the rows left out are worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from post_mortem.models import ImportLayout, Trade

from .test_propose_layout import SAMPLES, import_auto, propose

NEW_YORK = ZoneInfo("America/New_York")


def trades() -> list[tuple[str, str, str, str, str, str, str]]:
    """(symbol, side, quantity, entry, exit, gross P&L, fees) of every imported trade, by entry time."""
    rows = Trade.objects.order_by("entry_time", "symbol")
    return [
        (
            t.symbol,
            t.side,
            f"{t.quantity.normalize():f}",
            f"{t.entry_price.normalize():f}",
            f"{t.exit_price.normalize():f}",
            f"{t.gross_pnl.quantize(Decimal('0.01')):f}",
            f"{t.fees.quantize(Decimal('0.01')):f}",
        )
        for t in rows
    ]


def save_and_import(path, name: str, account: str = "", *args: str) -> None:
    """--save, then the import detects the saved layout; importing the file again changes nothing."""
    account_args = ["--account", account] if account else []
    saved = propose(path, "--save", name, *account_args, *args)
    assert saved["saved"] is True and ImportLayout.objects.filter(name=name).exists()
    first = import_auto(path, *account_args)
    assert (first["file_format"], first["errors"]) == (name, [])
    again = import_auto(path, *account_args)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, first["created"])


def left_out(out: dict) -> list[tuple[int, str]]:
    return [(r["line"], r["message"]) for r in out["trial"]["left_out"]]


@pytest.mark.django_db
def test_webull_orders_filled_at_their_average_price_with_edt_times():
    path = SAMPLES / "platform_webull_orders.csv"
    out = propose(path, "--account", "WB-1")
    assert out["kind"] == "orders"
    assert (out["mapping"]["price"], out["mapping"]["quantity"], out["mapping"]["time"]) == (
        "Avg Price",
        "Filled",
        "Filled Time",
    )
    # AAPL long 100 189.48 -> 190.41 = 93.00; TSLA short 50 251.02 -> 249.12 = 95.00;
    # NVDA long 20 @ 120.05, out 10 @ 121.10 + 10 @ 118.95 = 10.50 - 11.00 = -0.50. No fees.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (3, "187.50", [])
    assert left_out(out) == [(5, "Status is 'Cancelled': not a trade row")]
    save_and_import(path, "webull_orders", "WB-1")
    assert trades() == [
        ("AAPL", "LONG", "100", "189.48", "190.41", "93.00", "0.00"),
        ("TSLA", "SHORT", "50", "251.02", "249.12", "95.00", "0.00"),
        ("NVDA", "LONG", "20", "120.05", "120.025", "-0.50", "0.00"),
    ]
    aapl = Trade.objects.get(symbol="AAPL")
    assert aapl.entry_time == datetime(2026, 7, 2, 9, 31, 5, tzinfo=NEW_YORK)  # EDT: 13:31:05 UTC


@pytest.mark.django_db
def test_fidelity_history_reads_side_from_the_action_sentence_and_sums_its_fee_columns():
    path = SAMPLES / "platform_fidelity.csv"
    out = propose(path, "--account", "FID-1")
    assert out["kind"] == "transactions"
    assert out["mapping"]["time"] == "Run Date"
    assert out["mapping"]["fees"] == "Commission ($) + Fees ($)"
    assert out["definition"]["options"]["side_from_words"] == "Action"
    # AAPL long 100 189.50 -> 190.40 = 90.00, fees 0.05; NVDA long 20 120 -> 121.50 = 30.00, fees 0.02.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "119.93", [])
    assert left_out(out) == [
        (8, "Action 'DIVIDEND RECEIVED APPLE INC (AAPL) (Cash' names no buy or sell"),
        (14, "a note or disclaimer ('The data and information in this spreads')"),
        (15, "a note or disclaimer ('Date downloaded 07/08/2026 5:02 pm')"),
    ]
    save_and_import(path, "fidelity_history", "FID-1")
    assert trades() == [
        ("AAPL", "LONG", "100", "189.5", "190.4", "90.00", "0.05"),
        ("NVDA", "LONG", "20", "120", "121.5", "30.00", "0.02"),
    ]


@pytest.mark.django_db
def test_binance_units_fees_in_the_base_asset_and_utc_header():
    path = SAMPLES / "platform_binance.csv"
    out = propose(path, "--account", "BN-1")
    assert (out["mapping"]["symbol"], out["mapping"]["quantity"], out["mapping"]["fees"]) == (
        "Pair",
        "Executed",
        "Fee",
    )
    assert out["definition"]["options"]["tz"] == "UTC"
    assert any(
        "converted at the fill price (0.00050000 BTC on BTCUSDT at 60000.00 = 30 USDT)" in n for n in out["notes"]
    )
    # BTCUSDT long 0.5 60000 -> 60500 = 250; fees 0.0005 BTC x 60000 = 30 + 30.25 USDT = 60.25.
    # ETHUSDT short 2 3000 -> 2950 = 100; fees 6 USDT + 0.002 ETH x 2950 = 5.90 -> 11.90.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "277.85", [])
    save_and_import(path, "binance_spot", "BN-1")
    assert trades() == [
        ("BTCUSDT", "LONG", "0.5", "60000", "60500", "250.00", "60.25"),
        ("ETHUSDT", "SHORT", "2", "3000", "2950", "100.00", "11.90"),
    ]
    assert Trade.objects.get(symbol="BTCUSDT").entry_time == datetime(2026, 7, 2, 13, 31, 5, tzinfo=UTC)


@pytest.mark.django_db
def test_a_fee_in_a_third_asset_is_not_counted_and_said(tmp_path):
    path = tmp_path / "binance_bnb.csv"
    path.write_text((SAMPLES / "platform_binance.csv").read_text().replace("0.00200000ETH", "0.01000000BNB"))
    out = propose(path, "--account", "BN-1")
    # As the Binance sample, but the ETH buy's fee (5.90) is in BNB: 277.85 + 5.90.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "283.75", [])
    assert left_out(out) == [(5, "fee 0.01000000BNB is in neither currency of ETHUSDT: not counted")]


@pytest.mark.django_db
def test_ctrader_positions_are_round_trips_with_lots_and_a_date_order_to_confirm():
    path = SAMPLES / "platform_ctrader.csv"
    out = propose(path, "--account", "CT-1")
    assert out["kind"] == "round_trips"
    assert out["mapping"]["quantity"] == "Closing Quantity"
    assert out["mapping"]["pnl"] == "Gross USD"
    assert out["mapping"]["fees"] == "Commissions + Swap"
    # 02/07/2026 reads either way: the guess is shown, with how to change it.
    assert out["date_order"] == {"chosen": "MDY", "from": "guess"}
    assert any("--date-order DMY" in note for note in out["notes"])

    out = propose(path, "--account", "CT-1", "--date-order", "DMY")
    assert out["date_order"] == {"chosen": "DMY", "from": "you"}
    options = out["definition"]["options"]
    assert (options["tz"], options["infer_multiplier"], options["fees_negative"]) == ("UTC", True, True)
    # EURUSD long 1 lot 1.08512 -> 1.08612 (x 100000) = 100; XAUUSD short 0.5 2350.10 -> 2345.10 (x 100) = 250;
    # US500 long 2 5500 -> 5490 (x 1) = -20; fees 4 + 3.50 + 2 = 9.50: net 320.50 (the file's Net USD).
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (3, "320.50", [])
    save_and_import(path, "ctrader_history", "CT-1", "--date-order", "DMY")
    assert trades() == [
        ("EURUSD", "LONG", "1", "1.08512", "1.08612", "100.00", "4.00"),
        ("XAUUSD", "SHORT", "0.5", "2350.1", "2345.1", "250.00", "3.50"),
        ("US500", "LONG", "2", "5500", "5490", "-20.00", "2.00"),
    ]
    eurusd = Trade.objects.get(symbol="EURUSD")
    assert eurusd.entry_time == datetime(2026, 7, 2, 8, 0, 5, 123000, tzinfo=UTC)  # 2 July, UTC+0
    assert eurusd.multiplier == Decimal(100000)


@pytest.mark.django_db
def test_german_semicolon_file_maps_gebuhr_to_fees():
    path = SAMPLES / "platform_german.csv"
    out = propose(path)
    assert out["mapping"]["fees"] == "Gebühr"
    # SAP long 100 180.50 -> 182.10 = 160; BMW short 50 95.00 -> 94.20 = 40; fees 4.90 x 4 = 19.60.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "180.40", [])
    save_and_import(path, "de_broker")
    assert trades() == [
        ("SAP", "LONG", "100", "180.5", "182.1", "160.00", "9.80"),
        ("BMW", "SHORT", "50", "95", "94.2", "40.00", "9.80"),
    ]


@pytest.mark.django_db
def test_robinhood_activity_keeps_buys_and_sells():
    path = SAMPLES / "platform_robinhood.csv"
    out = propose(path, "--account", "RH-1")
    # AAPL long 100 189.50 -> 190.40 = 90; NVDA long 20 @ 120, out 10 @ 121 + 10 @ 119 = 0.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "90.00", [])
    assert left_out(out) == [
        (8, "Trans Code is 'CDIV': not a trade row"),
        (13, "Trans Code is 'ACH': not a trade row"),
        (15, "a note or disclaimer ('The data provided is for informational p')"),
    ]
    save_and_import(path, "robinhood_activity", "RH-1")
    assert [t[:6] for t in trades()] == [
        ("AAPL", "LONG", "100", "189.5", "190.4", "90.00"),
        ("NVDA", "LONG", "20", "120", "120", "0.00"),
    ]


@pytest.mark.django_db
def test_kraken_trades_export():
    path = SAMPLES / "platform_kraken_trades.csv"
    out = propose(path, "--account", "KR-1")
    assert (out["mapping"]["symbol"], out["mapping"]["quantity"], out["mapping"]["exec_id"]) == (
        "pair",
        "vol",
        "txid",
    )
    # XXBTZUSD long 0.5 60000 -> 60600 = 300, fees 48 + 78.78; XETHZUSD long 1 3000 -> 2980 = -20,
    # fees 4.80 + 4.768: net 280 - 136.348 = 143.652.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "143.65", [])
    save_and_import(path, "kraken_trades", "KR-1")
    assert trades() == [
        ("XXBTZUSD", "LONG", "0.5", "60000", "60600", "300.00", "126.78"),
        ("XETHZUSD", "LONG", "1", "3000", "2980", "-20.00", "9.57"),
    ]


@pytest.mark.django_db
def test_degiro_german_transactions_with_unnamed_currency_columns():
    path = SAMPLES / "platform_degiro_transaktionen.csv"
    out = propose(path, "--account", "DG-1")
    assert out["mapping"]["symbol"] == "Produkt"
    assert out["mapping"]["time"] == "Datum + Uhrzeit"
    assert out["mapping"]["fees"] == "Transaktionsgebühren"
    assert out["mapping"]["side"] == "side from sign"
    assert out["date_order"]["chosen"] == "DMY"
    # SAP long 100 180.50 -> 182.10 = 160; BMW long 50 95.00 -> 96.20 = 60; fees 4.90 x 4 = 19.60.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "200.40", [])
    save_and_import(path, "degiro_de", "DG-1")
    assert trades() == [
        ("SAP SE", "LONG", "100", "180.5", "182.1", "160.00", "9.80"),
        ("BMW AG ST", "LONG", "50", "95", "96.2", "60.00", "9.80"),
    ]


@pytest.mark.django_db
def test_trading212_history_sums_charge_and_conversion_fee():
    path = SAMPLES / "platform_trading212_history.csv"
    out = propose(path, "--account", "T212")
    assert out["mapping"]["fees"] == "Charge amount + Currency conversion fee"
    # AAPL long 5 189.50 -> 191.00 = 7.50, fees 2.63; TSLA long 2 250 -> 245.50 = -9.00, fees 1.37.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "-5.50", [])
    assert [line for line, _m in left_out(out)] == [2, 5, 8]
    save_and_import(path, "trading212", "T212")
    assert trades() == [
        ("AAPL", "LONG", "5", "189.5", "191", "7.50", "2.63"),
        ("TSLA", "LONG", "2", "250", "245.5", "-9.00", "1.37"),
    ]


@pytest.mark.django_db
def test_a_zero_trade_outcome_says_why_in_errors_and_reason(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Exported 2026-07-02\n\nSymbol,Side,Qty,Time\nAAPL,B,10,2026-07-01 09:30:00\n")
    out = propose(path)
    assert out["trial"]["trades"] == 0
    assert "the header on line 3 has no column for price" in out["reason"]
    assert "map them by hand" in out["reason"]
    assert out["trial"]["errors"] == [{"line": 3, "field": "layout", "message": out["failure"]}]

    path.write_text("Instrument,Direction,Units,Timestamp,Rate\nAAPL,Buy,10,2026-07-01 09:30:00,100\n")  # not closed
    out = propose(path, "--account", "X")
    assert (out["trial"]["trades"], out["failure"], out["trial"]["errors"][0]["line"]) == (0, None, 2)
    assert out["reason"].startswith("no position in the file is closed (10 AAPL still open")
    assert "check the side column" in out["reason"]


@pytest.mark.django_db
def test_etrade_history_reads_sold_short_and_bought_to_cover():
    path = SAMPLES / "platform_etrade_transactions.csv"
    out = propose(path, "--account", "ET-1")
    assert out["kind"] == "transactions"
    # MSFT long 30 439.50 -> 441.00 = 45; AMD short 40 160 -> 159 = 40 (newest first: the cover is above).
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "85.00", [])
    assert left_out(out) == [
        (7, "Transaction Type is 'Dividend': not a trade row"),
        (10, "Transaction Type is 'Online Transfer': not a trade row"),
    ]
    save_and_import(path, "etrade_history", "ET-1")
    assert trades() == [
        ("AMD", "SHORT", "40", "160", "159", "40.00", "0.00"),
        ("MSFT", "LONG", "30", "439.5", "441", "45.00", "0.00"),
    ]


@pytest.mark.django_db
def test_questrade_activities_with_negative_commissions():
    path = SAMPLES / "platform_questrade_activities.csv"
    out = propose(path)
    assert (out["mapping"]["account"], out["definition"]["options"]["fees_negative"]) == ("Account #", True)
    # SHOP.TO long 100 105.25 -> 107 = 175; RY.TO short 50 150 -> 149 = 50; fees 4.95 x 4 = 19.80.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "205.20", [])
    assert [line for line, _m in left_out(out)] == [4, 7]
    save_and_import(path, "questrade")
    assert trades() == [
        ("SHOP.TO", "LONG", "100", "105.25", "107", "175.00", "9.90"),
        ("RY.TO", "SHORT", "50", "150", "149", "50.00", "9.90"),
    ]


@pytest.mark.django_db
def test_sierra_chart_trades_list_is_round_trips_of_data_feed_futures_symbols():
    path = SAMPLES / "platform_sierra_trades_list.txt"
    out = propose(path, "--account", "SC-1")
    assert out["kind"] == "round_trips"
    assert (out["mapping"]["entry_time"], out["mapping"]["pnl"]) == ("Entry DateTime", "Profit/Loss (C)")
    # MES (x5) long 2 5500.25 -> 5504.50 = 42.50; short 1 5506 -> 5508 = -10; fees 1.24 + 0.62.
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "30.64", [])
    save_and_import(path, "sierra_trades", "SC-1")
    assert trades() == [
        ("MESU26_FUT_CME", "LONG", "2", "5500.25", "5504.5", "42.50", "1.24"),
        ("MESU26_FUT_CME", "SHORT", "1", "5506", "5508", "-10.00", "0.62"),
    ]


@pytest.mark.parametrize(
    ("symbol", "root"),
    [("MESU26_FUT_CME", "MES"), ("MNQU6.CME", "MNQ"), ("ESZ4:XCME", "ES"), ("F.US.EPU26", "ES"), ("SHOP.TO", None)],
)
def test_futures_roots_of_data_feed_names(symbol, root):
    from post_mortem.importing.brokers.futures import futures_root

    assert futures_root(symbol) == root


@pytest.mark.parametrize(
    ("cell", "word"),
    [
        ("Sold Short", "SELL SHORT"),
        ("Bought To Cover", "BUY TO COVER"),
        ("Verkauf", "SELL"),
        ("Market buy", "MARKET BUY"),
    ],
)
def test_side_cells_in_the_words_layouts_read(cell, word):
    from post_mortem.importing.brokers.row_rules import side_word

    assert side_word(cell) == word


@pytest.mark.django_db
def test_an_orders_file_where_nothing_filled_says_every_row_was_left_out(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "Symbol,Side,Status,Filled,Total Qty,Avg Price,Filled Time\n"
        "AAPL,Buy,Cancelled,0,100,,07/02/2026 09:31:05 EDT\n"
        "AAPL,Sell,Rejected,0,100,,07/02/2026 09:35:05 EDT\n"
    )
    out = propose(path, "--account", "X")
    assert (out["kind"], out["mapping"]["price"], out["mapping"]["quantity"]) == ("orders", "Avg Price", "Filled")
    assert out["trial"]["trades"] == 0
    assert out["reason"].startswith("every row was left out as not a trade (line 2: Status is 'Cancelled'")


def test_of_two_tables_with_as_good_headers_the_longer_one_holds_the_trades():
    from post_mortem.importing.brokers.propose import propose_layout

    text = (
        "Working Orders\n"
        "Account,Status,Buy/Sell,Qty To Fill,Symbol,Price,Update Time\n"
        "A1,Open,S,1,MNQU6,20150.00,2026-07-02 10:20:00\n"
        "\n"
        "Completed Orders\n"
        "Account,Status,Buy/Sell,Qty To Fill,Symbol,Avg Fill Price,Update Time\n"
        "A1,Filled,B,2,MNQU6,20000.25,2026-07-02 09:30:05\n"
        "A1,Filled,S,2,MNQU6,20010.00,2026-07-02 09:40:00\n"
    )
    assert propose_layout(text).header_line == 6


@pytest.mark.django_db
def test_an_mt5_positions_file_read_as_unknown_takes_its_contract_sizes_from_the_profit():
    from post_mortem.services.propose import layout_trial

    fixture = SAMPLES.parents[2] / "fixtures" / "brokers" / "mt5.csv"
    data = fixture.read_bytes()
    proposal = propose_layout_of(data)
    assert proposal.spec.options["infer_multiplier"] is True
    trial = layout_trial(proposal.spec, data=data, file_name="mt5.csv", account="X", tz_name="UTC")
    # The built-in MT5 layout reads the same 3 trades and net P&L (tests/brokers/test_golden.py).
    assert (trial.trades, str(trial.net_pnl.quantize(Decimal("0.01"))), trial.errors) == (3, "618.30", [])


def propose_layout_of(data: bytes):
    from post_mortem.importing.brokers.propose import propose_layout

    return propose_layout(data.decode("utf-8-sig"), name="as_unknown")
