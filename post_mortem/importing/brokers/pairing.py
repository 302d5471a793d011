"""Grouping executions into trades, per account and symbol: flat to flat (default) or FIFO lots.

Flat to flat (`group_flat_to_flat`) is how traders and journals (Tradervue, TradeZella, TradeNote)
count a trade: from the first fill that opens a position to the fill that makes it flat again.
Scaling in and out stays one trade; a fill that crosses zero (a flip) closes the trade and opens
the next with the remainder. Quantity is the total size opened, entry/exit are the
volume-weighted prices of the opening/closing fills, fees are summed.

FIFO lot matching (`pair_fifo`, `--grouping fifo`) is what some brokers' own round-trip reports do
(NinjaTrader's Trades grid, Tradovate's Performance report): every opening lot is closed by the
oldest matching closing quantity, each pair with exact fill prices. A closing fill smaller than
the oldest open lot closes part of it; a closing fill larger than the whole position closes it and
opens the other side with the remainder. Either way commissions are split by quantity, exactly
(the pieces of one fill's commission always add back up to it).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

FEE_QUANTUM = Decimal("0.0001")
PRICE_QUANTUM = Decimal("0.00000001")  # the stored precision of prices
GROUPINGS = ("flat", "fifo")


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill as the broker reported it. ``exec_id`` is the broker's id (or a stable synthetic one)."""

    line: int
    account: str
    symbol: str
    buy: bool
    quantity: Decimal
    price: Decimal
    time: datetime
    fee: Decimal
    exec_id: str
    multiplier: Decimal = Decimal(1)
    # "close" when the broker says the fill closes a position (thinkorswim "TO CLOSE"): such a fill
    # never opens the other side; what it cannot close was opened before the file started.
    effect: str = ""


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One FIFO match: an opening fill (or the part of it) closed by a closing fill (or part)."""

    account: str
    symbol: str
    side: str  # LONG / SHORT
    quantity: Decimal
    entry_time: datetime
    exit_time: datetime
    entry_price: Decimal
    exit_price: Decimal
    fees: Decimal
    multiplier: Decimal
    open_exec_id: str
    close_exec_id: str
    open_line: int
    close_line: int

    @property
    def external_id(self) -> str:
        """Stable across re-imports: made from the two fills' ids, never from file position."""
        return pair_external_id(self.open_exec_id, self.close_exec_id)


@dataclass(slots=True)
class _Lot:
    execution: Execution
    remaining: Decimal
    fee_left: Decimal


@dataclass(slots=True)
class PairingResult:
    trips: list[RoundTrip] = field(default_factory=list)
    open_lots: list[tuple[Execution, Decimal]] = field(default_factory=list)  # (opening fill, qty still open)
    unmatched_closes: list[tuple[Execution, Decimal]] = field(default_factory=list)
    duplicates: list[Execution] = field(default_factory=list)


def pair_external_id(open_id: str, close_id: str) -> str:
    """``<open>~<close>``, hashed when too long for the external_id column."""
    text = f"{open_id}~{close_id}"
    if len(text) <= 120:
        return text
    return "fx-" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _take_fee(fee_left: Decimal, remaining: Decimal, taking: Decimal) -> Decimal:
    if taking >= remaining:
        return fee_left
    return (fee_left * taking / remaining).quantize(FEE_QUANTUM)


def order_executions(executions: list[Execution]) -> list[Execution]:
    """Oldest first. A newest-first file is reversed before the stable sort, so fills sharing one
    timestamp keep the order the broker executed them in."""
    if len(executions) > 1 and executions[0].time > executions[-1].time:
        executions = list(reversed(executions))
    return sorted(executions, key=lambda e: e.time)


def dedupe_executions(executions: list[Execution]) -> tuple[list[Execution], list[Execution]]:
    """Drop repeats of the same broker execution id (overlapping exports); never dedupe on content.

    Two fills with the same time, price and quantity but different ids are two fills.
    """
    seen: set[tuple[str, str]] = set()
    kept: list[Execution] = []
    dropped: list[Execution] = []
    for execution in executions:
        key = (execution.account, execution.exec_id)
        if key in seen:
            dropped.append(execution)
            continue
        seen.add(key)
        kept.append(execution)
    return kept, dropped


