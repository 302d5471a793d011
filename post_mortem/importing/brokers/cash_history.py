"""Account histories where trades sit among cash rows: tastytrade and Schwab transaction exports.

Why apart from the plain execution layouts: these files are a broker's ledger. Trade rows are
fills (paired flat to flat or FIFO like any other), option expirations and assignments close a
position at the price the ledger gives (0 for an option that expired worthless), and every other
row (deposits, dividends, interest, journals, futures mark-to-market, totals) is not a trade: it is
counted by kind and left out, never silently dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from decimal import Decimal

from ..option_symbols import OptionContract, option_right, parse_option_symbol
from .base import (
    BrokerIssue,
    BrokerOptions,
    BrokerParse,
    ExecutionLayout,
    Occurrences,
    RowProblem,
    money,
    number,
    read,
    text,
)
from .executions import _fill, side_of
from .futures import futures_root
from .pairing import Execution
from .parsing import ParseError, Record, csv_lines, fmt_decimal, parse_date, parse_datetime, parse_decimal

_AT_PRICE = re.compile(r"@\s*\$?\s*([\d,]*\.?\d+)")
# The ledger's own total of price x quantity x multiplier may differ from ours by rounding only.
_VALUE_TOLERANCE = Decimal("0.02")
# Stock delivered by an assignment or exercise ("Buy to Open 100 SCHG @ 103.00"): a fill.
_DELIVERY = re.compile(r"^\s*(buy|sell) to (open|close)\b", re.IGNORECASE)
_REMOVALS = ("expiration", "expired", "assignment", "assigned", "exercise", "exercised", "cash settled")


def _cash(raw: str, what: str) -> Decimal:
    """A money cell where ``--`` or an empty cell means nothing was charged."""
    value = (raw or "").strip()
    if value in {"", "--", "-"}:
        return Decimal(0)
    return parse_decimal(value, what=what)


def _left_out_note(result: BrokerParse, column: str, kinds: Counter[str]) -> None:
    if kinds:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        result.warnings.append(
            BrokerIssue(1, column, f"{sum(kinds.values())} row(s) are not trades ({counts}); left out")
        )


def _option_symbol(contract: OptionContract) -> str:
    """A symbol the option reader reads back (the same contract, whichever column it came from)."""
    right = "C" if contract.right == "CALL" else "P"
    return f"{contract.underlying} {contract.expiry:%m/%d/%Y} {fmt_decimal(contract.strike)} {right}"


class _Ledger(ExecutionLayout):
    """Fills read oldest first, so a removal row without a side closes whatever is open."""

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        self._left_out: Counter[str] = Counter()
        self._open: Counter[tuple[str, str]] = Counter()
        dated = []
        for record in rows:
            try:
                dated.append((self.row_time(record, options), record))
            except RowProblem as problem:
                result.errors.append(BrokerIssue(record.line, problem.field, problem.message))
        if len(dated) > 1 and dated[0][0] > dated[-1][0]:
            dated.reverse()  # newest first, as both brokers export: same-time rows keep their order
        dated.sort(key=lambda item: item[0])
        ordered = [record for _time, record in dated]
        super().parse_records(ordered, options, result)
        _left_out_note(result, self.kind_column, self._left_out)

    kind_column = "Type"

    def row_time(self, record: Record, options: BrokerOptions) -> datetime:
        raise NotImplementedError

    def track(self, execution: Execution) -> Execution:
        """Keep the running position per (account, symbol): a removal closes what is open."""
        key = (execution.account, execution.symbol)
        self._open[key] += execution.quantity if execution.buy else -execution.quantity
        return execution

    def closing_side(self, account: str, symbol: str, column: str) -> bool:
        """Buy (True) to close a short, sell to close a long; nothing open is a RowProblem."""
        held = self._open[(account, symbol)]
        if held == 0:
            raise RowProblem(column, f"a removal of {symbol} with no side and no open position in this file")
        return held < 0


class TastytradeLayout(_Ledger):
    """tastytrade (tastyworks) transaction history, CSV: the older export (no Sub Type) and the
    current one (Sub Type, Total, Currency). Options carry Value and Average Price per contract
    (x100), futures and futures options carry the fill price in the Description only."""

    name = "tastytrade"
    label = "tastytrade transaction history"
    signature = (
        "Date",
        "Type",
        "Action",
        "Symbol",
        "Instrument Type",
        "Description",
        "Value",
        "Quantity",
        "Average Price",
        "Commissions",
        "Fees",
    )
    has_account = False  # the export holds one account and names it nowhere

    def row_time(self, record: Record, options: BrokerOptions) -> datetime:
        return read(record, "Date", lambda s: parse_datetime(s, date_order=options.date_order))

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution | None:
        kind = text(record, "Type", required=False)
        sub_type = text(record, "Sub Type", required=False)
        action = text(record, "Action", required=False).replace("_", " ")
        instrument = text(record, "Instrument Type", required=False).lower()
        description = text(record, "Description", required=False)
        label = f"{kind}: {sub_type}" if sub_type else kind or "(blank)"
        removal = kind.lower() == "receive deliver" and any(
            word in f"{sub_type} {description}".lower() for word in _REMOVALS
        )
        delivery = kind.lower() == "receive deliver" and not removal
        if delivery and not _DELIVERY.match(sub_type or description):
            # ACATs, symbol changes, splits: positions moved or renamed, not bought or sold.
            label = f"{kind}: {sub_type or description[:40]}"
        if (
            not instrument
            or (not action and not removal)
            or kind.lower() == "money movement"
            or (delivery and not _DELIVERY.match(sub_type or description))
        ):
            self._left_out[label] += 1
            return None
        account = self.account(record, options)
        contract = self._contract(record)
        symbol = _option_symbol(contract) if contract is not None else text(record, "Symbol")
        if contract is not None and parse_option_symbol(" ".join(text(record, "Symbol").split())) == contract:
            symbol = " ".join(text(record, "Symbol").split())  # the broker's own name, when it reads back
        quantity = abs(number(record, "Quantity"))
        if quantity == 0:
            raise RowProblem("Quantity", "quantity must be more than zero")
        multiplier = self._multiplier(record, instrument, contract, symbol, options)
        value = _cash(text(record, "Value", required=False), "amount")
        if removal:
            # Expired worthless at 0; an assignment or exercise moves the value into the stock row
            # (at the strike), a cash settlement states its amount in Value.
            price = abs(value) / (quantity * multiplier)
        else:
            price = self._price(record, description, multiplier, instrument)
            if value and abs(abs(value) - price * quantity * multiplier) > _VALUE_TOLERANCE:
                raise RowProblem(
                    "Value",
                    f"Value {fmt_decimal(value)} is not {fmt_decimal(quantity)} x {fmt_decimal(price)} "
                    f"x multiplier {fmt_decimal(multiplier)}; check the Multiplier (or the contract multipliers)",
                )
        if action:
            buy, effect = side_of(action, "Action")
        else:
            buy, effect = self.closing_side(account, symbol, "Action"), "close"
        if removal:
            effect = "close"
        fee = abs(_cash(text(record, "Commissions", required=False), "commission"))
        fee += abs(_cash(text(record, "Fees", required=False), "fee"))
        order = text(record, "Order #", "Order Number", required=False)
        return self.track(
            _fill(
                self,
                record=record,
                ids=ids,
                account=account,
                symbol=symbol,
                buy=buy,
                quantity=quantity,
                price=price,
                time=self.row_time(record, options),
                fee=fee,
                exec_id=ids(f"tt-{order}-{''.join(symbol.split())}") if order else "",
                multiplier=multiplier,
                effect=effect,
            )
        )

    @staticmethod
    def _contract(record: Record) -> OptionContract | None:
        """The option's terms from Expiration Date / Strike Price / Call or Put, else from Symbol."""
        right = option_right(text(record, "Call or Put", required=False))
        expiry_text = text(record, "Expiration Date", required=False)
        strike_text = text(record, "Strike Price", required=False)
        if right and expiry_text and strike_text:
            underlying = text(record, "Underlying Symbol", "Root Symbol", required=False) or text(record, "Symbol")
            try:
                expiry = parse_date(expiry_text)
                strike = parse_decimal(strike_text, what="strike")
            except ParseError as exc:
                raise RowProblem("Expiration Date" if "date" in str(exc) else "Strike Price", str(exc)) from None
            plain = strike.to_integral_value() if strike == strike.to_integral_value() else strike.normalize()
            return OptionContract(underlying=underlying.strip().upper(), expiry=expiry, strike=plain, right=right)
        return parse_option_symbol(" ".join(text(record, "Symbol", required=False).split()))

    def _multiplier(
        self, record: Record, instrument: str, contract: OptionContract | None, symbol: str, options: BrokerOptions
    ) -> Decimal:
        if contract is not None and contract.on_future:
            # tastytrade writes Multiplier 1 on futures options: the future's point value applies.
            return self.multiplier(contract.underlying, options)
        if contract is not None:
            stated = text(record, "Multiplier", required=False)
            return self.multiplier(symbol, options, parse_decimal(stated, what="multiplier") if stated else None)
        if "future" in instrument:
            return self.multiplier(symbol, options)
        if futures_root(symbol) is not None:
            raise RowProblem("Instrument Type", f"{symbol!r} looks like a futures contract but is {instrument!r}")
        return Decimal(1)

    @staticmethod
    def _price(record: Record, description: str, multiplier: Decimal, instrument: str) -> Decimal:
        """The fill price: ``@ 5.10`` in the Description, else Average Price (per contract for options)."""
        m = _AT_PRICE.search(description)
        if m:
            return Decimal(m.group(1).replace(",", ""))
        average = abs(money(record, "Average Price"))
        return average / multiplier if "option" in instrument else average


