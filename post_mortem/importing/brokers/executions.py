"""Execution layouts: every row is one fill; the base class pairs them FIFO into round trips."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from decimal import Decimal

from .base import (
    BrokerIssue,
    BrokerOptions,
    BrokerParse,
    ExecutionLayout,
    Occurrences,
    RowProblem,
    content_id,
    money,
    number,
    read,
    text,
    when,
)
from .pairing import Execution
from .parsing import (
    ParseError,
    Record,
    csv_lines,
    find_header,
    fmt_datetime,
    fmt_decimal,
    norm_header,
    parse_datetime,
    parse_decimal,
    parse_optional_decimal,
    parse_time,
    records,
)

_BUY = {"B", "BUY", "BOT", "BOUGHT", "BC", "BUY TO COVER", "COVER", "BUYTOCOVER", "BUY TO OPEN", "BUY TO CLOSE"}
_SELL = {"S", "SELL", "SLD", "SOLD", "SS", "SHORT", "SELL SHORT", "SELLSHORT", "SELL TO OPEN", "SELL TO CLOSE"}
_CLOSING = {"BC", "BUY TO COVER", "COVER", "BUYTOCOVER", "BUY TO CLOSE", "SELL TO CLOSE"}


def side_of(value: str, column: str) -> tuple[bool, str]:
    """(is_buy, effect) for the side words brokers use: B/S/SS/BC, Buy/Sell, BOT/SLD, Buy to cover..."""
    v = " ".join(value.strip().upper().split())
    effect = "close" if v in _CLOSING else ""
    if v in _BUY:
        return True, effect
    if v in _SELL:
        return False, effect
    raise RowProblem(column, f"{value!r} is not a side (expected B, S, SS, BC, Buy or Sell)")


def _qty(record: Record, column: str) -> Decimal:
    value = abs(number(record, column))
    if value == 0:
        raise RowProblem(column, "quantity must be more than zero")
    return value


def filled_quantity(record: Record, column: str, *alternatives: str) -> Decimal:
    """The filled quantity of an order row kept as Filled; none filled is the row's error, not a skip."""
    quantity = abs(read(record, column, lambda s: parse_decimal(s, what="quantity"), *alternatives))
    if quantity == 0:
        raise RowProblem(column, "a Filled order with no filled quantity")
    return quantity


def _fill(
    layout: ExecutionLayout,
    *,
    record: Record,
    ids: Occurrences,
    account: str,
    symbol: str,
    buy: bool,
    quantity: Decimal,
    price: Decimal,
    time: datetime,
    fee: Decimal,
    exec_id: str,
    multiplier: Decimal,
    effect: str = "",
) -> Execution:
    if not exec_id:
        # No broker id: a content hash plus its occurrence, so identical fills stay two fills
        # and re-importing the same file gives the same ids.
        exec_id = ids(
            content_id(layout.name, account, symbol, buy, fmt_decimal(quantity), fmt_decimal(price), fmt_datetime(time))
        )
    return Execution(
        line=record.line,
        account=account,
        symbol=symbol,
        buy=buy,
        quantity=quantity,
        price=price,
        time=time,
        fee=fee,
        exec_id=exec_id,
        multiplier=multiplier,
        effect=effect,
    )


def keep_rows_where(
    rows: list[Record],
    result: BrokerParse,
    column: str,
    keep: set[str],
    *,
    left_out: str,
    tail: str = "",
) -> list[Record]:
    """The rows whose ``column`` is one of ``keep`` (case-insensitive); every other row is counted.

    Why one helper: orders exports (Tradovate Orders, Rithmic Completed Orders, TradeStation) and
    cash histories (IBKR Transaction History) mix rows that are not fills with the fills. Those rows
    are not errors, but a person must see how many were left out and why, in one warning per file:
    ``2 order(s) not filled (1 Canceled, 1 Rejected); not fills, left out``.
    """
    kept: list[Record] = []
    other: Counter[str] = Counter()
    for record in rows:
        value = " ".join(text(record, column, required=False).split())
        if value.lower() in keep:
            kept.append(record)
        else:
            other[value or "(blank)"] += 1
    if other:
        counts = ", ".join(f"{n} {value}" for value, n in sorted(other.items()))
        reason = f"{tail}, left out" if tail else "left out"
        result.warnings.append(BrokerIssue(1, column, f"{other.total()} {left_out} ({counts}); {reason}"))
    return kept


