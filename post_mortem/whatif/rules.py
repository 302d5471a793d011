"""Scenario rules: the JSON a user (or a button) writes, validated into typed rules.

A rule is a dict with a `type` and that type's parameter, e.g. `{"type": "no_reentry_after_loss",
"minutes": 30}`. Errors name the rule's position and the field, so a CLI or API caller can fix
the exact value. A rule may carry `source` (`{"pattern": id}` or `{"recommendation": id}`): where
it came from, which decides whether it must also be judged out-of-sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..mining.segments import FACTORS

RULE_TYPES = (
    "skip_segment",
    "no_reentry_after_loss",
    "max_trades_per_day",
    "daily_loss_limit",
    "max_size",
    "stop_r",
    "target_r",
)
# Segments whose membership depends on the trades before (recomputed on the replayed sequence).
SEQUENCE_FACTORS = ("after_loss", "loss_streak", "trade_of_day", "position_size")


class RuleError(ValueError):
    """A scenario that cannot be replayed; the message names the rule and the field."""


@dataclass(frozen=True)
class Scenario:
    """The validated rules of one replay (at most one of each parameterised kind, skips any number)."""

    skip_segments: tuple[tuple[str, str], ...] = ()
    no_reentry_minutes: float | None = None
    max_trades_per_day: int | None = None
    daily_loss_r: float | None = None
    daily_loss_usd: float | None = None
    max_size_multiple: float | None = None
    stop_r: float | None = None
    target_r: float | None = None
    sources: tuple[dict[str, Any], ...] = field(default=())

    @property
    def needs_bars(self) -> bool:
        return self.stop_r is not None or self.target_r is not None


def _number(rule: dict[str, Any], key: str, where: str, *, integer: bool = False, low: float = 0) -> float:
    if key not in rule:
        raise RuleError(f"{where}: '{key}' is required for {rule['type']}")
    value = rule[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleError(f"{where}: '{key}' must be a number, got {value!r}")
    if integer and int(value) != value:
        raise RuleError(f"{where}: '{key}' must be a whole number, got {value!r}")
    if value <= low:
        raise RuleError(f"{where}: '{key}' must be greater than {low:g}, got {value!r}")
    return int(value) if integer else float(value)


def parse_rules(rules: list[Any]) -> Scenario:
    """Validate a list of rule dicts into one Scenario (RuleError on the first bad rule)."""
    if not isinstance(rules, list) or not rules:
        raise RuleError("give at least one rule")
    values: dict[str, Any] = {}
    skips: list[tuple[str, str]] = []
    sources: list[dict[str, Any]] = []
    for position, rule in enumerate(rules, start=1):
        where = f"rule {position}"
        if not isinstance(rule, dict):
            raise RuleError(f'{where}: must be an object like {{"type": "max_trades_per_day", "n": 3}}')
        kind = rule.get("type")
        if kind not in RULE_TYPES:
            raise RuleError(f"{where}: 'type' must be one of {', '.join(RULE_TYPES)}, got {kind!r}")
        if isinstance(rule.get("source"), dict):
            sources.append({k: v for k, v in rule["source"].items() if k in {"pattern", "recommendation"}})
        if kind == "skip_segment":
            factor, value = rule.get("factor"), rule.get("value")
            if factor not in FACTORS:
                raise RuleError(f"{where}: 'factor' must be one of {', '.join(FACTORS)}, got {factor!r}")
            if not isinstance(value, str | int) or str(value) == "":
                raise RuleError(f'{where}: \'value\' is required (a segment value such as "true" or "fade")')
            skips.append((factor, str(value)))
            continue
        key = {
            "no_reentry_after_loss": "no_reentry_minutes",
            "max_trades_per_day": "max_trades_per_day",
            "max_size": "max_size_multiple",
            "stop_r": "stop_r",
            "target_r": "target_r",
            "daily_loss_limit": "daily_loss",
        }[kind]
        if key in values or (key == "daily_loss" and ("daily_loss_r" in values or "daily_loss_usd" in values)):
            raise RuleError(f"{where}: {kind} is given twice; keep one")
        if kind == "no_reentry_after_loss":
            values[key] = _number(rule, "minutes", where)
        elif kind == "max_trades_per_day":
            values[key] = _number(rule, "n", where, integer=True)
        elif kind == "max_size":
            values[key] = _number(rule, "multiple", where)
        elif kind in ("stop_r", "target_r"):
            values[key] = _number(rule, "r", where)
        else:
            has_r, has_usd = "r" in rule, "usd" in rule
            if has_r == has_usd:
                raise RuleError(f"{where}: daily_loss_limit takes exactly one of 'r' or 'usd'")
            if has_r:
                values["daily_loss_r"] = _number(rule, "r", where)
            else:
                values["daily_loss_usd"] = _number(rule, "usd", where)
    return Scenario(skip_segments=tuple(skips), sources=tuple(sources), **values)


def rules_for_segment(factor: str, value: str) -> list[dict[str, Any]]:
    """The natural rule for a mined segment: the behavior rule when one exists, else skip it.

    "Re-entering soon after a loss" becomes no re-entry for 30 minutes, "4th+ trade of the day"
    becomes at most 3 a day, "oversized" becomes a size cap; anything else is skipped.
    """
    if factor == "after_loss" and value == "true":
        return [{"type": "no_reentry_after_loss", "minutes": 30}]
    if factor == "trade_of_day" and value in {"2", "3", "4+"}:
        return [{"type": "max_trades_per_day", "n": int(value.rstrip("+")) - 1}]
    if factor == "position_size" and value == "1.5x+":
        return [{"type": "max_size", "multiple": 1.5}]
    return [{"type": "skip_segment", "factor": factor, "value": value}]
