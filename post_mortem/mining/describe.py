"""Plain-language text for mined segments: descriptions, action items, plan targets.

Template text from the computed statistics only (no number is written that the miner did not
compute), so it is safe without a model. Categories and type codes are stable strings because the
feedback loop aggregates ROI per type.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Factors where a trader can choose more of a segment: only these become "do more of it" items.
# For behavioral factors (after a loss, streaks, size, trade of day) the "strength" is the absence
# of the weakness, which the weakness's own rule already covers.
STRENGTH_FACTORS = frozenset(
    {"setup", "symbol", "side", "hour", "weekday", "account", "holding_time", "trend", "volatility", "primary_factor"}
)

CATEGORY_BY_FACTOR = {
    "after_loss": "behavioral",
    "loss_streak": "behavioral",
    "trade_of_day": "behavioral",
    "position_size": "risk_management",
    "hour": "timing",
    "weekday": "timing",
    "setup": "entry",
    "symbol": "entry",
    "side": "entry",
    "trend": "market_context",
    "volatility": "market_context",
    "holding_time": "exit",
    "account": "trader",
    "primary_factor": "behavioral",
}


@dataclass(frozen=True, slots=True)
class SegmentFacts:
    """The numbers a text may quote (all from the miner)."""

    factor: str
    segment: str
    n: int
    share: float
    mean_r: float
    mean_r_rest: float
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    q_value: float
    win_rate: float
    win_rate_rest: float
    fisher_p: float
    dollars_at_stake: float
    significant: bool
    reference: str = ""  # the comparison group's values ("false", "Tuesday, Wednesday, Thursday")
    comparison: str = "within_day"  # "within_day" or "days" (days as the unit)
    n_days: int = 0
    n_days_ref: int = 0


def category_for(factor: str, segment: str) -> str:
    if factor == "primary_factor":
        try:
            from ..engines.vocabulary import FACTOR_BY_CODE

            return FACTOR_BY_CODE[segment].area
        except (ImportError, KeyError):
            return "behavioral"
    return CATEGORY_BY_FACTOR.get(factor, "other")


def subject(factor: str, segment: str, *, after_loss_minutes: float = 30, desk_tz: str = "desk time") -> str:
    """Who the segment is, in words ("Trades entered within 30 minutes of a losing exit")."""
    if factor == "after_loss":
        within = f"within {after_loss_minutes:g} minutes of a losing exit on the same account"
        return f"Trades entered {within}" if segment == "true" else f"Trades not entered {within}"
    if factor == "loss_streak":
        return {
            "0": "Trades entered when the account's last exit was not a loss",
            "1": "Trades entered right after one losing exit",
            "2+": "Trades entered after 2 or more consecutive losing exits",
        }.get(segment, f"Trades with loss streak {segment}")
    if factor == "position_size":
        return f"Trades sized {segment} the account's usual quantity"
    if factor == "hour":
        return f"Trades entered between {segment}:00 and {segment}:59 ({desk_tz})"
    if factor == "weekday":
        return f"Trades entered on {segment}s"
    if factor == "setup":
        return f"Trades with setup '{segment}'"
    if factor == "symbol":
        return f"Trades in {segment}"
    if factor == "side":
        return f"{segment.capitalize()} trades"
    if factor == "account":
        return f"Trades on account {segment}"
    if factor == "holding_time":
        return f"Trades held {segment}"
    if factor == "trade_of_day":
        nth = {"1": "1st", "2": "2nd", "3": "3rd", "4+": "4th or later"}.get(segment, segment)
        return f"The {nth} trade of the day on an account"
    if factor == "primary_factor":
        return f"Trades whose post-mortem named '{segment}'"
    if factor in {"trend", "volatility"}:
        return f"Trades entered with {factor} '{segment}'"
    return f"Trades with {factor} = {segment}"


def _p(value: float) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return "<1e-300" if value == 0 else f"{value:.2g}"


def comparison_text(facts: SegmentFacts, **subject_kwargs) -> str:
    """Which comparison the effect comes from, in words a desk head can check."""
    group = reference_text(facts.factor, facts.reference, **subject_kwargs)
    if facts.comparison == "days":
        return (
            f"days as the unit: {facts.n_days} {facts.segment} days against {facts.n_days_ref} days of {group}, "
            "each day's mean R net of the trade-level factors"
        )
    return (
        f"within the same days against {group}, all factors estimated together "
        "(day fixed effects, errors clustered by day)"
    )


def reference_text(factor: str, reference: str, **subject_kwargs) -> str:
    """The comparison group in words ("trades not after a loss", "typical values: 10, 11, 13")."""
    if factor == "primary_factor":
        return "analyzed trades without this code"
    if factor == "after_loss":
        return "trades not entered soon after a loss"
    return f"the factor's typical values ({reference})" if reference else "the other trades"


def describe(facts: SegmentFacts, **subject_kwargs) -> str:
    """One paragraph: raw means, the day-aware adjusted effect with CI, p and q, win rates, dollars."""
    who = subject(facts.factor, facts.segment, **subject_kwargs)
    if facts.significant:
        verdict = "Significant (q < 0.05, CI excludes zero, above the minimum practical size)"
    else:
        verdict = "Not significant"
    return (
        f"{who} (n={facts.n}, {facts.share:.0%} of trades with R) averaged {facts.mean_r:+.2f}R against "
        f"{facts.mean_r_rest:+.2f}R for the comparison group. Compared {comparison_text(facts, **subject_kwargs)}: "
        f"{facts.effect:+.2f}R per trade (95% CI {facts.ci_low:+.2f} to {facts.ci_high:+.2f}; p={_p(facts.p_value)}, "
        f"Benjamini-Hochberg q={_p(facts.q_value)}). Win rate {facts.win_rate:.0%} vs {facts.win_rate_rest:.0%} "
        f"(Fisher p={_p(facts.fisher_p)}). {verdict}; about ${abs(facts.dollars_at_stake):,.0f} "
        f"{'lost' if facts.effect < 0 else 'gained'} against the comparison group over the period."
    )


def _lower_first(text: str) -> str:
    """Lower-case only the sentence's first letter: account names and setups keep their case."""
    return text[:1].lower() + text[1:]


