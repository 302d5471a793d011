"""Words for the codes the engines store (fact keys, opportunity areas), so people never read `mfe_r`.

Each fact key has a label and a kind; the kind picks the shared number format
(admin_ext.formatting). An unknown key (a newer engine) still reads as words.
"""

from __future__ import annotations

import re
from typing import Any

from admin_ext import formatting as fmt
from post_mortem.engines.vocabulary import FACTOR_BY_CODE

# kind: r, money, price, quantity, ratio, percent (already in %), fraction (0-1), minutes, bool, int, text,
# pvalue, code (a stored code with words of its own or humanized)
FACTS: dict[str, tuple[str, str]] = {
    "net_pnl": ("Net P&L", "money"),
    "gross_pnl": ("Gross P&L", "money"),
    "r_multiple": ("R-multiple", "r"),
    "holding_minutes": ("Holding time", "minutes"),
    "account_expectancy_r": ("Account's prior expectancy", "r"),
    "entry_price": ("Entry price", "price"),
    "exit_price": ("Exit price", "price"),
    "stop_price": ("Stop price", "price"),
    "setup": ("Setup", "text"),
    "setup_expectancy_r": ("Setup's prior expectancy", "r"),
    "setup_win_rate": ("Setup's prior win rate", "fraction"),
    "trend_atr": ("Trend before entry (ATR)", "ratio"),
    "entry_hour": ("Entry hour (desk time)", "int"),
    "target_reached": ("Target reached", "bool"),
    "mfe_r": ("Best open profit (MFE)", "r"),
    "mae_r": ("Worst open loss (MAE)", "r"),
    "exit_efficiency": ("Exit efficiency", "fraction"),
    "left_on_table_usd": ("Left on the table", "money"),
    "left_on_table_r": ("Left on the table (R)", "r"),
    "risk_amount": ("Risk to the stop (1R)", "money"),
    "stop_honoured": ("Stop honored", "bool"),
    "stop_honored": ("Stop honored", "bool"),
    "loss_beyond_stop_r": ("Loss beyond the stop", "r"),
    "planned_rr": ("Planned reward:risk", "ratio"),
    "size_ratio": ("Size vs usual", "times"),
    "atr_pct_of_price": ("ATR, % of price", "percent"),
    "atr_ratio": ("ATR vs its average", "times"),
    "weekday": ("Weekday", "text"),
    "minutes_since_loss_exit": ("Minutes since a losing exit", "minutes"),
    "last_loss_r": ("Last loss", "r"),
    "loss_streak": ("Losses in a row before", "int"),
    "trade_of_day": ("Trade of the day", "int"),
    "holding_ratio": ("Holding time vs usual", "times"),
    "prior_trades": ("Prior trades on the account", "int"),
    "segment_mean_r": ("Mean R of such trades", "r"),
    "segment_prior_trades": ("Such prior trades", "int"),
    "quantity": ("Quantity", "quantity"),
    "usual_quantity": ("Usual quantity", "quantity"),
    "usual_holding_minutes": ("Usual holding time", "minutes"),
    # A recommendation's evidence from a mined pattern (see post_mortem.services.plans).
    "pattern": ("Pattern", "int"),
    "n": ("Trades in the segment", "int"),
    "effect": ("Effect per trade", "r"),
    "ci_low": ("95% CI, low", "r"),
    "ci_high": ("95% CI, high", "r"),
    "p_value": ("p", "pvalue"),
    "q_value": ("q (Benjamini-Hochberg)", "pvalue"),
    "dollars_at_stake": ("Dollars at stake", "money"),
    "share": ("Share of trades", "fraction"),
    "comparison": ("Compared", "code"),
    "reference": ("Comparison group", "text"),
    "trade_id": ("Trade", "int"),
}


def humanize_code(code: str) -> str:
    """`after_loss_reentry` -> "After loss reentry" (for codes without a label of their own)."""
    text = str(code).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def fact_label(key: str) -> str:
    return FACTS.get(key, (humanize_code(key), ""))[0]


