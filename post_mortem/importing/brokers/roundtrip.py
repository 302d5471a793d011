"""Round-trip layouts: every row of the file is one closed trade."""

from __future__ import annotations

from decimal import Decimal

from .base import (
    BrokerIssue,
    BrokerOptions,
    BrokerParse,
    RoundTripLayout,
    RowProblem,
    Trip,
    money,
    number,
    text,
    when,
)
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
    aliases = {
        "Market pos.": ("Market position", "Market pos", "Position"),
        "Qty": ("Quantity",),
        "Commission": ("Commissions",),
        "Profit": ("Net profit",),
    }
    # Profit can be net of exchange/clearing/NFA fees the Commission column leaves out.
    profit_may_be_net = True
    fee_columns = ("Commission", "Fees", "Exchange fees", "Clearing fees", "NFA fees", "Brokerage fees")

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip:
        fees = sum((abs(money(record, c, required=False)) for c in self.fee_columns), Decimal(0))
        return Trip(
            account=self.account(record, options, "Account"),
            symbol=text(record, "Instrument"),
            side=_long_short(text(record, "Market pos."), "Market pos."),
            quantity=_positive(number(record, "Qty"), "Qty"),
            entry_time=when(record, "Entry time", options),
            exit_time=when(record, "Exit time", options),
            entry_price=number(record, "Entry price"),
            exit_price=number(record, "Exit price"),
            fees=fees,
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
    aliases = {
        "ContractName": ("Contract Name", "Contract", "Symbol"),
        "EnteredAt": ("Entered At", "Entry Time"),
        "ExitedAt": ("Exited At", "Exit Time"),
        "EntryPrice": ("Entry Price",),
        "ExitPrice": ("Exit Price",),
        "PnL": ("P&L", "Profit"),
        "Size": ("Quantity", "Qty"),
        "Type": ("Side",),
    }
    has_account = False
    futures_only = True  # plain roots (MNQ, NQ) without a contract month

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
    futures_only = True

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
    futures_only = True

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip:
        bought = when(record, "Bought Timestamp", options)
        sold = when(record, "Sold Timestamp", options)
        long = bought <= sold
        buy_price, sell_price = number(record, "Buy Price"), number(record, "Sell Price")
        buy_id = text(record, "Buy Fill ID", required=False)
        sell_id = text(record, "Sell Fill ID", required=False)
        if buy_id and sell_id:
            # The Performance report's id for the same fill pair: the two reports never import twice.
            external_id = pair_external_id(buy_id, sell_id) if long else pair_external_id(sell_id, buy_id)
        else:
            external_id = "tvp-" + text(record, "Pair ID")
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
            external_id=external_id,
        )


class MT5Layout(RoundTripLayout):
    """A generic MetaTrader 5-like positions file. Contract size comes from the table or Profit."""

    name = "mt5"
    label = "MetaTrader 5 positions"
    signature = ("Symbol", "Side", "Open Price", "Close Price", "Lots", "Profit", "Open Time", "Close Time")
    aliases = {"Side": ("Type", "Direction"), "Lots": ("Volume",), "Open Time": ("Time",)}
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


class MT5PositionHistoryLayout(RoundTripLayout):
    """MetaTrader 5 Position History: two title rows, then one row per deal ("Trade Buy In",
    "Trade Sell Out"), paired by `Position`. `Profit` (on the closing deal) is in the account
    currency, so the contract size comes from the table or from Profit, as in the MT5 layout."""

    name = "mt5_positions"
    label = "MetaTrader 5 Position History"
    signature = (
        "Symbol",
        "Account Number",
        "Position",
        "Position Status",
        "Date Time",
        "Transaction Type",
        "Trade Volume Lots",
        "Open Price",
        "Profit",
    )
    infer_multiplier = True

    def read_trips(self, rows, options: BrokerOptions, result: BrokerParse):
        deals: dict[str, list] = {}
        for record in rows:
            try:
                position = text(record, "Position")
                kind = " ".join(text(record, "Transaction Type").lower().split())
                if not kind.startswith("trade ") or not kind.endswith((" in", " out")):
                    raise RowProblem("Transaction Type", f"{kind!r} is not a Trade Buy/Sell In/Out deal")
                deal = (
                    record.line,
                    kind.split()[1] == "buy",
                    kind.endswith(" in"),
                    abs(number(record, "Trade Volume Lots")),
                    number(record, "Open Price"),
                    when(record, "Date Time", options),
                    money(record, "Profit", required=False),
                    money(record, "Commission", required=False) + money(record, "Swap", required=False),
                )
                deals.setdefault(position, []).append((record, deal))
            except RowProblem as problem:
                result.errors.append(BrokerIssue(record.line, problem.field, problem.message))
        for position, items in deals.items():
            opening = [(r, d) for r, d in items if d[2]]
            closing = [(r, d) for r, d in items if not d[2]]
            if not opening:
                result.warnings.append(
                    BrokerIssue(items[0][1][0], "position", f"position {position} has no opening deal; not imported")
                )
                continue
            record, first = opening[0]
            size = sum(d[3] for _r, d in opening)
            closed = sum(d[3] for _r, d in closing)
            if not closing or closed < size:
                result.warnings.append(
                    BrokerIssue(first[0], "position", f"position {position} is still open; not imported")
                )
                continue
            try:
                account = self.account(record, options, "Account Number", "Account", "Login")
            except RowProblem as problem:
                result.errors.append(BrokerIssue(first[0], problem.field, problem.message))
                continue
            last = closing[-1][1]
            yield (
                last[0],
                Trip(
                    account=account,
                    symbol=text(record, "Symbol"),
                    side="LONG" if first[1] else "SHORT",
                    quantity=size,
                    entry_time=first[5],
                    exit_time=max(d[5] for _r, d in closing),
                    entry_price=sum(d[3] * d[4] for _r, d in opening) / size,
                    exit_price=sum(d[3] * d[4] for _r, d in closing) / closed,
                    # MT5 books costs as negative commission and swap: a cost is a positive fee for us.
                    fees=-sum(d[7] for _r, d in items),
                    reported_pnl=sum(d[6] for _r, d in closing),
                    external_id=f"mt5-{position}",
                ),
            )
