"""The canonical trade layout and its validation: pure Python, no ORM.

Every door into the trade table (the admin's Import button, `import_trades`, the broker
parsers in `importing/brokers/`) turns its input into canonical *text* rows,
`(line_number, {column: text})`, and calls `validate_canonical_rows`. One validator means one set
of rules and one set of error messages, whichever door the file came through.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..labels import normalize_setup_and_tags
from .option_symbols import option_right, parse_option_symbol

CANONICAL_COLUMNS: tuple[str, ...] = (
    "external_id",
    "account",
    "symbol",
    "side",
    "quantity",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "fees",
    "stop_price",
    "target_price",
    "setup",
    "tags",
    "notes",
)
REQUIRED_COLUMNS: tuple[str, ...] = CANONICAL_COLUMNS[:9]
# Not in the canonical header, but broker parsers (and any file) may add them: the contract
# multiplier (futures point value, 100 for equity options) and an option contract's terms.
OPTION_COLUMNS: tuple[str, ...] = ("option_type", "strike", "expiry", "underlying")
EXTRA_COLUMNS: tuple[str, ...] = ("multiplier", *OPTION_COLUMNS)
# An option row that states no multiplier: the equity-option contract size.
EQUITY_OPTION_MULTIPLIER = Decimal(100)
# Numbers our own export adds; an exported file imports again, and they are recomputed, not read.
DERIVED_COLUMNS: tuple[str, ...] = (
    "gross_pnl",
    "net_pnl",
    "risk_amount",
    "r_multiple",
    "return_pct",
    "holding_minutes",
)

SIDE_ALIASES = {"LONG": "LONG", "BUY": "LONG", "B": "LONG", "SHORT": "SHORT", "SELL": "SHORT", "S": "SHORT"}

# (max digits, decimal places) of the model fields, so the database never rounds behind our back.
_DECIMAL_SHAPES = {
    "quantity": (20, 6),
    "entry_price": (20, 8),
    "exit_price": (20, 8),
    "stop_price": (20, 8),
    "target_price": (20, 8),
    "fees": (18, 4),
    "multiplier": (12, 4),
    "strike": (20, 8),
}
# Fees are often computed by brokers with more decimals than money has: round them, don't reject.
_ROUNDED_FIELDS = {"fees"}
_MAX_LENGTHS = {"external_id": 128, "account": 64, "symbol": 40, "setup": 64, "tags": 255, "underlying": 40}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row: the line in the file (header = line 1), the column, a sentence."""

    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass(slots=True)
class CanonicalTrade:
    """A validated row: typed, times in UTC, ready for the writer."""

    line: int
    external_id: str
    account: str
    symbol: str
    side: str
    quantity: Decimal
    entry_time: datetime
    exit_time: datetime
    entry_price: Decimal
    exit_price: Decimal
    fees: Decimal
    stop_price: Decimal | None
    target_price: Decimal | None
    setup: str
    tags: str
    notes: str
    multiplier: Decimal | None = None
    option_type: str = ""  # CALL / PUT for options, "" otherwise
    strike: Decimal | None = None
    expiry: date | None = None
    underlying: str = ""
    source_hash: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.account, self.external_id)


class ImportFormatError(Exception):
    """The file as a whole cannot be read (empty, wrong header, unknown layout)."""

    def __init__(self, errors: Sequence[RowError], *, layout: str = ""):
        super().__init__("; ".join(f"line {e.line} {e.field}: {e.message}" for e in errors))
        self.errors = list(errors)
        self.layout = layout  # the layout the file was read as, when it got that far


def normalize_header(name: object) -> str:
    """`Entry Time ` and `entry_time` are the same column; a BOM glued to the first name is not a letter."""
    return str(name or "").replace("\ufeff", "").strip().lower().replace(" ", "_").replace("-", "_")


# Control characters (NUL, escape...) break XLSX export and PostgreSQL refuses NUL; tab, line feed
# and carriage return are ordinary text in notes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Trades after this much time from now are typos (2062 for 2026) or a wrong timezone.
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST_YEAR = 1970