def fact_value(key: str, value: Any) -> str:
    """The value in the format of its kind ("+0.18R", "$517.66", "74 min", "No")."""
    if value is None or value == "":
        return fmt.DASH
    kind = FACTS.get(key, ("", ""))[1]
    if kind == "bool" or isinstance(value, bool):
        return "Yes" if value else "No"
    if kind == "r":
        return fmt.fmt_r(value)
    if kind == "money":
        return fmt.fmt_money(value)
    if kind in ("price", "quantity"):
        return fmt.fmt_quantity(value) if kind == "quantity" else fmt.fmt_price(value)
    if kind == "fraction":
        return fmt.fmt_percent(value, 0)
    if kind == "pvalue":
        return fmt.fmt_pvalue(value)
    if kind == "code":
        return {"within_day": "within the same days", "days": "day by day"}.get(str(value), humanize_code(value))
    if kind == "percent":
        number = fmt._number(value)
        return fmt.DASH if number is None else f"{number:.2f}%"
    if kind == "minutes":
        return fmt.fmt_duration(value)
    if kind == "times":
        number = fmt._number(value)
        return fmt.DASH if number is None else f"{number:.2f}×"
    if kind in ("ratio",):
        number = fmt._number(value)
        return fmt.DASH if number is None else f"{number:.2f}"
    if kind == "int":
        number = fmt._number(value)
        return fmt.DASH if number is None else f"{round(number):,}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def fact_rows(facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, formatted value) pairs for a section's or an opportunity's numbers."""
    return [(fact_label(key), fact_value(key, value)) for key, value in facts.items()]


# Mining factors (a pattern's `factor`), as a column header reads them.
SEGMENT_FACTORS: dict[str, str] = {
    "after_loss": "After a loss",
    "loss_streak": "Losses in a row",
    "trade_of_day": "Trade of the day",
    "position_size": "Size vs usual",
    "hour": "Entry hour",
    "weekday": "Weekday",
    "setup": "Setup",
    "symbol": "Symbol",
    "side": "Side",
    "trend": "Trend",
    "volatility": "Volatility",
    "holding_time": "Holding time",
    "account": "Account",
    "primary_factor": "Post-mortem finding",
}

# Opportunity areas and pattern categories (`Recommendation.area`, `describe.category_for`).
AREAS: dict[str, str] = {
    "entry": "Entry",
    "exit": "Exit",
    "risk_management": "Risk management",
    "behavioral": "Behavioral",
    "market_context": "Market context",
    "performance": "Performance",
    "timing": "Timing",
    "trader": "Trader",
    "other": "Other",
}


def factor_title(code: str) -> str:
    """A post-mortem factor code in words: `stop_not_honoured` -> "Stop not honored"."""
    factor = FACTOR_BY_CODE.get(str(code))
    return factor.title if factor else humanize_code(code)


def area_label(code: str) -> str:
    if not code:
        return fmt.DASH
    return AREAS.get(str(code), humanize_code(code))


def segment_value(factor: str, value: str) -> str:
    """A segment's value as people say it: "true" -> "yes", a finding code -> its title."""
    value = "" if value is None else str(value)
    if value in ("true", "false"):
        return "yes" if value == "true" else "no"
    if factor == "primary_factor":
        return factor_title(value)
    if factor == "hour" and value.isdigit():
        return f"{int(value):02d}:00–{int(value):02d}:59"
    if factor == "trade_of_day":
        return {"1": "1st", "2": "2nd", "3": "3rd", "4+": "4th or later"}.get(value, value)
    if factor == "side":
        return value.capitalize()
    if factor in ("trend", "volatility"):
        return humanize_code(value).lower()
    return value


def segment_label(factor: str, value: str) -> str:
    """A mined segment in words: ("after_loss", "true") -> "After a loss: yes"."""
    name = SEGMENT_FACTORS.get(str(factor), humanize_code(factor))
    return f"{name}: {segment_value(factor, value)}"


def _decoded_segment(factor: str, encoded: str) -> str:
    """Undo `describe.type_code`'s slug of a segment value: "1_5x_plus" -> "1.5x+", "under_5_min" -> "<5 min"."""
    text = encoded.replace("_plus", "+").replace("under_", "<")
    text = re.sub(r"(\d)_(\d)", r"\1.\2" if factor == "position_size" else r"\1-\2", text)
    return text.replace("_", " ")


def type_label(code: str) -> str:
    """A recommendation type in words: `avoid_after_loss_reentry` -> "Avoid re-entering after a loss",
    `avoid_hour_09` -> "Avoid: entry hour 09:00-09:59", `stop_not_honoured` -> "Stop not honored"."""
    code = "" if code is None else str(code)
    if not code:
        return fmt.DASH
    if code == "avoid_after_loss_reentry":
        return "Avoid re-entering after a loss"
    if code in FACTOR_BY_CODE:
        return FACTOR_BY_CODE[code].title
    verb, _, rest = code.partition("_")
    if verb not in ("avoid", "more") or not rest:
        return humanize_code(code)
    verb = "Avoid" if verb == "avoid" else "More"
    if rest in FACTOR_BY_CODE:
        return f"{verb}: {FACTOR_BY_CODE[rest].title.lower()}"
    for factor, name in SEGMENT_FACTORS.items():
        if rest.startswith(factor + "_") and factor != "primary_factor":
            value = _decoded_segment(factor, rest[len(factor) + 1 :])
            return f"{verb}: {name.lower()} {segment_value(factor, value)}"
    return f"{verb}: {humanize_code(rest).lower()}"