_SCHWAB_DATE = re.compile(r"^\s*(\S+)(?:\s+as\s+of\s+(\S+))?\s*$", re.IGNORECASE)
_SCHWAB_ACCOUNT = re.compile(r"transactions\s+for\s+account\s+(.+?)\s+as\s+of\b", re.IGNORECASE)
_SCHWAB_TRADES = {
    "BUY",
    "SELL",
    "BUY TO OPEN",
    "BUY TO CLOSE",
    "SELL TO OPEN",
    "SELL TO CLOSE",
    "SELL SHORT",
    "SHORT SALE",
    "BUY TO COVER",
}
_SCHWAB_REMOVALS = {"EXPIRED", "ASSIGNED", "EXCHANGE OR EXERCISE"}


class SchwabLayout(_Ledger):
    """Charles Schwab account history ("Transactions" CSV): dates without times (``07/02/2026 as of
    07/01/2026``: the trade is on the as-of date), ``$`` amounts, options in Schwab's
    ``SPY 12/18/2026 450.00 C`` form, cash rows and a closing "Transactions Total" row."""

    name = "schwab"
    label = "Schwab account history"
    signature = ("Date", "Action", "Symbol", "Description", "Quantity", "Price", "Fees & Comm", "Amount")
    aliases = {"Fees & Comm": ("Fees & Commissions",)}
    kind_column = "Action"

    def parse(self, text_: str, options: BrokerOptions) -> BrokerParse:
        self._account = ""
        for _line, cells in csv_lines(text_):
            m = _SCHWAB_ACCOUNT.search(" ".join(cells))
            if m:
                self._account = m.group(1).strip()
            break  # only the first row can be the title
        return super().parse(text_, options)

    def row_time(self, record: Record, options: BrokerOptions) -> datetime:
        raw = text(record, "Date", required=False)
        if not raw or raw.lower().startswith("transactions total"):
            return datetime.min  # noqa: DTZ901 (the totals row, left out by read_execution: a sort key only)
        m = _SCHWAB_DATE.match(raw)
        try:
            if m and m.group(2):  # "07/02/2026 as of 07/01/2026": the trade is on the as-of date
                return datetime.combine(parse_date(m.group(2), date_order=options.date_order), datetime.min.time())
            return parse_datetime(raw, date_order=options.date_order)  # a date, or a date and a time
        except ParseError as exc:
            raise RowProblem("Date", str(exc)) from None

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution | None:
        if text(record, "Date", required=False).lower().startswith("transactions total"):
            self._left_out["Transactions Total"] += 1
            return None
        action = " ".join(text(record, "Action", required=False).upper().split())
        removal = action in _SCHWAB_REMOVALS
        if action not in _SCHWAB_TRADES and not removal:
            self._left_out[text(record, "Action", required=False) or "(blank)"] += 1
            return None
        # The title names the account masked ("Individual ...123"): an account chosen for the import wins.
        account = options.account.strip() or self._account or self.account(record, options, "Account")
        symbol = " ".join(text(record, "Symbol").split())
        quantity = abs(number(record, "Quantity"))
        if quantity == 0:
            raise RowProblem("Quantity", "quantity must be more than zero")
        multiplier = self.multiplier(symbol, options)
        fee = abs(money(record, "Fees & Comm", required=False))
        if removal:
            # The option leaves the account: worthless at 0; an assignment's value is in the stock row.
            buy, effect, price = self.closing_side(account, symbol, "Action"), "close", Decimal(0)
        else:
            buy, effect = (False, "") if action == "SHORT SALE" else side_of(action, "Action")
            price = money(record, "Price")
            amount_text = text(record, "Amount", required=False)
            if amount_text:
                amount = abs(money(record, "Amount"))
                gross = price * quantity * multiplier
                if min(abs(amount - gross - fee), abs(amount - gross + fee)) > _VALUE_TOLERANCE:
                    raise RowProblem(
                        "Amount",
                        f"Amount {amount_text} is not {fmt_decimal(quantity)} x {fmt_decimal(price)} x multiplier "
                        f"{fmt_decimal(multiplier)} with fees {fmt_decimal(fee)}; check the contract size",
                    )
        return self.track(
            _fill(
                self,
                record=record,
                ids=ids,
                account=account,
                symbol=symbol,
                buy=buy,
                quantity=quantity,
                price=price,
                time=self.row_time(record, options),
                fee=fee,
                exec_id="",
                multiplier=multiplier,
                effect=effect,
            )
        )