def pair_fifo(executions: list[Execution]) -> PairingResult:
    """Pair fills into round trips, FIFO per (account, symbol). Pure: no ORM, no I/O."""
    kept, dropped = dedupe_executions(executions)
    result = PairingResult(duplicates=dropped)
    books: dict[tuple[str, str], deque[_Lot]] = defaultdict(deque)
    for execution in order_executions(kept):
        book = books[(execution.account, execution.symbol)]
        qty_left = execution.quantity
        fee_left = execution.fee
        while qty_left > 0 and book and book[0].execution.buy != execution.buy:
            lot = book[0]
            taking = min(lot.remaining, qty_left)
            entry_fee = _take_fee(lot.fee_left, lot.remaining, taking)
            exit_fee = _take_fee(fee_left, qty_left, taking)
            opening = lot.execution
            result.trips.append(
                RoundTrip(
                    account=execution.account,
                    symbol=execution.symbol,
                    side="LONG" if opening.buy else "SHORT",
                    quantity=taking,
                    entry_time=opening.time,
                    exit_time=execution.time,
                    entry_price=opening.price,
                    exit_price=execution.price,
                    fees=entry_fee + exit_fee,
                    multiplier=opening.multiplier,
                    open_exec_id=opening.exec_id,
                    close_exec_id=execution.exec_id,
                    open_line=opening.line,
                    close_line=execution.line,
                )
            )
            lot.remaining -= taking
            lot.fee_left -= entry_fee
            qty_left -= taking
            fee_left -= exit_fee
            if lot.remaining == 0:
                book.popleft()
        if qty_left > 0 and execution.effect == "close":
            result.unmatched_closes.append((execution, qty_left))
        elif qty_left > 0:
            # Opens (or adds to) a position; after a flip, the remainder opens the other side.
            book.append(_Lot(execution=execution, remaining=qty_left, fee_left=fee_left))
    for book in books.values():
        result.open_lots.extend((lot.execution, lot.remaining) for lot in book)
    return result


@dataclass(slots=True)
class _Position:
    """An open flat-to-flat position: what was opened and closed so far."""

    first: Execution
    buy: bool
    size: Decimal = Decimal(0)  # still open
    opened: Decimal = Decimal(0)
    open_value: Decimal = Decimal(0)
    closed: Decimal = Decimal(0)
    close_value: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    last: Execution | None = None

    def trip(self) -> RoundTrip:
        last = self.last
        assert last is not None
        return RoundTrip(
            account=self.first.account,
            symbol=self.first.symbol,
            side="LONG" if self.buy else "SHORT",
            quantity=self.opened,
            entry_time=self.first.time,
            exit_time=last.time,
            entry_price=(self.open_value / self.opened).quantize(PRICE_QUANTUM),
            exit_price=(self.close_value / self.closed).quantize(PRICE_QUANTUM),
            fees=self.fees,
            multiplier=self.first.multiplier,
            open_exec_id=self.first.exec_id,
            close_exec_id=last.exec_id,
            open_line=self.first.line,
            close_line=last.line,
        )


def group_flat_to_flat(executions: list[Execution]) -> PairingResult:
    """One trade per position from flat to flat, per (account, symbol). Pure: no ORM, no I/O.

    The id is made from the first opening fill and the last closing fill, so it is stable across
    re-imports and equal to the FIFO id when the trade is one opening and one closing fill.
    """
    kept, dropped = dedupe_executions(executions)
    result = PairingResult(duplicates=dropped)
    positions: dict[tuple[str, str], _Position] = {}
    for execution in order_executions(kept):
        key = (execution.account, execution.symbol)
        position = positions.get(key)
        qty_left, fee_left = execution.quantity, execution.fee
        if position is not None and position.buy != execution.buy:
            taking = min(position.size, qty_left)
            fee = _take_fee(fee_left, qty_left, taking)
            position.size -= taking
            position.closed += taking
            position.close_value += taking * execution.price
            position.fees += fee
            position.last = execution
            qty_left -= taking
            fee_left -= fee
            if position.size == 0:
                result.trips.append(position.trip())
                del positions[key]
                position = None
        if qty_left <= 0:
            continue
        if position is None and execution.effect == "close":
            result.unmatched_closes.append((execution, qty_left))
            continue
        if position is None:
            position = positions[key] = _Position(first=execution, buy=execution.buy)
        position.size += qty_left
        position.opened += qty_left
        position.open_value += qty_left * execution.price
        position.fees += fee_left
    for position in positions.values():
        result.open_lots.append((position.first, position.size))
    return result


def group_executions(executions: list[Execution], grouping: str = "flat") -> PairingResult:
    """Trades from fills with the chosen grouping: `flat` (flat to flat, the default) or `fifo`."""
    if grouping == "fifo":
        return pair_fifo(executions)
    return group_flat_to_flat(executions)
