"""The number tracing rules: rounding at the written precision, percentages, money, words, anchors."""

from __future__ import annotations

from post_mortem.ask import tracing

CALLS = [
    {
        "name": "trade_stats",
        "input": {"selection": {"accounts": ["BRAVO"], "since": "2026-03-02"}},
        "result": {
            "selection": {"accounts": ["BRAVO"], "since": "2026-03-02"},
            "n": 57,
            "expectancy_r": -0.4137,
            "win_rate": 0.5441,
            "net_pnl": -18277.72,
            "small_sample": False,
            "groups": [
                {
                    "group": {"factor": "setup", "value": "fade"},
                    "n": 12,
                    "net_pnl": -7043.85,
                    "small_sample": True,
                    "note": "n = 12: too few to conclude",
                }
            ],
        },
    },
    {"name": "list_patterns", "input": {}, "result": {"patterns": [{"pattern_id": 9, "effect_r": 0.883}]}},
]


def _trace(text: str) -> tracing.Trace:
    return tracing.trace(text, tracing.sources_of(CALLS, question_texts=("How did BRAVO do in 2026?",)))


def test_rounded_values_percentages_and_money_trace():
    t = _trace(
        "BRAVO: 57 trades, -0.41R, 54.4% wins, -$18,277.72 (about -$18,278), pattern effect 0.88R, since 2026-03-02."
    )
    assert t.ok, t.untraced
    values = {n.value: n for n in t.numbers}
    assert values["57"].tool_call == 0 and values["57"].anchor["kind"] == "selection"
    assert values["0.88"].tool_call == 1 and values["0.88"].anchor == {"kind": "pattern", "id": 9}


def test_group_anchor_and_small_sample_note():
    t = _trace("Fading lost $7,043.85 over 12 trades.")
    assert t.ok
    money = next(n for n in t.numbers if n.value == "$7,043.85")
    assert money.anchor["group"] == {"factor": "setup", "value": "fade"} and money.note == "n = 12: too few to conclude"


def test_invented_and_over_precise_numbers_fail():
    assert _trace("BRAVO will make $25,000 next month.").untraced == ["$25,000"]
    assert _trace("Expectancy was -0.4201R.").untraced == ["-0.4201"]  # not -0.4137 at that precision
    assert _trace("Win rate 61%.").untraced == ["61"]


def test_small_words_and_question_numbers_pass_unlinked():
    t = _trace("Two of five rules held in 2026; the 95% CI is wide.")
    assert t.ok and [n.value for n in t.numbers] == []
