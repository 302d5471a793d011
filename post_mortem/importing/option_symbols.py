"""Option contract names as brokers write them -> underlying, expiry, strike, call or put.

Why one reader: every broker names an option its own way, and the trade must keep the contract's
terms (and get its contract multiplier) whichever file it came from. Read here:

- OCC (OSI) symbols, padded or not: ``SPY   261218C00450000``, ``SPY261218C00450000``
  (strike in thousandths);
- thinkorswim / Schwab API style: ``.SPY261218C450``, ``.SPY261218P452.5``;
- human forms: ``SPY 12/18/2026 450.00 C`` (Schwab), ``SPY Dec 18 2026 450 Call``,
  ``SPY 18 DEC 26 450 CALL`` (thinkorswim statements), ``SPY 12/18/26 Call 450.00`` (tastytrade
  descriptions);
- tastytrade futures options: ``./ESZ6 E2BZ6 261218C6880`` and ``./MESZ6EXZ6  261218P5400``
  (underlying ``/ESZ6``, ``/MESZ6``).

Pure: stdlib only, so the canonical validator and the broker layouts can both use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

CALL = "CALL"
PUT = "PUT"
_RIGHTS = {"C": CALL, "CALL": CALL, "CALLS": CALL, "P": PUT, "PUT": PUT, "PUTS": PUT}
_MONTHS = {
    m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)
}
_MON = "(" + "|".join(_MONTHS) + r")[A-Z]*\.?"
_STRIKE = r"(\d[\d,]*(?:\.\d+)?)"
_RIGHT = r"(C|P|CALL|PUT)"
_ROOT = r"([A-Z][A-Z0-9.]{0,9})"

_OCC = re.compile(r"^([A-Z][A-Z0-9.]{0,5}) *(\d{2})(\d{2})(\d{2})([CP])(\d{8})$")
_DOT = re.compile(r"^\.([A-Z][A-Z0-9]{0,9}?)(\d{2})(\d{2})(\d{2})([CP])(\d+(?:\.\d+)?)$")
_FUTURE_OPTION = re.compile(r"^\./?(\S+?)(?:\s+\S+)?\s+(\d{2})(\d{2})(\d{2})([CP])(\d+(?:\.\d+)?)$")
_FUTURE_CONTRACT = re.compile(r"^([A-Z0-9]{1,4}?[FGHJKMNQUVXZ]\d{1,2})")
_SLASH_DATE = re.compile(rf"^{_ROOT} (\d{{1,2}})/(\d{{1,2}})/(\d{{2}}|\d{{4}}) {_STRIKE} {_RIGHT}$")
_SLASH_DATE_RIGHT_FIRST = re.compile(rf"^{_ROOT} (\d{{1,2}})/(\d{{1,2}})/(\d{{2}}|\d{{4}}) {_RIGHT} {_STRIKE}$")
_MONTH_DAY_YEAR = re.compile(rf"^{_ROOT} {_MON} (\d{{1,2}}),? (\d{{2}}|\d{{4}}) {_STRIKE} {_RIGHT}$")
_DAY_MONTH_YEAR = re.compile(rf"^{_ROOT} (\d{{1,2}}) {_MON} (\d{{2}}|\d{{4}}) {_STRIKE} {_RIGHT}$")
# Interactive Brokers statements: SPY 18DEC26 450 C, CLOV 16JUL21 20.0 C
_IBKR_COMPACT = re.compile(rf"^{_ROOT} (\d{{2}}){_MON}(\d{{2}}) {_STRIKE} {_RIGHT}$")


@dataclass(frozen=True, slots=True)
class OptionContract:
    """The terms of one option contract."""

    underlying: str  # SPY, or a futures contract such as /ESZ6
    expiry: date
    strike: Decimal
    right: str  # CALL or PUT

    @property
    def on_future(self) -> bool:
        """Futures options take the future's point value, not the 100 of equity options."""
        return self.underlying.startswith("/")


def _year(text: str) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def _contract(underlying: str, year: int, month: int, day: int, strike: str, right: str) -> OptionContract | None:
    try:
        expiry = date(year, month, day)
        value = Decimal(strike.replace(",", ""))
    except (ValueError, InvalidOperation):
        return None
    if value <= 0:
        return None
    plain = value.to_integral_value() if value == value.to_integral_value() else value.normalize()
    return OptionContract(underlying=underlying, expiry=expiry, strike=plain, right=_RIGHTS[right])


def parse_option_symbol(symbol: str) -> OptionContract | None:
    """The option contract a symbol names, or None when the symbol is not an option.

    A stock (``AAPL``) or a futures contract (``MNQ SEP26``, ``/ESZ6``) is None, so callers can ask
    about any symbol.
    """
    raw = (symbol or "").strip().upper()
    if not raw or len(raw) > 60:
        return None
    m = _FUTURE_OPTION.match(raw) if raw.startswith("./") else None
    if m:
        code, yy, mm, dd, right, strike = m.groups()
        future = _FUTURE_CONTRACT.match(code)
        underlying = "/" + (future.group(1) if future else code)
        return _contract(underlying, _year(yy), int(mm), int(dd), strike, right)
    m = _OCC.match(raw)
    if m:
        root, yy, mm, dd, right, strike = m.groups()
        return _contract(root, _year(yy), int(mm), int(dd), str(Decimal(strike) / 1000), right)
    m = _DOT.match(raw)
    if m:
        root, yy, mm, dd, right, strike = m.groups()
        return _contract(root, _year(yy), int(mm), int(dd), strike, right)
    spaced = " ".join(raw.split())
    m = _SLASH_DATE.match(spaced)
    if m:
        root, mm, dd, yy, strike, right = m.groups()
        return _contract(root, _year(yy), int(mm), int(dd), strike, right)
    m = _SLASH_DATE_RIGHT_FIRST.match(spaced)
    if m:
        root, mm, dd, yy, right, strike = m.groups()
        return _contract(root, _year(yy), int(mm), int(dd), strike, right)
    m = _MONTH_DAY_YEAR.match(spaced)
    if m:
        root, mon, dd, yy, strike, right = m.groups()
        return _contract(root, _year(yy), _MONTHS[mon], int(dd), strike, right)
    m = _DAY_MONTH_YEAR.match(spaced) or _IBKR_COMPACT.match(spaced)
    if m:
        root, dd, mon, yy, strike, right = m.groups()
        return _contract(root, _year(yy), _MONTHS[mon], int(dd), strike, right)
    return None


def option_right(text: str) -> str | None:
    """CALL or PUT for ``C``/``Call``/``PUT``..., None for anything else (an empty cell included)."""
    return _RIGHTS.get((text or "").strip().upper())
