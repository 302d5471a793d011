"""The proposer on more shapes no built-in layout reads: no side column, times without a date, and an
XLSX report with title rows. Samples are in tests/brokers/proposer_samples/; P&L worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from post_mortem.models import ImportLayout, Trade

from .test_propose_layout import SAMPLES, import_auto, propose

pytestmark = pytest.mark.django_db


def test_side_from_buy_sell_words_in_a_description_column():
    path = SAMPLES / "history_side_in_description.csv"
    out = propose(path, "--account", "H-1")
    assert out["mapping"]["side"] == "side from words"
    assert out["definition"]["options"]["side_from_words"] == "Description"
    # AAPL bought 100 @190, sold @191.50: 150 - 2.00; TSLA short sale 50 @250, covered @248: 100 - 2.00
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (2, "246.00", [])
    left_out = {(item["line"], item["message"]) for item in out["trial"]["left_out"]}
    assert (4, "Description 'Cash dividend AAPL' names no buy or sell") in left_out
    assert (7, "no quantity: not a trade row") in left_out  # "Short-term capital gain": a word, no trade
    assert (8, "Description 'Wire transfer in' names no buy or sell") in left_out

    propose(path, "--account", "H-1", "--save", "history_words")
    result = import_auto(path, "--account", "H-1")
    assert (result["file_format"], result["created"], result["errors"]) == ("history_words", 2, [])
    tsla = Trade.objects.get(symbol="TSLA")
    assert (tsla.side, tsla.net_pnl) == ("SHORT", Decimal("98.00"))


def test_round_trip_side_from_the_pnl_sign_against_the_price_move():
    path = SAMPLES / "round_trips_without_side.csv"
    out = propose(path, "--account", "R-1")
    assert out["mapping"]["side"] == "side from pnl"
    # AAPL long +100, TSLA short +100, NVDA long +2 (net 0.00 after 2.00 fees: long, judged before
    # fees), AMD long -100; fees 2.00 each: 98 + 98 + 0 - 102 = 94.00
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (4, "94.00", [])
    propose(path, "--account", "R-1", "--save", "no_side_trips")
    import_auto(path, "--account", "R-1")
    sides = dict(Trade.objects.values_list("symbol", "side"))
    assert sides == {"AAPL": "LONG", "TSLA": "SHORT", "NVDA": "LONG", "AMD": "LONG"}


def test_times_without_a_date_ask_for_the_session_date():
    path = SAMPLES / "fills_times_only.csv"
    out = propose(path, "--account", "D-1")
    assert out["definition"]["options"]["time_only"] is True
    assert out["trial"]["trades"] == 0
    (error,) = out["trial"]["errors"]
    assert error["field"] == "session_date"
    assert "reads times of day without a date: choose the session date" in error["message"]

    dated = propose(path, "--account", "D-1", "--session-date", "2026-07-02")
    # AAPL long 100: +0.50 x 100 = 50; QQQ short 200: +0.50 x 200 = 100
    assert (dated["trial"]["trades"], dated["trial"]["net_pnl"], dated["trial"]["errors"]) == (2, "150.00", [])
    propose(path, "--account", "D-1", "--session-date", "2026-07-02", "--save", "times_only")
    result = import_auto(path, "--account", "D-1", "--session-date", "2026-07-02")
    assert (result["file_format"], result["created"], result["errors"]) == ("times_only", 2, [])
    aapl = Trade.objects.get(symbol="AAPL")
    assert aapl.entry_time.date().isoformat() == "2026-07-02"


def test_xlsx_report_with_title_rows_is_proposed_from_the_header_under_them(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Executions report"])
    sheet.append(["Account:", "XL-7"])
    sheet.append([])
    sheet.append(["Exec Time", "Instrument", "Action", "Qty", "Fill Price", "Comm"])
    sheet.append(["2026-07-01 09:31:00", "MSFT", "Buy", 10, 420.5, 0.1])
    sheet.append(["2026-07-01 10:02:00", "MSFT", "Sell", 10, 421.0, 0.1])
    sheet.append(["Total", None, None, 20, None, 0.2])
    path = tmp_path / "executions.xlsx"
    book.save(path)

    out = propose(path, "--account", "XL-7")
    assert out["notes"][0] == "the header is on line 4 (rows above it are titles)"
    # MSFT long 10: 0.50 x 10 - 0.20 = 4.80; the Total row (line 7) is left out
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (1, "4.80", [])
    assert [item["line"] for item in out["trial"]["left_out"]] == [7]
    propose(path, "--account", "XL-7", "--save", "xlsx_titles")
    assert ImportLayout.objects.get().name == "xlsx_titles"
    result = import_auto(path, "--account", "XL-7")
    assert (result["file_format"], result["created"], result["errors"]) == ("xlsx_titles", 1, [])
