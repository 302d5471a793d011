"""Asking through the admin in a real browser: with Claude played by a loopback server, and offline.

The screenshots land in docs/ (ask_answer.png, ask_offline.png) so a person can look at them.
"""

from __future__ import annotations

from pathlib import Path

from admin_ext.ask_display import money
from post_mortem.ask.tools import ToolBox
from post_mortem.models import Question, QuestionStatus
from tests.ask.conftest import desk, loopback, text, tool_use  # noqa: F401 - fixtures

DOCS = Path(__file__).resolve().parents[2] / "docs"
SEL = {"selection": {"accounts": ["BRAVO"], "symbols": ["NVDA"]}}


def test_ask_a_question_through_the_admin(admin_page, live_server, desk, loopback):  # noqa: F811
    expected = ToolBox().run("trade_stats", SEL)
    loopback.reply(200, tool_use(("trade_stats", SEL)))
    loopback.reply(
        200,
        text(
            f"BRAVO made {expected['n']} NVDA trades with an expectancy of {expected['expectancy_r']:+.2f}R "
            f"and a win rate of {expected['win_rate'] * 100:.1f}%, for {money(expected['net_pnl'])} net."
        ),
    )
    page = admin_page
    page.goto(f"{live_server.url}/admin/post_mortem/question/ask/")
    form = page.locator("form#ask-form")
    form.locator("textarea[name=text]").fill("How did BRAVO do on NVDA?")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/question/ask/*/")
    answer = page.locator(".ask-answer")
    assert f"BRAVO made {expected['n']} NVDA trades" in answer.inner_text()
    assert Question.objects.get().status == QuestionStatus.ANSWERED
    DOCS.mkdir(exist_ok=True)
    page.locator("details summary").first.click()
    page.screenshot(path=str(DOCS / "ask_answer.png"), full_page=True)
    # The trade count links to exactly those trades.
    answer.locator("a.ask-number", has_text=str(expected["n"])).first.click()
    page.wait_for_url("**/post_mortem/trade/?**")
    assert "symbol__exact=NVDA" in page.url and "account__exact=BRAVO" in page.url
    assert page.locator("#result_list tbody tr").count() == expected["n"]


def test_offline_tools_form_through_the_admin(admin_page, live_server, desk, monkeypatch, settings):  # noqa: F811
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings.ANTHROPIC_API_KEY = ""
    expected = ToolBox().run("trade_stats", {"selection": {"accounts": ["BRAVO"]}, "group_by": "setup"})
    page = admin_page
    page.goto(f"{live_server.url}/admin/post_mortem/question/ask/")
    assert page.locator("#ask-offline").is_visible()
    form = page.locator("form#tool-form")
    form.locator("input[name=s-accounts]").fill("BRAVO")
    form.locator("select[name=s-group_by]").select_option("setup")
    form.locator("button[type=submit]").click()
    result = page.locator("#tool-result")
    result.wait_for()
    assert result.locator('[data-stat="Net P&L"]').first.inner_text() == money(expected["net_pnl"])
    assert result.locator('[data-stat="Trades"]').first.inner_text() == f"{expected['n']:,}"
    page.screenshot(path=str(DOCS / "ask_offline.png"), full_page=True)
