"""Propose a saved layout for a file no layout reads, from its header and its values (offline).

Why heuristics and not a model: the common shapes of trading exports (fills, closed round trips,
orders with a status, cash histories) differ in a handful of ways that names and values give
away: the column names (in several conventions and languages), the delimiter and decimal mark,
the date order, a section of a multi-table statement, and the rows that are not trades. The
result is a LayoutSpec like one a person saves by hand, so the trial parse and every later
import read the file through the same saved-layout code.

Pure: text in, a typed proposal out; no database, no network.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from .custom import REQUIRED, LayoutSpec
from .header_names import (
    DETAIL_FILL_WORDS,
    DETAIL_NAMES,
    EXECUTION_KEYS,
    EXTRA_FEE_NAMES,
    FILL_PRICE_NAMES,
    FILLED_QTY_NAMES,
    FILLED_WORDS,
    ID_WORDS,
    LOT_WORDS,
    NAMES,
    NOT_PARTIAL,
    ROUND_TRIP_KEYS,
    STATUS_NAMES,
    UNFILLED_WORDS,
    header_words,
    header_zone,
)
from .parsing import BOM, ParseError, norm_header, parse_datetime, parse_decimal, parse_time
from .row_rules import (
    JOIN,
    SIDE_FROM_PNL,
    SIDE_FROM_WORDS,
    clean_number,
    is_side_word,
    number_and_unit,
    pair_parts,
    row_fee,
    side_word_in,
)

SCAN_ROWS = 60
SAMPLE_ROWS = 200


class ProposalFailed(ValueError):
    """The file cannot be read as a trade table; the message says why and what to do.

    ``partial`` is the proposal as far as it got when the header was found but a required field
    has no column: a person (or Claude, as a second opinion) can place the rest.
    """

    def __init__(self, message: str, *, partial: LayoutProposal | None = None, line: int = 1) -> None:
        super().__init__(message)
        self.partial = partial
        self.line = line


@dataclass(slots=True)
class ColumnChoice:
    field: str
    column: str
    how: str  # "name" or "values"


@dataclass(slots=True)
class LayoutProposal:
    """A layout to confirm: the spec to save, how each field was placed, and how sure we are."""

    spec: LayoutSpec
    kind: str  # fills | round_trips | orders | transactions
    choices: list[ColumnChoice]
    confidence: float
    header_line: int
    header: list[str]
    notes: list[str] = field(default_factory=list)
    date_order_from: str = "dates"  # "dates" (they show it), "you" (a person chose it) or "guess"

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self.spec.mapping)


# A zone named in a header ("Date(UTC)", "Opening Time (UTC+0)", "Time (GMT+2)", "Filled Time (ET)").
# -- reading the table ---------------------------------------------------------------------


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first rows most consistently: ``,``, ``;``, tab or ``|``."""
    lines = [ln for ln in text.lstrip(BOM).splitlines()[:SCAN_ROWS] if ln.strip()]
    best, best_score = ",", 0.0
    for delimiter in (",", ";", "\t", "|"):
        widths = [len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
        wide = [w for w in widths if w >= 3]
        if not wide:
            continue
        common, count = Counter(wide).most_common(1)[0]
        score = count * common
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _rows(text: str, delimiter: str, limit: int) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text.lstrip(BOM), newline=""), delimiter=delimiter)
    out, start = [], 1
    try:
        for cells in reader:
            out.append((start, cells))
            start = reader.line_num + 1
            if len(out) >= limit:
                break
    except csv.Error as exc:
        raise ProposalFailed(f"line {start} cannot be read as a table ({exc}); save the file as CSV") from None
    return out


# -- recognising values --------------------------------------------------------------------


def _is_datetime(value: str) -> bool:
    for order in ("MDY", "DMY"):
        try:
            parse_datetime(value, date_order=order)
            return True
        except ParseError:
            continue
    return False


