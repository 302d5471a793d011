"""The primary factor vocabulary: the codes a post-mortem may name as what drove a trade.

Both engines draw from this one list (Claude's tool schema enumerates it, and a reply naming any
other code fails validation), pattern mining segments trades by these codes, and a recommendation's
``type_code`` is the code of the weakness it addresses, so ROI per type compares like with like.

Each code documents when the rules engine raises it, so a desk head can check a verdict by hand.
Thresholds live here, next to the words that explain them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Thresholds (documented in the factor texts below).
STOP_TOLERANCE_R = 1.1  # a loss beyond -1.1R means the stop was not honoured (10% slippage allowance)
OVERSIZED_RATIO = 1.5  # quantity >= 1.5x the account's usual quantity
OVERTRADING_NTH = 6  # the 6th or later trade of the desk-local day on the account
TILT_STREAK = 3  # three or more losing exits in a row right before the entry
HELD_LOSER_RATIO = 2.0  # a loser held >= 2x the trader's usual holding time
POOR_RR = 1.0  # planned reward:risk (target distance / stop distance) below 1
EARLY_EXIT_EFFICIENCY = 0.4  # kept less than 40% of the best open profit ...
EARLY_EXIT_MIN_MFE_R = 1.0  # ... of a move worth at least 1R
LEFT_ON_TABLE_R = 1.0  # price ran >= 1R further in the trade's direction within the next bars
GAVE_BACK_MFE_R = 1.0  # was >= 1R in profit and closed at or below breakeven
# The 20-bar move before entry, in ATRs, beyond 1.5 standard deviations of a 20-bar random walk
# (1.5 x sqrt(20) = 6.7 ATR): a smaller move is noise, not a trend.
COUNTER_TREND_ATR = round(1.5 * 20**0.5, 1)
WEAK_SETUP_R = -0.25  # the setup's prior expectancy on the account at or below -0.25R ...
WEAK_SETUP_MIN_TRADES = 20  # ... over at least 20 prior trades
HIGH_VOLATILITY_RATIO = 1.5  # ATR at entry >= 1.5x its trailing 200-bar average
GOOD_EXIT_EFFICIENCY = 0.7
# An R-multiple (or an expected impact in R) beyond this is a data problem (a mistyped stop, bars of
# another market), never advice: such numbers are reported as data problems, not opportunities.
MAX_PLAUSIBLE_R = 20.0


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    area: str  # entry, exit, risk_management, behavioral, market_context, performance
    polarity: str  # "negative" (a weakness) or "positive" (a strength)
    title: str
    rule: str  # when the rules engine raises it
    # The mining segment a recommendation of this type targets (see Recommendation.segment).
    segment_factor: str = "primary_factor"


FACTORS: tuple[Factor, ...] = (
    Factor(
        "stop_not_honoured",
        "risk_management",
        "negative",
        "Stop not honored",
        f"The trade lost more than {STOP_TOLERANCE_R}R: the planned stop was moved or ignored.",
    ),
    Factor(
        "no_stop",
        "risk_management",
        "negative",
        "No stop recorded",
        "The trade has no stop price, so its risk (1R) was undefined.",
    ),
    Factor(
        "oversized",
        "risk_management",
        "negative",
        "Oversized position",
        f"Quantity was at least {OVERSIZED_RATIO}x the account's usual quantity (prior trades only).",
    ),
    Factor(
        "poor_reward_risk",
        "risk_management",
        "negative",
        "Poor planned reward:risk",
        f"The planned target was less than {POOR_RR}x the stop distance away.",
    ),
    Factor(
        "after_loss_reentry",
        "behavioral",
        "negative",
        "Re-entry soon after a loss",
        "Entered within 30 minutes of a losing exit on the same account.",
        segment_factor="after_loss",
    ),
    Factor(
        "loss_streak_tilt",
        "behavioral",
        "negative",
        "Trading on a losing streak",
        f"Entered after {TILT_STREAK} or more consecutive losing exits on the account.",
    ),
    Factor(
        "overtrading",
        "behavioral",
        "negative",
        "Overtrading",
        f"The {OVERTRADING_NTH}th or later trade of the desk-local day on the account.",
    ),
    Factor(
        "held_loser_too_long",
        "exit",
        "negative",
        "Held a loser too long",
        f"A losing trade held at least {HELD_LOSER_RATIO}x the trader's usual holding time.",
    ),
    Factor(
        "early_exit",
        "exit",
        "negative",
        "Early exit",
        f"Kept less than {EARLY_EXIT_EFFICIENCY:.0%} of a favorable move worth at least {EARLY_EXIT_MIN_MFE_R}R,"
        f" or price ran {LEFT_ON_TABLE_R}R+ further in the trade's favor within 12 bars of the exit.",
    ),
    Factor(
        "gave_back_winner",
        "exit",
        "negative",
        "Gave back a winner",
        f"Was at least {GAVE_BACK_MFE_R}R in profit and closed at or below breakeven.",
    ),
    Factor(
        "counter_trend",
        "entry",
        "negative",
        "Counter-trend entry",
        f"The 20 bars before entry moved at least {COUNTER_TREND_ATR} ATR (1.5 sd of a random walk) against the side.",
    ),
    Factor(
        "high_volatility_entry",
        "market_context",
        "negative",
        "Entry in high volatility",
        f"ATR at entry was at least {HIGH_VOLATILITY_RATIO}x its trailing 200-bar average.",
    ),
    Factor(
        "weak_setup",
        "entry",
        "negative",
        "Setup with negative edge",
        f"The account's prior trades of this setup (at least {WEAK_SETUP_MIN_TRADES}) average"
        f" {WEAK_SETUP_R}R or worse.",
    ),
    Factor(
        "disciplined_stop",
        "risk_management",
        "positive",
        "Stop honored",
        "A losing trade closed within the planned 1R risk.",
    ),
    Factor("target_reached", "exit", "positive", "Target reached", "The exit was at or beyond the planned target."),
    Factor(
        "efficient_exit",
        "exit",
        "positive",
        "Efficient exit",
        f"Kept at least {GOOD_EXIT_EFFICIENCY:.0%} of the best open profit.",
    ),
    Factor(
        "with_trend",
        "entry",
        "positive",
        "With-trend entry",
        f"The 20 bars before entry moved at least {COUNTER_TREND_ATR} ATR in the trade's direction.",
    ),
)

FACTOR_BY_CODE: dict[str, Factor] = {f.code: f for f in FACTORS}
FACTOR_CODES: tuple[str, ...] = tuple(FACTOR_BY_CODE)
NEGATIVE_CODES: frozenset[str] = frozenset(f.code for f in FACTORS if f.polarity == "negative")
AREAS: tuple[str, ...] = ("entry", "exit", "risk_management", "behavioral", "market_context", "performance")


def segment_for(code: str) -> dict[str, str]:
    """The mining segment a recommendation of this type targets (``Recommendation.segment``)."""
    factor = FACTOR_BY_CODE[code]
    if factor.segment_factor == "primary_factor":
        return {"factor": "primary_factor", "value": code}
    return {"factor": factor.segment_factor, "value": "true"}


def vocabulary_markdown() -> str:
    """The vocabulary as a table: shown in the admin and given to Claude as part of its instructions."""
    lines = ["| code | area | kind | raised when |", "|---|---|---|---|"]
    lines += [f"| {f.code} | {f.area} | {f.polarity} | {f.rule} |" for f in FACTORS]
    return "\n".join(lines)
