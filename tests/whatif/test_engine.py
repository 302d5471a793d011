"""The replay engine on plain data: planted costs are found, nothing planted is not, rules do what they say."""

from __future__ import annotations

import numpy as np
import pytest

from post_mortem.context import compute_context
from post_mortem.mining.segments import segment_mask
from post_mortem.mining.synthetic import DESK_TZ, synthetic_frame
from post_mortem.whatif.engine import replay_frame
from post_mortem.whatif.rules import RuleError, parse_rules

NO_REENTRY = [{"type": "no_reentry_after_loss", "minutes": 30}]


def test_planted_reentry_cost_gives_a_significant_gain_of_the_planted_size():
    cost = 0.6
    frame, context = synthetic_frame(3000, seed=11, effects=(("after_loss", "true", -cost),))
    planted = segment_mask(frame, context, factor="after_loss", value="true")
    report = replay_frame(frame, parse_rules(NO_REENTRY), desk_tz=DESK_TZ, n_boot=1000, include_kept=True)
    kept = report["kept"]
    # The planted cost the rule removes: the share of costly trades among all minus among those
    # kept, times the cost. (A trade that re-entered after a re-entry the rule skipped is kept
    # with its actual, costly outcome: replaying actual outcomes cannot know the better one.)
    planted_gain = cost * (planted.mean() - planted[kept].mean())
    assert planted_gain > 0.08 and (~kept & ~planted).sum() == 0  # only planted trades were skipped
    diff = report["difference"]
    assert diff["significant"] and diff["p_value"] < 0.01
    assert diff["ci_low"] <= planted_gain <= diff["ci_high"]
    assert diff["expectancy_r"] == pytest.approx(planted_gain, rel=0.35)
    assert report["what_if"]["trades"] < report["actual"]["trades"] == 3000
    assert report["skipped_by"]["no_reentry_after_loss"] == 3000 - report["what_if"]["trades"]
    assert report["what_if"]["net_pnl"] > report["actual"]["net_pnl"]
    assert diff["net_pnl_per_month"] > 0 and diff["net_pnl_per_month_ci_low"] > 0


def test_nothing_planted_is_significant_at_most_five_percent_of_the_time():
    frame, _ = synthetic_frame(1200, seed=3, accounts=6)
    rng = np.random.default_rng(5)
    base_r = frame.r_multiple.copy()
    significant = 0
    datasets = 400
    for k in range(datasets):
        r = rng.permutation(base_r)  # outcomes shuffled: no rule can have a real effect
        frame.r_multiple = r
        frame.net_pnl = r * frame.risk_amount
        report = replay_frame(frame, parse_rules(NO_REENTRY), desk_tz=DESK_TZ, n_boot=400, seed=k)
        significant += report["difference"]["significant"]
    assert significant / datasets <= 0.05, significant


def test_skipping_a_trade_changes_the_context_of_the_trades_after_it():
    # One account: A loses (exit +10 min); B re-enters 10 min later and loses (exit +40); C enters at
    # +45: 5 min after B's loss, 35 min after A's. Read from the original sequence C is "after a
    # loss" and would be skipped; replayed, B is skipped, so C's last loss is A (35 min): kept.
    frame, _ = synthetic_frame(3, seed=0, accounts=1)
    t0 = frame.entry_ts.min()
    frame.entry_ts = np.array([t0, t0 + 20 * 60, t0 + 45 * 60])
    frame.exit_ts = np.array([t0 + 10 * 60, t0 + 40 * 60, t0 + 50 * 60])
    frame.r_multiple = np.array([-1.0, -1.0, 2.0])
    frame.net_pnl = frame.r_multiple * frame.risk_amount
    original = compute_context(frame, desk_tz=DESK_TZ)
    assert original.after_loss.tolist() == [False, True, True]
    report = replay_frame(frame, parse_rules(NO_REENTRY), desk_tz=DESK_TZ, n_boot=50, include_kept=True)
    assert report["kept"].tolist() == [True, False, True]
    assert report["skipped_by"] == {"no_reentry_after_loss": 1}
    assert report["what_if"]["net_pnl"] == pytest.approx(float(frame.net_pnl[[0, 2]].sum()))
    # The same segment as a skip rule follows the replayed sequence too.
    skip = replay_frame(
        frame,
        parse_rules([{"type": "skip_segment", "factor": "after_loss", "value": "true"}]),
        desk_tz=DESK_TZ,
        n_boot=50,
        include_kept=True,
    )
    assert skip["kept"].tolist() == [True, False, True]
    # 40 minutes reach back to A: C is skipped too.
    longer = replay_frame(
        frame, parse_rules([{"type": "no_reentry_after_loss", "minutes": 40}]), desk_tz=DESK_TZ, n_boot=50
    )
    assert longer["skipped_by"] == {"no_reentry_after_loss": 2}


