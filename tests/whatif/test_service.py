"""What-if runs through the database: CLI (exact JSON keys), service, API, walk-forward."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from post_mortem.models import JobRun, RunKind, RunStatus
from post_mortem.services.whatif import latest_what_if_for, rules_for_pattern, what_if_start
from tests.factories import AnalysisPatternFactory, RecommendationFactory
from tests.mining.helpers import store_synthetic_trades

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {"trades", "net_pnl", "expectancy_r", "win_rate", "max_drawdown"}
DIFF_KEYS = {"expectancy_r", "ci_low", "ci_high", "p_value", "net_pnl_per_month", "significant"}


def _what_if(*args: str) -> dict:
    out = StringIO()
    call_command("what_if", *args, "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_cli_sync_planted_reentry_cost_json_shape():
    store_synthetic_trades(1500, seed=21, effects=(("after_loss", "true", -0.6),))
    body = _what_if("--rule", '{"type": "no_reentry_after_loss", "minutes": 30}', "--sync")
    assert {"run", "actual", "what_if", "difference", "out_of_sample"} <= set(body)
    assert set(body["actual"]) == SUMMARY_KEYS and set(body["what_if"]) == SUMMARY_KEYS
    assert set(body["difference"]) >= DIFF_KEYS
    assert body["actual"]["trades"] == 1500 and body["what_if"]["trades"] < 1500
    assert body["difference"]["significant"] and body["difference"]["ci_low"] > 0
    assert body["out_of_sample"] is None  # no pattern was mined from these trades
    run = JobRun.objects.get(pk=body["run"])
    assert run.kind == RunKind.WHATIF and run.status == RunStatus.SUCCEEDED and run.done == 1500
    assert len(run.result["curves"]["day"]) == len(run.result["curves"]["actual"]) > 10


def test_cli_account_and_period_and_combined_rules():
    store_synthetic_trades(900, seed=4, accounts=3)
    body = _what_if(
        "--rule",
        '{"type": "max_trades_per_day", "n": 2}',
        "--rule",
        '{"type": "daily_loss_limit", "usd": 150}',
        "--account",
        "ACC-02",
        "--since",
        "2025-01-13",
        "--until",
        "2025-01-31",
        "--sync",
    )
    run = JobRun.objects.get(pk=body["run"])
    assert run.result["selection"]["account"] == "ACC-02"
    assert 0 < body["actual"]["trades"] < 300
    assert body["what_if"]["trades"] < body["actual"]["trades"]
    assert set(run.result["skipped_by"]) <= {"max_trades_per_day", "daily_loss_limit"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rule", "{nope"], "--rule 1 is not JSON"),
        (["--rule", '{"type": "max_size"}'], "rule 1: 'multiple' is required"),
        (["--rule", '{"type": "stop_r", "r": 1}', "--since", "2025-13-01"], "not a date"),
        (["--rule", '{"type": "stop_r", "r": 1}', "--account", "NOBODY"], "No trades in the selection"),
    ],
)
def test_cli_bad_input_is_a_clear_error(args, message):
    store_synthetic_trades(50, seed=1)
    with pytest.raises(CommandError, match=message):
        call_command("what_if", *args, "--sync", stdout=StringIO(), stderr=StringIO())


def test_a_mined_rule_is_judged_out_of_sample_and_shrinks_when_it_was_luck():
    # Nothing is planted: a "pattern" on hour=10 mined from these same trades is in-sample luck
    # at best; walk-forward says the earlier half does not find it, so it would not be adopted.
    store_synthetic_trades(2000, seed=9)
    pattern = AnalysisPatternFactory(factor="hour", segment="10", effect=-0.3, period_start=None, period_end=None)
    body = _what_if("--rule", json.dumps(rules_for_pattern(pattern)[0]), "--sync")
    oos = body["out_of_sample"]
    assert oos is not None and oos["segment"] == {"factor": "hour", "value": "10"}
    assert oos["adopted"] is False and oos["discovery_trades"] + oos["test_trades"] == 2000
    assert "mined from these trades" in oos["why"]
    assert set(oos["difference"]) >= DIFF_KEYS and oos["in_sample"]["expectancy_r"] is not None


def test_a_planted_mined_segment_is_adopted_and_holds_out_of_sample():
    store_synthetic_trades(3000, seed=5, effects=(("setup", "fade", -0.6),))
    pattern = AnalysisPatternFactory(factor="setup", segment="fade", effect=-0.6)
    body = _what_if("--rule", json.dumps(rules_for_pattern(pattern)[0]), "--sync")
    oos = body["out_of_sample"]
    assert oos["adopted"] is True and oos["discovery_effect_r"] < 0
    assert oos["difference"]["significant"] and oos["difference"]["expectancy_r"] > 0


def test_recommendation_replay_is_found_for_its_page(django_capture_on_commit_callbacks):
    store_synthetic_trades(600, seed=2, effects=(("after_loss", "true", -0.6),))
    rec = RecommendationFactory(segment={"factor": "after_loss", "value": "true"})
    with django_capture_on_commit_callbacks(execute=True):
        run = what_if_start(
            rules=[{"type": "no_reentry_after_loss", "minutes": 30, "source": {"recommendation": rec.pk}}],
            source={"recommendation": rec.pk},
        )
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED  # tests run tasks inline
    assert latest_what_if_for(recommendation_id=rec.pk) == run


def test_a_behavior_rule_on_a_mined_segment_is_judged_out_of_sample():
    store_synthetic_trades(2500, seed=6, effects=(("after_loss", "true", -0.6),))
    AnalysisPatternFactory(factor="after_loss", segment="true", effect=-0.6)
    body = _what_if("--rule", '{"type": "no_reentry_after_loss", "minutes": 30}', "--sync")
    oos = body["out_of_sample"]
    assert oos["segment"] == {"factor": "after_loss", "value": "true"} and oos["adopted"] is True
    assert oos["difference"]["significant"]