def _has_clock(value: str) -> bool:
    return bool(re.search(r"\d:\d\d", value)) or bool(re.match(r"^\d{8}[;, ]+\d{6}$", value))


def _is_time_only(value: str) -> bool:
    try:
        parse_time(value)
        return True
    except ParseError:
        return False


def _is_number(value: str, decimal: str = ".") -> bool:
    try:
        parse_decimal(clean_number(value, decimal))
        return True
    except ParseError:
        return False


def _share(values: list[str], test) -> float:
    filled = [v for v in values if v.strip()]
    return sum(1 for v in filled if test(v.strip())) / len(filled) if filled else 0.0


def _decimal_mark(columns: dict[str, list[str]]) -> str:
    """``,`` when numbers are written ``1234,50`` / ``1.234,50``: a comma followed by 1-2 or 3+ digits only."""
    comma = dot = 0
    for values in columns.values():
        for v in values[:50]:
            v = v.strip().lstrip("@$€£ ").replace(" ", "")
            if re.fullmatch(r"-?\(?\d{1,3}(\.\d{3})*,\d+\)?", v) and not re.fullmatch(r"-?\d{1,3},\d{3}", v):
                comma += 1
            elif re.fullmatch(r"-?\(?\d{1,3}(,\d{3})*\.\d+\)?|-?\d+\.\d+", v):
                dot += 1
    return "," if comma > dot else "."


def _date_order(values: list[str], default: str) -> str:
    """DMY when a slash/dot date's first part exceeds 12, MDY when its second does; else ``default``."""
    for v in values:
        m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})", v.strip())
        if m:
            first, second = int(m.group(1)), int(m.group(2))
            if first > 12:
                return "DMY"
            if second > 12:
                return "MDY"
    return default


# -- the header and the section ------------------------------------------------------------


def _name_score(name: str, field_name: str) -> int:
    """How surely a header names a field: a known name (best first), else a known one-word name inside it."""
    words = header_words(name)
    names = NAMES[field_name]
    if words in names:
        return max(100 - names.index(words), PARTIAL_MAX + 1)  # earlier synonyms are the more usual meaning
    return _partial_score(words, names)


PARTIAL_MAX = 40  # a partial match scores at most this; a whole name at least 100 - its rank (> 40)


def _partial_score(words: str, names: tuple[str, ...]) -> int:
    """``Closing Quantity``, ``No. of shares``, ``Transaktionsgebühren``: a one-word name as a word of the
    header or the end of a compound word (German) scores below any whole name."""
    parts = words.split()
    if not parts or NOT_PARTIAL & set(parts):
        return 0
    for index, known in enumerate(names):
        if " " in known or len(known) < 3:
            continue
        if known in parts or (len(known) >= 5 and parts[-1].endswith(known)):
            return max(PARTIAL_MAX - index, 1)
    return 0


def _header_score(cells: list[str]) -> int:
    names = [c for c in cells if c.strip()]
    if len(names) < 3 or any(_is_number(c) or _is_datetime(c) for c in names):
        return 0
    recognised = {f for f in NAMES for c in names if _name_score(c, f)}
    return len(recognised)


def _find_section(rows: list[tuple[int, list[str]]]) -> tuple[str, int, list[str]] | None:
    """In a statement of ``Name,Header,...`` / ``Name,Data,...`` tables: the table that holds trades."""
    best = None
    for line, cells in rows:
        if len(cells) >= 4 and norm_header(cells[1]) == "header" and cells[0].strip():
            score = _header_score(cells[2:])
            bonus = 1 if header_words(cells[0]) in {"trades", "transactions", "executions", "fills"} else 0
            if score and (best is None or score + bonus > best[0]):
                best = (score + bonus, cells[0].strip(), line, cells)
    return None if best is None else (best[1], best[2], best[3])


