"""Every number in an answer must come from a tool result of the same conversation.

The rules are the pattern phrasing check's (mining/phrasing.py): a number as written matches a
source value rounded to the written precision (or within 0.5 %, or within 0.5 % for whole numbers
of 1,000 and more written without decimals), signs are ignored, rates may be written as
percentages, and small whole numbers (0-10) are words in disguise. Sources here are every number
in the tool calls' inputs and results (dates and labels included) and in the user's own question.

Each traced number keeps where it came from: the tool call's index and the anchor the results
name for it (the selection of trades, one group of it, a pattern, a recommendation, a plan), so
the UI can link the number to exactly those trades or that row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\$?\d[\d,]*(?:\.\d+)?")
SMALL_INTEGERS = set(range(0, 11))
ALWAYS_ALLOWED = (95.0, 100.0)  # "95% CI", "100%"
QUESTION = -1  # the source index of numbers the user wrote


@dataclass(frozen=True, slots=True)
class Source:
    value: float
    tool_call: int  # index into its question's tool calls; QUESTION for the user's text
    anchor: dict[str, Any] | None = None
    question_id: int | None = None  # an earlier question of the thread (follow-ups)
    note: str | None = None  # the small-sample note of the result the value sits in


@dataclass(slots=True)
class TracedNumber:
    value: str  # as written in the answer
    tool_call: int
    start: int
    end: int
    anchor: dict[str, Any] | None = None
    question_id: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "tool_call": self.tool_call}
        if self.question_id is not None:
            out["question"] = self.question_id
        return out


@dataclass(slots=True)
class Trace:
    numbers: list[TracedNumber] = field(default_factory=list)
    untraced: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.untraced


def _text_numbers(text: str) -> list[float]:
    out = []
    for token in NUMBER.findall(text):
        try:
            out.append(abs(float(token.replace("$", "").replace(",", ""))))
        except ValueError:
            continue
    return out


@dataclass(frozen=True, slots=True)
class _Where:
    call: int
    question_id: int | None
    anchor: dict[str, Any] | None = None
    note: str | None = None


def _walk(node: Any, where: _Where, out: list[Source]) -> None:
    if isinstance(node, bool) or node is None:
        return
    if isinstance(node, int | float):
        if math.isfinite(node):
            out.append(Source(abs(float(node)), where.call, where.anchor, where.question_id, where.note))
        return
    if isinstance(node, str):
        out.extend(Source(v, where.call, where.anchor, where.question_id, where.note) for v in _text_numbers(node))
        return
    if isinstance(node, list | tuple):
        for item in node:
            _walk(item, where, out)
        return
    if isinstance(node, dict):
        anchor = where.anchor
        here = anchor
        if isinstance(node.get("selection"), dict):
            here = {"kind": "selection", "selection": node["selection"]}
            if isinstance(node.get("minus_selection"), dict):
                here["minus"] = node["minus_selection"]
        if isinstance(node.get("group"), dict) and anchor and anchor.get("kind") == "selection":
            here = {**anchor, "group": node["group"]}
        for key, kind in (
            ("pattern_id", "pattern"),
            ("recommendation_id", "recommendation"),
            ("plan_id", "plan"),
            ("run_id", "run"),
        ):
            if isinstance(node.get(key), int):
                here = {"kind": kind, "id": node[key]}
        note = where.note
        if "small_sample" in node:
            note = node.get("note") if node.get("small_sample") else None
        inner = _Where(where.call, where.question_id, here, note)
        for value in node.values():
            _walk(value, inner, out)


def sources_of(
    tool_calls: list[dict[str, Any]], *, question_id: int | None = None, question_texts: tuple[str, ...] = ()
) -> list[Source]:
    """Every number a conversation may quote. `tool_calls` are {"name", "input", "result"}.

    `question_id` marks the calls of an earlier question of the thread (a follow-up may quote them).
    """
    out: list[Source] = []
    for text in question_texts:
        out.extend(Source(v, QUESTION) for v in _text_numbers(text))
    for i, call in enumerate(tool_calls):
        _walk(call.get("input"), _Where(i, question_id), out)
        _walk(call.get("result"), _Where(i, question_id), out)
    return out


def _closeness(written: str, x: float, value: float) -> float | None:
    """Relative distance when `x` (as written) is `value` rounded; None when it is not."""
    decimals = len(written.split(".")[1]) if "." in written else 0
    tolerance = 0.5 * 10 ** (-decimals) + 1e-9
    for candidate in (value, value * 100):
        if abs(x - candidate) <= tolerance:
            return abs(x - candidate) / max(candidate, 1e-12)
        if candidate > 0 and abs(x - candidate) / candidate < 0.005:
            return abs(x - candidate) / candidate
    return None


def trace(answer: str, sources: list[Source]) -> Trace:
    """Which source each number of `answer` came from; unmatched numbers are listed as untraced."""
    result = Trace()
    for match in NUMBER.finditer(answer):
        token = match.group(0)
        written = token.replace("$", "").replace(",", "").lstrip("+-")
        try:
            x = float(written)
        except ValueError:
            continue
        best: tuple[float, Source] | None = None
        for source in sources:
            distance = _closeness(written, x, source.value)
            if distance is not None and (best is None or distance < best[0]):
                best = (distance, source)
        if best is not None:
            source = best[1]
            if source.tool_call >= 0:
                result.numbers.append(
                    TracedNumber(
                        token,
                        source.tool_call,
                        match.start(),
                        match.end(),
                        source.anchor,
                        source.question_id,
                        source.note,
                    )
                )
            continue
        if (x.is_integer() and int(x) in SMALL_INTEGERS) or x in ALWAYS_ALLOWED:
            continue
        result.untraced.append(token)
    return result
