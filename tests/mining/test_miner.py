"""The miner on planted effects, on shuffled outcomes (BH calibration) and on awkward data."""

from __future__ import annotations

import numpy as np
import pytest

from post_mortem.mining.miner import mine
from post_mortem.mining.segments import factor_columns
from post_mortem.mining.synthetic import DEMO_EFFECTS, synthetic_frame


@pytest.fixture(scope="module")
def planted():
    frame, context = synthetic_frame(6000, seed=21, effects=DEMO_EFFECTS, no_stop_share=0.05)
    return frame, context, mine(frame, context)


def test_planted_effects_are_found_with_sensible_effects_and_cis(planted):
    _, _, result = planted
    found = {(s.factor, s.segment): s for s in result.significant}
    for factor, value, shift in DEMO_EFFECTS:
        seg = found.get((factor, value))
        assert seg is not None, f"{factor}={value} not found"
        assert seg.ci_low < seg.effect < seg.ci_high
        assert np.sign(seg.effect) == np.sign(shift)
        # the effect is measured against the rest, which also carries the other effects: same ballpark
        assert abs(seg.effect - shift) < 0.35, (factor, value, seg.effect)
        assert seg.confidence == pytest.approx(1 - seg.q_value)
        assert seg.dollars_at_stake == pytest.approx(seg.effect * seg.n * result.typical_risk)
        assert len(seg.trade_ids) == seg.n


def test_only_planted_effects_and_their_correlates_are_significant(planted):
    _, _, result = planted
    planted_factors = {"after_loss", "setup", "hour", "position_size", "loss_streak", "trade_of_day"}
    # loss_streak and trade_of_day are correlates of after_loss; setup's other values are
    # the rest of the planted setups. Nothing else (symbol, side, account, weekday) was planted.
    strays = [(s.factor, s.segment) for s in result.significant if s.factor not in planted_factors]
    assert len(strays) <= 1, strays


def test_trades_without_r_are_excluded_and_counted(planted):
    frame, _, result = planted
    missing = int(np.isnan(frame.r_multiple).sum())
    assert missing > 0
    assert result.trades_without_r == missing
    assert result.trades_with_r == len(frame) - missing
    assert result.summary()["trades_without_r_excluded"] == missing


def test_every_tested_segment_meets_support(planted):
    _, _, result = planted
    assert result.segments_tested == len(result.segments) > 40
    for s in result.segments:
        assert s.n >= 30 and s.n_rest >= 30
        assert 0 < s.win_rate < 1 and 0 < s.win_rate_rest < 1
        assert 0 <= s.p_value <= 1 and s.p_value <= s.q_value <= 1


def test_null_calibration_over_many_shuffles():
    """Shuffled outcomes: BH promises at most alpha false discoveries per run on average (global null)."""
    frame, context = synthetic_frame(2000, seed=5)
    columns = factor_columns(frame, context)
    rng = np.random.default_rng(0)
    counts = []
    tested = []
    for _ in range(150):
        result = mine(frame, context, r_values=rng.permutation(frame.r_multiple), n_boot=50, columns=columns)
        counts.append(len(result.significant))
        tested.append(result.segments_tested)
    counts = np.array(counts)
    assert np.mean(tested) > 40  # many segments tested each time: the correction has work to do
    # Under the global null, BH controls the chance of any discovery at alpha = 0.05.
    assert np.mean(counts > 0) <= 0.10
    assert counts.mean() <= 0.15
    assert counts.max() <= 3  # never a flood
    # Without correction, the same runs would "find" about 5% of the tested segments.
    naive = []
    for _ in range(10):
        result = mine(frame, context, r_values=rng.permutation(frame.r_multiple), n_boot=20, columns=columns)
        naive.append(sum(s.p_value < 0.05 for s in result.segments))
    assert np.mean(naive) > 1


def test_min_support_and_edge_cases():
    frame, context = synthetic_frame(400, seed=3, accounts=2)
    # Support bigger than half the data: nothing can be tested, and it says why.
    result = mine(frame, context, min_trades=250)
    assert result.segments == [] and result.segments_tested == 0
    assert "setup" in result.skipped_factors
    # Tiny data
    tiny = frame.take(np.arange(10))
    from post_mortem.context import compute_context

    tiny_ctx = compute_context(tiny, desk_tz="America/New_York")
    assert mine(tiny, tiny_ctx).segments == []
    # Empty period
    empty = mine(frame, context, period_mask=np.zeros(len(frame), dtype=bool))
    assert empty.segments == [] and empty.trades_in_period == 0
    # All wins: no segment has both wins and losses, nothing tested, no crash
    all_wins = np.abs(frame.r_multiple) + 0.1
    assert mine(frame, context, r_values=all_wins).segments == []
    # One segment only (one account): it has no rest, so it is not tested
    one = mine(frame, context, period_mask=frame.account == "ACC-01")
    assert all(s.factor != "account" for s in one.segments)
    with pytest.raises(ValueError, match="min_trades"):
        mine(frame, context, min_trades=0)


def test_period_mask_restricts_mining_but_context_uses_history():
    frame, context = synthetic_frame(3000, seed=9, effects=DEMO_EFFECTS)
    late = frame.entry_ts >= np.median(frame.entry_ts)
    result = mine(frame, context, period_mask=late)
    assert result.trades_in_period == int(late.sum())
    ids_in_period = set(frame.id[late].tolist())
    for s in result.segments:
        assert set(s.trade_ids.tolist()) <= ids_in_period


def test_deterministic():
    frame, context = synthetic_frame(1500, seed=4, effects=DEMO_EFFECTS)
    a = mine(frame, context, n_boot=200)
    b = mine(frame, context, n_boot=200)
    assert [(s.factor, s.segment, s.ci_low, s.q_value) for s in a.segments] == [
        (s.factor, s.segment, s.ci_low, s.q_value) for s in b.segments
    ]
