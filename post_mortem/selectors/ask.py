"""Reads behind the Ask tools: the desk's trades as columns, and the lists the tools quote.

The tools answer over any selection (accounts, symbols, setups, sides, tags, period, any mining
segment), so they read the same columnar frame the miner reads: every trade, with context
computed from the full history, once per question.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from ..context import ContextFrame, TradeFrame, compute_context
from ..mining.segments import AnalysisColumns
from ..models import AnalysisPattern, ImprovementPlan, Question, Recommendation, Trade
from .feedback import recommendation_list
from .patterns import analysis_columns_for, latest_mined_period, patterns_for_period, trade_frame_for_mining


@dataclass(slots=True)
class DeskData:
    """Every trade as columns plus its context; post-mortem columns are read only when asked for."""

    frame: TradeFrame
    context: ContextFrame
    _analyses: AnalysisColumns | None = field(default=None, repr=False)

    @property
    def analyses(self) -> AnalysisColumns:
        if self._analyses is None:
            self._analyses = analysis_columns_for(self.frame)
        return self._analyses


def desk_data() -> DeskData:
    frame = trade_frame_for_mining(until=None)
    context = compute_context(frame, desk_tz=settings.DESK_TIMEZONE, after_loss_minutes=settings.AFTER_LOSS_MINUTES)
    return DeskData(frame=frame, context=context)


def _tag_q(tag: str) -> Q:
    return Q(tags=tag) | Q(tags__startswith=f"{tag};") | Q(tags__endswith=f";{tag}") | Q(tags__contains=f";{tag};")


def trade_ids_with_tags(tags: list[str]) -> np.ndarray:
    """Ids of trades carrying any of `tags` (tags are ';'-separated in one column)."""
    q = Q()
    for tag in tags:
        q |= _tag_q(tag)
    return np.array(list(Trade.objects.filter(q).values_list("id", flat=True)), dtype=np.int64)


def mined_patterns(*, factor: str | None, significant_only: bool) -> list[AnalysisPattern]:
    """Patterns of the latest mined period (what the Patterns page shows), strongest evidence first."""
    period = latest_mined_period()
    if period is None:
        return []
    qs = patterns_for_period(period_start=period[0], period_end=period[1])
    if factor:
        qs = qs.filter(factor=factor)
    if significant_only:
        qs = qs.filter(significant=True)
    return list(qs.order_by("q_value", "effect"))


def recommendations_for_ask(*, status: str | None, limit: int) -> QuerySet[Recommendation]:
    qs = recommendation_list()
    if status:
        qs = qs.filter(implementation_status=status)
    return qs.order_by("-created_at", "-id")[:limit]


def plans_for_ask(*, limit: int) -> QuerySet[ImprovementPlan]:
    return ImprovementPlan.objects.prefetch_related("recommendations").order_by("-created_at", "-id")[:limit]


def question_thread(question: Question) -> list[Question]:
    """The question and the questions it follows up, oldest first (bounded: threads are short)."""
    chain: list[Question] = []
    node: Question | None = question
    while node is not None and len(chain) < 20:
        chain.append(node)
        node = node.parent
    return chain[::-1]


def question_cost_per_month(*, months: int = 6) -> list[dict]:
    """Questions, tokens and USD per calendar month (UTC), newest first, for the dashboard."""
    since = dt.datetime.now(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(months - 1):
        since = (since - dt.timedelta(days=1)).replace(day=1)
    rows = (
        Question.objects.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"), cost=Sum("cost_usd"), tokens_in=Sum("input_tokens"), tokens_out=Sum("output_tokens"))
        .order_by("-month")
    )
    return [
        {
            "month": r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"],
            "questions": r["n"],
            "tokens": (r["tokens_in"] or 0) + (r["tokens_out"] or 0),
            "cost_usd": r["cost"] or Decimal(0),
        }
        for r in rows
    ]
