"""FIFO pairing edge cases: partial fills, scaling, flips, newest-first, identical fills, fee splits."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from post_mortem.importing.brokers.pairing import Execution, pair_fifo

T0 = datetime(2026, 7, 2, 9, 30)  # naive on purpose: broker wall-clock time
D = Decimal


def fill(n: int, buy: bool, qty: str, price: str, *, minute: int | None = None, fee: str = "0", **kw) -> Execution:
    return Execution(
        line=n + 1,
        account=kw.get("account", "A"),
        symbol=kw.get("symbol", "X"),
        buy=buy,
        quantity=D(qty),
        price=D(price),
        time=T0 + timedelta(minutes=n if minute is None else minute),
        fee=D(fee),
        exec_id=kw.get("exec_id", f"e{n}"),
        effect=kw.get("effect", ""),
    )


def trips(result):
    return [(t.side, t.quantity, t.entry_price, t.exit_price, t.open_exec_id, t.close_exec_id) for t in result.trips]


def test_partial_close_leaves_the_rest_open() -> None:
    result = pair_fifo([fill(0, True, "3", "10"), fill(1, False, "1", "11")])
    assert trips(result) == [("LONG", D(1), D(10), D(11), "e0", "e1")]
    assert [(e.exec_id, q) for e, q in result.open_lots] == [("e0", D(2))]


def test_scale_in_and_out_is_fifo() -> None:
    result = pair_fifo(
        [
            fill(0, True, "2", "10"),
            fill(1, True, "2", "12"),
            fill(2, False, "3", "13"),
            fill(3, False, "1", "9"),
        ]
    )
    assert trips(result) == [
        ("LONG", D(2), D(10), D(13), "e0", "e2"),
        ("LONG", D(1), D(12), D(13), "e1", "e2"),
        ("LONG", D(1), D(12), D(9), "e1", "e3"),
    ]
    assert result.open_lots == []


def test_flip_closes_the_long_and_opens_a_short_with_the_rest() -> None:
    result = pair_fifo(
        [fill(0, True, "1", "10", fee="1"), fill(1, False, "3", "12", fee="3"), fill(2, True, "2", "11")]
    )
    assert trips(result) == [
        ("LONG", D(1), D(10), D(12), "e0", "e1"),
        ("SHORT", D(2), D(12), D(11), "e1", "e2"),
    ]
    # the flip fill's 3.00 commission: 1.00 to the closing part, 2.00 to the opening part
    assert [t.fees for t in result.trips] == [D(2), D(2)]


def test_a_closing_only_fill_never_opens_the_other_side() -> None:
    result = pair_fifo([fill(0, False, "5", "10", effect="close"), fill(1, True, "1", "9")])
    assert result.trips == []
    assert [(e.exec_id, q) for e, q in result.unmatched_closes] == [("e0", D(5))]
    assert [(e.exec_id, q) for e, q in result.open_lots] == [("e1", D(1))]


def test_newest_first_file_with_shared_timestamps_keeps_execution_order() -> None:
    # Oldest first this would be: buy 1 @10 (e0), buy 1 @11 (e1) at the same second, sell 1 (e2).
    oldest_first = [fill(0, True, "1", "10", minute=0), fill(1, True, "1", "11", minute=0), fill(2, False, "1", "12")]
    result = pair_fifo(list(reversed(oldest_first)))
    assert trips(result) == [("LONG", D(1), D(10), D(12), "e0", "e2")]


def test_identical_fills_with_different_ids_are_two_fills_and_a_repeated_id_is_one() -> None:
    a = fill(0, True, "1", "10", minute=0, exec_id="x1")
    b = fill(1, True, "1", "10", minute=0, exec_id="x2")
    again = fill(2, True, "1", "10", minute=0, exec_id="x1")
    close = fill(3, False, "2", "11", exec_id="x3")
    result = pair_fifo([a, b, again, close])
    assert [t.open_exec_id for t in result.trips] == ["x1", "x2"]
    assert [d.line for d in result.duplicates] == [3]
    assert result.open_lots == []


def test_accounts_and_symbols_are_separate_books() -> None:
    result = pair_fifo(
        [
            fill(0, True, "1", "10", account="A"),
            fill(1, False, "1", "12", account="B"),
            fill(2, True, "1", "50", symbol="Y", account="A"),
            fill(3, False, "1", "11", account="A"),
            fill(4, True, "1", "11", account="B"),
        ]
    )
    assert sorted((t.account, t.symbol, t.side) for t in result.trips) == [("A", "X", "LONG"), ("B", "X", "SHORT")]
    assert [(e.symbol, q) for e, q in result.open_lots] == [("Y", D(1))]


def test_fee_split_adds_back_up_exactly() -> None:
    result = pair_fifo(
        [
            fill(0, True, "3", "10", fee="1.00"),
            fill(1, False, "1", "11"),
            fill(2, False, "1", "11"),
            fill(3, False, "1", "11"),
        ]
    )
    fees = [t.fees for t in result.trips]
    assert sum(fees) == D("1.00")
    assert all(abs(f - D(1) / 3) <= D("0.0001") for f in fees)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(1, 5), st.integers(90, 110), st.integers(0, 300)),
        min_size=1,
        max_size=25,
    )
)
def test_pairing_conserves_quantity_money_and_fees(moves) -> None:
    """Whatever the order of fills: closed P&L is cash out minus cash in of what was closed, and no
    commission cent is lost or invented."""
    fills = [fill(i, buy, str(q), str(p), fee=str(D(f) / 100)) for i, (buy, q, p, f) in enumerate(moves)]
    position = sum((f.quantity if f.buy else -f.quantity) for f in fills)
    if position != 0:  # close whatever is left so the books end flat
        fills.append(fill(len(fills), position < 0, str(abs(position)), "100", fee="0.07"))
    result = pair_fifo(fills)
    assert result.open_lots == []
    cash = sum((-f.quantity * f.price if f.buy else f.quantity * f.price) for f in fills)
    pnl = sum(((t.exit_price - t.entry_price) * (1 if t.side == "LONG" else -1) * t.quantity) for t in result.trips)
    assert pnl == cash
    assert sum(t.fees for t in result.trips) == sum(f.fee for f in fills)
    for t in result.trips:
        assert t.entry_time <= t.exit_time
        assert t.quantity > 0
