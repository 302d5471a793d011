"""Round-trip layouts: every row of the file is one closed trade."""

from __future__ import annotations

from decimal import Decimal

from .base import BrokerOptions, RoundTripLayout, RowProblem, Trip, money, number, text, when
from .pairing import pair_external_id
from .parsing import Record


def _long_short(value: str, column: str) -> str:
    v = value.strip().lower()
    if v in {"long", "buy", "b", "l"}:
        return "LONG"
    if v in {"short", "sell", "s", "sh"}:
        return "SHORT"
    raise RowProblem(column, f"{value!r} is not a side (expected Long or Short)")


def _positive(value: Decimal, column: str) -> Decimal:
    value = abs(value)
    if value == 0:
        raise RowProblem(column, "quantity must be more than zero")
    return value


class NinjaTraderTradesLayout(RoundTripLayout):
    """NinjaTrader 8 Trades grid export (Trade Performance > Trades > Export)."""

    name = "ninjatrader_trades"
    label = "NinjaTrader 8 Trades grid"
    signature = (
        "Instrument",
        "Account",
        "Market pos.",
        "Qty",
        "Entry time",
        "Exit time",
        "Entry price",
        "Exit price",
        "Profit",
        "Commission",
    )

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip:
        return Trip(
            account=self.account(record, options, "Account"),
            symbol=text(record, "Instrument"),
            side=_long_short(text(record, "Market pos."), "Market pos."),
            quantity=_positive(number(record, "Qty"), "Qty"),
            entry_time=when(record, "Entry time", options),
            exit_time=when(record, "Exit time", options),
            entry_price=number(record, "Entry price"),
            exit_price=number(record, "Exit price"),
            fees=abs(money(record, "Commission", required=False)),
            reported_pnl=money(record, "Profit"),
        )


class TopstepXLayout(RoundTripLayout):
    """TopstepX / ProjectX trades export (one row per round trip, with the platform's trade Id)."""

    name = "topstepx"
    label = "TopstepX / ProjectX trades"
    signature = (
        "Id",
        "ContractName",
        "EnteredAt",
        "ExitedAt",
        "EntryPrice",
        "ExitPrice",
        "Fees",
        "PnL",
        "Size",
        "Type",
    )
    has_account = False

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip:
        return Trip(
            account=self.account(record, options),
            symbol=text(record, "ContractName"),
            side=_long_short(text(record, "Type"), "Type"),
            quantity=_positive(number(record, "Size"), "Size"),
            entry_time=when(record, "EnteredAt", options),
            exit_time=when(record, "ExitedAt", options),
            entry_price=number(record, "EntryPrice"),
            exit_price=number(record, "ExitPrice"),
            fees=abs(money(record, "Fees", required=False)),
            reported_pnl=money(record, "PnL"),
            external_id="tsx-" + text(record, "Id"),
        )


class TradovatePerformanceLayout(RoundTripLayout):
    """Tradovate Performance report: FIFO buy/sell fill pairs with the fills' ids."""

    name = "tradovate_performance"
    label = "Tradovate Performance report"
    signature = (
        "symbol",
        "_priceFormat",
        "_tickSize",
        "buyFillId",
        "sellFillId",
        "qty",
        "buyPrice",
        "sellPrice",
        "pnl",
        "boughtTimestamp",
        "soldTimestamp",
    )
    has_account = False

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip:
        bought = when(record, "boughtTimestamp", options)
        sold = when(record, "soldTimestamp", options)
        buy_id, sell_id = text(record, "buyFillId"), text(record, "sellFillId")
        long = bought <= sold
        buy_price, sell_price = number(record, "buyPrice"), number(record, "sellPrice")
        return Trip(
            account=self.account(record, options),
            symbol=text(record, "symbol"),
            side="LONG" if long else "SHORT",
            quantity=_positive(number(record, "qty"), "qty"),
            entry_time=bought if long else sold,
            exit_time=sold if long else bought,
            entry_price=buy_price if long else sell_price,
            exit_price=sell_price if long else buy_price,
            reported_pnl=money(record, "pnl"),
            # Same id shape as our own FIFO pairing of the fills, so both imports agree.
            external_id=pair_external_id(buy_id, sell_id) if long else pair_external_id(sell_id, buy_id),
        )


class TradovatePositionHistoryLayout(RoundTripLayout):
    """Tradovate Position History: one row per paired fill (Pair ID) with buy/sell prices and P/L."""

    name = "tradovate_positions"
    label = "Tradovate Position History"
    signature = ("Pair ID", "Buy Price", "Sell Price", "P/L", "Bought Timestamp", "Sold Timestamp", "Paired Qty")

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip:
        bought = when(record, "Bought Timestamp", options)
        sold = when(record, "Sold Timestamp", options)
        long = bought <= sold
        buy_price, sell_price = number(record, "Buy Price"), number(record, "Sell Price")
        return Trip(
            account=self.account(record, options, "Account"),
            symbol=text(record, "Contract", "Product"),
            side="LONG" if long else "SHORT",
            quantity=_positive(number(record, "Paired Qty"), "Paired Qty"),
            entry_time=bought if long else sold,
            exit_time=sold if long else bought,
            entry_price=buy_price if long else sell_price,
            exit_price=sell_price if long else buy_price,
            reported_pnl=money(record, "P/L"),
            external_id="tvp-" + text(record, "Pair ID"),
        )


class MT5Layout(RoundTripLayout):
    """A generic MetaTrader 5-like positions file. Contract size comes from the table or Profit."""

    name = "mt5"
    label = "MetaTrader 5 positions"
    signature = ("Symbol", "Side", "Open Price", "Close Price", "Lots", "Profit", "Open Time", "Close Time")
    infer_multiplier = True

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip:
        commission = money(record, "Commission", required=False)
        swap = money(record, "Swap", required=False)
        ticket = text(record, "Position", "Ticket", "Order", required=False)
        return Trip(
            account=self.account(record, options, "Account", "Login"),
            symbol=text(record, "Symbol"),
            side=_long_short(text(record, "Side", "Type"), "Side"),
            quantity=_positive(number(record, "Lots", "Volume"), "Lots"),
            entry_time=when(record, "Open Time", options),
            exit_time=when(record, "Close Time", options),
            entry_price=number(record, "Open Price"),
            exit_price=number(record, "Close Price"),
            # MT5 books costs as negative commission and swap: a cost is a positive fee for us.
            fees=-(commission + swap),
            reported_pnl=money(record, "Profit"),
            external_id=f"mt5-{ticket}" if ticket else "",
        )
