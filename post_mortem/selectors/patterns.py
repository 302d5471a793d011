"""Reads for pattern mining and plans: the columnar inputs, and the patterns the UI shows.

The miner needs whole columns (every trade up to the period's end, plus what the post-mortems
said), read with values_list queries: at 1M trades, model instances would cost more than mining.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import F, FloatField, Func, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from ..context import EpochSeconds, TradeFrame
from ..mining import describe
from ..mining.segments import AnalysisColumns
from ..models import AnalysisPattern, ImprovementPlan, Trade, TradeAnalysis

# Regime labels from the analysis facts (thresholds shared with the rules engine's vocabulary).
TREND_ATR_EDGE = 1.5
HIGH_VOLATILITY_RATIO = 1.5
LOW_VOLATILITY_RATIO = 0.75


def desk_day_start(day: dt.date) -> dt.datetime:
    """Midnight of a desk-local date, as an aware datetime (periods are desk-local days)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=ZoneInfo(settings.DESK_TIMEZONE))


_MINING_COLUMNS = (
    "id",
    "account",
    "symbol",
    "setup",
    "side",
    "quantity",
    "entry_ts",
    "exit_ts",
    "net_pnl",
    "r_multiple",
    "risk_amount",
    "holding_minutes",
)


def trade_frame_for_mining(*, until: dt.date | None) -> TradeFrame:
    """Every trade entered before the end of `until` (all history: context needs prior trades).

    Reads only the columns mining and context use, with decimals cast to floats and times turned
    into epoch seconds in SQL (about 3x faster than `load_trade_frame` at 1M trades); the other
    TradeFrame columns are NaN / empty.
    """
    qs = Trade.objects.order_by()
    if until is not None:
        qs = qs.filter(entry_time__lt=desk_day_start(until + dt.timedelta(days=1)))
    rows = list(
        qs.values_list(
            "id",
            "account",
            "symbol",
            "setup",
            "side",
            Cast("quantity", FloatField()),
            EpochSeconds("entry_time"),
            EpochSeconds("exit_time"),
            Cast("net_pnl", FloatField()),
            "r_multiple",
            Cast("risk_amount", FloatField()),
            "holding_minutes",
        )
    )
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in _MINING_COLUMNS]
    data: dict[str, np.ndarray] = {}
    for name, values in zip(_MINING_COLUMNS, columns, strict=True):
        if name == "id":
            data[name] = np.array(values, dtype=np.int64)
        elif name in {"account", "symbol", "setup", "side"}:
            data[name] = np.array(values, dtype=object)
        else:
            data[name] = np.array([np.nan if v is None else v for v in values], dtype=float)
    nan = np.full(n, np.nan)
    return TradeFrame(
        id=data["id"],
        account=data["account"],
        symbol=data["symbol"],
        setup=data["setup"],
        side=data["side"],
        tags=np.full(n, "", dtype=object),
        quantity=data["quantity"],
        entry_ts=data["entry_ts"],
        exit_ts=data["exit_ts"],
        entry_price=nan,
        exit_price=nan.copy(),
        stop_price=nan.copy(),
        target_price=nan.copy(),
        fees=nan.copy(),
        multiplier=nan.copy(),
        net_pnl=data["net_pnl"],
        r_multiple=data["r_multiple"],
        risk_amount=data["risk_amount"],
        holding_minutes=data["holding_minutes"],
    )


def _numbers(values: tuple) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _regime_labels(values: np.ndarray, *, high: float, low: float, labels: tuple[str, str, str]) -> np.ndarray:
    """labels = (at or above high, below low, in between); NaN -> None."""
    out = np.full(len(values), None, dtype=object)
    known = ~np.isnan(values)
    out[known] = labels[2]
    with np.errstate(invalid="ignore"):
        out[known & (values >= high)] = labels[0]
        out[known & (values < low)] = labels[1]
    return out