def unknown_column_problems(columns: Iterable[str]) -> tuple[list[RowError], list[RowError]]:
    """(errors, warnings) for header columns the canonical layout does not read.

    A column close to a canonical name (`stop` for `stop_price`) is an error: its values would be
    lost without a word. Any other extra column is a warning: it is ignored, and said so.
    """
    known = (*CANONICAL_COLUMNS, *EXTRA_COLUMNS)
    errors: list[RowError] = []
    warnings: list[RowError] = []
    for column in columns:
        if not column or column in known or column in DERIVED_COLUMNS:
            continue
        close = [k for k in known if k.startswith(column + "_") or k.split("_")[0] == column][:1]
        if not close:
            close = difflib.get_close_matches(column, known, n=1, cutoff=0.6)
        if close:
            errors.append(
                RowError(1, column, f"unknown column '{column}' (did you mean '{close[0]}'?); rename it or remove it")
            )
        else:
            warnings.append(RowError(1, column, f"column '{column}' is not a trade column; it is ignored"))
    return errors, warnings


def header_errors(columns: Iterable[str]) -> list[RowError]:
    """Missing required columns, reported on the header line so the user fixes the file once."""
    present = set(columns)
    return [
        RowError(1, col, f"required column '{col}' is missing from the header")
        for col in REQUIRED_COLUMNS
        if col not in present
    ]


@lru_cache(maxsize=64)
def resolve_timezone(tz_name: str) -> tzinfo:
    """Naive times are read in this zone; an unknown name is a user error, not a crash."""
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImportFormatError([RowError(1, "timezone", f"unknown timezone '{tz_name}'")]) from exc


def _parse_time(text: str, tz: tzinfo) -> datetime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def _parse_decimal(field: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace("_", "x"))  # reject Python's 1_000 digit grouping
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number") from None
    if not value.is_finite():
        raise ValueError(f"'{text}' is not a finite number")
    max_digits, places = _DECIMAL_SHAPES[field]
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        if field not in _ROUNDED_FIELDS:
            raise ValueError(f"'{text}' has more than {places} decimal places")
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if value.adjusted() >= max_digits - places:
        raise ValueError(f"'{text}' is too large")
    return value


def _hash_row(trade: CanonicalTrade) -> str:
    """A fingerprint of the imported values: equal fingerprints mean re-importing changes nothing.

    Numbers are normalised (1.50 == 1.5) and times compared as instants, so a file exported by
    us and imported again is recognised as unchanged too.
    """
    parts = (
        trade.external_id,
        trade.account,
        trade.symbol,
        trade.side,
        str(trade.quantity.normalize()),
        repr(trade.entry_time.timestamp()),
        repr(trade.exit_time.timestamp()),
        str(trade.entry_price.normalize()),
        str(trade.exit_price.normalize()),
        str(trade.fees.normalize()),
        "" if trade.stop_price is None else str(trade.stop_price.normalize()),
        "" if trade.target_price is None else str(trade.target_price.normalize()),
        trade.setup,
        trade.tags,
        trade.notes,
        "" if trade.multiplier is None else str(trade.multiplier.normalize()),
    )
    if trade.option_type:
        # Only option rows carry these parts: every other row keeps the fingerprint it always had,
        # so trades imported before options were read are still "unchanged" on re-import.
        parts += (
            trade.option_type,
            "" if trade.strike is None else str(trade.strike.normalize()),
            "" if trade.expiry is None else trade.expiry.isoformat(),
            trade.underlying,
        )
    return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()


