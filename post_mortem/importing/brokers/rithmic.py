"""Rithmic R|Trader Pro exports: Completed Orders (orders to pair) and Trade Performance (round trips).

Both carry Rithmic's order numbers, so a trade gets the same id from either report
(``rithmic-<entry order>~rithmic-<exit order>``) and importing the other one later is a no-op.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from .base import (
    BrokerOptions,
    BrokerParse,
    ExecutionLayout,
    Occurrences,
    RoundTripLayout,
    RowProblem,
    Trip,
    _head_rows,
    money,
    number,
    read,
    text,
    when,
)
from .executions import _fill, filled_quantity, keep_rows_where, side_of
from .futures import futures_root
from .pairing import Execution, pair_external_id
from .parsing import Record, csv_lines, find_header, norm_header, parse_decimal

ORDER_ID_PREFIX = "rithmic-"

# R|Trader writes the zone of its times into the column name only: "Update Time (EDT)".
_ZONED_COLUMN = re.compile(r"^(.*\S)\s*\(([a-z]{2,5})\)$")
_ZONES = {
    "est": "America/New_York",
    "edt": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "utc": "UTC",
    "gmt": "UTC",
}


def _unzoned(header: list[str]) -> tuple[list[str], str | None]:
    """Header names without their ``(EDT)`` suffix, and the zone the suffix names (if we know it)."""
    names, zone = [], None
    for name in header:
        m = _ZONED_COLUMN.match(name)
        if m and m.group(2) in _ZONES:
            names.append(m.group(1))
            zone = zone or _ZONES[m.group(2)]
        else:
            names.append(name)
    return names, zone


class RithmicCompletedOrdersLayout(ExecutionLayout):
    """R|Trader Pro order history (Recent Orders / Order History -> Export as CSV): a ``Working
    Orders`` table, then ``Completed Orders``. One row is an order with its total ``Qty Filled`` and
    average fill price; only ``Filled`` orders are fills (Cancelled ones are counted and left out).
    Commission is ``Commission Fill Rate`` x ``Qty Filled`` unless ``Commission`` is filled in."""

    name = "rithmic_orders"
    label = "Rithmic R|Trader Completed Orders"
    title = "completed orders"
    signature = (
        "Account",
        "Status",
        "Buy/Sell",
        "Symbol",
        "Avg Fill Price",
        "Order Number",
        "Qty Filled",
        "Update Time",
    )

    @classmethod
    def _find(cls, rows: list[tuple[int, list[str]]]):
        """((header line, names, rows after it), zone named in the header) of the Completed Orders table."""
        for index, (_line, cells) in enumerate(rows):
            if not cells or norm_header(cells[0]) != cls.title or any(c.strip() for c in cells[1:]):
                continue
            for offset in (1, 2):  # the header follows the title (sometimes after a blank line)
                if index + offset < len(rows):
                    line, header = rows[index + offset]
                    names, zone = _unzoned([norm_header(c) for c in header])
                    if find_header([(line, names)], cls.signature):
                        return (line, names, rows[index + offset + 1 :]), zone
        return None

    @classmethod
    def matches(cls, text_: str) -> bool:
        return cls._find(_head_rows(text_)) is not None

    @classmethod
    def locate(cls, text_: str):
        found = cls._find(list(csv_lines(text_)))
        return found[0] if found else None

    def parse(self, text_: str, options: BrokerOptions) -> BrokerParse:
        found = self._find(list(csv_lines(text_)))
        self._zone = ZoneInfo(found[1]) if found and found[1] else None
        return super().parse(text_, options)

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        fills = keep_rows_where(rows, result, "Status", {"filled"}, left_out="order(s) not filled", tail="not fills")
        super().parse_records(fills, options, result)

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        symbol = text(record, "Symbol")
        buy, _ = side_of(text(record, "Buy/Sell"), "Buy/Sell")
        quantity = filled_quantity(record, "Qty Filled")
        commission = money(record, "Commission", required=False)
        if commission == 0:
            commission = money(record, "Commission Fill Rate", required=False) * quantity
        time = when(record, "Update Time", options)
        if self._zone is not None and time.tzinfo is None:
            time = time.replace(tzinfo=self._zone)
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=quantity,
            price=read(record, "Avg Fill Price", lambda s: parse_decimal(s, what="price")),
            time=time,
            fee=abs(commission),
            exec_id=ORDER_ID_PREFIX + text(record, "Order Number"),
            multiplier=self.multiplier(symbol, options),
        )


class RithmicPerformanceLayout(RoundTripLayout):
    """R|Trader Pro Trade Performance export: closed round trips grouped under an account row and
    an instrument row (``APEX-33521-11`` then ``MNQU6``), each group with its own header row.
    Newer versions put ``Trade Date`` (``20260702``) first. ``Trade P&L`` is gross, with
    ``Commission & Fees`` and ``Net P&L`` beside it."""

    name = "rithmic_performance"
    label = "Rithmic R|Trader Trade Performance"
    signature = (
        "Entry Order Number",
        "Entry Buy/Sell",
        "Entry Price",
        "Entry Time",
        "Exit Order Number",
        "Exit Price",
        "Exit Time",
        "Fill Size",
        "Trade P&L",
    )
    futures_only = True

    @classmethod
    def _table(cls, rows: list[tuple[int, list[str]]]):
        found = find_header(rows, cls.signature)
        if found is None:
            return None
        line, header, after = found
        index = next(i for i, (n, _c) in enumerate(rows) if n == line)
        start = index
        # The account and instrument rows above the first header belong to its group.
        while start > 0 and sum(1 for c in rows[start - 1][1] if c.strip()) <= 1:
            start -= 1
        return line, header, [*rows[start:index], *after]

    @classmethod
    def matches(cls, text_: str) -> bool:
        return cls._table(_head_rows(text_)) is not None

    @classmethod
    def locate(cls, text_: str):
        return cls._table(list(csv_lines(text_)))

    def read_trips(self, rows: list[Record], options: BrokerOptions, result: BrokerParse):
        self._account = ""
        self._symbol = ""
        yield from super().read_trips(rows, options, result)

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip | None:
        filled = [v.strip() for v in record.cells.values() if v.strip()]
        if len(filled) == 1:
            # A group row: the instrument (a futures contract) or the account it belongs to.
            if futures_root(filled[0]) is not None:
                self._symbol = filled[0]
            else:
                self._account = filled[0]
            return None
        if not self._symbol:
            raise RowProblem("Instrument", "no instrument row above this trade")
        entry_buy, _ = side_of(text(record, "Entry Buy/Sell"), "Entry Buy/Sell")
        entry_order, exit_order = text(record, "Entry Order Number"), text(record, "Exit Order Number")
        quantity = abs(number(record, "Fill Size"))
        if quantity == 0:
            raise RowProblem("Fill Size", "quantity must be more than zero")
        return Trip(
            account=self._account or self.account(record, options),
            symbol=self._symbol,
            side="LONG" if entry_buy else "SHORT",
            quantity=quantity,
            entry_time=when(record, "Entry Time", options),
            exit_time=when(record, "Exit Time", options),
            entry_price=number(record, "Entry Price"),
            exit_price=number(record, "Exit Price"),
            fees=abs(money(record, "Commission & Fees", required=False)),
            reported_pnl=money(record, "Trade P&L"),
            external_id=pair_external_id(ORDER_ID_PREFIX + entry_order, ORDER_ID_PREFIX + exit_order),
        )