def _fact_as_float(key: str) -> Func:
    """A numeric fact read in SQL, with a JSON null (no bars, say) as SQL NULL on both databases.

    PostgreSQL cannot cast a jsonb null (``->``) to a number, so it casts the text (``->>``).
    On SQLite Django renders a JSON null as the text 'null', which CASTs to 0.0; JSON_EXTRACT
    returns SQL NULL for it.
    """
    if connection.vendor == "postgresql":
        return Cast(KeyTextTransform(key, "facts"), FloatField())
    return Func(F("facts"), Value(f"$.{key}"), function="JSON_EXTRACT", output_field=FloatField())


def analysis_columns_for(frame: TradeFrame) -> AnalysisColumns:
    """Primary factors and the entry regime of each trade's post-mortem, aligned with `frame`.

    Trend and volatility come from the analysis facts (`trend_atr`: the 20-bar move before entry in
    ATR, signed in the trade's direction: `with_trend` at +1.5 or more, `counter_trend` at -1.5 or
    less, else `no_clear_trend`; `atr_ratio`: ATR at entry over its trailing average: `high` at
    1.5x or more, `low` under 0.75x, else `normal`). Only those two keys are read from the JSON,
    in the database; alignment is one vectorised search, not a loop over trades.
    """
    n = len(frame)
    out = AnalysisColumns.empty(n)
    if n == 0:
        return out
    rows = list(
        TradeAnalysis.objects.order_by().values_list(
            "trade_id",
            Cast("primary_factors", TextField()),
            _fact_as_float("trend_atr"),
            _fact_as_float("atr_ratio"),
        )
    )
    if not rows:
        return out
    trade_ids, codes, trend, atr_ratio = zip(*rows, strict=True)
    order = np.argsort(frame.id)
    sorted_ids = frame.id[order]
    ids = np.array(trade_ids, dtype=np.int64)
    k = np.minimum(np.searchsorted(sorted_ids, ids), n - 1)
    hit = sorted_ids[k] == ids
    pos = order[k[hit]]
    # Few distinct code lists exist: decode each JSON text once (1M json.loads would cost seconds).
    decoded: dict[str, list] = {}
    for text in set(codes):
        value = json.loads(text) if text else []
        decoded[text] = [str(c) for c in value] if isinstance(value, list) else []
    code_lists = np.empty(len(rows), dtype=object)
    code_lists[:] = [decoded[c] for c in codes]
    out.primary_factors[pos] = code_lists[hit]
    edge = TREND_ATR_EDGE
    out.trend[pos] = _regime_labels(
        _numbers(trend), high=edge, low=-edge + 1e-12, labels=("with_trend", "counter_trend", "no_clear_trend")
    )[hit]
    out.volatility[pos] = _regime_labels(
        _numbers(atr_ratio), high=HIGH_VOLATILITY_RATIO, low=LOW_VOLATILITY_RATIO, labels=("high", "low", "normal")
    )[hit]
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


def pattern_segment_facts(p: AnalysisPattern) -> describe.SegmentFacts:
    """A stored pattern's numbers as the texts quote them, so the plan and the pattern page
    describe the same comparison (group, days as the unit or within days) the miner made."""
    details = p.details or {}
    return describe.SegmentFacts(
        factor=p.factor,
        segment=p.segment,
        n=p.n,
        share=float(details.get("share", p.n / max(p.n + p.n_rest, 1))),
        mean_r=p.mean_r or 0.0,
        mean_r_rest=p.mean_r_rest or 0.0,
        effect=p.effect,
        ci_low=p.ci_low,
        ci_high=p.ci_high,
        p_value=p.p_value,
        q_value=p.q_value,
        win_rate=p.win_rate or 0.0,
        win_rate_rest=p.win_rate_rest or 0.0,
        fisher_p=p.fisher_p if p.fisher_p is not None else float("nan"),
        dollars_at_stake=p.dollars_at_stake,
        significant=p.significant,
        reference=details.get("reference", ""),
        comparison=details.get("comparison", "within_day"),
        n_days=int(details.get("n_days") or 0),
        n_days_ref=int(details.get("n_days_ref") or 0),
    )
