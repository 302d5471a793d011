"""Ask conversations with the real anthropic SDK against a loopback server playing scripted replies."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from post_mortem.ask.tools import ToolBox
from post_mortem.models import QuestionStatus
from post_mortem.services.ask import NO_KEY, SYSTEM, question_ask
from tests.llm.loopback import error

from .conftest import text, tool_use

BRAVO_NVDA = {"selection": {"accounts": ["BRAVO"], "symbols": ["NVDA"]}}
BRAVO_MONDAY = {"selection": {"accounts": ["BRAVO"], "segments": [{"factor": "weekday", "value": "Monday"}]}}


def money(value: float, decimals: int = 2) -> str:
    return f"{'-' if value < 0 else ''}${abs(value):,.{decimals}f}"


def _posts(loop):
    return [r for r in loop.requests if r.path.endswith("/v1/messages")]


def test_answer_is_stored_with_numbers_traced_to_tool_calls(desk, loopback, superuser):
    expected = ToolBox().run("trade_stats", BRAVO_NVDA)
    win_pct = f"{expected['win_rate'] * 100:.1f}%"
    answer = (
        f"BRAVO's NVDA trades: {expected['n']} trades, expectancy {expected['expectancy_r']:+.2f}R "
        f"(95% CI {expected['expectancy_ci_95'][0]:.2f} to {expected['expectancy_ci_95'][1]:.2f}), "
        f"win rate {win_pct}, net P&L {money(expected['net_pnl'])}."
    )
    loopback.reply(200, tool_use(("trade_stats", BRAVO_NVDA)))
    loopback.reply(200, text(answer))

    q = question_ask(user=superuser, text="How did BRAVO do on NVDA?")

    assert q.status == QuestionStatus.ANSWERED, q.reason
    assert q.answer.startswith(answer)
    assert [{k: c[k] for k in ("name", "input", "result")} for c in q.tool_calls] == [
        {"name": "trade_stats", "input": BRAVO_NVDA, "result": expected}
    ]
    assert q.tool_calls[0]["links"] == {}  # accounts and symbols: the trade list filters them itself
    values = [n["value"] for n in q.numbers]
    assert str(expected["n"]) in values and win_pct.rstrip("%") in values
    assert money(expected["net_pnl"]) in values
    assert all(n["tool_call"] == 0 for n in q.numbers)
    assert q.rounds == 2 and q.input_tokens == 2 * 2400 and q.output_tokens == 240
    assert q.cost_usd > Decimal(0) and q.model == "claude-sonnet-5-5"
    posts = _posts(loopback)
    first, second = posts[0].body, posts[1].body
    assert first["system"][0]["text"] == SYSTEM and first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert {t["name"] for t in first["tools"]} >= {"trade_stats", "compare_selections", "list_recommendations"}
    assert "How did BRAVO do on NVDA?" in first["messages"][0]["content"]
    result_block = second["messages"][-1]["content"][0]
    assert result_block["type"] == "tool_result" and result_block["tool_use_id"] == "toolu_0_trade_stats"
    assert json.loads(result_block["content"]) == expected


def test_small_sample_flag_is_added_when_the_answer_omits_it(desk, loopback, superuser):
    expected = ToolBox().run("trade_stats", BRAVO_MONDAY)
    assert expected["small_sample"]
    loopback.reply(200, tool_use(("trade_stats", BRAVO_MONDAY)))
    loopback.reply(200, text(f"On Mondays BRAVO averaged {expected['expectancy_r']:.3f}R."))
    q = question_ask(user=superuser, text="How did BRAVO do on Mondays?")
    assert q.status == QuestionStatus.ANSWERED
    assert q.answer.endswith(f"Caution: n = {expected['n_with_r']}: too few to conclude.")


def test_untraceable_number_is_retried_once_then_refused(desk, loopback, superuser):
    expected = ToolBox().run("trade_stats", BRAVO_NVDA)
    loopback.reply(200, tool_use(("trade_stats", BRAVO_NVDA)))
    loopback.reply(200, text(f"BRAVO made {expected['n']} trades and will earn $48,213 next month."))
    loopback.reply(200, text("BRAVO's expectancy is 7.77R with a 93.1% win rate."))

    q = question_ask(user=superuser, text="How did BRAVO do on NVDA?")

    assert q.status == QuestionStatus.REFUSED
    assert q.answer == ""
    assert "7.77" in q.reason and "93.1" in q.reason
    assert q.rejected_answer.startswith("BRAVO's expectancy is 7.77R")
    assert q.tool_calls[0]["result"] == expected  # the tool results are what the page shows
    retry = _posts(loopback)[2].body["messages"][-1]["content"]
    assert "48,213" in retry and "in no tool result" in retry


def test_retry_that_fixes_the_numbers_is_answered(desk, loopback, superuser):
    expected = ToolBox().run("trade_stats", BRAVO_NVDA)
    loopback.reply(200, tool_use(("trade_stats", BRAVO_NVDA)))
    loopback.reply(200, text("BRAVO made 4,321 trades."))
    loopback.reply(200, text(f"BRAVO made {expected['n']} NVDA trades for {money(expected['net_pnl'], 0)}."))
    q = question_ask(user=superuser, text="How did BRAVO do on NVDA?")
    assert q.status == QuestionStatus.ANSWERED, q.reason
    assert q.rejected_answer == "BRAVO made 4,321 trades."


def test_model_that_never_stops_calling_tools_ends_cleanly(desk, loopback, superuser, settings):
    settings.ASK_MAX_TOOL_ROUNDS = 3
    loopback.default = (200, tool_use(("list_patterns", {})), {})
    q = question_ask(user=superuser, text="Which patterns matter?")
    assert q.status == QuestionStatus.FAILED
    assert q.reason.startswith("Could not answer: the model was still calling tools after 3 rounds")
    assert len(q.tool_calls) == 3 and q.rounds == 4
    assert q.finished_at is not None


def test_bad_tool_input_goes_back_to_the_model_as_an_error(desk, loopback, superuser):
    loopback.reply(200, tool_use(("trade_stats", {"selection": {"where": "1=1"}})))
    loopback.reply(200, text("I could not build that selection."))
    q = question_ask(user=superuser, text="Anything?")
    assert q.status == QuestionStatus.ANSWERED
    block = _posts(loopback)[1].body["messages"][-1]["content"][0]
    assert block["is_error"] is True and "selection.where" in block["content"]


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (429, error("rate_limit_error", "Too many requests"), "Claude API error 429: Too many requests"),
        (529, error("overloaded_error", "Overloaded"), "Claude API error 529: Overloaded"),
        (400, error("invalid_request_error", "messages: bad"), "Claude API error 400: messages: bad"),
    ],
)
def test_api_errors_leave_a_failed_question(desk, loopback, superuser, status, body, reason):
    loopback.default = (status, body, {"retry-after-ms": "1"})
    q = question_ask(user=superuser, text="How did BRAVO do?")
    assert q.status == QuestionStatus.FAILED
    assert q.reason == reason
    assert q.finished_at is not None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<html>502 Bad Gateway</html>", "Reply is not JSON: Expecting value"),
        (
            {
                "id": "msg_x",
                "type": "message",
                "role": "assistant",
                "model": "m",
                "content": [],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 1, "output_tokens": 1},
            },
            "Reply had neither text nor a tool call (stop_reason=end_turn).",
        ),
        ({"unexpected": True}, "Reply is not a Messages API message"),
    ],
)
def test_garbage_replies_leave_a_failed_question(desk, loopback, superuser, body, reason):
    loopback.default = (200, body, {})
    q = question_ask(user=superuser, text="How did BRAVO do?")
    assert q.status == QuestionStatus.FAILED
    assert q.reason.startswith(reason)
    assert q.finished_at is not None


def test_time_limit_ends_the_conversation_without_a_call(desk, loopback, superuser, settings):
    settings.ASK_TIMEOUT_S = 0
    q = question_ask(user=superuser, text="How did BRAVO do?")
    assert q.status == QuestionStatus.FAILED
    assert q.reason == "Could not answer within the 0 s limit (ASK_TIMEOUT_S)."
    assert _posts(loopback) == []


def test_without_a_key_the_question_fails_with_the_offline_hint(desk, monkeypatch, superuser, settings):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings.ANTHROPIC_API_KEY = ""
    q = question_ask(user=superuser, text="How did BRAVO do?")
    assert q.status == QuestionStatus.FAILED and q.reason == NO_KEY


def test_follow_up_may_quote_the_thread(desk, loopback, superuser):
    expected = ToolBox().run("trade_stats", BRAVO_NVDA)
    loopback.reply(200, tool_use(("trade_stats", BRAVO_NVDA)))
    loopback.reply(200, text(f"BRAVO made {expected['n']} NVDA trades."))
    first = question_ask(user=superuser, text="How many NVDA trades did BRAVO make?")
    loopback.reply(200, text(f"Yes: net P&L was {money(expected['net_pnl'])}."))
    follow = question_ask(user=superuser, text="And the money?", parent=first)
    assert follow.status == QuestionStatus.ANSWERED, follow.reason
    assert follow.numbers[0]["question"] == first.pk and follow.numbers[0]["tool_call"] == 0
    sent = _posts(loopback)[-1].body["messages"]
    assert sent[0]["content"] == first.text and "net_pnl" in sent[1]["content"]