def section(rows: list[tuple[int, list[str]]], title: str, required: tuple[str, ...]):
    """The header and following rows of a titled section of a multi-section statement."""
    for index, (_line, cells) in enumerate(rows):
        if cells and norm_header(cells[0]) == title and not any(c.strip() for c in cells[1:]):
            for offset in (1, 2):  # the header follows the title (sometimes after a blank line)
                if index + offset < len(rows):
                    found = find_header([rows[index + offset]], required)
                    if found:
                        line, header, _ = found
                        return line, header, rows[index + offset + 1 :]
    return None


class ThinkorswimLayout(ExecutionLayout):
    """thinkorswim Account Statement: a multi-section file; fills are in "Account Trade History"
    (newest first, signed quantities); commissions come from the Cash Balance / Futures sections."""

    name = "thinkorswim"
    label = "thinkorswim Account Statement"
    section = "account trade history"
    signature = ("Exec Time", "Spread", "Side", "Qty", "Pos Effect", "Symbol", "Exp", "Strike", "Type", "Price")

    @classmethod
    def _section(cls, rows: list[tuple[int, list[str]]]):
        return section(rows, cls.section, cls.signature)

    @classmethod
    def matches(cls, text_: str) -> bool:
        return cls._section(list(csv_lines(text_))) is not None

    @classmethod
    def locate(cls, text_: str):
        return cls._section(list(csv_lines(text_)))

    def parse(self, text_: str, options: BrokerOptions) -> BrokerParse:
        rows = list(csv_lines(text_))
        self._account = ""
        for _line, cells in rows[:10]:
            m = re.search(r"Account Statement for (\S+)", ",".join(cells))
            if m:
                self._account = m.group(1)
                break
        self._fees = _tos_fees(rows, options)
        return super().parse(text_, options)

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        # The section ends at the first blank row (the next section's title follows it).
        kept: list[Record] = []
        for record in rows:
            if not record.get("exec time", "side", "symbol", "qty"):
                break
            if len([v for v in record.cells.values() if v.strip()]) == 1:
                break  # next section title without a blank line before it
            kept.append(record)
        self._last_time: datetime | None = None
        super().parse_records(kept, options, result)

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution | None:
        raw_time = text(record, "Exec Time", required=False)
        if raw_time:
            time = when(record, "Exec Time", options)
            self._last_time = time
        elif self._last_time is not None:
            time = self._last_time  # a further leg of a spread order shares the first leg's time
        else:
            raise RowProblem("Exec Time", "Exec Time is empty")
        signed = number(record, "Qty")
        side_text = text(record, "Side")
        buy, _ = side_of(side_text, "Side")
        if signed != 0 and (signed > 0) != buy:
            raise RowProblem("Qty", f"quantity {signed} disagrees with side {side_text}")
        kind = text(record, "Type", required=False).upper()
        root_symbol = text(record, "Symbol")
        multiplier_stated = None
        if kind in {"CALL", "PUT"}:
            exp = text(record, "Exp", required=False)
            strike = text(record, "Strike", required=False)
            symbol = " ".join(p for p in (root_symbol, exp, strike, kind) if p)
            multiplier_stated = Decimal(100)
        else:
            symbol = root_symbol
        account = self._account or self.account(record, options)
        quantity = abs(signed)
        if quantity == 0:
            raise RowProblem("Qty", "quantity must be more than zero")
        effect = "close" if "CLOSE" in text(record, "Pos Effect", required=False).upper() else ""
        price = number(record, "Price")
        fee = self._fees.pop_fee(time, buy, quantity, root_symbol)
        return _fill(
            self,
            record=record,
            ids=ids,
            account=account,
            symbol=symbol,
            buy=buy,
            quantity=quantity,
            price=price,
            time=time,
            fee=fee,
            exec_id="",
            multiplier=self.multiplier(symbol, options, multiplier_stated),
            effect=effect,
        )


