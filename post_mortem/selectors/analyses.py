"""Reads for post-mortems: the facts an engine is given, and what the admin and API show.

Facts are computed column-wise over each account's history up to the trades of interest (prior
trades only), never per model instance: one ``values_list`` query for trades and a few for bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Max, Min, QuerySet

from ..context import compute_context, load_trade_frame
from ..metrics import BarSeries, compute_facts
from ..metrics.bars import AFTER_EXIT_BARS, ATR_BARS, ATR_BASELINE_BARS, TREND_BARS
from ..models import JobRun, MarketBar, Trade, TradeAnalysis

BARS_BEFORE = ATR_BASELINE_BARS + TREND_BARS + ATR_BARS + 2


def _bar_series(rows: list[tuple]) -> BarSeries:
    rows.sort(key=lambda r: r[0])
    if not rows:
        empty = np.zeros(0)
        return BarSeries(ts=empty, open=empty, high=empty, low=empty, close=empty)
    ts, o, h, lo, c = zip(*rows, strict=True)
    return BarSeries(
        ts=np.array([t.timestamp() for t in ts]),
        open=np.array(o, dtype=float),
        high=np.array(h, dtype=float),
        low=np.array(lo, dtype=float),
        close=np.array(c, dtype=float),
    )


def bars_for_trades(trades: QuerySet[Trade]) -> dict[str, BarSeries]:
    """Per symbol: the bars from ~236 bars before the first entry to 12 bars after the last exit."""
    spans = trades.order_by().values("symbol").annotate(first=Min("entry_time"), last=Max("exit_time"))
    out: dict[str, BarSeries] = {}
    fields = ("timestamp", "open", "high", "low", "close")
    for span in spans:
        symbol = span["symbol"]
        base = MarketBar.objects.filter(symbol=symbol)
        before = list(
            base.filter(timestamp__lt=span["first"]).order_by("-timestamp").values_list(*fields)[:BARS_BEFORE]
        )
        if not before and not base.filter(timestamp__gte=span["first"], timestamp__lte=span["last"]).exists():
            continue
        during = list(base.filter(timestamp__gte=span["first"], timestamp__lte=span["last"]).values_list(*fields))
        after = list(
            base.filter(timestamp__gt=span["last"]).order_by("timestamp").values_list(*fields)[: AFTER_EXIT_BARS + 1]
        )
        series = _bar_series(before + during + after)
        if len(series) >= 2:
            out[symbol] = series
    return out


def analysis_facts_for(
    *, trade_ids: Sequence[int], targets: QuerySet[Trade] | None = None
) -> dict[int, dict[str, Any]]:
    """Facts of the given trades, keyed by trade id, computed with their accounts' prior history.

    ``targets`` (a queryset of exactly those trades) avoids a huge ``IN`` list for whole-desk runs.
    """
    ids = list(trade_ids)
    if not ids:
        return {}
    if targets is None:
        targets = Trade.objects.filter(id__in=ids)
    span = targets.aggregate(last_entry=Max("entry_time"))
    accounts = list(targets.order_by().values_list("account", flat=True).distinct())
    history = Trade.objects.filter(account__in=accounts, entry_time__lte=span["last_entry"])
    frame = load_trade_frame(history)
    context = compute_context(
        frame, desk_tz=settings.DESK_TIMEZONE, after_loss_minutes=getattr(settings, "AFTER_LOSS_MINUTES", 30)
    )
    wanted = np.isin(frame.id, np.array(ids, dtype=np.int64))
    positions = np.flatnonzero(wanted)
    facts = compute_facts(frame, context, bars_for_trades(targets), positions=positions)
    return {f["id"]: f for f in facts}


def trade_notes_for(*, trade_ids: Sequence[int]) -> dict[int, str]:
    """Trade notes (user text) for the claude engine, which passes them as quoted data."""
    return dict(Trade.objects.filter(id__in=list(trade_ids)).exclude(notes="").values_list("id", "notes"))


def analysis_list() -> QuerySet[TradeAnalysis]:
    return TradeAnalysis.objects.select_related("trade", "run")


def analysis_for_trade(*, trade_id: int) -> TradeAnalysis | None:
    return analysis_list().filter(trade_id=trade_id).first()


def analysis_recommendations(*, analysis: TradeAnalysis) -> QuerySet:
    return analysis.recommendations.order_by("id")


def bars_around_trade(*, trade: Trade, bars_before: int = 30, bars_after: int = 30) -> dict[str, Any] | None:
    """Close prices around a trade and where it entered and exited, for the analysis page to draw
    (None when the symbol has fewer than two bars there)."""
    fields = ("timestamp", "close", "high", "low")
    base = MarketBar.objects.filter(symbol=trade.symbol)
    before = list(base.filter(timestamp__lt=trade.entry_time).order_by("-timestamp").values_list(*fields)[:bars_before])
    during = list(
        base.filter(timestamp__gte=trade.entry_time, timestamp__lte=trade.exit_time)
        .order_by("timestamp")
        .values_list(*fields)[:2000]
    )
    after = list(base.filter(timestamp__gt=trade.exit_time).order_by("timestamp").values_list(*fields)[:bars_after])
    rows = sorted(before) + during + after
    if len(rows) < 2:
        return None
    entry_idx = len(before)
    exit_idx = max(entry_idx, len(before) + len(during) - 1)
    return {
        "times": [r[0].isoformat() for r in rows],
        "close": [r[1] for r in rows],
        "entry_index": entry_idx,
        "exit_index": exit_idx,
        "entry_price": float(trade.entry_price),
        "exit_price": float(trade.exit_price),
        "stop_price": float(trade.stop_price) if trade.stop_price is not None else None,
        "target_price": float(trade.target_price) if trade.target_price is not None else None,
    }


def run_progress(*, run: JobRun) -> dict[str, Any]:
    """The small JSON the run page polls for its live progress bar."""
    return {
        "id": run.pk,
        "status": run.status,
        "status_display": run.get_status_display(),
        "finished": run.is_finished,
        "total": run.total,
        "done": run.done,
        "succeeded": run.succeeded,
        "failed": run.failed,
        "progress_pct": run.progress_pct,
        "cost_usd": str(run.cost_usd),
        "input_tokens": run.input_tokens,
        "output_tokens": run.output_tokens,
        "failures": run.failures[-50:],
        "error": run.error,
    }


def analyses_recent_since(*, run: JobRun, limit: int = 20) -> QuerySet[TradeAnalysis]:
    return TradeAnalysis.objects.filter(run=run).select_related("trade").order_by("-id")[:limit]