class CanonicalValidator:
    """Validates a file's rows chunk by chunk, remembering keys across chunks to catch duplicates.

    Why chunks: a big file is validated and written a slice at a time so memory stays bounded;
    the duplicate check and the header check still span the whole file.
    """

    def __init__(self, *, tz_name: str = "UTC", columns: Sequence[str] | None = None, now: datetime | None = None):
        self.tz = resolve_timezone(tz_name)
        self.columns = list(columns) if columns is not None else None
        # account + US + external_id -> first line: one string per trade (not a tuple holding the
        # row's own strings), so a 400k-row file keeps ~50 MB of keys instead of ~100 MB.
        self.seen: dict[str, int] = {}
        self.data_rows = 0
        self.latest = (now or datetime.now(UTC)) + FUTURE_TOLERANCE
        self.header_checked = False

    def check_header(self, columns: Iterable[str]) -> list[RowError]:
        self.header_checked = True
        return header_errors(columns)

    def validate(self, rows: Iterable[tuple[int, Mapping[str, str]]]) -> tuple[list[CanonicalTrade], list[RowError]]:
        """Valid trades and every problem of these rows; a header problem is raised as ImportFormatError."""
        valid: list[CanonicalTrade] = []
        errors: list[RowError] = []
        if not self.header_checked and self.columns is not None:
            missing = self.check_header(self.columns)
            if missing:
                raise ImportFormatError(missing)
        tz, latest, seen = self.tz, self.latest, self.seen
        for line, row in rows:
            if not self.header_checked:
                missing = self.check_header(row.keys())
                if missing:
                    raise ImportFormatError(missing)
            self.data_rows += 1
            trade = _validate_row(line, row, tz, errors, latest)
            if trade is None:
                continue
            key = f"{trade.account}\x1f{trade.external_id}"
            first = seen.get(key)
            if first is not None:
                errors.append(
                    RowError(
                        line,
                        "external_id",
                        f"duplicate trade '{trade.external_id}' for account '{trade.account}' "
                        f"(already on line {first})",
                    )
                )
                continue
            seen[key] = line
            valid.append(trade)
        return valid, errors

    def finish(self) -> list[RowError]:
        """File-level problems known only at the end (no data rows at all)."""
        if self.data_rows == 0:
            return [RowError(1 if self.header_checked else 0, "file", "the file has no data rows")]
        return []


def validate_canonical_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    tz_name: str = "UTC",
    columns: Sequence[str] | None = None,
) -> tuple[list[CanonicalTrade], list[RowError]]:
    """Validate every row and report every problem (not just the first), each with line and field.

    Why all at once: a person fixing a 5,000-line export wants the full list in one go, and the
    import is atomic anyway, so nothing is written while any error remains.
    `columns` is the file's (normalised) header; without it the first row's keys are used.
    """
    validator = CanonicalValidator(tz_name=tz_name, columns=columns)
    try:
        valid, errors = validator.validate(rows)
    except ImportFormatError as exc:
        return [], exc.errors
    return valid, errors + validator.finish()


def _decimal_pattern(field: str) -> re.Pattern[str]:
    max_digits, places = _DECIMAL_SHAPES[field]
    return re.compile(rf"-?\d{{1,{max_digits - places}}}(?:\.\d{{0,{places}}})?")


# Plain numbers ("185.20", "-3", "100") take a regex-checked fast path; anything else (exponents,
# too many places, junk) goes through _parse_decimal for the precise message.
_FAST_DECIMAL = {field: _decimal_pattern(field).fullmatch for field in _DECIMAL_SHAPES}


def _decimal(field: str, raw: str) -> Decimal:
    if _FAST_DECIMAL[field](raw):
        return Decimal(raw)
    return _parse_decimal(field, raw)


def _time_message(raw: str, exc: Exception) -> str:
    if raw.startswith("="):
        return _formula_message(raw)
    if isinstance(exc, OverflowError) or "out of range" in str(exc):
        return f"'{raw}' is at the very edge of the calendar (year 1 or 9999 with an offset): not a trade time"
    return f"'{raw}' is not an ISO 8601 date/time (e.g. 2026-01-05T14:30:00-05:00)"


def _formula_message(raw: str) -> str:
    return (
        f"the cell holds the spreadsheet formula '{raw[:40]}' without a saved value; "
        "open the workbook in Excel or LibreOffice and save it (or paste values), then import again"
    )


def _control_problem(line: int, row: Mapping[str, str]) -> RowError | None:
    for field, value in row.items():
        found = _CONTROL.search(value or "")
        if found:
            return RowError(
                line,
                str(field),
                f"contains the control character U+{ord(found.group()):04X} at position {found.start() + 1}; "
                "remove it (it cannot be stored or exported)",
            )
    return None


