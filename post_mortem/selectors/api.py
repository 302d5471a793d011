"""Querysets the REST API reads, with their joins and prefetches applied once, here.

Lists over the big tables load only what the serializers print: a trade list never loads the
post-mortem's JSON (only its id, through a LEFT JOIN on the unique trade_id index), and an
analysis list joins its trade in the same query. Nothing is fetched per row.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet

from ..models import AnalysisPattern, ImprovementPlan, JobRun, Recommendation, Trade, TradeAnalysis

_RECOMMENDATION_BRIEF = (
    "id",
    "text",
    "area",
    "type_code",
    "expected_impact",
    "expected_impact_r",
    "implementation_status",
    "implementation_date",
    "analysis_id",
    "plan_id",
    "created_at",
)


def trade_list() -> QuerySet[Trade]:
    return Trade.objects.order_by("-entry_time", "-id")


def trade_with_analysis_id(queryset: QuerySet[Trade]) -> QuerySet[Trade]:
    """Add `analysis_pk` (LEFT JOIN on the unique trade_id index). Applied after filtering, so a
    count over the filtered trades does not carry the join."""
    return queryset.annotate(analysis_pk=F("analysis__id"))


def trade_with_analysis_flag() -> QuerySet[Trade]:
    """Trades with `has_analysis`, for the per-object check before (re-)analysing one."""
    return Trade.objects.annotate(has_analysis=Exists(TradeAnalysis.objects.filter(trade_id=OuterRef("pk"))))


def analysis_list() -> QuerySet[TradeAnalysis]:
    return TradeAnalysis.objects.select_related("trade").defer("facts").order_by("-updated_at", "-id")


def analysis_detail() -> QuerySet[TradeAnalysis]:
    return TradeAnalysis.objects.select_related("trade").prefetch_related(
        Prefetch("recommendations", queryset=Recommendation.objects.only(*_RECOMMENDATION_BRIEF).order_by("id"))
    )


def pattern_list() -> QuerySet[AnalysisPattern]:
    return AnalysisPattern.objects.defer("affected_trade_ids", "details").order_by("q_value", "effect", "id")


def pattern_detail() -> QuerySet[AnalysisPattern]:
    return AnalysisPattern.objects.all()


def plan_list() -> QuerySet[ImprovementPlan]:
    return (
        ImprovementPlan.objects.select_related("created_by")
        .prefetch_related(Prefetch("patterns", queryset=AnalysisPattern.objects.only("id")))
        .order_by("-created_at", "-id")
    )


def plan_detail() -> QuerySet[ImprovementPlan]:
    return plan_list().prefetch_related(
        Prefetch("recommendations", queryset=Recommendation.objects.only(*_RECOMMENDATION_BRIEF).order_by("id"))
    )


def run_list() -> QuerySet[JobRun]:
    return JobRun.objects.select_related("created_by").order_by("-created_at", "-id")
