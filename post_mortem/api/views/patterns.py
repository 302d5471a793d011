"""patterns/ and improvement-plans/: what the miner found and the plans built from it (read-only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from ...selectors import api as selectors
from ..filters import ImprovementPlanFilter, PatternFilter
from ..schema import DETAIL_ERRORS, READ_ERRORS
from ..serializers import (
    AnalysisPatternDetailSerializer,
    AnalysisPatternSerializer,
    ImprovementPlanDetailSerializer,
    ImprovementPlanSerializer,
)
from .base import DeskReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(
        tags=["patterns"],
        summary="List patterns",
        description=(
            "Statistically tested segments of trades (effect in R with CI, p and Benjamini-Hochberg q), "
            "lowest q first. Needs `post_mortem.view_analysispattern` (Auditor, Ops)."
        ),
        responses={200: AnalysisPatternSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        tags=["patterns"],
        summary="One pattern",
        description="A pattern with the ids of the trades in its segment and the test details. "
        "Needs `post_mortem.view_analysispattern`.",
        responses={200: AnalysisPatternDetailSerializer, **DETAIL_ERRORS},
    ),
)
class PatternViewSet(DeskReadOnlyViewSet):
    queryset = selectors.pattern_list()
    serializer_class = AnalysisPatternSerializer
    detail_serializer_class = AnalysisPatternDetailSerializer
    filterset_class = PatternFilter
    ordering_fields = [
        "q_value",
        "p_value",
        "effect",
        "confidence",
        "dollars_at_stake",
        "affected_trades",
        "created_at",
        "id",
    ]
    ordering = ["q_value", "effect", "id"]

    def get_queryset(self):
        return selectors.pattern_detail() if self.action == "retrieve" else selectors.pattern_list()


@extend_schema_view(
    list=extend_schema(
        tags=["improvement-plans"],
        summary="List improvement plans",
        description="Plans built from patterns, newest first. Needs `post_mortem.view_improvementplan` (Auditor, Ops).",
        responses={200: ImprovementPlanSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        tags=["improvement-plans"],
        summary="One improvement plan",
        description="A plan with its focus areas, improvements, source patterns and recommendations. "
        "Needs `post_mortem.view_improvementplan`.",
        responses={200: ImprovementPlanDetailSerializer, **DETAIL_ERRORS},
    ),
)
class ImprovementPlanViewSet(DeskReadOnlyViewSet):
    queryset = selectors.plan_list()
    serializer_class = ImprovementPlanSerializer
    detail_serializer_class = ImprovementPlanDetailSerializer
    filterset_class = ImprovementPlanFilter
    ordering_fields = ["created_at", "period_start", "period_end", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        qs = selectors.plan_detail() if self.action == "retrieve" else selectors.plan_list()
        # Filtering on the M2M could repeat a plan; distinct keeps one row per plan.
        return qs.distinct() if "pattern" in self.request.query_params else qs
