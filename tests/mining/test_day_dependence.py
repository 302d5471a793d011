"""Calibration on desks whose trades share market days (day shocks sd 0.6R, AR 0.3 across days).

Null desks: nothing behavioral planted, so every significant pattern is a false discovery. Planted
desks: the four effects of CALIBRATION_EFFECTS on top of the day shocks; anything significant
besides them is a false discovery (a correlate or a mirror image). The false-discovery rate over
all desks is printed (pytest -s) and bounded; the README quotes the figures.
"""

from __future__ import annotations

import numpy as np
import pytest

from post_mortem.mining.miner import DAYS_AS_UNIT, WITHIN_DAY, mine
from post_mortem.mining.synthetic import CALIBRATION_EFFECTS, calibration_desk

PLANTED = {(factor, value) for factor, value, _ in CALIBRATION_EFFECTS}


def _mine(seed: int, *, planted: bool):
    frame, context = calibration_desk(seed, planted=planted)
    return mine(frame, context)


def test_nothing_planted_at_most_one_significant_pattern_over_six_desks():
    found = []
    for seed in range(6):
        result = _mine(seed, planted=False)
        assert result.days >= 240 and result.segments_tested >= 40
        found += [(seed, s.factor, s.segment, round(s.effect, 2)) for s in result.significant]
    assert len(found) <= 1, found


def test_four_planted_effects_found_without_mirror_strengths():
    for seed in range(6):
        result = _mine(100 + seed, planted=True)
        significant = {(s.factor, s.segment): s for s in result.significant}
        assert set(significant) == PLANTED, (seed, sorted(significant))
        for factor, value, shift in CALIBRATION_EFFECTS:
            s = significant[(factor, value)]
            assert s.ci_low < shift < s.ci_high or abs(s.effect - shift) < 0.2, (factor, s.effect, s.ci_low, s.ci_high)
        assert significant[("weekday", "Monday")].comparison == DAYS_AS_UNIT
        assert significant[("weekday", "Monday")].n_days >= 45  # days are the unit: ~50 Mondays
        assert significant[("after_loss", "true")].comparison == WITHIN_DAY
        assert not [s for s in result.significant if s.effect > 0]  # no "strength" mirrors a planted loser


@pytest.mark.slow
def test_false_discovery_rate_over_many_desks():
    """FDR = false discoveries / discoveries over 40 desks (20 null, 20 planted)."""
    false_null, false_planted, true_found, misses = 0, 0, 0, 0
    for seed in range(20):
        false_null += len(_mine(1000 + seed, planted=False).significant)
        result = _mine(2000 + seed, planted=True)
        keys = {(s.factor, s.segment) for s in result.significant}
        true_found += len(keys & PLANTED)
        misses += len(PLANTED - keys)
        false_planted += len(keys - PLANTED)
    discoveries = false_null + false_planted + true_found
    fdr = (false_null + false_planted) / max(discoveries, 1)
    print(
        f"\n40 desks: null desks {false_null} false discoveries in 20; planted desks {true_found}/80 "
        f"planted found, {false_planted} false; FDR {fdr:.3f}"
    )
    assert false_null <= 2
    assert fdr <= 0.05
    assert misses <= 4  # power: at least 95% of planted effects found


def test_day_shocks_would_fool_a_segment_vs_rest_comparison():
    """The trap these tests guard against is real: on the same null desks, after-loss trades are
    worse than the rest across days (they sit in bad days), while within days they are not."""
    frame, context = calibration_desk(3, planted=False)
    r = frame.r_multiple
    after = np.asarray(context.after_loss, dtype=bool)
    naive_gap = r[after].mean() - r[~after].mean()
    result = mine(frame, context)
    within = next(s for s in result.segments if (s.factor, s.segment) == ("after_loss", "true"))
    assert naive_gap < -0.1  # across days: "re-entering after a loss costs" a few tenths of R
    assert within.ci_low < 0 < within.ci_high and not within.significant
