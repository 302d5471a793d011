"""What every broker layout shares: options, the parse result, and the two layout families.

A layout is a named class that knows its header signature and how to read one row. Round-trip
layouts (one row = one closed trade) and execution layouts (one row = one fill, paired FIFO into
round trips) share the rest here: row errors that name line and column, futures multipliers,
a check of the broker's own P&L against price x quantity x multiplier, and stable external ids.
The output is canonical text rows, so the canonical validator is the one place that validates.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from ..option_symbols import OptionContract, parse_option_symbol
from .futures import default_multiplier_table, multiplier_for
from .pairing import Execution, RoundTrip, group_executions
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
    records,
)

PNL_TOLERANCE = Decimal("0.02")
EQUITY_OPTION_MULTIPLIER = Decimal(100)


@dataclass(frozen=True, slots=True)
class BrokerOptions:
    """Per-import choices a broker file cannot tell us itself."""

    account: str = ""  # used when the file has no account column
    date_order: str = "MDY"  # "MDY" (default) or "DMY" for slash dates
    session_date: date | None = None  # DAS Trader files carry times only
    tz_name: str = "UTC"  # naive times are read in this zone (by the canonical validator)
    grouping: str = "flat"  # execution files: "flat" (flat to flat) or "fifo" (lot by lot)
    multipliers: Mapping[str, Decimal] = field(default_factory=default_multiplier_table)


@dataclass(frozen=True, slots=True)
class BrokerIssue:
    line: int
    field: str
    message: str


@dataclass(slots=True)
class BrokerParse:
    """Canonical text rows (line number in the broker file, row) plus what went wrong or was skipped."""

    layout: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    errors: list[BrokerIssue] = field(default_factory=list)
    warnings: list[BrokerIssue] = field(default_factory=list)
    executions: int = 0
    duplicates: int = 0


class RowProblem(Exception):
    """Raised while reading one row; becomes a BrokerIssue with the row's line."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def text(record: Record, column: str, *alternatives: str, required: bool = True) -> str:
    """The cell of ``column`` (or an alternative spelling); empty required cells are a RowProblem."""
    value = record.get(*(norm_header(c) for c in (column, *alternatives)))
    if required and not value:
        raise RowProblem(column, f"{column} is empty")
    return value


def read(record: Record, column: str, parser: Callable[[str], object], *alternatives: str, required: bool = True):
    """Parse a cell, turning ParseError into a RowProblem that names the column."""
    raw = text(record, column, *alternatives, required=required)
    try:
        return parser(raw)
    except ParseError as exc:
        raise RowProblem(column, str(exc)) from None


def money(record: Record, column: str, *alternatives: str, required: bool = True) -> Decimal:
    parser = parse_decimal if required else parse_optional_decimal
    return read(record, column, lambda s: parser(s, what="amount"), *alternatives, required=required)


def number(record: Record, column: str, *alternatives: str) -> Decimal:
    return read(record, column, lambda s: parse_decimal(s, what="number"), *alternatives)


def when(record: Record, column: str, options: BrokerOptions, *alternatives: str) -> datetime:
    return read(record, column, lambda s: parse_datetime(s, date_order=options.date_order), *alternatives)


def content_id(prefix: str, *parts: object) -> str:
    """A short stable hash of the values that identify a row when the broker gives no id."""
    digest = hashlib.sha1("|".join(str(p) for p in parts).encode(), usedforsecurity=False).hexdigest()[:16]
    return f"{prefix}-{digest}"


class Occurrences:
    """Appends ``.2``, ``.3`` ... to repeated content ids, so identical rows stay distinct but stable."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def __call__(self, base: str) -> str:
        self._seen[base] += 1
        n = self._seen[base]
        return base if n == 1 else f"{base}.{n}"


@dataclass(slots=True)
class Trip:
    """One round trip read from a round-trip layout row, before multipliers and ids are settled."""

    account: str
    symbol: str
    side: str
    quantity: Decimal
    entry_time: datetime
    exit_time: datetime
    entry_price: Decimal
    exit_price: Decimal
    fees: Decimal = Decimal(0)
    reported_pnl: Decimal | None = None
    external_id: str = ""
    multiplier: Decimal | None = None  # when the file states it (IBKR)


PRICE_PLACES = Decimal("0.00000001")


def _stored_price(value: Decimal) -> Decimal:
    """Averaged prices (20010.333333333...) rounded to the stored 8 places instead of refused."""
    exponent = value.as_tuple().exponent
    return value.quantize(PRICE_PLACES) if isinstance(exponent, int) and exponent < -8 else value


def canonical_row(
    *,
    external_id: str,
    account: str,
    symbol: str,
    side: str,
    quantity: Decimal,
    entry_time: datetime,
    exit_time: datetime,
    entry_price: Decimal,
    exit_price: Decimal,
    fees: Decimal,
    multiplier: Decimal,
    notes: str = "",
) -> dict[str, str]:
    """A round trip as canonical text; an option symbol also fills the contract's terms."""
    option = parse_option_symbol(symbol)
    return {
        "external_id": external_id,
        "account": account,
        "symbol": symbol,
        "side": side,
        "quantity": fmt_decimal(quantity),
        "entry_time": fmt_datetime(entry_time),
        "exit_time": fmt_datetime(exit_time),
        "entry_price": fmt_decimal(_stored_price(entry_price)),
        "exit_price": fmt_decimal(_stored_price(exit_price)),
        "fees": fmt_decimal(fees),
        "stop_price": "",
        "target_price": "",
        "setup": "",
        "tags": "",
        "notes": notes,
        "multiplier": fmt_decimal(multiplier),
        **option_columns(option),
    }