def test_daily_limits_and_size_cap():
    frame, _ = synthetic_frame(6, seed=0, accounts=1)
    t0 = frame.entry_ts.min()
    frame.entry_ts = t0 + np.arange(6) * 600.0
    frame.exit_ts = frame.entry_ts + 300.0
    frame.r_multiple = np.array([-1.0, -1.5, 3.0, 1.0, -1.0, 1.0])
    frame.net_pnl = frame.r_multiple * frame.risk_amount
    max3 = replay_frame(frame, parse_rules([{"type": "max_trades_per_day", "n": 3}]), desk_tz=DESK_TZ, n_boot=50)
    assert max3["what_if"]["trades"] == 3 and max3["skipped_by"] == {"max_trades_per_day": 3}
    stop = replay_frame(frame, parse_rules([{"type": "daily_loss_limit", "r": 2}]), desk_tz=DESK_TZ, n_boot=50)
    # After -1 and -1.5 the day is at -2.5R: the rest of the day is skipped.
    assert stop["what_if"]["trades"] == 2 and stop["what_if"]["expectancy_r"] == pytest.approx(-1.25)
    usd = replay_frame(frame, parse_rules([{"type": "daily_loss_limit", "usd": 1000}]), desk_tz=DESK_TZ, n_boot=50)
    assert usd["what_if"]["trades"] == 6  # -250 dollars never reaches -1000

    sized, _ = synthetic_frame(8, seed=0, accounts=1)
    sized.entry_ts = t0 + np.arange(8) * 600.0
    sized.exit_ts = sized.entry_ts + 300.0
    sized.quantity = np.array([100.0] * 5 + [300.0, 100.0, 100.0])
    sized.risk_amount = sized.quantity * 1.0
    sized.r_multiple = np.full(8, 1.0)
    sized.net_pnl = sized.r_multiple * sized.risk_amount
    capped = replay_frame(sized, parse_rules([{"type": "max_size", "multiple": 1.5}]), desk_tz=DESK_TZ, n_boot=50)
    # The 6th trade is 3x the usual 100: cut to 150 shares, its +300 becomes +150; R unchanged.
    assert capped["size_capped"] == 1
    assert capped["what_if"]["net_pnl"] == pytest.approx(float(sized.net_pnl.sum()) - 150)
    assert capped["what_if"]["expectancy_r"] == capped["actual"]["expectancy_r"] == 1.0
    assert capped["difference"]["expectancy_r"] is None  # one day: nothing to resample


def test_skip_segment_uses_the_miners_definition():
    frame, context = synthetic_frame(800, seed=2)
    fade = segment_mask(frame, context, factor="setup", value="fade")
    report = replay_frame(
        frame, parse_rules([{"type": "skip_segment", "factor": "setup", "value": "fade"}]), desk_tz=DESK_TZ, n_boot=50
    )
    assert report["what_if"]["trades"] == 800 - fade.sum()
    assert report["what_if"]["net_pnl"] == pytest.approx(float(frame.net_pnl[~fade].sum()), abs=0.02)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([], "at least one rule"),
        ([{"type": "nope"}], "rule 1: 'type' must be one of"),
        ([{"type": "no_reentry_after_loss"}], "rule 1: 'minutes' is required"),
        ([{"type": "max_trades_per_day", "n": 2.5}], "whole number"),
        ([{"type": "daily_loss_limit", "r": 1, "usd": 5}], "exactly one of 'r' or 'usd'"),
        ([{"type": "stop_r", "r": 1}, {"type": "skip_segment", "factor": "mood", "value": "x"}], "rule 2: 'factor'"),
        ([{"type": "max_size", "multiple": -1}], "greater than 0"),
        ([{"type": "stop_r", "r": True}], "must be a number"),
    ],
)
def test_bad_rules_name_the_rule_and_field(rules, message):
    with pytest.raises(RuleError, match=message.replace("(", r"\(")):
        parse_rules(rules)
