"""Interactive Brokers Activity Statement (the default statement, saved as CSV).

Why its own reader: the statement holds many tables (`Statement`, `Account Information`, `Net
Asset Value`, ... `Trades`), each row starting with the table name and the row kind (`Header`,
`Data`, `SubTotal`, `Total`). The `Trades` table repeats its header whenever the asset category
changes, and stocks, options and futures have different columns, so every data row is read
under the header above it. `Order` rows summarise their executions (`Trade` rows) when the
statement lists both: an order followed by its trades counts through the trades only, an order
on its own counts itself. `ClosedLot` rows repeat the lots a closing trade closed and are never
fills. Quantities are signed (`-1,000` sold); `Comm/Fee` is negative.
"""

from __future__ import annotations

from decimal import Decimal

from .base import BrokerIssue, BrokerOptions, BrokerParse, ExecutionLayout, Occurrences, RowProblem, money, read, text
from .executions import _fill
from .pairing import Execution
from .parsing import Record, csv_lines, norm_header, parse_datetime, parse_decimal

TABLE = "trades"
# Asset categories that are not trades of a position (currency conversions).
NOT_POSITIONS = {"forex"}
OPTION_CATEGORIES = ("option",)  # "Equity and Index Options", "Options On Futures"
FUTURES_CATEGORIES = ("futures",)
OPTION_MULTIPLIER = Decimal(100)


class IBKRActivityStatementLayout(ExecutionLayout):
    """IBKR Activity Statement CSV: the `Trades` table's Order/Trade rows are the fills."""

    name = "ibkr_activity"
    label = "IBKR Activity Statement"
    signature = ("DataDiscriminator", "Asset Category", "Symbol", "Date/Time", "Quantity", "T. Price")

    @classmethod
    def _trade_headers(cls, text_: str, *, first_only: bool):
        need = {norm_header(c) for c in cls.signature}
        found = []
        for line, cells in csv_lines(text_):
            if len(cells) > 2 and norm_header(cells[0]) == TABLE and norm_header(cells[1]) == "header":
                names = [norm_header(c) for c in cells[2:]]
                if need <= set(names):
                    found.append((line, names))
                    if first_only:
                        break
        return found

    @classmethod
    def matches(cls, text_: str) -> bool:
        # The Trades table comes after the statement's summary tables, often beyond line 80:
        # only rows starting with "Trades,Header" are split into cells.
        lines = [ln for ln in text_.lstrip("\ufeff").splitlines() if ln.lstrip('"').lower().startswith("trades")]
        return bool(cls._trade_headers("\n".join(lines[:400]), first_only=True))

    @classmethod
    def locate(cls, text_: str):
        headers = cls._trade_headers(text_, first_only=True)
        if not headers:
            return None
        line, names = headers[0]
        return line, names, []

    def parse(self, text_: str, options: BrokerOptions) -> BrokerParse:
        result = BrokerParse(layout=self.name)
        rows, statement_account = _trade_rows(text_)
        if not rows:
            result.errors.append(
                BrokerIssue(1, "header", f"no {self.label} Trades table found; it needs: {', '.join(self.signature)}")
            )
            return result
        self._statement_account = statement_account
        fills, skipped = _fills_only(rows)
        for what, lines in skipped.items():
            if lines:
                result.warnings.append(BrokerIssue(lines[0], "DataDiscriminator", f"{len(lines)} {what}; left out"))
        self.parse_records(fills, options, result)
        return result

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution:
        symbol = " ".join(text(record, "Symbol").split())
        quantity = read(record, "Quantity", lambda s: parse_decimal(s, what="quantity"))
        if quantity == 0:
            raise RowProblem("Quantity", "quantity must be more than zero")
        category = text(record, "Asset Category").lower()
        stated = None
        if text(record, "Multiplier", required=False):
            stated = read(record, "Multiplier", lambda s: parse_decimal(s, what="multiplier"))
        elif any(word in category for word in OPTION_CATEGORIES):
            stated = OPTION_MULTIPLIER
        elif not any(word in category for word in FUTURES_CATEGORIES):
            stated = Decimal(1)  # stocks, ETFs, bonds: a symbol like "ESPR" is never a futures root
        codes = {c.strip().upper() for c in text(record, "Code", required=False).split(";")}
        account = text(record, "Account", required=False) or self._statement_account
        if not account:
            account = self.account(record, options)
        return _fill(
            self,
            record=record,
            ids=ids,
            account=account,
            symbol=symbol,
            buy=quantity > 0,
            quantity=abs(quantity),
            price=read(record, "T. Price", lambda s: parse_decimal(s, what="price")),
            time=read(record, "Date/Time", lambda s: parse_datetime(s, date_order=options.date_order)),
            fee=abs(money(record, "Comm/Fee", "Comm in USD", "Commission", required=False)),
            exec_id="",
            multiplier=self.multiplier(symbol, options, stated),
            effect="close" if "C" in codes else "",
        )


def _trade_rows(text_: str) -> tuple[list[tuple[str, Record]], str]:
    """(row kind, record) of every `Trades,Data` row read under the header above it; the statement's account."""
    header: list[str] = []
    out: list[tuple[str, Record]] = []
    statement_account = ""
    for line, cells in csv_lines(text_):
        if len(cells) < 3:
            continue
        table, kind = norm_header(cells[0]), norm_header(cells[1])
        if table == "account information" and kind == "data" and norm_header(cells[2]) == "account":
            statement_account = cells[3].strip() if len(cells) > 3 else ""
        if table != TABLE:
            continue
        if kind == "header":
            header = [norm_header(c) for c in cells[2:]]
        elif kind == "data" and header:
            values = cells[2:]
            record = Record(line=line, cells={n: (values[i] if i < len(values) else "") for i, n in enumerate(header)})
            out.append((record.get("datadiscriminator").lower(), record))
    return out, statement_account


def _fills_only(rows: list[tuple[str, Record]]) -> tuple[list[Record], dict[str, list[int]]]:
    """The fills: Trade rows, and Order rows that no Trade rows follow; what else was left out, by line."""
    fills: list[Record] = []
    skipped: dict[str, list[int]] = {
        "Order row(s) repeated by the Trade rows under them": [],
        "ClosedLot row(s) (lots a closing trade closed, not fills)": [],
        "currency conversion(s) (Forex rows, not trades)": [],
    }
    next_kind = [""] * len(rows)
    upcoming = ""
    for index in range(len(rows) - 1, -1, -1):
        next_kind[index] = upcoming
        if rows[index][0] != "closedlot":
            upcoming = rows[index][0]
    for index, (kind, record) in enumerate(rows):
        if record.get("asset category").lower() in NOT_POSITIONS:
            skipped["currency conversion(s) (Forex rows, not trades)"].append(record.line)
        elif kind == "closedlot":
            skipped["ClosedLot row(s) (lots a closing trade closed, not fills)"].append(record.line)
        elif kind == "order":
            if next_kind[index] == "trade":
                skipped["Order row(s) repeated by the Trade rows under them"].append(record.line)
            else:
                fills.append(record)
        else:
            fills.append(record)
    return fills, skipped
