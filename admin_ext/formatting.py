"""One rounding rule per kind of number, shared by every admin page (templates use the
`desk_format` filters, display methods call these functions directly).

- R-multiples: 2 decimals with a sign, "+0.61R".
- Money: thousands separators, 2 decimals, the currency: "$1,234.50", "-$80.00".
- p- and q-values: scientific notation with 2 significant digits, "6.7e-5"; "< 1e-300" floor.
- Quantities and prices: no trailing zeros ("280", "0.5", "563.14"), separators for thousands.
- Cost of a model call: 2 decimals from a cent up, else 2 significant digits ("$0.0031").
- Times: the desk timezone, to the minute, with its abbreviation ("2026-11-20 09:42 EST").
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings

DASH = "—"
CURRENCY = "$"
Number = int | float | Decimal


def _number(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, InvalidOperation):
        return None
    return None if math.isnan(number) else number


def fmt_r(value, signed: bool = True) -> str:
    """An R-multiple (or an effect in R): "+0.61R"."""
    number = _number(value)
    if number is None:
        return DASH
    return f"{number:+.2f}R" if signed else f"{number:.2f}R"


def fmt_money(value, signed: bool = False, decimals: int = 2) -> str:
    """Dollars with separators: "$1,234.50"; signed adds "+" to gains ("+$40,492")."""
    number = _number(value)
    if number is None:
        return DASH
    sign = "-" if number < 0 else ("+" if signed and number > 0 else "")
    return f"{sign}{CURRENCY}{abs(number):,.{decimals}f}"


def fmt_pvalue(value) -> str:
    """A p- or q-value: 2 significant digits, scientific below 0.001 ("6.7e-5"), else "0.042"."""
    number = _number(value)
    if number is None:
        return DASH
    if number <= 0:
        return "< 1e-300"
    if number >= 0.001:
        return f"{number:.2g}" if number < 1 else "1"
    mantissa, exponent = f"{number:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def fmt_quantity(value) -> str:
    """A quantity or a price without trailing zeros: "280", "0.5", "1,250.25"."""
    number = _number(value)
    if number is None:
        return DASH
    text = f"{value.normalize():,f}" if isinstance(value, Decimal) else f"{number:,.8f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_price(value) -> str:
    """A price: at least 2 decimals, more only when the price has them ("563.14", "1.23456")."""
    number = _number(value)
    if number is None:
        return DASH
    text = fmt_quantity(value)
    decimals = len(text.split(".")[1]) if "." in text else 0
    return text if decimals >= 2 else f"{number:,.2f}"


def fmt_cost(value) -> str:
    """A model call's cost: "$0.0031" below a cent, "$1.24" above, "$0" when nothing was spent."""
    number = _number(value)
    if number is None:
        return DASH
    if number == 0:
        return f"{CURRENCY}0"
    if abs(number) < 0.01:
        return f"{CURRENCY}{number:.2g}" if abs(number) >= 1e-4 else f"{CURRENCY}{number:.1e}"
    return fmt_money(number)


def fmt_percent(value, decimals: int = 1) -> str:
    """A share given as a fraction: 0.412 -> "41.2%"."""
    number = _number(value)
    if number is None:
        return DASH
    return f"{number * 100:.{decimals}f}%"


def fmt_points(value, decimals: int = 1) -> str:
    """A difference of two shares given as fractions, in percentage points: 0.05 -> "+5.0 pts"."""
    number = _number(value)
    if number is None:
        return DASH
    return f"{number * 100:+.{decimals}f} pts"


def desk_zone() -> ZoneInfo:
    return ZoneInfo(settings.DESK_TIMEZONE)


def fmt_time(value, seconds: bool = False) -> str:
    """A moment in the desk timezone, to the minute, saying which zone: "2026-11-20 09:42 EST"."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(desk_zone())
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def badge(text: str, color: str = "") -> str:
    """unfold's label pill as HTML, for read-only fields (unfold draws `label=` only in lists)."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    return mark_safe(render_to_string("unfold/helpers/label.html", {"text": text, "type": color}))


def import_run_rows(*, done: int, total: int) -> tuple[str, int, int]:
    """An import run counts every row twice (validate, then write): the phase and rows of it."""
    rows = total // 2
    if rows == 0:
        return "", done, total
    if done <= rows:
        return "validated", done, rows
    return "written", done - rows, rows


def plain_decimal(value: Decimal) -> str:
    """A Decimal as a person types it: "563.14000000" -> "563.14", "100.000" -> "100"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fmt_duration(minutes) -> str:
    """Holding time: "10 min", "2 h 05 min", "3 d 4 h"."""
    number = _number(minutes)
    if number is None:
        return DASH
    total = round(number)
    if total < 60:
        return f"{total} min"
    hours, mins = divmod(total, 60)
    if hours < 24:
        return f"{hours} h {mins:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
