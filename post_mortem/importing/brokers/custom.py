"""Layouts that ops staff saved in the admin (ImportLayout rows), as plain specs.

Why specs and not ORM rows: parsing stays pure (tests and the command need no database); the
service turns ImportLayout rows into LayoutSpec with ``post_mortem.selectors.brokers``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .base import (
    BrokerIssue,
    BrokerOptions,
    BrokerParse,
    ExecutionLayout,
    Occurrences,
    RoundTripLayout,
    RowProblem,
    Trip,
    money,
    number,
    read,
    text,
    when,
)
from .executions import _fill, _qty, side_of
from .parsing import Record, find_header, norm_header, parse_time, zone_info
from .row_rules import prepare_records, table_rows

# canonical field -> meaning, for the mapping form and for messages
ROUND_TRIP_FIELDS = {
    "account": "account (optional: else the import's account)",
    "external_id": "the broker's trade id (optional)",
    "symbol": "symbol or contract",
    "side": "Long/Short or Buy/Sell",
    "quantity": "quantity",
    "entry_time": "entry date-time",
    "exit_time": "exit date-time",
    "entry_price": "entry price",
    "exit_price": "exit price",
    "fees": "fees / commission (optional)",
    "pnl": "the broker's P&L, checked against prices (optional)",
}
EXECUTION_FIELDS = {
    "account": "account (optional)",
    "exec_id": "the broker's execution id (optional)",
    "symbol": "symbol or contract",
    "side": "B/S/SS/BC or Buy/Sell",
    "quantity": "quantity (sign ignored)",
    "time": "date-time of the fill",
    "price": "fill price",
    "fees": "fees / commission (optional)",
}
REQUIRED = {
    "round_trips": ("symbol", "side", "quantity", "entry_time", "exit_time", "entry_price", "exit_price"),
    "executions": ("symbol", "side", "quantity", "time", "price"),
}


@dataclass(frozen=True, slots=True)
class LayoutSpec:
    """A saved mapping: name, the header columns that identify it, and field -> column."""

    name: str
    signature: tuple[str, ...]
    mapping: dict[str, str]
    kind: str = "round_trips"  # or "executions"
    options: dict[str, Any] = field(default_factory=dict)


def mapping_problems(kind: str, mapping: dict[str, str], header: list[str] | None = None) -> list[str]:
    """What is wrong with a mapping, in words (empty when it can be saved)."""
    problems = []
    if kind not in REQUIRED:
        return [f"kind must be one of {', '.join(REQUIRED)}"]
    known = ROUND_TRIP_FIELDS if kind == "round_trips" else EXECUTION_FIELDS
    for key in mapping:
        if key not in known:
            problems.append(f"{key!r} is not a field of a {kind} layout")
    for key in REQUIRED[kind]:
        if not mapping.get(key):
            problems.append(f"{key} must be mapped to a column")
    if header is not None:
        names = {norm_header(h) for h in header}
        for key, column in mapping.items():
            if column and norm_header(column) not in names:
                problems.append(f"{key} is mapped to {column!r}, which is not a column of the sample")
    return problems


def build_layout(spec: LayoutSpec) -> type:
    """A layout class for a saved spec, detected and parsed like the built-in ones."""
    col = spec.mapping
    base = RoundTripLayout if spec.kind == "round_trips" else ExecutionLayout

    def get(record: Record, key: str, required: bool = True) -> str:
        column = col.get(key, "")
        if not column:
            if required:
                raise RowProblem(key, f"{key} is not mapped in layout {spec.name}")
            return ""
        return text(record, column, required=required)

    rules = spec.options
    time_only = bool(rules.get("time_only"))

    zone = zone_info(str(rules["tz"])) if rules.get("tz") else None

    def at(record: Record, column: str, options: BrokerOptions) -> datetime:
        if time_only:  # DAS-style files: times of day, the session date is an import option
            assert options.session_date is not None
            moment = datetime.combine(options.session_date, read(record, column, parse_time))
        else:
            moment = when(record, column, options)
        if zone is not None and moment.tzinfo is None:
            # The header names the zone of its times ("Date(UTC)", "Opening Time (UTC+0)").
            moment = moment.replace(tzinfo=zone)
        return moment

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip:
        side_word = get(record, "side").strip().upper()
        if side_word in {"LONG", "L", "BUY", "B", "BOT", "BOUGHT", "BUY TO OPEN"}:
            side = "LONG"
        elif side_word in {"SHORT", "SH", "SELL", "S", "SLD", "SS", "SOLD", "SELL SHORT", "SELL TO OPEN"}:
            side = "SHORT"
        else:
            raise RowProblem(col["side"], f"{side_word!r} is not a side (expected Long or Short)")
        quantity = abs(number(record, col["quantity"]))
        if quantity == 0:
            raise RowProblem(col["quantity"], "quantity must be more than zero")
        return Trip(
            account=self.account(record, options, *([col["account"]] if col.get("account") else [])),
            symbol=get(record, "symbol"),
            side=side,
            quantity=quantity,
            entry_time=at(record, col["entry_time"], options),
            exit_time=at(record, col["exit_time"], options),
            entry_price=number(record, col["entry_price"]),
            exit_price=number(record, col["exit_price"]),
            fees=abs(money(record, col["fees"], required=False)) if col.get("fees") else Decimal(0),
            reported_pnl=money(record, col["pnl"]) if col.get("pnl") else None,
            external_id=(f"{spec.name}-{get(record, 'external_id')}" if col.get("external_id") else ""),
        )

    def read_execution(self, record: Record, options: BrokerOptions, ids: Occurrences):
        symbol = get(record, "symbol")
        buy, effect = side_of(get(record, "side"), col["side"])
        return _fill(
            self,
            record=record,
            ids=ids,
            account=self.account(record, options, *([col["account"]] if col.get("account") else [])),
            symbol=symbol,
            buy=buy,
            quantity=_qty(record, col["quantity"]),
            price=number(record, col["price"]),
            time=at(record, col["time"], options),
            fee=abs(money(record, col["fees"], required=False)) if col.get("fees") else Decimal(0),
            exec_id=get(record, "exec_id", required=False),
            multiplier=self.multiplier(symbol, options),
            effect=effect,
        )

    def parse(self, text_: str, options: BrokerOptions):
        # A layout saved as day-first reads day-first unless the import asks otherwise.
        if spec.options.get("date_order") == "DMY" and options.date_order == "MDY":
            options = dataclasses.replace(options, date_order="DMY")
        if time_only and options.session_date is None:
            result = BrokerParse(layout=spec.name)
            located = self.locate(text_)
            result.errors.append(
                BrokerIssue(
                    located[0] if located else 1,
                    "session_date",
                    f"layout {spec.name} reads times of day without a date: choose the session date "
                    "(--session-date YYYY-MM-DD on the command line, or Session date in the admin)",
                )
            )
            return result
        return base.parse(self, text_, options)

    reads_own_table = bool(rules.get("delimiter") not in (None, "", ",") or rules.get("section"))

    def locate(cls, text_: str):
        return find_header(table_rows(text_, rules), cls.signature, cls.aliases)

    def matches(cls, text_: str) -> bool:
        head = []
        for item in table_rows(text_, rules):
            head.append(item)
            if len(head) >= 80:
                break
        return find_header(head, cls.signature, cls.aliases) is not None

    def parse_records(self, rows: list[Record], options: BrokerOptions, result):
        # Row rules (see row_rules): rows that are not trades are left out with a reason.
        kept, left_out = prepare_records(rows, col, rules)
        result.warnings.extend(left_out)
        return base.parse_records(self, kept, options, result)

    attrs = {
        "parse": parse,
        "parse_records": parse_records,
        "name": spec.name,
        "label": f"saved layout {spec.name}",
        "signature": tuple(spec.signature),
        "has_account": bool(col.get("account")),
        "futures_only": bool(spec.options.get("futures_only")),
        # Lots of forex/CFD symbols: the contract size comes from the file's P&L, as in MT5 reports.
        "infer_multiplier": bool(spec.options.get("infer_multiplier")),
        "__doc__": f"Saved column mapping {spec.name!r} ({spec.kind}).",
    }
    if reads_own_table:
        attrs["locate"] = classmethod(locate)
        attrs["matches"] = classmethod(matches)
    if base is RoundTripLayout:
        attrs["read_trip"] = read_trip
    else:
        attrs["read_execution"] = read_execution
    return type(f"Saved_{spec.name}", (base,), attrs)


def sample_header(text: str, *, scan: int = 30) -> tuple[int, list[str]]:
    """Guess the header row of a sample: the first row of the table's full width whose cells are words.

    Why: title rows above a header ("Trades report", "Account: X") are narrower; data rows are as
    wide but hold numbers and dates; and a header may start with a blank cell (a row-number
    column), so it can have fewer filled cells than the data rows under it.
    """
    from .parsing import csv_lines

    rows = []
    for count, (line, cells) in enumerate(csv_lines(text)):
        rows.append((line, cells))
        if count >= scan:
            break
    filled = [(line, cells) for line, cells in rows if sum(1 for c in cells if c.strip()) >= 2]
    if not filled:
        return (0, [])
    width = max(len(cells) for _line, cells in filled)
    for line, cells in filled:
        names = [c.strip() for c in cells if c.strip()]
        if len(cells) >= width - 1 and sum(1 for n in names if not _looks_like_data(n)) * 2 > len(names):
            return line, names
    line, cells = max(filled, key=lambda item: sum(1 for c in item[1] if c.strip()))
    return line, [c.strip() for c in cells if c.strip()]


_DATA = re.compile(r"^[-+($]*[\d.,:/ ]+[)]?$|^\d{4}-\d{2}-\d{2}")


def _looks_like_data(cell: str) -> bool:
    return bool(_DATA.match(cell))