def option_columns(option: OptionContract | None) -> dict[str, str]:
    """The canonical option columns of a contract (all empty for a stock or a future)."""
    if option is None:
        return {"option_type": "", "strike": "", "expiry": "", "underlying": ""}
    return {
        "option_type": option.right,
        "strike": fmt_decimal(option.strike),
        "expiry": option.expiry.isoformat(),
        "underlying": option.underlying,
    }


def gross_pnl(side: str, quantity: Decimal, entry: Decimal, exit_: Decimal, multiplier: Decimal) -> Decimal:
    direction = 1 if side == "LONG" else -1
    return (exit_ - entry) * direction * quantity * multiplier


class BrokerLayout:
    """A broker file layout. Subclasses set the class attributes and read rows."""

    name: ClassVar[str]  # the --format value
    label: ClassVar[str]  # what a person calls it
    signature: ClassVar[tuple[str, ...]]  # header columns that must all be present
    # Other spellings of signature columns that platform versions export (primary -> aliases).
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {}
    has_account: ClassVar[bool] = True  # False: the account comes from the options
    infer_multiplier: ClassVar[bool] = False  # MT5: contract size from the file's Profit
    futures_only: ClassVar[bool] = False  # a plain symbol (MNQ, NQ) is a futures root

    # -- detection -------------------------------------------------------------------------
    @classmethod
    def locate(cls, text_: str) -> tuple[int, list[str], list[tuple[int, list[str]]]] | None:
        """The header row (line, names) and the rows after it, or None if this is not our layout."""
        return find_header(csv_lines(text_), cls.signature, cls.aliases)

    @classmethod
    def matches(cls, text_: str) -> bool:
        return find_header(_head_rows(text_), cls.signature, cls.aliases) is not None

    # -- parsing ---------------------------------------------------------------------------
    def parse(self, text_: str, options: BrokerOptions) -> BrokerParse:
        result = BrokerParse(layout=self.name)
        located = self.locate(text_)
        if located is None:
            result.errors.append(
                BrokerIssue(1, "header", f"no {self.label} header found; it needs: {', '.join(self.signature)}")
            )
            return result
        header_line, header, rest = located
        if not self.has_account and not options.account.strip():
            result.errors.append(
                BrokerIssue(
                    header_line,
                    "account",
                    f"{self.label} files have no account column: choose the account for this import "
                    "(--account on the command line, or Account on the admin page Trades > Import broker file)",
                )
            )
            return result
        self.parse_records(records(header, rest), options, result)
        result.errors = _once_per_file(result.errors)
        return result

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        raise NotImplementedError

    # -- shared helpers --------------------------------------------------------------------
    def account(self, record: Record, options: BrokerOptions, *columns: str) -> str:
        if columns:
            value = record.get(*(norm_header(c) for c in columns))
            if value:
                return value
        if options.account.strip():
            return options.account.strip()
        raise RowProblem(columns[0] if columns else "account", NO_ACCOUNT)

    def multiplier(self, symbol: str, options: BrokerOptions, stated: Decimal | None = None) -> Decimal:
        """The stated multiplier (from the file) or the table's; an unknown future is a RowProblem.

        An option without a stated multiplier: 100 for an equity option, the future's point value
        for an option on a future (an /ES option moves $50 a point, like /ES).
        """
        if stated is not None and stated > 0:
            return stated
        option = parse_option_symbol(symbol)
        if option is not None:
            if not option.on_future:
                return EQUITY_OPTION_MULTIPLIER
            symbol = option.underlying
        value, root = multiplier_for(symbol, options.multipliers)
        if root is None and self.futures_only:
            root = " ".join(symbol.strip().upper().lstrip("/").split())
            value = options.multipliers.get(root)
            value = Decimal(value) if value is not None else None
        if value is None:
            raise RowProblem(
                "symbol",
                f"{symbol!r} is a futures contract with root {root!r}, which has no contract multiplier: "
                f"add {root} under Contract multipliers in the admin, then import again",
            )
        return value


