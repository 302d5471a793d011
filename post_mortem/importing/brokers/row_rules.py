"""Row rules a saved layout may carry: how to read its table, and which rows are not trades.

Why apart from the mapping: real exports are ``;``-delimited with comma decimals, hold several
tables (``Trades,Header,...`` / ``Trades,Data,...``), mix orders that never filled or cash
movements (dividends, interest, transfers) with trades, and end in totals and disclaimers. A
saved layout states those rules in its options; this module applies them before the rows reach
the layout's reader, and says for every row it leaves out why.

Options read here (all optional):
``delimiter`` (default ``,``), ``section`` (the first cell of the table's rows in a sectioned
file), ``decimal`` (``,`` for comma decimals), ``keep`` (list of ``{"column", "values"}``: a row
whose cell is not one of ``values`` is left out), ``skip_notes`` (leave out rows without a symbol
and a date, and totals rows), ``side_from_sign`` (no side column: the quantity's sign says it),
``side_from_words`` (no side column: the buy/sell word in this column says it, as in
``Bought 100 AAPL @ 190``; a row without one is not a trade), ``side_from_pnl`` (round trips
without a side column: long when the price move and the P&L, before fees, have the same sign),
``fees_negative`` (costs are written as negative amounts); a ``fees`` mapping ``A + B`` sums the
columns, and a fee in a pair's base asset (``0.0005BTC``) is valued at the fill price.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .base import BrokerIssue
from .parsing import BOM, ParseError, Record, norm_header, parse_decimal, parse_optional_decimal

# Side words in other languages, turned into the words the layouts read.
SIDE_WORDS = {
    "ACHAT": "BUY",
    "ACHETER": "BUY",
    "VENTE": "SELL",
    "VENDRE": "SELL",
    "COMPRA": "BUY",
    "VENTA": "SELL",
    "KAUF": "BUY",
    "VERKAUF": "SELL",
    "BOUGHT": "BUY",
    "SOLD": "SELL",
    "BUY TO COVER": "BUY TO COVER",
    "SHORT SELL": "SELL SHORT",
}
# A multi-cell field: the cells of these columns joined by a space (a Date column + a Time column).
JOIN = " + "
_TOTALS = re.compile(r"^(grand\s*)?(sub\s*-?\s*)?totals?\b|^totaux?\b|^summe\b|^gesamt\b", re.IGNORECASE)
_NUMERIC_FIELDS = ("quantity", "price", "entry_price", "exit_price", "fees", "pnl")
# Buy/sell words inside a longer cell ("Bought 100 AAPL @ 190", "Buy Limit", "Sell Short").
_BUY_WORDS = ("BUY", "BOUGHT", "BOT", "COVER", "ACHAT", "COMPRA", "KAUF")
_SELL_WORDS = ("SELL", "SOLD", "SLD", "SHORT", "VENTE", "VENTA", "VERKAUF")
_SIDE_WORD = re.compile(r"\b(" + "|".join(_BUY_WORDS + _SELL_WORDS) + r")\b")
SIDE_FROM_WORDS = "side from words"
SIDE_FROM_PNL = "side from pnl"


def table_rows(text: str, options: Mapping[str, Any]) -> Iterator[tuple[int, list[str]]]:
    """(physical line, cells) of every row, read with the layout's delimiter and limited to its section."""
    delimiter = str(options.get("delimiter") or ",")
    section = norm_header(str(options.get("section") or ""))
    reader = csv.reader(io.StringIO(text.lstrip(BOM), newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if section and (not cells or norm_header(cells[0]) != section):
            continue
        yield line, cells


def side_word(value: str) -> str:
    """A side cell in the words the layouts read: ``Kauf`` -> ``BUY``, ``Sold Short`` -> ``SELL SHORT``,
    ``Bought To Cover`` -> ``BUY TO COVER`` (past tenses and other languages); unknown words unchanged."""
    v = " ".join(value.strip().upper().split())
    if v in SIDE_WORDS:
        return SIDE_WORDS[v]
    words = [{"BOUGHT": "BUY", "SOLD": "SELL"}.get(w, w) for w in v.split()]
    if words[-1:] == ["SHORT"] and words[:1] == ["SELL"]:
        words = ["SELL", "SHORT"]  # "Sold Short", "Sell Short"
    return " ".join(words)


def is_side_word(value: str) -> bool:
    from .executions import _BUY, _SELL

    v = side_word(value)
    return v in _BUY or v in _SELL or v in {"LONG", "SHORT", "L", "SH"}


def side_word_in(value: str) -> str:
    """BUY or SELL for the first buy/sell word in a cell of free text, or "" when there is none."""
    m = _SIDE_WORD.search(value.upper())
    if not m:
        return ""
    return "BUY" if m.group(1) in _BUY_WORDS else "SELL"


def side_from_pnl(cells: Mapping[str, str], mapping: Mapping[str, str], decimal: str) -> str:
    """LONG when the price move and the P&L (before fees) agree in sign, else SHORT.

    Why before fees: a small winning move can show a net loss after commission; the P&L check
    of the import then still compares the prices with the file's P&L.
    """
    try:
        entry = parse_decimal(clean_number(cells.get(norm_header(mapping["entry_price"]), ""), decimal))
        exit_ = parse_decimal(clean_number(cells.get(norm_header(mapping["exit_price"]), ""), decimal))
        pnl = parse_decimal(clean_number(cells.get(norm_header(mapping["pnl"]), ""), decimal))
        fees = Decimal(0)
        if mapping.get("fees"):
            fees = abs(parse_optional_decimal(clean_number(cells.get(norm_header(mapping["fees"]), ""), decimal)))
    except ParseError:
        return "LONG"  # the reader then names the cell that cannot be read
    gross = pnl + fees
    if exit_ == entry or gross == 0:
        return "LONG"  # no price move: the side changes nothing
    return "LONG" if (exit_ > entry) == (gross > 0) else "SHORT"


_UNIT = re.compile(r"^(.*[\d)])\s*([A-Za-z]{2,10})$")
# Quote currencies of crypto and forex pairs (BTCUSDT, ETH-USD, EURUSD): the end of a pair's symbol.
QUOTE_CURRENCIES = ("USDT", "USDC", "BUSD", "FDUSD", "TUSD", "DAI", "USD", "EUR", "GBP", "JPY", "CHF", "BTC", "ETH")


def number_and_unit(value: str) -> tuple[str, str]:
    """``0.50000BTC`` -> (``0.50000``, ``BTC``); ``1.00 Lots`` -> (``1.00``, ``LOTS``); ``12`` -> (``12``, ``""``)."""
    v = value.strip()
    m = _UNIT.match(v)
    return (m.group(1).strip(), m.group(2).upper()) if m else (v, "")


def clean_number(value: str, decimal: str = ".") -> str:
    """``@ 4,512.25``, ``1.234,50`` (comma decimals), ``12,5 EUR``, ``USD 3.10``, ``0.5BTC``, ``1.00 Lots``
    as plain numbers."""
    v = value.strip().lstrip("@").strip()
    v = re.sub(r"^[A-Z]{3,4}\s+", "", v)
    v = number_and_unit(v)[0]
    v = v.replace("\u00a0", "").replace("\u202f", "").replace("'", "")
    if decimal == ",":
        v = v.replace(" ", "").replace(".", "").replace(",", ".")
    return v


def pair_parts(symbol: str) -> tuple[str, str]:
    """(base, quote) of a pair symbol (``BTCUSDT``, ``ETH/USD``, ``EUR.USD``), or ("", "") for others."""
    compact = re.sub(r"[^A-Z0-9]", "", symbol.upper())
    for quote in QUOTE_CURRENCIES:
        if compact.endswith(quote) and len(compact) > len(quote) + 1:
            return compact[: -len(quote)], quote
    return "", ""


def row_fee(cells: Mapping[str, str], mapping: Mapping[str, str], options: Mapping[str, Any]) -> tuple[str, str]:
    """The row's fee as a plain number (costs positive) and, when part of it was not counted, why.

    Why here: exports split costs over several columns (Commission + Fees, Commissions + Swap),
    write costs as negative amounts (cTrader, MT5), or write a fee in the traded asset
    (``0.0005BTC`` on a BTCUSDT fill): a fee in the pair's base asset is worth fee x fill price in
    the quote currency; a fee in a third asset (BNB) cannot be valued from the row and is left out.
    """
    decimal = str(options.get("decimal") or ".")
    symbol = cells.get(norm_header(mapping.get("symbol", "")), "")
    total, problem = Decimal(0), ""
    for part in mapping["fees"].split(JOIN):
        raw = cells.get(norm_header(part), "").strip()
        if not raw:
            continue
        amount, unit = number_and_unit(raw.lstrip("@"))
        try:
            value = parse_decimal(clean_number(amount, decimal), what="fee")
        except ParseError:
            return raw, ""  # the reader names the cell that cannot be read
        base, quote = pair_parts(symbol)
        if unit and base and unit == base:
            price_raw = cells.get(norm_header(mapping.get("price", "")), "")
            try:
                value *= parse_decimal(clean_number(price_raw, decimal))
            except ParseError:
                return raw, ""
        elif unit and base and unit != quote:
            problem = f"fee {raw} is in neither currency of {symbol}: not counted"
            continue
        total += value
    if options.get("fees_negative"):
        total = -total
    return format(total.normalize(), "f"), problem


def prepare_records(
    records: Sequence[Record], mapping: Mapping[str, str], options: Mapping[str, Any]
) -> tuple[list[Record], list[BrokerIssue]]:
    """The rows that are trades (cells cleaned for the reader) and, for each other row, why it was left out."""
    keep_rules = [
        (norm_header(rule["column"]), {str(v).strip().upper() for v in rule.get("values", [])}, rule["column"])
        for rule in options.get("keep") or []
    ]
    decimal = str(options.get("decimal") or ".")
    skip_notes = bool(options.get("skip_notes"))
    joins = {key: column.split(JOIN) for key, column in mapping.items() if JOIN in column and key != "fees"}
    numeric = {norm_header(mapping[f]) for f in _NUMERIC_FIELDS if mapping.get(f) and f != "fees"}
    side_column = norm_header(mapping.get("side", ""))
    quantity_column = norm_header(mapping.get("quantity", ""))
    from_sign = bool(options.get("side_from_sign"))
    words_label = str(options.get("side_from_words") or "")
    words_column = norm_header(words_label)
    from_pnl = bool(options.get("side_from_pnl"))
    symbol_column = norm_header(mapping.get("symbol", ""))
    time_columns = [
        norm_header(part) for key in ("time", "entry_time") if mapping.get(key) for part in mapping[key].split(JOIN)
    ]
    kept: list[Record] = []
    left_out: list[BrokerIssue] = []
    for record in records:
        reason = _left_out_reason(record, keep_rules, skip_notes, symbol_column, time_columns)
        if reason:
            field_name, message = reason
            left_out.append(BrokerIssue(record.line, field_name, message))
            continue
        cells = dict(record.cells)
        if words_column:
            word = side_word_in(cells.get(words_column, ""))
            if not word:
                shown = cells.get(words_column, "").strip()[:40] or "empty"
                left_out.append(BrokerIssue(record.line, words_label, f"{words_label} {shown!r} names no buy or sell"))
                continue
            if quantity_column and not cells.get(quantity_column, "").strip():
                # "Short-term capital gain", "Buyback fee": a word, but no quantity traded.
                left_out.append(BrokerIssue(record.line, words_label, "no quantity: not a trade row"))
                continue
            cells[SIDE_FROM_WORDS] = word
        if from_pnl:
            cells[SIDE_FROM_PNL] = side_from_pnl(record.cells, mapping, decimal)
        for key, parts in joins.items():
            cells[norm_header(mapping[key])] = " ".join(cells.get(norm_header(p), "").strip() for p in parts).strip()
        for column in numeric:
            if cells.get(column):
                cells[column] = clean_number(cells[column], decimal)
        if mapping.get("fees"):
            fee, problem = row_fee(record.cells, mapping, options)
            cells[norm_header(mapping["fees"])] = fee
            if problem:
                left_out.append(BrokerIssue(record.line, mapping["fees"], problem))
        if from_sign and quantity_column:
            signed = cells.get(quantity_column, "").strip()
            if not signed:
                # A dividend or a transfer in a history whose trades carry a signed quantity.
                left_out.append(BrokerIssue(record.line, mapping["quantity"], "no quantity: not a trade row"))
                continue
            cells["side from sign"] = "SELL" if signed.startswith("-") or signed.startswith("(") else "BUY"
        elif side_column and cells.get(side_column):
            cells[side_column] = side_word(cells[side_column])
        kept.append(Record(line=record.line, cells=cells))
    return kept, left_out


def _left_out_reason(
    record: Record,
    keep_rules: list[tuple[str, set[str], str]],
    skip_notes: bool,
    symbol_column: str,
    time_columns: list[str],
) -> tuple[str, str] | None:
    values = [v.strip() for v in record.cells.values()]
    if skip_notes:
        first = next((v for v in values if v), "")
        if _TOTALS.match(first):
            return ("row", f"a totals row ({first!r})")
        if len(values) >= 3 and sum(1 for v in values if v) <= 1:
            return ("row", f"a note or disclaimer ({first[:40]!r})")
    for column, allowed, label in keep_rules:
        value = record.cells.get(column, "").strip()
        if " ".join(value.upper().split()) not in allowed:
            shown = value or "empty"
            return (label, f"{label} is {shown!r}: not a trade row")
    if skip_notes and symbol_column and not record.get(symbol_column) and not any(record.get(c) for c in time_columns):
        text = next((v for v in values if v), "")
        return ("row", f"no symbol and no date: a note, total or disclaimer ({text[:40]!r})")
    return None
