"""Money, numbers, dates, futures roots: the quirks listed in the issue."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from post_mortem.importing.brokers.futures import futures_root, multiplier_for
from post_mortem.importing.brokers.parsing import ParseError, parse_datetime, parse_decimal, parse_time


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$48.10 ", "48.10"),
        ("($75.90)", "-75.90"),
        ("$(400.00)", "-400.00"),
        ("$1,200.00", "1200.00"),
        ("-$1,200.00", "-1200.00"),
        ("+500", "500"),
        ("-500", "-500"),
        (" 1,000 ", "1000"),
        ('="5001"', "5001"),
    ],
)
def test_money_and_numbers(text: str, value: str) -> None:
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "$", "1.2.3", "NaN", "()"])
def test_bad_numbers_say_what_they_are(text: str) -> None:
    with pytest.raises(ParseError):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("7/2/2026 9:12", datetime(2026, 7, 2, 9, 12)),
        ("07/02/2026 09:12:33 PM", datetime(2026, 7, 2, 21, 12, 33)),
        ("7/2/2026 12:05:00 AM", datetime(2026, 7, 2, 0, 5)),
        ("7/1/26 09:31:05", datetime(2026, 7, 1, 9, 31, 5)),
        ("2026.07.02 09:12:05", datetime(2026, 7, 2, 9, 12, 5)),
        ("20260702;093105", datetime(2026, 7, 2, 9, 31, 5)),
        ("2026-07-02, 09:31:05", datetime(2026, 7, 2, 9, 31, 5)),
        ("2026-07-02T13:12:05Z", datetime(2026, 7, 2, 13, 12, 5, tzinfo=UTC)),
        ("07/02/2026 13:12:05 -05:00", datetime(2026, 7, 2, 13, 12, 5, tzinfo=timezone(timedelta(hours=-5)))),
    ],
)
def test_datetimes(text: str, value: datetime) -> None:
    assert parse_datetime(text) == value


def test_day_first_option() -> None:
    assert parse_datetime("2/7/2026 9:12", date_order="DMY") == datetime(2026, 7, 2, 9, 12)
    assert parse_datetime("2/7/2026 9:12") == datetime(2026, 2, 7, 9, 12)
    with pytest.raises(ParseError, match="DMY"):
        parse_datetime("25/7/2026 9:12")


def test_times_of_day() -> None:
    assert parse_time("9:31:05") == time(9, 31, 5)
    assert parse_time("01:05 PM") == time(13, 5)
    with pytest.raises(ParseError):
        parse_time("25:00")


@pytest.mark.parametrize(
    ("symbol", "root"),
    [
        ("MNQ SEP26", "MNQ"),
        ("MNQM6", "MNQ"),
        ("MNQM26", "MNQ"),
        ("/MNQU26", "MNQ"),
        ("MNQ 09-26", "MNQ"),
        ("ESZ6", "ES"),
        ("6EM6", "6E"),
        ("M2KU6", "M2K"),
        ("CON.F.US.EP.U26", "ES"),
        ("AAPL", None),
        ("SPY", None),
        ("EURUSD", None),
    ],
)
def test_futures_roots(symbol: str, root: str | None) -> None:
    assert futures_root(symbol) == root


def test_multiplier_lookup() -> None:
    table = {"MNQ": Decimal(2)}
    assert multiplier_for("MNQ SEP26", table) == (Decimal(2), "MNQ")
    assert multiplier_for("AAPL", table) == (Decimal(1), None)
    assert multiplier_for("ZZU6", table) == (None, "ZZ")
