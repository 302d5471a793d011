"""The demo desk (fixtures/demo, imported through the real import command): the miner finds the
planted effects with the realised sizes the generator documents, and nothing unplanted."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from post_mortem.services.patterns import patterns_mine
from post_mortem.services.plans import plan_build

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# fixtures/README.md: realised effect (segment mean R - rest mean R, trades with a stop)
PLANTED = {
    ("after_loss", "true"): -0.82,
    ("setup", "fade"): -0.50,
    ("setup", "pullback"): 0.50,
    ("hour", "09"): -0.50,
    ("position_size", "1.5x+"): -0.38,
}
# Obvious correlates: the complement of the size effect, streaks and first-trade-of-day (the
# after-loss penalty), other setups and hours (their "rest" holds the planted ones).
CORRELATE_FACTORS = {"position_size", "loss_streak", "trade_of_day", "setup", "hour", "after_loss"}


def test_demo_desk_planted_effects_and_plan():
    call_command("import_trades", str(ROOT / "fixtures/demo/trades.csv"), stdout=io.StringIO())
    outcome = patterns_mine()
    assert outcome.summary["trades_without_r_excluded"] == 266
    significant = {(p.factor, p.segment): p for p in outcome.patterns if p.significant}
    for key, realised in PLANTED.items():
        p = significant[key]
        assert p.effect == pytest.approx(realised, abs=0.03), key
        assert p.ci_low < realised < p.ci_high
        assert p.q_value < 0.001
    strays = [key for key in significant if key[0] not in CORRELATE_FACTORS]
    assert strays == []  # nothing on account, symbol, side, weekday, holding time

    plan = plan_build()
    targeted = {(i["factor"], i["value"]) for i in plan.improvements}
    assert set(PLANTED) <= targeted
    assert plan.improvements[0]["factor"] == "after_loss"  # the most dollars at stake
