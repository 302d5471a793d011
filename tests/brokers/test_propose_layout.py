"""The offline layout proposer on shapes no built-in layout reads, as a user runs it (CLI, then import).

Sample files (tests/brokers/proposer_samples/) are written by hand in the shapes of real exports:
a French `;` fills file with comma decimals and title rows, a sectioned statement with subtotals,
dividends and legal notes, an orders file with Canceled/Rejected rows and `@` prices, a round-trip
report with `$1,234.00` / `($12.00)` P&L, totals and a disclaimer, and a cash history mixing
dividends, interest, wires and fees with trades. Expected P&L figures are computed by hand.
"""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from post_mortem.importing.brokers.propose import ProposalFailed, propose_layout
from post_mortem.models import ImportLayout, Trade

SAMPLES = Path(__file__).resolve().parent / "proposer_samples"


def propose(path: Path, *args: str) -> dict:
    out = StringIO()
    call_command("propose_layout", str(path), "--json", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def import_auto(path: Path, *args: str) -> dict:
    out = StringIO()
    try:
        call_command("import_trades", str(path), "--format", "auto", "--json", *args, stdout=out)
    except SystemExit as exc:
        assert exc.code == 1  # a refused file; its JSON is still printed
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_french_semicolon_fills_are_mapped_from_names_and_values():
    proposal = propose_layout((SAMPLES / "fills_fr_semicolon.csv").read_text())
    assert proposal.kind == "fills"
    assert proposal.header_line == 3
    assert proposal.mapping == {
        "time": "Date + Heure",
        "symbol": "Symbole",
        "side": "Sens",
        "price": "Prix",
        "fees": "Frais",
        "quantity": "Quantité",
    }
    assert proposal.spec.options["delimiter"] == ";"
    assert proposal.spec.options["decimal"] == ","
    assert proposal.spec.options["date_order"] == "DMY"


@pytest.mark.django_db
def test_french_file_trial_save_then_auto_import_and_reimport_is_a_no_op(tmp_path):
    path = SAMPLES / "fills_fr_semicolon.csv"
    before = import_auto(path, "--account", "FR-1")
    assert before["errors"] and "not in a layout we know" in before["errors"][0]["message"]
    assert "propose_layout" in before["errors"][0]["message"]

    out = propose(path, "--account", "FR-1")
    # AAPL long 100: (191.75 - 190.25) x 100 - 2.00 = 148; MSFT short 50: (1401.50 - 1398.00) x 50 - 1.00 = 174
    assert out["trial"] == {"trades": 2, "net_pnl": "322.00", "left_out": [], "errors": []}
    assert out["confidence"] >= 0.9
    assert not ImportLayout.objects.exists()  # a proposal writes nothing

    saved = propose(path, "--account", "FR-1", "--save", "courtier_fr")
    assert saved["saved"] is True
    assert ImportLayout.objects.get().name == "courtier_fr"

    first = import_auto(path, "--account", "FR-1")
    assert (first["file_format"], first["created"], first["errors"]) == ("courtier_fr", 2, [])
    msft = Trade.objects.get(symbol="MSFT")
    assert (msft.side, str(msft.entry_price), str(msft.exit_price)) == ("SHORT", "1401.50000000", "1398.00000000")
    again = import_auto(path, "--account", "FR-1")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert propose(path)["known_layout"] == "courtier_fr"


@pytest.mark.django_db
def test_sectioned_statement_reads_the_trades_table_and_leaves_totals_out():
    out = propose(SAMPLES / "statement_sections.csv")
    assert out["definition"]["options"]["section"] == "Trades"
    assert out["mapping"]["side"] == "side from sign"
    assert out["mapping"]["fees"] == "Comm/Fee"
    # ESU6 long 2: 4.50 x 2 x 50 = 450; AAPL short 100: 0.50 x 100 = 50; fees 11
    assert out["trial"]["trades"] == 2
    assert out["trial"]["net_pnl"] == "489.00"
    assert [(r["line"], r["message"]) for r in out["trial"]["left_out"]] == [
        (9, "Header is 'SubTotal': not a trade row"),
        (13, "Header is 'Total': not a trade row"),
    ]
    propose(SAMPLES / "statement_sections.csv", "--save", "stmt_sections")
    result = import_auto(SAMPLES / "statement_sections.csv")
    assert (result["created"], result["errors"]) == (2, [])
    assert set(Trade.objects.values_list("account", flat=True)) == {"U999"}


@pytest.mark.django_db
def test_orders_file_keeps_filled_orders_and_reads_at_prices():
    out = propose(SAMPLES / "orders_with_status.csv")
    assert out["kind"] == "orders"
    assert out["mapping"]["quantity"] == "Filled Qty"
    assert out["definition"]["options"]["keep"] == [{"column": "Status", "values": ["FILLED"]}]
    # MNQ (x2) long 3: 15.25 x 3 x 2 = 91.50; short 2: 9.25 x 2 x 2 = 37.00
    assert out["trial"]["trades"] == 2
    assert out["trial"]["net_pnl"] == "128.50"
    assert [r["line"] for r in out["trial"]["left_out"]] == [3, 6]
    assert "Canceled" in out["trial"]["left_out"][0]["message"]


@pytest.mark.django_db
def test_round_trip_report_with_money_formats_totals_and_disclaimer():
    out = propose(SAMPLES / "round_trips_money.csv", "--account", "RT-1")
    assert out["kind"] == "round_trips"
    assert out["mapping"]["pnl"] == "Net P&L"
    # TSLA 200 x 6.18 - 2 = 1234; NVDA short 100 x -0.10 - 2 = -12; AMD 1000 x 0.50 - 4 = 496
    assert out["trial"]["trades"] == 3
    assert out["trial"]["net_pnl"] == "1718.00"
    assert [r["line"] for r in out["trial"]["left_out"]] == [7, 8]


@pytest.mark.django_db
def test_round_trip_trial_runs_the_imports_pnl_check(tmp_path):
    text = (SAMPLES / "round_trips_money.csv").read_text().replace("($12.00)", "$12.00")
    path = tmp_path / "wrong_pnl.csv"
    path.write_text(text)
    out = propose(path, "--account", "RT-1")
    assert out["trial"]["trades"] == 0
    assert out["trial"]["errors"][0]["line"] == 5
    assert "the file's P&L is a gain where the prices give a loss" in out["trial"]["errors"][0]["message"]
    with pytest.raises(CommandError, match="not saved: line 5"):
        propose(path, "--account", "RT-1", "--save", "rt_report")
    assert not ImportLayout.objects.exists()


@pytest.mark.django_db
def test_cash_history_counts_only_buys_and_sells():
    out = propose(SAMPLES / "cash_history.csv", "--account", "CASH-1")
    assert out["kind"] == "transactions"
    # SPY long 50: 2.20 x 50 - 1.30 = 108.70; QQQ short 20 (Sell Short / Buy to Cover): 1.50 x 20 - 1.30 = 28.70
    assert out["trial"]["trades"] == 2
    assert out["trial"]["net_pnl"] == "137.40"
    reasons = {r["line"]: r["message"] for r in out["trial"]["left_out"]}
    assert reasons == {
        4: "Action is 'Qualified Dividend': not a trade row",
        5: "Action is 'Bank Interest': not a trade row",
        6: "Action is 'Wire Funds': not a trade row",
        9: "Action is 'Service Fee': not a trade row",
    }


def test_a_file_without_a_header_says_why_and_what_to_do():
    with pytest.raises(ProposalFailed, match=r"no header row found.*map the columns by hand"):
        propose_layout("1,2,3\n4,5,6\n7,8,9\n")
    with pytest.raises(ProposalFailed, match="has no column for price"):
        propose_layout("Symbol,Side,Qty,Time\nAAPL,B,10,2026-07-01 09:30:00\n")


@pytest.mark.django_db
def test_cli_reports_an_unreadable_file_and_saves_nothing(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("Just a note\nnothing tabular here\n")
    out = propose(path)
    assert out["layout"] is None and "no header row found" in out["failure"]
    with pytest.raises(CommandError, match="no header row found"):
        call_command("propose_layout", str(path), stdout=StringIO())


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"
READ_BY_BUILT_INS = [
    # file, trades, net P&L as the built-in layout reads it (tests/brokers/test_golden.py)
    ("ibkr_flex.csv", 3, "156.06"),
    ("ninjatrader_executions.csv", 2, "183.32"),
    ("ninjatrader_trades.csv", 4, "567.04"),
    ("topstepx.csv", 3, "-576.12"),
    ("topstepx_roots.csv", 2, "207.46"),
    ("tradovate_orders.csv", 2, "431.00"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "trades", "pnl"), READ_BY_BUILT_INS)
def test_proposals_for_files_we_did_not_write_agree_with_the_built_in_layouts(name, trades, pnl):
    """The built-in layouts' golden files, proposed as if unknown: the same trades and P&L."""
    from post_mortem.services.propose import layout_trial

    data = (FIXTURES / name).read_bytes()
    proposal = propose_layout(data.decode("utf-8-sig"), name="as_unknown")
    trial = layout_trial(proposal.spec, data=data, file_name=name, account="X", tz_name="UTC")
    if name == "topstepx_roots.csv":
        # Plain futures roots: the P&L check refuses them as stocks, naming the point value it implies.
        assert "implies a point value of 2" in trial.errors[0].message
        return
    assert (trial.trades, str(trial.net_pnl.quantize(Decimal("0.01")))) == (trades, pnl)


@pytest.mark.django_db
def test_plain_futures_roots_are_read_as_roots_when_the_pnl_says_so(tmp_path):
    from post_mortem.services.propose import layout_propose

    text = (FIXTURES / "topstepx_roots.csv").read_text()
    renamed = text.replace("Id,ContractName,", "Trade ID,Contract,", 1)  # a header no built-in layout reads
    result = layout_propose(data=renamed.encode(), file_name="roots.csv", account="X")
    assert result.proposal is not None and result.proposal.spec.options["futures_only"] is True
    assert (result.trial.trades, result.trial.errors) == (2, [])
    assert result.trial.net_pnl.quantize(Decimal("0.01")) == Decimal("207.46")


@pytest.mark.django_db
def test_an_xlsx_export_is_proposed_saved_and_imported(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Trade Date", "Time", "Ticker", "Action", "Shares", "Fill Price", "Commission"])
    sheet.append(["2026-07-01", "09:31:00", "IBM", "BOT", 30, 200.5, 0.3])
    sheet.append(["2026-07-01", "10:02:00", "IBM", "SLD", 30, 201.0, 0.3])
    path = tmp_path / "fills.xlsx"
    book.save(path)
    out = propose(path, "--account", "X-1", "--save", "xlsx_fills")
    assert out["mapping"]["time"] == "Trade Date + Time"
    # IBM long 30: 0.50 x 30 - 0.60 = 14.40
    assert (out["trial"]["trades"], out["trial"]["net_pnl"], out["trial"]["errors"]) == (1, "14.40", [])
    result = import_auto(path, "--account", "X-1")
    assert (result["file_format"], result["created"], result["errors"]) == ("xlsx_fills", 1, [])