NO_ACCOUNT = "no account in the row and none chosen for the import"


def _once_per_file(errors: list[BrokerIssue]) -> list[BrokerIssue]:
    """A missing account is a problem of the file, said once (with its lines), not on every row."""
    missing = [e for e in errors if e.message == NO_ACCOUNT]
    if len(missing) <= 1:
        return errors
    lines = ", ".join(str(e.line) for e in missing[:10]) + (" ..." if len(missing) > 10 else "")
    first = missing[0]
    merged = BrokerIssue(
        first.line,
        first.field,
        f"{len(missing)} rows have no account (lines {lines}) and none was chosen for the import: choose it "
        "with --account on the command line, or Account on Trades > Import broker file",
    )
    return [merged, *(e for e in errors if e.message != NO_ACCOUNT)]


def _head_rows(text_: str, limit: int = 80) -> list[tuple[int, list[str]]]:
    """The first rows only: detection must not parse a 100k-row file per known layout."""
    out = []
    for item in csv_lines(text_):
        out.append(item)
        if len(out) >= limit:
            break
    return out


class RoundTripLayout(BrokerLayout):
    """One row is one closed trade (NinjaTrader Trades, TopstepX, Tradovate Performance, MT5...)."""

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip | None:
        raise NotImplementedError

    def read_trips(self, rows: list[Record], options: BrokerOptions, result: BrokerParse):
        """(line, trip) per closed trade; a row that cannot be read is an error on its line."""
        for record in rows:
            try:
                trip = self.read_trip(record, options)
            except RowProblem as problem:
                result.errors.append(BrokerIssue(record.line, problem.field, problem.message))
                continue
            if trip is not None:
                yield record.line, trip

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        occurrences = Occurrences()
        seen_ids: dict[tuple[str, str], int] = {}
        for line, trip in self.read_trips(rows, options, result):
            record = Record(line=line, cells={})
            try:
                multiplier = self._settle_multiplier(trip, options, result, record.line)
            except RowProblem as problem:
                result.errors.append(BrokerIssue(record.line, problem.field, problem.message))
                continue
            external_id = trip.external_id or occurrences(
                content_id(
                    self.name,
                    trip.account,
                    trip.symbol,
                    trip.side,
                    fmt_decimal(trip.quantity),
                    fmt_datetime(trip.entry_time),
                    fmt_datetime(trip.exit_time),
                    fmt_decimal(trip.entry_price),
                    fmt_decimal(trip.exit_price),
                )
            )
            key = (trip.account, external_id)
            if key in seen_ids:
                # The broker's own id twice: the same trade exported twice (overlapping exports).
                result.duplicates += 1
                result.warnings.append(
                    BrokerIssue(record.line, "id", f"trade {external_id} already read on line {seen_ids[key]}; skipped")
                )
                continue
            seen_ids[key] = record.line
            result.rows.append(
                (
                    record.line,
                    canonical_row(
                        external_id=external_id,
                        account=trip.account,
                        symbol=trip.symbol,
                        side=trip.side,
                        quantity=trip.quantity,
                        entry_time=trip.entry_time,
                        exit_time=trip.exit_time,
                        entry_price=trip.entry_price,
                        exit_price=trip.exit_price,
                        fees=trip.fees,
                        multiplier=multiplier,
                    ),
                )
            )

    def _settle_multiplier(self, trip: Trip, options: BrokerOptions, result: BrokerParse, line: int) -> Decimal:
        """Pick the multiplier and check it against the P&L the broker printed, when it did."""
        move = gross_pnl(trip.side, trip.quantity, trip.entry_price, trip.exit_price, Decimal(1))
        if self.infer_multiplier and trip.multiplier is None:
            value, _root = multiplier_for(trip.symbol.upper(), options.multipliers)
            table = options.multipliers.get(trip.symbol.upper())
            if table is not None:
                value = Decimal(table)
            elif trip.reported_pnl is not None and move != 0:
                value = (trip.reported_pnl / move).quantize(Decimal("0.0001"))
                if value <= 0:
                    raise RowProblem("profit", f"profit {trip.reported_pnl} has the wrong sign for a {trip.side} trade")
            elif value is None:
                value = Decimal(1)
            multiplier = value
        else:
            multiplier = self.multiplier(trip.symbol, options, trip.multiplier)
        if trip.reported_pnl is not None:
            self._check_reported_pnl(trip, move, multiplier, options)
        return multiplier

    # Profit net of fees beyond the stated commission (exchange, clearing, NFA fees) is accepted as
    # net when the implied fees are plausible: at most this much per contract or share...
    NET_FEES_PER_UNIT: ClassVar[Decimal] = Decimal(5)
    profit_may_be_net: ClassVar[bool] = False  # NinjaTrader: Profit can be net of every fee

    def _check_reported_pnl(self, trip: Trip, move: Decimal, multiplier: Decimal, options: BrokerOptions) -> None:
        """The broker's P&L must agree with the prices; when it does not, say exactly what disagrees."""
        reported = trip.reported_pnl
        assert reported is not None
        gross = move * multiplier
        tolerance = max(PNL_TOLERANCE, abs(gross) * Decimal("0.0005"))
        if abs(gross - reported) <= tolerance or abs(gross - trip.fees - reported) <= tolerance:
            return
        implied_fees = gross - reported
        if self.profit_may_be_net and 0 <= implied_fees <= max(self.NET_FEES_PER_UNIT * trip.quantity, trip.fees * 5):
            trip.fees = implied_fees  # the file's P&L is net of every fee: fees = gross - net
            return
        cents = Decimal("0.01")
        words = (
            f"the file says P&L {fmt_decimal(reported)}, but a {trip.side} of {fmt_decimal(trip.quantity)} "
            f"from {fmt_decimal(trip.entry_price)} to {fmt_decimal(trip.exit_price)} "
            f"x multiplier {fmt_decimal(multiplier)} gives {fmt_decimal(gross.quantize(cents))} gross"
        )
        if gross != 0 and (reported > 0) != (gross > 0) and abs(reported) > tolerance:
            gain = "gain" if gross > 0 else "loss"
            raise RowProblem(
                "profit",
                f"{words}: the file's P&L is a {'gain' if reported > 0 else 'loss'} where the prices give a {gain}; "
                "check the side and the entry/exit prices",
            )
        message = f"{words} (net {fmt_decimal((gross - trip.fees).quantize(cents))} after fees); they differ by "
        message += f"{fmt_decimal(abs(implied_fees).quantize(cents))}"
        if move != 0:
            _, root = multiplier_for(trip.symbol, options.multipliers)
            if root is None and self.futures_only:
                root = " ".join(trip.symbol.strip().upper().lstrip("/").split())
            for candidate in (reported, reported + trip.fees):
                implied = (candidate / move).quantize(Decimal("0.0001"))
                if implied > 0 and implied != multiplier and (implied * 1000) == (implied * 1000).to_integral_value():
                    label = f" for {root}" if root else ""
                    message += (
                        f"; the file's P&L implies a point value of {fmt_decimal(implied)}, "
                        f"the table has {fmt_decimal(multiplier)}{label} (Contract multipliers in the admin)"
                    )
                    break
        raise RowProblem("profit", message)


