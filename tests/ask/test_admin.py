"""The Ask page, its offline tools form, the question page's links, the log's permissions, the card."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from admin_ext.ask_display import ci, money, pct, r_value
from post_mortem.ask.tools import ToolBox
from post_mortem.models import Question, QuestionStatus, Trade
from post_mortem.services.ask import question_ask

from .conftest import text, tool_use

ASK = "/admin/post_mortem/question/ask/"


def _client_in(group: str) -> Client:
    user = User.objects.create_user(f"user-{group}", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def _changelist_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def test_permissions(db):
    ops_client, auditor_client, desk_head_client = (_client_in(g) for g in ("Ops", "Auditor", "Desk head"))
    assert ops_client.get(ASK).status_code == 200
    assert desk_head_client.get(ASK).status_code == 200
    assert auditor_client.get(ASK).status_code == 403
    assert auditor_client.get(reverse("admin:post_mortem_question_changelist")).status_code == 200
    assert auditor_client.get(reverse("admin:post_mortem_question_add")).status_code == 403
    q = Question.objects.create(text="x?", status=QuestionStatus.FAILED, reason="r")
    assert auditor_client.get(reverse("admin:post_mortem_question_ask_detail", args=[q.pk])).status_code == 200
    assert auditor_client.post(reverse("admin:post_mortem_question_delete", args=[q.pk])).status_code == 403


def test_offline_form_gives_the_tools_numbers(ops_client, desk, monkeypatch, settings):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings.ANTHROPIC_API_KEY = ""
    page = ops_client.get(ASK)
    assert "ANTHROPIC_API_KEY is not set" in page.content.decode()
    response = ops_client.get(ASK, {"tool": "trade_stats", "run": "1", "s-accounts": "BRAVO", "s-group_by": "setup"})
    html = unescape(response.content.decode())
    expected = ToolBox().run("trade_stats", {"selection": {"accounts": ["BRAVO"]}, "group_by": "setup"})
    for shown in (
        f"{expected['n']:,}",
        r_value(expected["expectancy_r"]),
        ci(expected["expectancy_ci_95"]),
        pct(expected["win_rate"]),
        money(expected["net_pnl"]),
    ):
        assert shown in html
    for group in expected["groups"]:
        assert money(group["net_pnl"]) in html
    # The selection's link opens exactly its trades; each group's link exactly the group's.
    link = re.search(r'<a class="text-primary-600" href="([^"]+)">accounts: BRAVO</a>', html).group(1)
    assert _changelist_count(ops_client, link) == expected["n"]
    fade = re.search(r'<a class="text-primary-600" href="([^"]+)">fade_gap</a>', html).group(1)
    assert _changelist_count(ops_client, fade) == next(
        g["n"] for g in expected["groups"] if g["group"]["value"] == "fade_gap"
    )


def test_offline_compare_and_segment_links(ops_client, desk):
    params = {
        "tool": "compare_selections",
        "run": "1",
        "a-setups": "fade_gap",
        "a-segment_factor": "weekday",
        "a-segment_value": "Monday",
        "b-setups": "fade_gap",
        "b-exclude_symbols": "NVDA",
    }
    html = unescape(ops_client.get(ASK, params).content.decode())
    expected = ToolBox().run(
        "compare_selections",
        {
            "a": {"setups": ["fade_gap"], "segments": [{"factor": "weekday", "value": "Monday"}]},
            "b": {"setups": ["fade_gap"], "exclude_symbols": ["NVDA"]},
        },
    )
    assert r_value(expected["difference_r"]) in html and ci(expected["difference_ci_95"]) in html
    link_a = re.search(r'<a class="text-primary-600" href="([^"]+)">A: ', html).group(1)
    assert "id__in" in link_a and _changelist_count(ops_client, link_a) == expected["a"]["n"]
    link_b = re.search(r'<a class="text-primary-600" href="([^"]+)">B: ', html).group(1)
    assert _changelist_count(ops_client, link_b) == expected["b"]["n"]


def test_offline_form_errors_name_the_field(ops_client, db):
    html = unescape(
        ops_client.get(
            ASK, {"tool": "trade_stats", "run": "1", "s-since": "2026-03-10", "s-until": "2026-03-01"}
        ).content.decode()
    )
    assert "since (2026-03-10) is after until (2026-03-01)" in html


def test_question_page_links_each_number(ops_client, ops_user, desk, loopback):
    sel = {"selection": {"accounts": ["BRAVO"], "since": "2026-03-02"}}
    expected = ToolBox().run("trade_stats", sel)
    loopback.reply(200, tool_use(("trade_stats", sel)))
    loopback.reply(
        200, text(f"Since 2026-03-02 BRAVO made {expected['n']} trades, net {money(expected['net_pnl'])}. <b>bold</b>")
    )
    q = question_ask(user=ops_user, text="How did BRAVO do <script>alert(1)</script> since March?")
    assert q.status == QuestionStatus.ANSWERED
    html = ops_client.get(reverse("admin:post_mortem_question_ask_detail", args=[q.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    links = re.findall(r'<a href="([^"]+)" class="ask-number" title="From tool call 1">([^<]+)</a>', html)
    values = [unescape(v) for _, v in links]
    assert str(expected["n"]) in values and money(expected["net_pnl"]) in values
    url = unescape({unescape(v): u for u, v in links}[str(expected["n"])])
    assert _changelist_count(ops_client, url) == expected["n"]


def test_ask_form_enqueues_and_redirects(ops_client, desk, loopback, django_capture_on_commit_callbacks):
    loopback.reply(200, text("Nothing to compute here."))
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(ASK, {"text": "Say something without numbers"})
    q = Question.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/ask/{q.pk}/")
    q.refresh_from_db()
    assert q.status == QuestionStatus.ANSWERED and q.user.username == "opsy"


def test_dashboard_card_shows_cost_per_month(superuser_client, db):
    Question.objects.create(text="a?", status=QuestionStatus.ANSWERED, cost_usd=Decimal("0.0125"), input_tokens=1000)
    Question.objects.create(text="b?", status=QuestionStatus.FAILED, cost_usd=Decimal("0.0200"), output_tokens=50)
    html = superuser_client.get("/admin/").content.decode()
    assert "Ask: questions and cost per month" in html and "$0.03" in html and "1,050" in html


def test_offline_what_if_and_lists(ops_client, desk):
    rules = '[{"type": "skip_segment", "factor": "setup", "value": "fade_gap"}]'
    html = unescape(
        ops_client.get(ASK, {"tool": "what_if", "run": "1", "w-rules": rules, "w-account": "BRAVO"}).content.decode()
    )
    kept = Trade.objects.filter(account="BRAVO").exclude(setup="fade_gap")
    assert f"{kept.count():,}" in html and money(sum(float(t.net_pnl) for t in kept)) in html
    assert "/admin/post_mortem/jobrun/" in html
    bad = unescape(ops_client.get(ASK, {"tool": "what_if", "run": "1", "w-rules": "[{oops"}).content.decode())
    assert "rules: not valid JSON" in bad
    for tool in ("list_patterns", "list_recommendations", "list_plans"):
        assert ops_client.get(ASK, {"tool": tool, "run": "1"}).status_code == 200


def test_question_page_uses_the_ids_stored_with_the_tool_call(
    ops_client, ops_user, desk, loopback, django_assert_max_num_queries
):
    sel = {"selection": {"accounts": ["BRAVO"], "segments": [{"factor": "weekday", "value": "Monday"}]}}
    expected = ToolBox().run("trade_stats", sel)
    loopback.reply(200, tool_use(("trade_stats", sel)))
    loopback.reply(200, text(f"On Mondays BRAVO made {expected['n']} trades."))
    q = question_ask(user=ops_user, text="Mondays?")
    stored = q.tool_calls[0]["links"]
    assert len(stored) == 1 and len(next(iter(stored.values()))) == expected["n"]
    url = reverse("admin:post_mortem_question_ask_detail", args=[q.pk])
    with CaptureQueriesContext(connection) as queries:
        html = ops_client.get(url).content.decode()
    assert not [x["sql"] for x in queries if "holding_minutes" in x["sql"]]  # the desk's columns were not read
    link = unescape(
        re.search(r'<a href="([^"]+)" class="ask-number" title="From tool call 1">' + str(expected["n"]), html).group(1)
    )
    assert "id__in" in link and _changelist_count(ops_client, link) == expected["n"]