class _TosFees:
    """Commissions of thinkorswim fills, keyed by (time, side, quantity), consumed as fills use them."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[datetime, bool, Decimal], list[tuple[str, Decimal]]] = {}

    def add(self, time: datetime, buy: bool, quantity: Decimal, description: str, fee: Decimal) -> None:
        self.by_key.setdefault((time, buy, quantity), []).append((description.upper(), fee))

    def pop_fee(self, time: datetime, buy: bool, quantity: Decimal, symbol: str) -> Decimal:
        candidates = self.by_key.get((time, buy, quantity)) or []
        for index, (description, fee) in enumerate(candidates):
            if symbol.upper() in description:
                candidates.pop(index)
                return fee
        return Decimal(0)


_TOS_TRADE = re.compile(r"^(BOT|SOLD)\s+([+-]?[\d,.]+)\s")


def _tos_fees(rows: list[tuple[int, list[str]]], options: BrokerOptions) -> _TosFees:
    """Read commissions and misc fees of TRD rows in the Cash Balance and Futures Statements sections."""
    fees = _TosFees()
    for title, date_col, time_col in (
        ("cash balance", "date", "time"),
        ("futures statements", "exec date", "exec time"),
    ):
        found = section(rows, title, ("Description", "Commissions & Fees"))
        if found:
            _hl, header, rest = found
            for record in records(header, rest, stop_at_blank=True):
                if record.get("type").upper() != "TRD":
                    continue
                m = _TOS_TRADE.match(record.get("description").upper())
                if not m:
                    continue
                try:
                    stamp = parse_datetime(
                        f"{record.get(date_col)} {record.get(time_col)}", date_order=options.date_order
                    )
                    qty = abs(parse_decimal(m.group(2)))
                    fee = -(
                        parse_optional_decimal(record.get("misc fees"))
                        + parse_optional_decimal(record.get("commissions & fees"))
                    )
                except ParseError:
                    continue
                fees.add(stamp, m.group(1) == "BOT", qty, record.get("description"), fee)
    return fees


class TradeNoteLayout(ExecutionLayout):
    """TradeZero trades export, which TradeNote's template copies (B/S/SS/BC sides, fees split over
    Comm/SEC/TAF/NSCC/Nasdaq/ECN columns, an ECN Add rebate negative)."""

    name = "tradenote"
    label = "TradeZero / TradeNote-style executions"
    signature = ("Account", "T/D", "S/D", "Currency", "Type", "Side", "Symbol", "Qty", "Price", "Exec Time", "Comm")
    aliases = {"Symbol": ("Symb",), "Qty": ("Quantity",)}
    fee_columns = ("Comm", "SEC", "TAF", "NSCC", "Nasdaq", "ECN Remove", "ECN Add")

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        day = read(record, "T/D", lambda s: parse_datetime(s, date_order=options.date_order).date())
        clock = read(record, "Exec Time", parse_time)
        buy, effect = side_of(text(record, "Side"), "Side")
        if text(record, "Side").strip().upper() == "S":
            effect = "close"  # TradeNote: S sells a long, SS opens a short
        symbol = text(record, "Symbol")
        fee = sum((money(record, c, required=False) for c in self.fee_columns), Decimal(0))
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=_qty(record, "Qty"),
            price=number(record, "Price"),
            time=datetime.combine(day, clock),
            fee=fee,
            exec_id=text(record, "Exec ID", "Execution ID", required=False),
            multiplier=self.multiplier(symbol, options),
            effect=effect,
        )


class NinjaTraderExecutionsLayout(ExecutionLayout):
    """NinjaTrader 8 Executions grid export (a trailing comma on every line; E/X says entry/exit)."""

    name = "ninjatrader_executions"
    label = "NinjaTrader 8 Executions grid"
    signature = ("Instrument", "Action", "Quantity", "Price", "Time", "ID", "E/X", "Position")
    aliases = {"Quantity": ("Qty",), "E/X": ("Entry/Exit",)}

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        symbol = text(record, "Instrument")
        buy, effect = side_of(text(record, "Action"), "Action")
        if text(record, "E/X", required=False).strip().lower() == "exit":
            effect = "close"
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=_qty(record, "Quantity"),
            price=number(record, "Price"),
            time=when(record, "Time", options),
            fee=abs(money(record, "Commission", required=False)),
            exec_id="nt-" + text(record, "ID"),
            multiplier=self.multiplier(symbol, options),
            effect=effect,
        )


class IBKRFlexLayout(ExecutionLayout):
    """Interactive Brokers Trade Confirmation Flex query (CSV), one row per execution."""

    name = "ibkr_flex"
    label = "IBKR Trade Confirmation Flex"
    signature = ("Symbol", "Buy/Sell", "Quantity", "Date/Time")

    @classmethod
    def matches(cls, text_: str) -> bool:
        found = super().matches(text_)
        if not found:
            return False
        _line, header, _rest = cls.locate(text_)
        return bool({"clientaccountid", "account id", "accountid"} & set(header))

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution | None:
        level = text(record, "LevelOfDetail", required=False).upper()
        if level and level != "EXECUTION":
            return None  # order-level or closed-lot summary rows repeat the executions
        symbol = text(record, "Symbol")
        buy, _ = side_of(text(record, "Buy/Sell"), "Buy/Sell")
        stated = None
        if text(record, "Multiplier", required=False):
            stated = number(record, "Multiplier")
        price = read(record, "Price", lambda s: parse_decimal(s, what="price"), "TradePrice")
        commission = money(record, "Commission", "IBCommission", required=False)
        oc = text(record, "Open/CloseIndicator", "Code", required=False).upper()
        effect = "close" if oc.startswith("C") and ";" not in oc else ""
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "ClientAccountID", "Account ID", "AccountID"),
            symbol=symbol,
            buy=buy,
            quantity=_qty(record, "Quantity"),
            price=price,
            time=when(record, "Date/Time", options),
            fee=abs(commission),
            exec_id=text(record, "TradeID", "ExecID", "IBExecID", "Trade ID", required=False),
            multiplier=self.multiplier(symbol, options, stated),
            effect=effect,
        )


class DASTraderLayout(ExecutionLayout):
    """DAS Trader Trades window export. Times only: the session date is an import option."""

    name = "das"
    label = "DAS Trader trades"
    signature = ("Time", "Symb", "Side", "Price", "Qty")
    aliases = {"Symb": ("Symbol",), "Qty": ("Quantity", "Shares"), "Time": ("Exec Time",)}

    def parse(self, text_: str, options: BrokerOptions) -> BrokerParse:
        if options.session_date is None and self.locate(text_) is not None:
            result = BrokerParse(layout=self.name)
            result.errors.append(
                BrokerIssue(
                    1,
                    "session_date",
                    "DAS Trader files carry times only: choose the session date "
                    "(--session-date YYYY-MM-DD on the command line, or Session date on Trades > Import broker file)",
                )
            )
            return result
        return super().parse(text_, options)

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        assert options.session_date is not None
        clock = read(record, "Time", parse_time)
        symbol = text(record, "Symb")
        buy, effect = side_of(text(record, "Side"), "Side")
        fee = sum(
            (money(record, c, required=False) for c in ("Comm", "Commission", "ECN Fee", "Fees")),
            Decimal(0),
        )
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=_qty(record, "Qty"),
            price=number(record, "Price"),
            time=datetime.combine(options.session_date, clock),
            fee=fee,
            exec_id=text(record, "Trade ID", "TradeID", "Cloid", required=False),
            multiplier=self.multiplier(symbol, options),
            effect=effect,
        )


class TradervueLayout(ExecutionLayout):
    """Tradervue's generic import format: Date,Time,Symbol,Quantity,Price,Side[,Commission,...]."""

    name = "tradervue"
    label = "Tradervue generic"
    signature = ("Date", "Time", "Symbol", "Quantity", "Price", "Side")
    aliases = {"Quantity": ("Qty", "Shares")}

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        day = read(record, "Date", lambda s: parse_datetime(s, date_order=options.date_order).date())
        clock = read(record, "Time", parse_time)
        symbol = text(record, "Symbol")
        buy, effect = side_of(text(record, "Side"), "Side")
        fee = sum(
            (money(record, c, required=False) for c in ("Commission", "TransFee", "ECNFee")),
            Decimal(0),
        )
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=_qty(record, "Quantity"),
            price=number(record, "Price"),
            time=datetime.combine(day, clock),
            fee=fee,
            exec_id=text(record, "ExecID", "Execution ID", required=False),
            multiplier=self.multiplier(symbol, options),
            effect=effect,
        )


