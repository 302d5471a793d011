"""Option contracts: symbols read in every form brokers write, and the terms kept on the trade."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from post_mortem.importing.canonical import CANONICAL_COLUMNS, validate_canonical_rows
from post_mortem.importing.option_symbols import parse_option_symbol
from post_mortem.models import ImportBatch, Trade
from post_mortem.services.imports import import_batch_rollback, trades_import

DEC18 = dt.date(2026, 12, 18)


@pytest.mark.parametrize(
    ("symbol", "underlying", "expiry", "strike", "right"),
    [
        ("SPY   261218C00450000", "SPY", DEC18, "450", "CALL"),  # OCC, padded to six
        ("SPY261218C00450000", "SPY", DEC18, "450", "CALL"),
        ("spy261218p00452500", "SPY", DEC18, "452.5", "PUT"),
        (".SPY261218C450", "SPY", DEC18, "450", "CALL"),  # thinkorswim
        (".SPY261218P452.5", "SPY", DEC18, "452.5", "PUT"),
        ("SPY 12/18/2026 450.00 C", "SPY", DEC18, "450", "CALL"),  # Schwab
        ("SPY 12/18/2026 1,450.00 P", "SPY", DEC18, "1450", "PUT"),
        ("SPY Dec 18 2026 450 Call", "SPY", DEC18, "450", "CALL"),
        ("SPY 18 DEC 26 450 CALL", "SPY", DEC18, "450", "CALL"),  # thinkorswim statement
        ("SPY 18DEC26 450 C", "SPY", DEC18, "450", "CALL"),  # IBKR Activity Statement
        ("SPY 18DEC26 452.5 P", "SPY", DEC18, "452.5", "PUT"),
        ("AAPL 12/18/26 Put 180.00", "AAPL", DEC18, "180", "PUT"),  # tastytrade description
        ("BRK.B 261218C00450000", "BRK.B", DEC18, "450", "CALL"),
        ("./ESZ6 E2BZ6 261218C6880", "/ESZ6", DEC18, "6880", "CALL"),  # tastytrade futures options
        ("./MESZ6EXZ6  261218P5400", "/MESZ6", DEC18, "5400", "PUT"),
    ],
)
def test_option_symbols_in_every_form(symbol, underlying, expiry, strike, right) -> None:
    contract = parse_option_symbol(symbol)
    assert contract is not None
    assert (contract.underlying, contract.expiry, contract.strike, contract.right) == (
        underlying,
        expiry,
        Decimal(strike),
        right,
    )
    assert contract.on_future == underlying.startswith("/")


@pytest.mark.parametrize(
    "symbol",
    ["AAPL", "MNQ SEP26", "/ESZ6", "ESZ4", "MNQ 09-26", "CON.F.US.MNQ.U26", "SPY 02/30/2026 450 C", "EURUSD", ""],
)
def test_stocks_futures_and_impossible_dates_are_not_options(symbol) -> None:
    assert parse_option_symbol(symbol) is None


HEADER = ",".join([*CANONICAL_COLUMNS, "option_type", "strike", "expiry", "underlying"])
BASE = "O-1,ACC-1,SPY 261218C00450000,LONG,2,2026-07-02T10:00:00-04:00,2026-07-02T11:00:00-04:00,5.10,5.60,1.30,,,,,"


def _rows(*cells: str) -> list[tuple[int, dict[str, str]]]:
    names = HEADER.split(",")
    return [(n, dict(zip(names, (BASE + "," + c).split(","), strict=True))) for n, c in enumerate(cells, 2)]


def test_option_row_keeps_its_terms_and_gets_multiplier_100_unless_stated() -> None:
    (trade,), errors = validate_canonical_rows(_rows("call,450.00,2026-12-18,spy"))
    assert errors == []
    assert (trade.option_type, trade.strike, trade.expiry, trade.underlying) == (
        "CALL",
        Decimal("450.00"),
        DEC18,
        "SPY",
    )
    assert trade.multiplier == Decimal(100)
    stated = [(2, {**_rows("P,450,2026-12-18,")[0][1], "multiplier": "50"})]
    (trade,), errors = validate_canonical_rows(stated)
    assert errors == [] and trade.multiplier == Decimal(50) and trade.option_type == "PUT"
    assert trade.underlying == "SPY"  # read from the option symbol when the column is empty


@pytest.mark.parametrize(
    ("cells", "field", "words"),
    [
        ("CALL,,2026-12-18,SPY", "strike", "strike is required"),
        ("CALL,450,,SPY", "expiry", "expiry is required"),
        (",450,2026-12-18,SPY", "option_type", "option_type is required"),
        ("STRADDLE,450,2026-12-18,SPY", "option_type", "unknown option type"),
        ("CALL,-5,2026-12-18,SPY", "strike", "greater than zero"),
        ("CALL,450,12/18/2026,SPY", "expiry", "not an ISO date"),
        (",,,SPY", "underlying", "without option_type"),
        ("CALL,5450,2026-12-18,/ESZ6", "multiplier", "needs its multiplier"),
    ],
)
def test_half_described_option_is_an_error_naming_line_and_field(cells, field, words) -> None:
    valid, errors = validate_canonical_rows(_rows(cells))
    assert valid == []
    assert [(e.line, e.field) for e in errors] == [(2, field)]
    assert words in errors[0].message


@pytest.mark.django_db
def test_option_terms_are_stored_reimport_is_a_no_op_and_rollback_restores_them(superuser) -> None:
    data = ("\n".join([HEADER, BASE + ",CALL,450,2026-12-18,SPY"]) + "\n").encode()
    first = trades_import(source=data, file_name="o.csv")
    assert first.errors == [] and first.created == 1
    trade = Trade.objects.get()
    assert (trade.option_type, trade.strike, trade.expiry, trade.underlying) == ("CALL", Decimal(450), DEC18, "SPY")
    assert trade.multiplier == Decimal(100)
    assert trade.gross_pnl == Decimal("100.0000")  # 0.50 x 2 contracts x 100
    again = trades_import(source=data, file_name="o.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = data.replace(b"2026-12-18,SPY", b"2026-12-19,SPY")
    third = trades_import(source=changed, file_name="o.csv")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 0)
    assert Trade.objects.get().expiry == dt.date(2026, 12, 19)
    import_batch_rollback(batch=ImportBatch.objects.get(pk=third.batch_id), user=superuser)
    assert Trade.objects.get().expiry == DEC18


def test_exit_at_zero_is_an_option_expiring_worthless_and_nothing_else() -> None:
    worthless = [(2, {**_rows("PUT,450,2026-12-18,SPY")[0][1], "exit_price": "0"})]
    (trade,), errors = validate_canonical_rows(worthless)
    assert errors == [] and trade.exit_price == 0 and trade.option_type == "PUT"
    stock = [(2, {**_rows(",,,")[0][1], "symbol": "AAPL", "exit_price": "0"})]
    valid, errors = validate_canonical_rows(stock)
    assert valid == [] and [(e.line, e.field) for e in errors] == [(2, "exit_price")]
    assert "expired worthless" in errors[0].message


@pytest.mark.django_db
def test_analysis_of_an_option_that_expired_worthless_uses_the_multiplier(
    superuser, django_capture_on_commit_callbacks
) -> None:
    from post_mortem.models import TradeAnalysis
    from post_mortem.services.analyses import analysis_run_start
    from tests.factories import TradeFactory

    trade = TradeFactory(
        symbol="QQQ 260717P00400000",
        side="SHORT",
        quantity=1,
        entry_price=Decimal("1.25"),
        exit_price=Decimal(0),
        fees=Decimal("1.14"),
        stop_price=Decimal("2.50"),
        target_price=None,
        multiplier=100,
        option_type="PUT",
        strike=400,
        expiry=dt.date(2026, 7, 17),
        underlying="QQQ",
    )
    trade.refresh_from_db()
    assert (trade.gross_pnl, trade.net_pnl, trade.risk_amount) == (Decimal(125), Decimal("123.86"), Decimal(125))
    with django_capture_on_commit_callbacks(execute=True):
        run = analysis_run_start(trade_ids=[trade.pk], engine="rules", requested_by=superuser)
    run.refresh_from_db()
    assert run.status == "SUCCEEDED", run
    assert TradeAnalysis.objects.filter(trade=trade).exists()


def test_an_edit_that_leaves_half_an_option_contract_is_refused_by_field() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        Trade(option_type="CALL", strike=None, expiry=None).clean()
    assert set(caught.value.message_dict) == {"strike", "expiry"}
    Trade(option_type="", strike=None, expiry=None).clean()  # a stock: nothing to say