class ExecutionLayout(BrokerLayout):
    """One row is one fill; fills are paired FIFO per account and symbol into round trips."""

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences) -> Execution | None:
        raise NotImplementedError

    def parse_records(self, rows: list[Record], options: BrokerOptions, result: BrokerParse) -> None:
        executions: list[Execution] = []
        ids = Occurrences()
        for record in rows:
            try:
                execution = self.read_execution(record, options, ids)
            except RowProblem as problem:
                result.errors.append(BrokerIssue(record.line, problem.field, problem.message))
                continue
            if execution is not None:
                if execution.quantity <= 0:
                    result.errors.append(BrokerIssue(record.line, "quantity", "quantity must be more than zero"))
                    continue
                executions.append(execution)
        result.executions = len(executions)
        if result.errors:
            return
        paired = group_executions(executions, options.grouping)
        result.duplicates = len(paired.duplicates)
        for dup in paired.duplicates:
            result.warnings.append(
                BrokerIssue(dup.line, "execution id", f"execution {dup.exec_id} appears twice in the file; kept once")
            )
        for execution, qty in paired.open_lots:
            result.warnings.append(
                BrokerIssue(
                    execution.line,
                    "position",
                    f"{fmt_decimal(qty)} {execution.symbol} still open at the end of the file; "
                    "not imported until a file with its closing fill arrives",
                )
            )
        for execution, qty in paired.unmatched_closes:
            result.warnings.append(
                BrokerIssue(
                    execution.line,
                    "position",
                    f"closing fill of {fmt_decimal(qty)} {execution.symbol} has no opening fill in this file "
                    "(opened before it starts); not imported",
                )
            )
        for trip in sorted(paired.trips, key=lambda t: (t.close_line, t.open_line)):
            result.rows.append((trip.close_line, self._row(trip)))

    @staticmethod
    def _row(trip: RoundTrip) -> dict[str, str]:
        return canonical_row(
            external_id=trip.external_id,
            account=trip.account,
            symbol=trip.symbol,
            side=trip.side,
            quantity=trip.quantity,
            entry_time=trip.entry_time,
            exit_time=trip.exit_time,
            entry_price=trip.entry_price,
            exit_price=trip.exit_price,
            fees=trip.fees,
            multiplier=trip.multiplier,
        )