def rule_text(factor: str, segment: str, *, weakness: bool, after_loss_minutes: float = 30) -> str:
    """The improvement rule a desk can follow and check."""
    if not weakness:
        return f"Do more of it: {_lower_first(subject(factor, segment, after_loss_minutes=after_loss_minutes))}."
    if factor == "after_loss" and segment == "true":
        return f"No re-entry within {after_loss_minutes:g} minutes of a losing exit on the same account."
    if factor == "loss_streak" and segment == "2+":
        return "Stop for the session (or halve size) after 2 consecutive losing exits."
    if factor == "position_size" and segment == "1.5x+":
        return "Cap position size at 1.5x the account's usual quantity."
    if factor == "hour":
        return f"No new entries between {segment}:00 and {segment}:59 without an A+ setup (or half size)."
    if factor == "weekday":
        return f"Half size on {segment}s until the edge there is re-established."
    if factor == "setup":
        return f"Stop trading the '{segment}' setup live; paper-trade it until its expectancy is positive."
    if factor == "symbol":
        return f"Stop trading {segment} until a written plan for it is reviewed."
    if factor == "side":
        return f"{segment.capitalize()} trades only with the desk's A+ criteria."
    if factor == "account":
        return f"Review account {segment}'s process with the desk head; half size until it improves."
    if factor == "trade_of_day":
        if segment == "4+":
            return "At most 3 trades per account per day."
        nth = {"1": "first", "2": "second", "3": "third"}.get(segment, segment)
        return f"Half size on the {nth} trade of the day until its expectancy recovers."
    if factor == "loss_streak" and segment == "1":
        return "After a losing exit, take the next trade only on an A+ setup (or at half size)."
    if factor == "holding_time":
        return f"Review the exit plan for trades held {segment}; set a time stop."
    if factor == "primary_factor":
        return f"Eliminate trades flagged '{segment}' by the post-mortems."
    return f"Avoid {_lower_first(subject(factor, segment, after_loss_minutes=after_loss_minutes))}."


def action_items(facts: SegmentFacts, *, after_loss_minutes: float = 30) -> list[str]:
    weakness = facts.effect < 0
    items = [rule_text(facts.factor, facts.segment, weakness=weakness, after_loss_minutes=after_loss_minutes)]
    items.append(target_text(facts))
    if weakness:
        items.append("Track the segment's share of trades and its mean R weekly; re-mine after a month.")
    return items


def target_text(facts: SegmentFacts) -> str:
    """A measurable target: the R per affected trade and the share of trades it applies to."""
    if facts.effect < 0:
        return (
            f"Expected {-facts.effect:+.2f}R per affected trade (95% CI {-facts.ci_high:+.2f} to "
            f"{-facts.ci_low:+.2f}) on {facts.share:.0%} of trades."
        )
    return (
        f"Keeps {facts.effect:+.2f}R per trade over the comparison group "
        f"(95% CI {facts.ci_low:+.2f} to {facts.ci_high:+.2f}) on {facts.share:.0%} of trades; "
        "target: a larger share at the same expectancy."
    )


def type_code(factor: str, segment: str, *, weakness: bool) -> str:
    """Stable recommendation type: `avoid_after_loss_reentry`, `avoid_setup_fade`, `more_setup_pullback`."""
    if factor == "after_loss" and segment == "true" and weakness:
        return "avoid_after_loss_reentry"
    value = re.sub(r"[^a-z0-9]+", "_", segment.lower().replace("+", "_plus").replace("<", "under_")).strip("_")
    base = value if factor == "primary_factor" else f"{factor}_{value}"
    return f"{'avoid' if weakness else 'more'}_{base}"[:60]
