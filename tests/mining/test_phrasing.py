"""Claude phrasing of pattern texts: the real SDK against a loopback server; numbers are checked."""

from __future__ import annotations

import json

import pytest

from post_mortem.mining.describe import SegmentFacts
from post_mortem.mining.phrasing import invented_numbers
from post_mortem.mining.synthetic import DEMO_EFFECTS
from post_mortem.models import AnalysisPattern, JobRun, RunKind, RunStatus
from post_mortem.services.patterns import mining_run_execute, patterns_mine
from post_mortem.services.runs import run_create
from tests.llm.loopback import Loopback, error, message
from tests.mining.helpers import store_synthetic_trades

FACTS = SegmentFacts(
    factor="after_loss",
    segment="true",
    n=315,
    share=0.179,
    mean_r=-0.52,
    mean_r_rest=0.19,
    effect=-0.7123,
    ci_low=-0.83,
    ci_high=-0.57,
    p_value=1.2e-13,
    q_value=2.4e-12,
    win_rate=0.31,
    win_rate_rest=0.52,
    fisher_p=1e-9,
    dollars_at_stake=-258840.2,
    significant=True,
)


def test_numbers_must_be_facts():
    extra = {"after_loss_minutes": 30.0}
    clean = (
        "Re-entries within 30 minutes of a loss (315 trades, 18% of trades) lost 0.71R per trade more than the "
        "rest (95% CI -0.83 to -0.57); win rate 31% vs 52%. About $258,840 at stake. Take two breaths."
    )
    assert invented_numbers(clean, FACTS, extra) == []
    assert invented_numbers("They lost 0.93R per trade.", FACTS, extra) == ["0.93"]
    assert invented_numbers("Wait 45 minutes after a loss.", FACTS, extra) == ["45"]
    assert invented_numbers("About $300,000 at stake.", FACTS, extra) == ["$300,000"]


@pytest.fixture
def loopback(monkeypatch):
    server = Loopback().start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    yield server
    server.stop()


@pytest.mark.django_db
def test_claude_phrases_significant_patterns_and_invented_numbers_are_rejected(loopback, monkeypatch):
    store_synthetic_trades(1500, seed=71, effects=DEMO_EFFECTS)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    baseline = {(p.factor, p.segment): p for p in patterns_mine(n_boot=100).patterns}
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    after_loss = baseline[("after_loss", "true")]
    fade = baseline[("setup", "fade")]
    good = (
        f"Trades re-entered within 30 minutes of a losing exit ({after_loss.n} trades) gave up "
        f"{abs(after_loss.effect):.2f}R per trade against the rest."
    )
    loopback.reply(
        200,
        message(
            {
                "patterns": [
                    {"key": "after_loss=true", "description": good, "action_items": ["Walk away for 30 minutes."]},
                    {"key": "setup=fade", "description": "Fades lose 9.87R per trade.", "action_items": ["Stop."]},
                ]
            },
            name="record_pattern_texts",
        ),
    )
    run = run_create(kind=RunKind.MINING, params={"min_trades": 30})
    run = mining_run_execute(run_id=run.pk)
    assert run.status == RunStatus.SUCCEEDED
    phrased = AnalysisPattern.objects.get(run=run, factor="after_loss", segment="true")
    assert phrased.description == good
    assert phrased.action_items == ["Walk away for 30 minutes."]
    assert phrased.details["phrased_by"].startswith("claude:")
    kept = AnalysisPattern.objects.get(run=run, factor="setup", segment="fade")
    assert kept.description.startswith("Trades with setup 'fade' (n=")  # the template text
    assert kept.description.split("(95% CI")[0] == fade.description.split("(95% CI")[0]
    assert "9.87" in kept.details["phrased_by"]
    not_significant = AnalysisPattern.objects.filter(run=run, significant=False).first()
    assert not_significant.details["phrased_by"] == "template"
    assert run.result["phrasing"]["phrased"] == 1 and "setup=fade" in run.result["phrasing"]["rejected"]
    run.refresh_from_db()
    assert run.input_tokens > 0 and run.cost_usd > 0

    (request,) = loopback.requests
    body = request.body
    assert body["tool_choice"] == {"type": "tool", "name": "record_pattern_texts"}
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    sent = json.loads(body["messages"][0]["content"].split("\n\n", 1)[1])
    keys = [p["key"] for p in sent["patterns"]]
    assert "after_loss=true" in keys and all(p["significant"] for p in sent["patterns"])
    sent_al = next(p for p in sent["patterns"] if p["key"] == "after_loss=true")
    assert sent_al["effect"] == pytest.approx(after_loss.effect) and sent_al["n"] == after_loss.n


@pytest.mark.django_db
def test_failed_call_keeps_templates_and_the_run_succeeds(loopback):
    store_synthetic_trades(1200, seed=72, effects=DEMO_EFFECTS)
    loopback.reply(400, error("invalid_request_error", "bad request"))
    outcome = patterns_mine(n_boot=100)
    assert outcome.summary["phrasing"]["by"] == "template"
    assert "Claude call failed" in outcome.summary["phrasing"]["reason"]
    assert all(p.details["phrased_by"] == "template" for p in outcome.patterns)
    assert JobRun.objects.count() == 0


@pytest.mark.django_db
def test_garbage_reply_keeps_templates(loopback):
    store_synthetic_trades(1200, seed=73, effects=DEMO_EFFECTS)
    loopback.reply(200, message({"patterns": "not a list"}, name="record_pattern_texts"))
    outcome = patterns_mine(n_boot=100)
    assert "did not validate" in outcome.summary["phrasing"]["reason"]