def _find_header(rows: list[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    """The row naming the most trade fields (title rows and blank first cells are skipped); between
    headers naming as many, the one over the longest table (``Working Orders`` above ``Completed Orders``)."""
    best: tuple[int, int, int, list[str]] | None = None
    for index, (line, cells) in enumerate(rows):
        score = _header_score(cells)
        if score < 3:
            continue
        rank = (score, _table_length(rows, index))
        if best is None or rank > best[:2]:
            best = (*rank, line, cells)
    return None if best is None else (best[2], best[3])


def _table_length(rows: list[tuple[int, list[str]]], index: int) -> int:
    """How many rows as wide as the header at ``index`` follow it, up to the first narrower row."""
    width = len(rows[index][1])
    count = 0
    for _line, cells in rows[index + 1 :]:
        if len(cells) < width - 1 or not any(c.strip() for c in cells):
            break
        count += 1
    return count


# -- mapping columns to fields -------------------------------------------------------------


def _column_values(header: list[str], data: list[list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for index, name in enumerate(header):
        if name.strip() and name.strip() not in out:
            out[name.strip()] = [row[index] if index < len(row) else "" for row in data]
    return out


def _fits(field_name: str, values: list[str], decimal: str) -> bool:
    """Do a column's values look like the field? (a name alone can mislead: ``Type`` may be Limit/Market)."""
    filled = [v for v in values if v.strip()]
    if not filled:
        return field_name in {"fees", "account", "exec_id", "external_id", "pnl"}
    if field_name in {"quantity", "price", "entry_price", "exit_price", "fees", "pnl"}:
        return _share(values, lambda v: _is_number(v, decimal)) >= 0.6
    if field_name in {"time", "entry_time", "exit_time"}:
        return _share(values, lambda v: _is_datetime(v) or _is_time_only(v)) >= 0.6
    if field_name == "side":
        return _share(values, is_side_word) >= 0.3
    if field_name == "symbol":
        return _share(values, lambda v: not _is_number(v, decimal) and not _is_datetime(v)) >= 0.6
    return True


def _map_columns(
    columns: dict[str, list[str]], keys: tuple[str, ...], decimal: str
) -> tuple[dict[str, str], list[ColumnChoice]]:
    candidates = []
    for column in columns:
        for key in keys:
            score = _name_score(column, key)
            if score and not any(v.strip() for v in columns[column]) and key in {"price", "quantity"}:
                # Empty in every sampled row (no order filled): placed by its name, after any filled column.
                candidates.append((1, key, column))
            elif score and _fits(key, columns[column], decimal):
                candidates.append((score, key, column))
    candidates.sort(key=lambda c: -c[0])
    mapping: dict[str, str] = {}
    used: set[str] = set()
    choices = []
    for _score, key, column in candidates:
        if key in mapping or column in used:
            continue
        mapping[key] = column
        used.add(column)
        choices.append(ColumnChoice(key, column, "name"))
    # Required fields the names did not place: the values decide (first unused column that fits).
    for key in keys:
        if key in mapping or key not in {"symbol", "side", "quantity", "price", "time"}:
            continue
        for column, values in columns.items():
            if column in used or not [v for v in values if v.strip()]:
                continue
            if key == "side" and _share(values, is_side_word) < 0.8:
                continue
            if key == "time" and _share(values, _has_clock) < 0.8:
                continue
            if key in {"quantity", "price"} and set(header_words(column).split()) & ID_WORDS:
                continue  # a ticket, order or position number is numeric but never a quantity or price
            if any(_name_score(column, other) > PARTIAL_MAX for other in NAMES if other != key):
                continue  # "Total Qty" is a quantity's whole name: never placed as a price by its values
            if _fits(key, values, decimal) and key != "symbol":
                mapping[key] = column
                used.add(column)
                choices.append(ColumnChoice(key, column, "values"))
                break
    return mapping, choices


def _split_date_time(mapping: dict[str, str], columns: dict[str, list[str]], choices: list[ColumnChoice]) -> None:
    """A date-only column next to a time-only column: the field reads both (``Date + Time``)."""
    for key in ("time", "entry_time", "exit_time"):
        column = mapping.get(key)
        if column and _share(columns[column], _is_time_only) >= 0.8:
            # A time-only column named "Time": the date is in another column ("Date", "Trade Date").
            for other, values in columns.items():
                dated = _share(values, lambda v: _is_datetime(v) and not _has_clock(v))
                if other != column and other not in mapping.values() and dated >= 0.8:
                    mapping[key] = f"{other}{JOIN}{column}"
                    choices[:] = [c for c in choices if c.field != key] + [ColumnChoice(key, mapping[key], "name")]
                    break
            continue
        if not column or _share(columns[column], _has_clock) >= 0.5:
            continue
        for other, values in columns.items():
            if other != column and other not in mapping.values() and _share(values, _is_time_only) >= 0.8:
                mapping[key] = f"{column}{JOIN}{other}"
                choices[:] = [c for c in choices if c.field != key] + [ColumnChoice(key, mapping[key], "name")]
                break


def _infer_side(
    mapping: dict[str, str],
    columns: dict[str, list[str]],
    choices: list[ColumnChoice],
    options: dict[str, object],
    notes: list[str],
    spec_kind: str,
) -> None:
    """No side column: the side from buy/sell words in another column, or (round trips) from the P&L."""
    used = {part for column in mapping.values() for part in column.split(JOIN)}
    best, best_share = None, 0.0
    for column, values in columns.items():
        filled = [v for v in values if v.strip()]
        if column in used or len(filled) < 2:
            continue
        share = _share(values, lambda v: bool(side_word_in(v)))
        if share > best_share:
            best, best_share = column, share
    if best is not None and best_share >= 0.3:
        mapping["side"] = SIDE_FROM_WORDS
        options["side_from_words"] = best
        choices.append(ColumnChoice("side", f"buy/sell words in {best}", "values"))
        notes.append(f"no side column: the buy or sell word in {best} says the side (rows without one are not trades)")
        return
    if spec_kind == "round_trips" and all(mapping.get(k) for k in ("entry_price", "exit_price", "pnl")):
        mapping["side"] = SIDE_FROM_PNL
        options["side_from_pnl"] = True
        choices.append(ColumnChoice("side", f"sign of {mapping['pnl']} against the price move", "values"))
        notes.append(
            f"no side column: long when {mapping['exit_price']} - {mapping['entry_price']} has the sign of "
            f"{mapping['pnl']}, else short"
        )


def _times_without_date(mapping: dict[str, str], columns: dict[str, list[str]]) -> list[str]:
    """The time columns (no date joined to them) whose values are times of day only (DAS-style)."""
    out = []
    for key in ("time", "entry_time", "exit_time"):
        column = mapping.get(key, "")
        if column and JOIN not in column and column in columns and _share(columns[column], _is_time_only) >= 0.8:
            out.append(column)
    return list(dict.fromkeys(out))


def _side_words_column(mapping: dict[str, str], columns: dict[str, list[str]]) -> str:
    """A side-named column (``Action``) whose cells are sentences with a buy/sell word in most rows
    (``YOU BOUGHT APPLE INC (AAPL)``): it says the side better than a quantity's sign."""
    used = {part for column in mapping.values() for part in column.split(JOIN)}
    for column, values in columns.items():
        if (
            column not in used
            and _name_score(column, "side")
            and _share(values, lambda v: bool(side_word_in(v))) >= 0.5
        ):
            return column
    return ""


def _fee_columns(
    mapping: dict[str, str], columns: dict[str, list[str]], decimal: str, options: dict[str, object], notes: list[str]
) -> None:
    """Every cost column summed into the fee (Commission + Fees, Commissions + Swap), with the file's sign.

    Why: a file that splits costs over columns reports net P&L after all of them; a file that writes
    costs as negative amounts (cTrader, MT5, Degiro) has no positive cost at all.
    """
    used = {part for column in mapping.values() for part in column.split(JOIN)}
    fee_columns = [mapping["fees"]] if mapping.get("fees") else []
    for column, values in columns.items():
        words = header_words(column)
        named = words in NAMES["fees"] or words in EXTRA_FEE_NAMES or _partial_score(words, EXTRA_FEE_NAMES)
        if column in used or column in fee_columns or not named:
            continue
        if any(v.strip() for v in values) and _share(values, lambda v: _is_number(v.lstrip("@"), decimal)) >= 0.6:
            fee_columns.append(column)
    if not fee_columns:
        return
    mapping["fees"] = JOIN.join(fee_columns)
    if len(fee_columns) > 1:
        notes.append(f"the fee of a row is the sum of {', '.join(fee_columns)}")
    amounts = [clean_number(v, decimal) for c in fee_columns for v in columns[c] if v.strip()]
    nonzero = [v for v in amounts if v.strip("-0.,") and _is_number(v)]
    if nonzero and all(v.startswith(("-", "(")) for v in nonzero):
        options["fees_negative"] = True
        notes.append("costs are written as negative amounts: a negative fee is a cost")
    _fee_units(mapping, columns, options, notes)


def _fee_units(
    mapping: dict[str, str], columns: dict[str, list[str]], options: dict[str, object], notes: list[str]
) -> None:
    """Fees written with their asset (``0.0005BTC``, ``30.25USDT``): say which are valued at the fill price,
    with the first such fee of the file worked out, so a person can check the conversion."""
    fee_columns = [c for c in mapping["fees"].split(JOIN) if c in columns]
    units = {number_and_unit(v.strip())[1] for c in fee_columns for v in columns[c] if v.strip()} - {""}
    if not units:
        return
    example = ""
    symbols, prices = columns.get(mapping.get("symbol", ""), []), columns.get(mapping.get("price", ""), [])
    for index, symbol in enumerate(symbols):
        base, quote = pair_parts(symbol)
        raw = next((columns[c][index].strip() for c in fee_columns if columns[c][index].strip()), "")
        amount, unit = number_and_unit(raw)
        if base and unit == base and index < len(prices):
            cells = {norm_header(c): values[index] for c, values in columns.items()}
            value, _problem = row_fee(cells, mapping, options)
            example = f" ({amount} {unit} on {symbol.strip()} at {prices[index].strip()} = {value} {quote})"
            break
    notes.append(
        f"fees are written with their asset ({', '.join(sorted(units))}): a fee in the traded asset is converted "
        f"at the fill price{example}; a fee in the quote currency is taken as it is; a fee in any other asset is "
        "not counted and listed with the rows left out"
    )


def _header_zone_option(mapping: dict[str, str], options: dict[str, object], notes: list[str]) -> None:
    """A header naming its zone (``Date(UTC)``, ``Opening Time (UTC+0)``): naive times are read in it."""
    for key in ("time", "entry_time", "exit_time"):
        for column in mapping.get(key, "").split(JOIN):
            zone = header_zone(column)
            if zone:
                options["tz"] = zone
                notes.append(f"times are read in {zone}, as the header {column!r} says")
                return


def _lots_option(
    mapping: dict[str, str], columns: dict[str, list[str]], options: dict[str, object], notes: list[str]
) -> None:
    """Quantities in lots (forex/CFD) with the file's P&L: the contract size comes from the P&L, as in MT5."""
    column = mapping.get("quantity", "")
    if not column or not mapping.get("pnl") or column not in columns:
        return
    units = {number_and_unit(v)[1] for v in columns[column] if v.strip()}
    if units & LOT_WORDS or "lot" in header_words(column).split() or "lots" in header_words(column).split():
        options["infer_multiplier"] = True
        notes.append(
            f"{column} is in lots: a symbol's contract size comes from Contract multipliers, else from "
            f"{mapping['pnl']} / (price move x lots)"
        )


def _prefer_fill_price(
    mapping: dict[str, str], columns: dict[str, list[str]], choices: list[ColumnChoice], decimal: str, notes: list[str]
) -> None:
    """In an orders file, ``Price`` is often the limit (``@189.50``): the average fill price is what was paid."""
    for column in columns:
        if (
            header_words(column) in FILL_PRICE_NAMES
            and column != mapping.get("price")
            and _fits("price", columns[column], decimal)
        ):
            previous = mapping.get("price")
            mapping["price"] = column
            choices[:] = [c for c in choices if c.field != "price"] + [ColumnChoice("price", column, "name")]
            instead = f", not its {previous}" if previous else ""
            notes.append(f"the price of an order is its {column} (what it filled at){instead}")
            return


def _chosen_date_order(values: list[str], default: str, forced: str | None, notes: list[str]) -> tuple[str, str]:
    """The date order and where it comes from (``you``, ``dates`` or ``guess``); a guess is said, with how
    to change it.

    Rows prove it when a part exceeds 12 (``13/07``) or when only one order keeps the file in time
    order (newest-first or oldest-first); otherwise ``02/07/2026`` reads either way.
    """
    if forced:
        return forced, "you"
    proven = _date_order(values, "")
    if not proven:
        proven = _order_by_sequence(values)
    if proven:
        return proven, "dates"
    slash = [v.strip() for v in values if re.match(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", v.strip())]
    if not slash:
        return default, "dates"  # ISO or year-first dates: no order to choose
    sample = slash[0].split()[0]
    other = "DMY" if default == "MDY" else "MDY"
    day = parse_datetime(sample, date_order=default)
    read_as = f"{day.day} {day:%B %Y}"
    notes.append(
        f"the dates (like {sample}) read either way: read as {'month' if default == 'MDY' else 'day'} first "
        f"({sample} = {read_as}); if the file is {'day' if default == 'MDY' else 'month'} first, choose date order "
        f"{other} (--date-order {other} on the command line, Date order on the page)"
    )
    return default, "guess"


def _order_by_sequence(values: list[str]) -> str:
    """MDY or DMY when only that order reads the dates as a sorted sequence (oldest or newest first)."""
    fits = []
    for order in ("MDY", "DMY"):
        try:
            stamps = [parse_datetime(v, date_order=order).replace(tzinfo=None) for v in values if v.strip()]
        except ParseError:
            continue
        if len(set(stamps)) > 1 and (stamps == sorted(stamps) or stamps == sorted(stamps, reverse=True)):
            fits.append(order)
    return fits[0] if len(fits) == 1 else ""


# -- the proposal --------------------------------------------------------------------------


def propose_layout(text: str, *, name: str = "proposed", date_order: str | None = None) -> LayoutProposal:
    """A saved-layout proposal for ``text`` (a CSV export); ProposalFailed says why none can be made.

    ``date_order`` (MDY/DMY) is a person's correction when the rows cannot tell the order.
    """
    if not text.strip():
        raise ProposalFailed("the file is empty")
    delimiter = sniff_delimiter(text)
    rows = _rows(text, delimiter, SCAN_ROWS + SAMPLE_ROWS)
    options: dict[str, object] = {}
    notes: list[str] = []
    if delimiter != ",":
        options["delimiter"] = delimiter
        notes.append(f"cells are separated by {delimiter!r}")
    keep: list[dict[str, object]] = []
    section = _find_section(rows[: SCAN_ROWS * 4])
    if section is not None:
        title, header_line, header_cells = section
        options["section"] = title
        data = [c for _l, c in rows if c and norm_header(c[0]) == norm_header(title) and _l > header_line]
        data = [c for c in data if norm_header(c[1]) != "header"]
        discriminator = header_cells[1].strip()
        data_word = Counter(c[1].strip() for c in data).most_common(1)
        if data_word:
            keep.append({"column": discriminator, "values": [data_word[0][0].upper()]})
        notes.append(f"the trades are in the {title!r} table of a statement with several tables")
    else:
        found = _find_header(rows[:SCAN_ROWS])
        if found is None:
            raise ProposalFailed(
                "no header row found: none of the first 60 rows names at least three trade columns (symbol, "
                "side, quantity, price, date/time). Save the export with its column headers, or map the columns "
                "by hand under Import layouts in the admin."
            )
        header_line, header_cells = found
        width = len(header_cells)
        data = [c for _l, c in rows if _l > header_line and any(x.strip() for x in c) and len(c) >= width - 1]
        if header_line > 1:
            notes.append(f"the header is on line {header_line} (rows above it are titles)")
    header = [c.strip() for c in header_cells]
    data = [c for c in data if [x.strip() for x in c] != header][:SAMPLE_ROWS]
    columns = _column_values(header, data)
    decimal = _decimal_mark(columns)
    if decimal == ",":
        options["decimal"] = ","
        notes.append("numbers use a decimal comma")

    round_trip_map, rt_choices = _map_columns(columns, ROUND_TRIP_KEYS, decimal)
    is_round_trip = all(k in round_trip_map for k in ("entry_price", "exit_price")) and any(
        k in round_trip_map for k in ("entry_time", "exit_time")
    )
    if is_round_trip:
        mapping, choices, spec_kind, kind = round_trip_map, rt_choices, "round_trips", "round_trips"
    else:
        mapping, choices = _map_columns(columns, EXECUTION_KEYS, decimal)
        spec_kind, kind = "executions", "fills"
    _split_date_time(mapping, columns, choices)
    if "exit_time" not in mapping and "entry_time" in mapping and is_round_trip:
        mapping["exit_time"] = mapping["entry_time"]

    # What kind of rows the file mixes with trades.
    status = next((c for c in columns if header_words(c) in STATUS_NAMES and c not in mapping.values()), None)
    if status:
        seen = {v.strip().upper() for v in columns[status] if v.strip()}
        filled = sorted(seen & FILLED_WORDS) or sorted(v for v in seen if v.startswith("FILL"))
        if not filled and seen & UNFILLED_WORDS:
            filled = ["FILLED"]  # no order filled: every row is left out, with its status as the reason
        if filled:
            keep.append({"column": status, "values": filled})
            kind = "orders"
            notes.append(f"only rows with {status} {', '.join(filled)} are trades")
    detail = next((c for c in columns if header_words(c) in DETAIL_NAMES and c not in mapping.values()), None)
    if detail:
        seen = {v.strip().upper() for v in columns[detail] if v.strip()}
        rows_of_fills = sorted(seen & DETAIL_FILL_WORDS)
        if rows_of_fills and len(seen) > len(rows_of_fills):
            keep.append({"column": detail, "values": rows_of_fills})
            notes.append(f"only rows with {detail} {', '.join(rows_of_fills)} are fills (the others repeat them)")
    side_column = mapping.get("side")
    if side_column and kind != "orders":
        values = [v.strip() for v in columns[side_column] if v.strip()]
        others = sorted({v for v in values if not is_side_word(v)})
        if others:
            keep.append({"column": side_column, "values": sorted({v.upper() for v in values if is_side_word(v)})})
            kind = "transactions"
            notes.append(f"rows whose {side_column} is not a buy or sell ({', '.join(others[:5])}) are not trades")
    signed = "quantity" in mapping and any(v.strip().startswith(("-", "(")) for v in columns[mapping["quantity"]])
    if "side" not in mapping and spec_kind == "executions" and _side_words_column(mapping, columns):
        _infer_side(mapping, columns, choices, options, notes, spec_kind)  # "YOU BOUGHT ...": words over a sign
        kind = "transactions" if kind == "fills" else kind
    if "side" not in mapping and signed and spec_kind == "executions":
        mapping["side"] = "side from sign"
        options["side_from_sign"] = True
        choices.append(ColumnChoice("side", f"sign of {mapping['quantity']}", "values"))
        notes.append(f"no side column: a negative {mapping['quantity']} is a sell")
    if "side" not in mapping:
        _infer_side(mapping, columns, choices, options, notes, spec_kind)
        if options.get("side_from_words") and kind == "fills":
            kind = "transactions"
    time_only = _times_without_date(mapping, columns)
    if time_only:
        options["time_only"] = True
        notes.append(
            f"{', '.join(time_only)} hold(s) times without a date: choose the session date "
            "(--session-date YYYY-MM-DD, or Session date on the page)"
        )
    if kind == "orders":
        filled_qty = next((c for c in columns if header_words(c) in FILLED_QTY_NAMES), None)
        if filled_qty and filled_qty != mapping.get("quantity") and _fits("quantity", columns[filled_qty], decimal):
            mapping["quantity"] = filled_qty
            choices = [c for c in choices if c.field != "quantity"] + [ColumnChoice("quantity", filled_qty, "name")]
            notes.append(f"the quantity of an order is its {filled_qty}")
        _prefer_fill_price(mapping, columns, choices, decimal, notes)
    _fee_columns(mapping, columns, decimal, options, notes)
    _header_zone_option(mapping, options, notes)
    if spec_kind == "round_trips":
        _lots_option(mapping, columns, options, notes)
    if keep:
        options["keep"] = keep
    options["skip_notes"] = True
    time_values = [
        v for key in ("time", "entry_time") if mapping.get(key) for v in columns[mapping[key].split(JOIN)[0]]
    ]
    european = delimiter == ";" or decimal == ","
    options["date_order"], date_order_from = _chosen_date_order(
        time_values, "DMY" if european else "MDY", date_order, notes
    )
    options["kind"] = spec_kind

    missing = [k for k in REQUIRED[spec_kind] if not mapping.get(k)]
    used_columns = [*mapping.values(), str(options.get("side_from_words") or "")]
    signature = tuple(dict.fromkeys(part for column in used_columns for part in column.split(JOIN) if part in columns))
    if section is not None:
        signature = (header_cells[0].strip(), header_cells[1].strip(), *signature)
    by_name = sum(1 for c in choices if c.how == "name" and c.field in REQUIRED[spec_kind])
    confidence = round(by_name / len(REQUIRED[spec_kind]) * 0.9 + (0.1 if "fees" in mapping else 0.0), 2)
    proposal = LayoutProposal(
        spec=LayoutSpec(name=name, signature=signature, mapping=mapping, kind=spec_kind, options=options),
        kind=kind,
        choices=choices,
        confidence=min(confidence, 1.0),
        header_line=header_line,
        header=header,
        notes=notes,
        date_order_from=date_order_from,
    )
    if missing:
        raise ProposalFailed(
            f"the header on line {header_line} has no column for {', '.join(missing)} "
            f"(columns: {', '.join(h for h in header if h)}). Rename the column(s) in the file, or map them by "
            "hand under Import layouts in the admin.",
            partial=proposal,
            line=header_line,
        )
    return proposal


def proposal_pnl(rows: list[tuple[int, dict[str, str]]]) -> Decimal:
    """Net P&L of canonical text rows (gross x multiplier - fees), as the trial shows it."""
    total = Decimal(0)
    for _line, row in rows:
        direction = 1 if row["side"] == "LONG" else -1
        gross = (Decimal(row["exit_price"]) - Decimal(row["entry_price"])) * direction * Decimal(row["quantity"])
        total += gross * Decimal(row.get("multiplier") or 1) - Decimal(row.get("fees") or 0)
    return total
