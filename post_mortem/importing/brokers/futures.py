"""Futures contract names -> root symbol -> contract multiplier.

Why: P&L of a futures trade is price move x quantity x point value; a missed multiplier is the
most common journal bug (an MNQ trade showing $0.50 instead of $1.00 a tick). The table lives in
the database (ContractMultiplier, seeded by a data migration, editable in the admin); this module
only reads names and looks roots up in a plain dict handed to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

# The seed for the ContractMultiplier table (data migration) and the fallback when a parse runs
# without the database (pure tests). Point values in USD per 1.0 price move.
DEFAULT_MULTIPLIERS: dict[str, tuple[Decimal, str]] = {
    "ES": (Decimal("50"), "E-mini S&P 500"),
    "MES": (Decimal("5"), "Micro E-mini S&P 500"),
    "NQ": (Decimal("20"), "E-mini Nasdaq-100"),
    "MNQ": (Decimal("2"), "Micro E-mini Nasdaq-100"),
    "RTY": (Decimal("50"), "E-mini Russell 2000"),
    "M2K": (Decimal("5"), "Micro E-mini Russell 2000"),
    "YM": (Decimal("5"), "E-mini Dow"),
    "MYM": (Decimal("0.5"), "Micro E-mini Dow"),
    "CL": (Decimal("1000"), "Crude oil"),
    "MCL": (Decimal("100"), "Micro crude oil"),
    "QM": (Decimal("500"), "E-mini crude oil"),
    "NG": (Decimal("10000"), "Natural gas"),
    "GC": (Decimal("100"), "Gold"),
    "MGC": (Decimal("10"), "Micro gold"),
    "SI": (Decimal("5000"), "Silver"),
    "SIL": (Decimal("1000"), "Micro silver"),
    "HG": (Decimal("25000"), "Copper"),
    "ZB": (Decimal("1000"), "30-year Treasury bond"),
    "ZN": (Decimal("1000"), "10-year Treasury note"),
    "ZF": (Decimal("1000"), "5-year Treasury note"),
    "ZT": (Decimal("2000"), "2-year Treasury note"),
    "6E": (Decimal("125000"), "Euro FX"),
    "M6E": (Decimal("12500"), "Micro Euro FX"),
    "6B": (Decimal("62500"), "British pound"),
    "6J": (Decimal("12500000"), "Japanese yen"),
    "ZC": (Decimal("50"), "Corn"),
    "ZS": (Decimal("50"), "Soybeans"),
    "ZW": (Decimal("50"), "Wheat"),
    "BTC": (Decimal("5"), "Bitcoin"),
    "MBT": (Decimal("0.1"), "Micro bitcoin"),
}

MONTH_CODES = "FGHJKMNQUVXZ"
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

# MNQM6, MNQM26, /MNQU26, ESZ4, 6EM6 (root is the shortest prefix followed by month code + year)
_COMPACT = re.compile(rf"^/?([A-Z0-9]{{1,4}}?)([{MONTH_CODES}])(\d{{1,2}})$")
# MNQ SEP26, MNQ SEP 26, MNQ 09-26 (NinjaTrader), ES DEC2026
_SPACED = re.compile(rf"^/?([A-Z0-9]{{1,4}})\s+(?:(?:{'|'.join(MONTH_NAMES)})\s*\d{{2,4}}|\d{{2}}-\d{{2,4}})$")
# MESU26_FUT_CME, MESU6.CME, ESZ4:XCME (Sierra Chart / data-feed names: a compact contract + exchange)
_EXCHANGE_SUFFIXED = re.compile(
    rf"^/?([A-Z0-9]{{1,4}}?)([{MONTH_CODES}])(\d{{1,2}})(?:[_.:-](?:FUT[_.]?)?[A-Z]{{2,6}})+$"
)
# F.US.MESU26, F.US.EPU26 (CQG: the exchange's root)
_CQG = re.compile(rf"^F\.[A-Z]{{2}}\.([A-Z0-9]{{1,4}}?)[{MONTH_CODES}]\d{{1,2}}$")
_CQG_ALIASES = {"EP": "ES", "ENQ": "NQ"}
# CON.F.US.MNQ.U26 (ProjectX contract ids)
_PROJECTX = re.compile(rf"^CON\.F\.[A-Z]+\.([A-Z0-9]+)\.[{MONTH_CODES}]\d{{1,2}}$")
# ProjectX ids use exchange roots for a few contracts.
_PROJECTX_ALIASES = {"EP": "ES", "ENQ": "NQ"}


def futures_root(symbol: str) -> str | None:
    """The root of a futures contract name, or None when the name is not a futures contract.

    ``MNQ SEP26``, ``MNQM6``, ``MNQM26``, ``/MNQU26``, ``MNQ 09-26``, ``MNQU26_FUT_CME``, ``MNQU6.CME``,
    ``F.US.MNQU26`` -> ``MNQ``.
    """
    s = " ".join((symbol or "").strip().upper().split())
    m = _PROJECTX.match(s)
    if m:
        return _PROJECTX_ALIASES.get(m.group(1), m.group(1))
    m = _SPACED.match(s) or _COMPACT.match(s) or _EXCHANGE_SUFFIXED.match(s)
    if m:
        return m.group(1)
    m = _CQG.match(s)
    if m:
        return _CQG_ALIASES.get(m.group(1), m.group(1))
    if s.startswith("/") and s[1:].isalnum():  # thinkorswim continuous "/ES"
        return s[1:]
    return None


def multiplier_for(symbol: str, multipliers: Mapping[str, Decimal]) -> tuple[Decimal | None, str | None]:
    """(multiplier, root) for a symbol: (1, None) for a stock, (None, root) for an unknown future."""
    root = futures_root(symbol)
    if root is None:
        return Decimal(1), None
    value = multipliers.get(root)
    return (Decimal(value) if value is not None else None), root


def default_multiplier_table() -> dict[str, Decimal]:
    """The seed table as a plain dict (for parses without a database)."""
    return {root: value for root, (value, _) in DEFAULT_MULTIPLIERS.items()}