def _validate_row(
    line: int, row: Mapping[str, str], tz: tzinfo, errors: list[RowError], latest: datetime
) -> CanonicalTrade | None:
    """One row. Written as straight-line code on purpose: it runs 100k times per big file."""
    problems: list[RowError] = []
    get = row.get
    if _CONTROL.search("".join(v for v in row.values() if v)):
        problem = _control_problem(line, row)
        if problem is not None:
            errors.append(problem)
            return None

    external_id = (get("external_id") or "").strip()
    account = (get("account") or "").strip()
    symbol = (get("symbol") or "").strip().upper()
    for field, value in (("external_id", external_id), ("account", account), ("symbol", symbol)):
        if not value:
            problems.append(RowError(line, field, f"{field} is required"))
        elif len(value) > _MAX_LENGTHS[field]:
            problems.append(RowError(line, field, f"{field} is longer than {_MAX_LENGTHS[field]} characters"))

    side_text = (get("side") or "").strip()
    side = SIDE_ALIASES.get(side_text.upper())
    if side is None:
        if not side_text:
            problems.append(RowError(line, "side", "side is required"))
        else:
            problems.append(RowError(line, "side", f"unknown side '{side_text}' (use LONG, SHORT, BUY or SELL)"))

    required: dict[str, Decimal | None] = {}
    for field in ("quantity", "entry_price", "exit_price"):
        raw = (get(field) or "").strip()
        if not raw:
            problems.append(RowError(line, field, f"{field} is required"))
            required[field] = None
            continue
        try:
            number = _decimal(field, raw)
        except ValueError as exc:
            problems.append(RowError(line, field, _formula_message(raw) if raw.startswith("=") else str(exc)))
            required[field] = None
            continue
        if number < 0 or (number == 0 and field != "exit_price"):
            problems.append(RowError(line, field, f"{field} must be greater than zero (got {raw})"))
        required[field] = number

    optional: dict[str, Decimal | None] = {}
    for field in ("fees", "stop_price", "target_price", "multiplier"):
        raw = (get(field) or "").strip()
        if not raw:
            optional[field] = None
            continue
        try:
            number = _decimal(field, raw)
        except ValueError as exc:
            problems.append(RowError(line, field, _formula_message(raw) if raw.startswith("=") else str(exc)))
            optional[field] = None
            continue
        if field != "fees" and number <= 0:
            problems.append(RowError(line, field, f"{field} must be greater than zero (got {raw})"))
        optional[field] = number

    times: dict[str, datetime | None] = {}
    for field in ("entry_time", "exit_time"):
        raw = (get(field) or "").strip()
        if not raw:
            problems.append(RowError(line, field, f"{field} is required"))
            times[field] = None
            continue
        try:
            value = _parse_time(raw, tz)
        except (ValueError, OverflowError) as exc:
            problems.append(RowError(line, field, _time_message(raw, exc)))
            times[field] = None
            continue
        if value.year < EARLIEST_YEAR:
            problems.append(
                RowError(
                    line, field, f"'{raw}' is in the year {value.year}: not a trade date (an empty spreadsheet date?)"
                )
            )
            value = None
        elif value > latest:
            problems.append(
                RowError(
                    line,
                    field,
                    f"'{raw}' is in the future (after {latest:%Y-%m-%d %H:%M} UTC); check the year and the timezone",
                )
            )
            value = None
        times[field] = value

    entry_time, exit_time = times["entry_time"], times["exit_time"]
    if entry_time is not None and exit_time is not None and exit_time < entry_time:
        problems.append(
            RowError(
                line,
                "exit_time",
                f"exit time {exit_time:%Y-%m-%d %H:%M:%S} UTC is before entry time {entry_time:%Y-%m-%d %H:%M:%S} UTC",
            )
        )

    entry, stop = required["entry_price"], optional["stop_price"]
    if side is not None and entry is not None and stop is not None and entry > 0:
        if side == "LONG" and stop >= entry:
            problems.append(
                RowError(line, "stop_price", f"stop {stop} must be below the entry price {entry} for a LONG trade")
            )
        elif side == "SHORT" and stop <= entry:
            problems.append(
                RowError(line, "stop_price", f"stop {stop} must be above the entry price {entry} for a SHORT trade")
            )

    setup, tags = normalize_setup_and_tags(get("setup"), get("tags"))
    if len(setup) > _MAX_LENGTHS["setup"]:
        problems.append(RowError(line, "setup", f"setup is longer than {_MAX_LENGTHS['setup']} characters"))
    if len(tags) > _MAX_LENGTHS["tags"]:
        problems.append(RowError(line, "tags", f"tags are longer than {_MAX_LENGTHS['tags']} characters"))

    option = _option_terms(line, get, symbol, problems)
    if option is None and required["exit_price"] == 0:
        problems.append(
            RowError(
                line,
                "exit_price",
                "exit_price must be greater than zero (0 is only for an option that expired worthless: "
                "give its option_type, strike and expiry)",
            )
        )
    if option is not None and option[3].startswith("/") and optional["multiplier"] is None:
        problems.append(
            RowError(
                line,
                "multiplier",
                f"an option on the future {option[3]} needs its multiplier (the future's point value); "
                "only equity options default to 100",
            )
        )

    if problems:
        errors.extend(problems)
        return None
    fees = optional["fees"]
    multiplier = optional["multiplier"]
    if option is not None and multiplier is None:
        multiplier = EQUITY_OPTION_MULTIPLIER
    trade = CanonicalTrade(
        line=line,
        external_id=external_id,
        account=account,
        symbol=symbol,
        side=side,  # type: ignore[arg-type]
        quantity=required["quantity"],  # type: ignore[arg-type]
        entry_time=entry_time,  # type: ignore[arg-type]
        exit_time=exit_time,  # type: ignore[arg-type]
        entry_price=entry,  # type: ignore[arg-type]
        exit_price=required["exit_price"],  # type: ignore[arg-type]
        fees=fees if fees is not None else Decimal(0),
        stop_price=stop,
        target_price=optional["target_price"],
        setup=setup,
        tags=tags,
        notes=(get("notes") or "").strip(),
        multiplier=multiplier,
    )
    if option is not None:
        trade.option_type, trade.strike, trade.expiry, trade.underlying = option
    trade.source_hash = _hash_row(trade)
    return trade


