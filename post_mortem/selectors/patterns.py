"""Reads for pattern mining and plans: the columnar inputs, and the patterns the UI shows.

The miner needs whole columns (every trade up to the period's end, plus what the post-mortems
said), read with values_list queries: at 1M trades, model instances would cost more than mining.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import Q, QuerySet

from ..context import TradeFrame, load_trade_frame
from ..mining.segments import AnalysisColumns
from ..models import AnalysisPattern, ImprovementPlan, Trade, TradeAnalysis

# Regime labels from the analysis facts (thresholds shared with the rules engine's vocabulary).
TREND_ATR_EDGE = 1.5
HIGH_VOLATILITY_RATIO = 1.5
LOW_VOLATILITY_RATIO = 0.75


def desk_day_start(day: dt.date) -> dt.datetime:
    """Midnight of a desk-local date, as an aware datetime (periods are desk-local days)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=ZoneInfo(settings.DESK_TIMEZONE))


def trade_frame_for_mining(*, until: dt.date | None) -> TradeFrame:
    """Every trade entered before the end of `until` (all history: context needs prior trades)."""
    qs = Trade.objects.all()
    if until is not None:
        qs = qs.filter(entry_time__lt=desk_day_start(until + dt.timedelta(days=1)))
    return load_trade_frame(qs)


def _trend_label(value) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or np.isnan(value):
        return None
    if value >= TREND_ATR_EDGE:
        return "with_trend"
    if value <= -TREND_ATR_EDGE:
        return "counter_trend"
    return "no_clear_trend"


def _volatility_label(value) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or np.isnan(value):
        return None
    if value >= HIGH_VOLATILITY_RATIO:
        return "high"
    if value < LOW_VOLATILITY_RATIO:
        return "low"
    return "normal"


def analysis_columns_for(frame: TradeFrame) -> AnalysisColumns:
    """Primary factors and the entry regime of each trade's post-mortem, aligned with `frame`.

    Trend and volatility come from the analysis facts (`trend_atr`: the 20-bar move before entry in
    ATR, signed in the trade's direction; `atr_ratio`: ATR at entry over its trailing average). Only
    the two keys are read from the JSON, in the database.
    """
    n = len(frame)
    out = AnalysisColumns.empty(n)
    if n == 0:
        return out
    rows = TradeAnalysis.objects.order_by().values_list(
        "trade_id", "primary_factors", "facts__trend_atr", "facts__atr_ratio"
    )
    order = np.argsort(frame.id)
    sorted_ids = frame.id[order]
    for trade_id, codes, trend, atr_ratio in rows.iterator(chunk_size=20000):
        k = np.searchsorted(sorted_ids, trade_id)
        if k >= n or sorted_ids[k] != trade_id:
            continue
        pos = order[k]
        out.primary_factors[pos] = list(codes) if isinstance(codes, list) else []
        out.trend[pos] = _trend_label(trend)
        out.volatility[pos] = _volatility_label(atr_ratio)
    return out


def patterns_for_period(*, period_start: dt.date | None, period_end: dt.date | None) -> QuerySet[AnalysisPattern]:
    """The patterns of exactly this period (None = open-ended), as one mining run left them."""
    q = Q(period_start=period_start) if period_start else Q(period_start__isnull=True)
    q &= Q(period_end=period_end) if period_end else Q(period_end__isnull=True)
    return AnalysisPattern.objects.filter(q)


def latest_mined_period() -> tuple[dt.date | None, dt.date | None] | None:
    """The period of the most recently mined patterns, or None when nothing was mined yet."""
    latest = AnalysisPattern.objects.order_by("-created_at", "-id").values("period_start", "period_end").first()
    if latest is None:
        return None
    return latest["period_start"], latest["period_end"]


def top_patterns(limit: int = 5) -> list[AnalysisPattern]:
    """Significant patterns of the latest mined period, the most dollars at stake first (dashboard)."""
    period = latest_mined_period()
    if period is None:
        return []
    patterns = list(patterns_for_period(period_start=period[0], period_end=period[1]).filter(significant=True))
    patterns.sort(key=lambda p: (-abs(p.dollars_at_stake), p.q_value))
    return patterns[:limit]


def plan_with_recommendations(plan_id: int) -> ImprovementPlan:
    return ImprovementPlan.objects.prefetch_related("recommendations", "patterns").get(pk=plan_id)