class TradovateOrdersLayout(ExecutionLayout):
    """Tradovate Orders export: one row per order; only `Filled` orders are fills (Canceled and
    Rejected rows are skipped and counted). `B/S` carries a leading space."""

    name = "tradovate_orders"
    label = "Tradovate Orders"
    signature = ("orderId", "Account", "B/S", "Contract", "avgPrice", "filledQty", "Fill Time", "Status")
    aliases = {"avgPrice": ("Avg Fill Price",), "filledQty": ("Filled Qty",)}

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        fills = keep_rows_where(rows, result, "Status", {"filled"}, left_out="order(s) not filled", tail="not fills")
        super().parse_records(fills, options, result)

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        symbol = text(record, "Contract")
        buy, effect = side_of(text(record, "B/S"), "B/S")
        quantity = filled_quantity(record, "filledQty", "Filled Qty")
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=quantity,
            price=read(record, "avgPrice", lambda s: parse_decimal(s, what="price"), "Avg Fill Price"),
            time=when(record, "Fill Time", options),
            fee=Decimal(0),
            exec_id="tvo-" + text(record, "orderId", "Order ID"),
            multiplier=self.multiplier(symbol, options),
            effect=effect,
        )


class IBKRTransactionHistoryLayout(ExecutionLayout):
    """IBKR Transaction History (Reports > Transaction History, CSV): a sectioned file whose rows start
    with the section and the row kind (`Transaction History,Header,...` / `...,Data,...`). Buys and
    sells are fills; dividends, tax, FX, interest, deposits are not trades and are counted, not
    imported. Dates carry no time: fills of one day keep the file's order."""

    name = "ibkr_transactions"
    label = "IBKR Transaction History"
    section_name = "transaction history"
    signature = ("Date", "Account", "Description", "Transaction Type", "Symbol", "Quantity", "Price")

    @classmethod
    def _table(cls, text_: str) -> tuple[int, list[str], list[tuple[int, list[str]]]] | None:
        header: tuple[int, list[str]] | None = None
        data: list[tuple[int, list[str]]] = []
        for line, cells in csv_lines(text_):
            if len(cells) < 3 or norm_header(cells[0]) != cls.section_name:
                continue
            kind = norm_header(cells[1])
            if kind == "header" and header is None:
                header = (line, cells[2:])
            elif kind == "data":
                data.append((line, cells[2:]))
        if header is None:
            return None
        return find_header([header, *data], cls.signature)

    @classmethod
    def matches(cls, text_: str) -> bool:
        head = "\n".join(text_.splitlines()[:80])
        return cls._table(head) is not None

    @classmethod
    def locate(cls, text_: str):
        return cls._table(text_)

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        trades = keep_rows_where(rows, result, "Transaction Type", {"buy", "sell"}, left_out="row(s) are not trades")
        super().parse_records(trades, options, result)

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        symbol = text(record, "Symbol")
        buy = text(record, "Transaction Type").strip().lower() == "buy"
        day = read(record, "Date", lambda s: parse_datetime(s, date_order=options.date_order).date())
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, "Account"),
            symbol=symbol,
            buy=buy,
            quantity=_qty(record, "Quantity"),
            price=read(record, "Price", lambda s: parse_decimal(s, what="price")),
            time=datetime.combine(day, datetime.min.time()),
            fee=abs(money(record, "Commission", required=False)),
            exec_id="",
            multiplier=self.multiplier(symbol, options),
        )