def _option_terms(line: int, get, symbol: str, problems: list[RowError]) -> tuple[str, Decimal, date, str] | None:
    """(type, strike, expiry, underlying) of an option row, None for any other row.

    All three terms or none: a strike without an expiry is a half-described contract, said so by
    field. A row that names an option states no multiplier -> 100 (equity options); futures
    options must state theirs (the broker layouts do).
    """
    raw_type = (get("option_type") or "").strip()
    raw_strike = (get("strike") or "").strip()
    raw_expiry = (get("expiry") or "").strip()
    raw_underlying = (get("underlying") or "").strip().upper()
    if not (raw_type or raw_strike or raw_expiry):
        if raw_underlying:
            problems.append(RowError(line, "underlying", "an underlying without option_type, strike and expiry"))
        return None
    before = len(problems)
    right = option_right(raw_type)
    if not raw_type:
        problems.append(RowError(line, "option_type", "option_type is required when strike or expiry is given"))
    elif right is None:
        problems.append(RowError(line, "option_type", f"unknown option type '{raw_type}' (use CALL or PUT)"))
    strike: Decimal | None = None
    if not raw_strike:
        problems.append(RowError(line, "strike", "strike is required for an option (option_type is given)"))
    else:
        try:
            strike = _decimal("strike", raw_strike)
        except ValueError as exc:
            problems.append(RowError(line, "strike", str(exc)))
        else:
            if strike <= 0:
                problems.append(RowError(line, "strike", f"strike must be greater than zero (got {raw_strike})"))
    expiry: date | None = None
    if not raw_expiry:
        problems.append(RowError(line, "expiry", "expiry is required for an option (option_type is given)"))
    else:
        try:
            expiry = date.fromisoformat(raw_expiry)
        except ValueError:
            problems.append(RowError(line, "expiry", f"'{raw_expiry}' is not an ISO date (e.g. 2026-12-18)"))
    named = parse_option_symbol(symbol) if not raw_underlying else None
    underlying = raw_underlying or (named.underlying if named is not None else symbol)
    if len(underlying) > _MAX_LENGTHS["underlying"]:
        problems.append(
            RowError(line, "underlying", f"underlying is longer than {_MAX_LENGTHS['underlying']} characters")
        )
    if len(problems) > before:
        return None
    return right, strike, expiry, underlying  # type: ignore[return-value]
