"""MetaTrader 5 Trade History Report (the report the terminal saves, usually as XLSX).

Why its own reader: the sheet starts with title rows (`Trade History Report`, `Name:`,
`Account:`, `Company:`, `Date:`), then holds several tables, each under a one-cell title row:
`Positions` (one row per closed position), `Orders`, `Deals`, and a summary. Only `Positions`
is read. Its header names `Time` and `Price` twice (open, then close), so the columns are read
by position. Profit is in the account currency, so the contract size comes from the multiplier
table or from Profit, as in the `mt5` layout.
"""

from __future__ import annotations

from .base import BrokerOptions, RoundTripLayout, Trip, money, number, text, when
from .parsing import Record, csv_lines, norm_header
from .roundtrip import _long_short, _positive

TITLE = "positions"
HEADER = ("time", "position", "symbol", "type", "volume", "price", "s / l", "t / p", "time", "price")
# The header as the rest of the reader names it: the second Time/Price are the close.
NAMES = (
    "open time", "position", "symbol", "type", "volume", "open price", "s / l", "t / p", "close time", "close price",
)  # fmt: skip


class MT5TradeHistoryReportLayout(RoundTripLayout):
    """MetaTrader 5 Trade History Report: the `Positions` table under the report's title rows."""

    name = "mt5_report"
    label = "MetaTrader 5 Trade History Report"
    signature = ("Time", "Position", "Symbol", "Type", "Volume", "Price", "S / L", "T / P", "Profit")
    infer_multiplier = True

    @classmethod
    def _table(cls, rows):
        """(header line, header, rows of the Positions table) or None."""
        rows = iter(rows)
        for _line, cells in rows:
            filled = [c.strip() for c in cells if c.strip()]
            if len(filled) == 1 and norm_header(filled[0]) == TITLE:
                break
        else:
            return None
        for line, cells in rows:
            names = [norm_header(c) for c in cells]
            if not any(names):
                continue
            if tuple(names[: len(HEADER)]) != HEADER or "profit" not in names:
                return None
            header = [*NAMES, *names[len(HEADER) :]]
            body = []
            for item in rows:
                filled = [c for c in item[1] if c.strip()]
                if len(filled) == 1:
                    break  # the next table's title (Orders)
                body.append(item)
            return line, header, body
        return None

    @classmethod
    def matches(cls, text_: str) -> bool:
        head = []
        for item in csv_lines(text_):
            head.append(item)
            if len(head) >= 40:
                break
        return cls._table(head) is not None

    @classmethod
    def locate(cls, text_: str):
        return cls._table(csv_lines(text_))

    def parse(self, text_: str, options: BrokerOptions):
        self._report_account = ""
        for count, (_line, cells) in enumerate(csv_lines(text_)):
            filled = [c.strip() for c in cells if c.strip()]
            if len(filled) >= 2 and norm_header(filled[0]) == "account:":
                self._report_account = filled[1].split()[0]  # "5012345 (USD, Broker-Server, real, Hedge)"
                break
            if count > 20:
                break
        return super().parse(text_, options)

    def read_trip(self, record: Record, options: BrokerOptions) -> Trip:
        commission = money(record, "Commission", required=False)
        swap = money(record, "Swap", required=False)
        position = text(record, "Position", required=False)
        return Trip(
            account=self._report_account or self.account(record, options),
            symbol=text(record, "Symbol"),
            side=_long_short(text(record, "Type"), "Type"),
            quantity=_positive(number(record, "Volume"), "Volume"),
            entry_time=when(record, "Open Time", options),
            exit_time=when(record, "Close Time", options),
            entry_price=number(record, "Open Price"),
            exit_price=number(record, "Close Price"),
            # MT5 books costs as negative commission and swap: a cost is a positive fee for us.
            fees=-(commission + swap),
            reported_pnl=money(record, "Profit"),
            external_id=f"mt5-{position}" if position else "",
        )
