"""Segment definitions on hand-checked frames: labels are readable and masks match the context."""

from __future__ import annotations

import numpy as np
import pytest

from post_mortem.mining.segments import (
    FACTORS,
    AnalysisColumns,
    factor_column,
    factor_columns,
    factor_known_mask,
    segment_mask,
)
from post_mortem.mining.synthetic import synthetic_frame


@pytest.fixture(scope="module")
def desk():
    return synthetic_frame(3000, seed=7)


def test_every_factor_builds_and_partitions_known_trades(desk):
    frame, context = desk
    columns = factor_columns(frame, context)
    assert [c.factor for c in columns] == list(FACTORS)
    for column in columns:
        if column.factor == "primary_factor":
            continue
        # single-valued factors: every known trade is in exactly one segment
        counts = np.zeros(len(frame), dtype=int)
        for i in range(len(column.labels)):
            counts += column.mask(i)
        assert np.array_equal(counts, column.known.astype(int)), column.factor


def test_readable_values(desk):
    frame, context = desk
    weekday = factor_column(frame, context, factor="weekday")
    assert weekday.labels[0] == "Monday"
    hour = factor_column(frame, context, factor="hour")
    assert hour.labels[9] == "09"
    holding = factor_column(frame, context, factor="holding_time")
    assert holding.labels[-1] == "240+ min"
    assert factor_column(frame, context, factor="after_loss").labels == ("false", "true")
    assert factor_column(frame, context, factor="after_loss").mined == (1,)


def test_masks_agree_with_context(desk):
    frame, context = desk
    assert np.array_equal(segment_mask(frame, context, factor="after_loss", value="true"), context.after_loss)
    assert np.array_equal(segment_mask(frame, context, factor="after_loss", value="false"), ~context.after_loss)
    assert np.array_equal(segment_mask(frame, context, factor="hour", value="09"), context.entry_hour == 9)
    assert np.array_equal(segment_mask(frame, context, factor="weekday", value="Tuesday"), context.weekday == 1)
    assert np.array_equal(segment_mask(frame, context, factor="setup", value="fade"), frame.setup == "fade")
    assert np.array_equal(segment_mask(frame, context, factor="loss_streak", value="2+"), context.loss_streak >= 2)
    big = segment_mask(frame, context, factor="position_size", value="1.5x+")
    with np.errstate(invalid="ignore"):
        assert np.array_equal(big, context.size_ratio >= 1.5)
    known = factor_known_mask(frame, context, factor="position_size")
    assert np.array_equal(known, ~np.isnan(context.size_ratio))
    assert big.any() and (~known).any()  # the first trades of each account have no size norm
    long_holds = segment_mask(frame, context, factor="holding_time", value="15-60 min")
    assert np.array_equal(long_holds, (frame.holding_minutes >= 15) & (frame.holding_minutes < 60))


def test_unknown_value_is_empty_and_unknown_factor_raises(desk):
    frame, context = desk
    assert not segment_mask(frame, context, factor="setup", value="no-such-setup").any()
    with pytest.raises(ValueError, match="unknown factor 'colour'"):
        segment_mask(frame, context, factor="colour", value="red")


def test_primary_factor_is_multi_label_and_unknown_without_analysis(desk):
    frame, context = desk
    n = len(frame)
    analyses = AnalysisColumns.empty(n)
    analyses.primary_factors[0] = ["oversized", "after_loss_reentry"]
    analyses.primary_factors[1] = ["oversized", "oversized"]
    analyses.primary_factors[2] = []
    analyses.trend[0] = "up"
    oversized = segment_mask(frame, context, factor="primary_factor", value="oversized", analyses=analyses)
    assert oversized[:3].tolist() == [True, True, False] and oversized.sum() == 2
    known = factor_known_mask(frame, context, factor="primary_factor", analyses=analyses)
    assert known.sum() == 3
    assert segment_mask(frame, context, factor="trend", value="up", analyses=analyses).sum() == 1
    # without analyses the factor simply has no values
    assert not segment_mask(frame, context, factor="primary_factor", value="oversized").any()


def test_empty_frame():
    frame, _ = synthetic_frame(5, seed=1)
    empty = frame.take(np.zeros(5, dtype=bool))
    from post_mortem.context import compute_context

    ctx = compute_context(empty, desk_tz="America/New_York")
    for factor in FACTORS:
        assert segment_mask(empty, ctx, factor=factor, value="x").shape == (0,)
