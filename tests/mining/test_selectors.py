"""Reads for mining: analysis columns aligned with the frame, top patterns for the dashboard."""

from __future__ import annotations

import pytest

from post_mortem.context import load_trade_frame
from post_mortem.mining.segments import segment_mask
from post_mortem.models import AnalysisPattern, Trade, TradeAnalysis
from post_mortem.selectors.patterns import analysis_columns_for, top_patterns
from tests.factories import TradeFactory

pytestmark = pytest.mark.django_db


def test_analysis_columns_align_with_the_frame():
    trades = TradeFactory.create_batch(5)
    TradeAnalysis.objects.create(
        trade=trades[1], primary_factors=["oversized", "after_loss_reentry"], facts={"trend_atr": 2.0, "atr_ratio": 0.5}
    )
    TradeAnalysis.objects.create(trade=trades[3], primary_factors=[], facts={"trend_atr": -1.5, "atr_ratio": 1.6})
    TradeAnalysis.objects.create(trade=trades[4], primary_factors=["oversized"], facts={"trend_atr": 0.2})
    frame = load_trade_frame(Trade.objects.all())
    cols = analysis_columns_for(frame)
    by_id = {int(i): k for k, i in enumerate(frame.id)}
    assert cols.primary_factors[by_id[trades[1].pk]] == ["oversized", "after_loss_reentry"]
    assert cols.primary_factors[by_id[trades[0].pk]] is None
    assert cols.primary_factors[by_id[trades[3].pk]] == []
    assert cols.trend[by_id[trades[1].pk]] == "with_trend"
    assert cols.trend[by_id[trades[3].pk]] == "counter_trend"
    assert cols.trend[by_id[trades[4].pk]] == "no_clear_trend"
    assert cols.volatility[by_id[trades[1].pk]] == "low"
    assert cols.volatility[by_id[trades[3].pk]] == "high"
    assert cols.volatility[by_id[trades[4].pk]] is None
    assert cols.trend[by_id[trades[0].pk]] is None
    from post_mortem.context import compute_context

    ctx = compute_context(frame, desk_tz="America/New_York")
    mask = segment_mask(frame, ctx, factor="primary_factor", value="oversized", analyses=cols)
    assert set(frame.id[mask].tolist()) == {trades[1].pk, trades[4].pk}


def test_analysis_columns_read_json_nulls_as_unknown():
    """Facts of a trade without bars hold JSON nulls; PostgreSQL must not try to cast them."""
    trades = TradeFactory.create_batch(2)
    TradeAnalysis.objects.create(trade=trades[0], primary_factors=[], facts={"trend_atr": None, "atr_ratio": None})
    TradeAnalysis.objects.create(trade=trades[1], primary_factors=[], facts={"trend_atr": 2.0, "atr_ratio": None})
    frame = load_trade_frame(Trade.objects.all())
    cols = analysis_columns_for(frame)
    by_id = {int(i): k for k, i in enumerate(frame.id)}
    assert cols.trend[by_id[trades[0].pk]] is None
    assert cols.volatility[by_id[trades[0].pk]] is None
    assert cols.trend[by_id[trades[1].pk]] == "with_trend"


def _pattern(factor, segment, dollars, significant=True, **kw):
    return AnalysisPattern.objects.create(
        pattern_type="weakness" if dollars < 0 else "strength",
        description="d",
        confidence=0.99,
        factor=factor,
        segment=segment,
        n=50,
        effect=-0.5 if dollars < 0 else 0.5,
        ci_low=-1,
        ci_high=1,
        p_value=0.001,
        q_value=0.01,
        dollars_at_stake=dollars,
        significant=significant,
        **kw,
    )


def test_top_patterns_latest_period_by_dollars():
    assert top_patterns() == []
    import datetime as dt

    _pattern("setup", "old", -9999, period_start=dt.date(2024, 1, 1))
    a = _pattern("setup", "fade", -500)
    b = _pattern("setup", "pullback", 800)
    _pattern("symbol", "AAPL", -2000, significant=False)
    c = _pattern("hour", "09", -100)
    assert top_patterns(limit=5) == [b, a, c]
    assert top_patterns(limit=1) == [b]


def test_mining_frame_matches_the_shared_loader():
    """The SQL-side epoch/float read gives the same numbers as context.load_trade_frame."""
    import datetime as dt
    from decimal import Decimal

    import numpy as np

    from post_mortem.selectors.patterns import trade_frame_for_mining

    TradeFactory(entry_time=dt.datetime(2026, 3, 8, 6, 59, 59, 123456, tzinfo=dt.UTC), quantity=Decimal("12.5"))
    TradeFactory.create_batch(4)
    TradeFactory(stop_price=None)
    full = load_trade_frame(Trade.objects.all())
    fast = trade_frame_for_mining(until=None)
    order_full, order_fast = np.argsort(full.id), np.argsort(fast.id)
    assert np.array_equal(full.id[order_full], fast.id[order_fast])
    for name in ("entry_ts", "exit_ts"):
        assert np.allclose(getattr(full, name)[order_full], getattr(fast, name)[order_fast], atol=1e-3, rtol=0)
    for name in ("quantity", "net_pnl", "r_multiple", "risk_amount", "holding_minutes"):
        assert np.allclose(getattr(full, name)[order_full], getattr(fast, name)[order_fast], equal_nan=True), name
    for name in ("account", "symbol", "setup", "side"):
        assert list(getattr(full, name)[order_full]) == list(getattr(fast, name)[order_fast])
    until = trade_frame_for_mining(until=dt.date(2026, 1, 5))
    assert len(until) == Trade.objects.filter(entry_time__lt=dt.datetime(2026, 1, 6, 5, tzinfo=dt.UTC)).count()
