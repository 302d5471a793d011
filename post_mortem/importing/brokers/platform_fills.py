"""Fill and order exports of trading platforms: Tradovate Fills, Quantower Trades, TradeStation Orders.

Each row is one fill (or one filled order); the base class groups them into trades.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .base import BrokerOptions, BrokerParse, ExecutionLayout, Occurrences, RowProblem, money, number, read, text, when
from .executions import _fill, _qty, keep_rows_where, side_of
from .pairing import Execution
from .parsing import Record, parse_decimal


class TradovateFillsLayout(ExecutionLayout):
    """Tradovate Fills report (Reports -> Fills -> CSV): one row per fill, API columns (``id``,
    ``orderId``, ``timestamp``, ``action``, ``qty``, ``price``, ``active``) followed by display columns
    (``Fill ID``, ``Order ID``, ``Timestamp``, ``B/S``, ``Quantity``, ``Price``, ``Contract``,
    ``Product``, ``commission``). Fills that are not ``active`` (busted or replaced) are counted and
    left out. The fill ids are the ones the Performance report pairs, so both give the same trade ids."""

    name = "tradovate_fills"
    label = "Tradovate Fills"
    signature = ("Fill ID", "Order ID", "Timestamp", "Account", "B/S", "Quantity", "Price", "Contract", "Product")

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        if rows and "active" in rows[0].cells:
            rows = keep_rows_where(rows, result, "active", {"true"}, left_out="fill(s) not active", tail="not fills")
        super().parse_records(rows, options, result)

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        symbol = text(record, "Contract")
        buy, effect = side_of(text(record, "B/S"), "B/S")
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=_qty(record, "Quantity"),
            price=read(record, "Price", lambda s: parse_decimal(s, what="price")),
            time=when(record, "Timestamp", options),
            fee=abs(money(record, "commission", required=False)),
            # The bare fill id: the Performance report's buyFillId/sellFillId, so the pairs agree.
            exec_id=text(record, "Fill ID", "id"),
            multiplier=self.multiplier(symbol, options),
            effect=effect,
        )


class QuantowerTradesLayout(ExecutionLayout):
    """Quantower Trades panel export: one row per fill with ``Date/Time`` like
    ``7/2/26 9:30:05 AM -04:00`` (the offset is kept), sell quantities negative, ``Fee`` negative,
    ``Gross P/L`` on closing fills and the platform's ``Trade ID``."""

    name = "quantower"
    label = "Quantower Trades"
    signature = (
        "Account",
        "Date/Time",
        "Symbol",
        "Side",
        "Quantity",
        "Price",
        "Gross P/L",
        "Fee",
        "Net P/L",
        "Trade ID",
    )

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        symbol = text(record, "Symbol")
        side_text = text(record, "Side")
        buy, effect = side_of(side_text, "Side")
        signed = number(record, "Quantity")
        if signed < 0 and buy:
            raise RowProblem("Quantity", f"quantity {signed} disagrees with side {side_text}")
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=_qty(record, "Quantity"),
            price=number(record, "Price"),
            time=when(record, "Date/Time", options),
            fee=abs(money(record, "Fee", required=False)),
            exec_id="qt-" + text(record, "Trade ID"),
            multiplier=self.multiplier(symbol, options),
            effect=effect,
        )


# TradeStation option symbols: root, expiry YYMMDD, C/P, strike ("AAPL 260717C190").
_TS_OPTION = re.compile(r"^\S+ \d{6}[CP]\d+(\.\d+)?$")


class TradeStationOrdersLayout(ExecutionLayout):
    """TradeStation order history (Orders / Trade History export as CSV): a title row, then one row
    per order. Only ``Filled`` orders are fills (Cancelled, Rejected, Expired are counted and left
    out). ``Type`` says Buy, Sell, Sell Short, Buy to Cover, Buy to Open, Sell to Close; futures
    prices carry thousands separators (``"5,412.25"``), ``Commission`` a ``$``; options
    (``AAPL 260717C190``) are x100."""

    name = "tradestation"
    label = "TradeStation Orders"
    signature = ("Account", "Symbol", "Type", "Qty Filled", "Filled Price", "Order Status", "Entered", "Commission")

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        fills = keep_rows_where(
            rows, result, "Order Status", {"filled"}, left_out="order(s) not filled", tail="not fills"
        )
        super().parse_records(fills, options, result)

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        symbol = " ".join(text(record, "Symbol").split())
        buy, effect = side_of(text(record, "Type"), "Type")
        quantity = _qty(record, "Qty Filled")
        stated = Decimal(100) if _TS_OPTION.match(symbol) else None
        order = text(record, "Order #", "Order ID", "Order", required=False)
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=quantity,
            price=read(record, "Filled Price", lambda s: parse_decimal(s, what="price")),
            time=when(record, "Filled/Canceled", options, "Entered"),
            fee=abs(money(record, "Commission", required=False)),
            exec_id=f"ts-{order}" if order else "",
            multiplier=self.multiplier(symbol, options, stated),
            effect=effect,
        )
