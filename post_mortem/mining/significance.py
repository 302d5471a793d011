"""The one rule that calls a mined pattern significant, and the words for why one is not.

A pattern is significant when all three hold:

1. q < alpha (Benjamini-Hochberg across every segment tested in the run; alpha 0.05),
2. its 95% CI excludes zero, and
3. |effect| >= the minimum practical size (`PATTERN_MIN_EFFECT_R`, default 0.15R): a difference
   smaller than that is not worth a rule even when the data are large enough to see it.

The miner stores the verdict on the pattern (`significant`), so the pattern list, the detail page,
the plan and the dashboard all read the same field and cannot disagree.
"""

from __future__ import annotations

import math

DEFAULT_ALPHA = 0.05
DEFAULT_MIN_EFFECT_R = 0.15


def is_significant(
    *, q_value: float, ci_low: float, ci_high: float, effect: float, alpha: float, min_effect: float
) -> bool:
    """True only when the q-value, the interval and the size all say so (NaN anywhere: False)."""
    return not not_significant_reasons(
        q_value=q_value, ci_low=ci_low, ci_high=ci_high, effect=effect, alpha=alpha, min_effect=min_effect
    )


def not_significant_reasons(
    *, q_value: float, ci_low: float, ci_high: float, effect: float, alpha: float, min_effect: float
) -> list[str]:
    """Each failed condition in words (empty list = significant)."""
    values = (q_value, ci_low, ci_high, effect)
    if any(v is None or not math.isfinite(v) for v in values):
        return ["the effect could not be estimated (no variation within the compared days)"]
    reasons = []
    if not q_value < alpha:
        reasons.append(f"q = {q_value:.2g} is not below {alpha:g} after the Benjamini-Hochberg correction")
    if ci_low <= 0 <= ci_high:
        reasons.append(f"the 95% CI ({ci_low:+.2f} to {ci_high:+.2f}R) includes zero")
    if abs(effect) < min_effect:
        reasons.append(f"|{effect:+.3f}R| is below the minimum practical size of {min_effect:g}R")
    return reasons
