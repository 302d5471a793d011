"""REST endpoints of the feedback loop: recommendations + tracking + history, impact, experiments.

Views are thin: serializers validate the request shape, services do the writes (and their
ValidationError becomes a 400 naming the field), selectors do the reads. Routes are registered by
`post_mortem.api.urls` from `routes` below.
"""

from __future__ import annotations

import django_filters as df
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from ..models import (
    AssessmentStatus,
    Experiment,
    ExperimentMetric,
    ImpactAssessment,
    ImplementationStatus,
    Recommendation,
    RecommendationSource,
    TradeAnalysis,
)
from ..selectors.feedback import experiment_results, history_entries, history_queryset, recommendation_list
from ..services.experiments import experiment_create
from ..services.impact import DEFAULT_MIN_SAMPLE, DEFAULT_WINDOW_DAYS, impact_run_start
from ..services.recommendations import MAX_REASON_LENGTH, recommendation_set_status, track_recommendation
from .errors import UnprocessableEntity, refused_by_rules
from .filters import IdFilter, StrictBooleanFilter, StrictChoiceFilter, StrictDateFilter
from .schema import DETAIL_ERRORS, READ_ERRORS, WRITE_ERRORS
from .serializers import StrictDateField, StrictIntegerField, StrictRequestSerializer
from .views.base import DeskReadOnlyViewSet

MAX_DB_ID = 2**63 - 1


def _as_drf_error(exc: DjangoValidationError, rename: dict[str, str] | None = None) -> ValidationError:
    """A service's refusal of well-formed input: 422 naming the field (see errors.UnprocessableEntity)."""
    return refused_by_rules(exc, rename)


class CanChangeRecommendation(BasePermission):
    """Tracking changes a recommendation: Ops (change_recommendation), never Auditors."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("post_mortem.change_recommendation"))


# --- serializers ---------------------------------------------------------------------------


class LatestImpactSerializer(serializers.Serializer):
    status = serializers.CharField(source="latest_status", allow_null=True)
    effect = serializers.FloatField(source="latest_effect", allow_null=True)
    ci_low = serializers.FloatField(source="latest_ci_low", allow_null=True)
    ci_high = serializers.FloatField(source="latest_ci_high", allow_null=True)
    significant = serializers.BooleanField(source="latest_significant", allow_null=True)
    roi_per_month = serializers.FloatField(source="latest_roi", allow_null=True)


class RecommendationSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="type_code", read_only=True, help_text="Recommendation type code")
    latest_impact = LatestImpactSerializer(source="*", read_only=True)

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "text",
            "area",
            "type",
            "implementation_status",
            "implementation_date",
            "segment",
            "scope_accounts",
            "expected_impact",
            "expected_impact_r",
            "impact_score",
            "notes",
            "source",
            "analysis",
            "plan",
            "pattern",
            "status_changed_at",
            "created_at",
            "updated_at",
            "latest_impact",
        ]
        read_only_fields = fields


TRACK_STATUSES = [*ImplementationStatus.values, *(value.lower() for value in ImplementationStatus.values)]


class TrackSerializer(StrictRequestSerializer):
    recommendation_id = StrictIntegerField(
        min_value=1, max_value=MAX_DB_ID, required=False, help_text="A tracked recommendation (e.g. a plan item)"
    )
    analysis = StrictIntegerField(
        min_value=1, max_value=MAX_DB_ID, required=False, help_text="A post-mortem's id, with `opportunity`"
    )
    opportunity = serializers.SlugField(
        required=False, max_length=60, help_text="The opportunity's id in that post-mortem: its type code"
    )
    status = serializers.ChoiceField(
        choices=[(value, value) for value in TRACK_STATUSES], help_text="PENDING, IMPLEMENTED or IGNORED"
    )
    implementation_date = StrictDateField(
        required=False, allow_null=True, help_text="Only with IMPLEMENTED; defaults to today (desk timezone)"
    )
    notes = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text="Replaces the notes")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON_LENGTH, default="")

    def validate_status(self, value: str) -> str:
        return value.upper()

    def validate(self, attrs: dict) -> dict:
        by_id = "recommendation_id" in attrs
        by_opportunity = "analysis" in attrs or "opportunity" in attrs
        if by_id == by_opportunity:
            raise serializers.ValidationError(
                {"recommendation_id": "Give either recommendation_id, or analysis and opportunity."}
            )
        for name in ("analysis", "opportunity"):
            if by_opportunity and name not in attrs:
                raise serializers.ValidationError({name: "Required together with the other opportunity field."})
        return attrs


def _track_request_schema() -> dict:
    """TrackSerializer's fields as two alternatives: by recommendation id, or by post-mortem + opportunity."""
    common = {
        "status": {"type": "string", "enum": TRACK_STATUSES, "description": "PENDING, IMPLEMENTED or IGNORED"},
        "implementation_date": {
            "type": "string",
            "format": "date",
            "nullable": True,
            "description": "Only with IMPLEMENTED; defaults to today (desk timezone)",
        },
        "notes": {"type": "string", "nullable": True, "description": "Replaces the notes"},
        "reason": {"type": "string", "maxLength": MAX_REASON_LENGTH, "default": ""},
    }
    an_id = {"type": "integer", "minimum": 1, "maximum": MAX_DB_ID, "format": "int64"}
    by_id = {
        "type": "object",
        "title": "By recommendation id",
        "properties": {"recommendation_id": {**an_id, "description": "A tracked recommendation"}, **common},
        "required": ["recommendation_id", "status"],
        "additionalProperties": False,
    }
    by_opportunity = {
        "type": "object",
        "title": "By post-mortem opportunity",
        "properties": {
            "analysis": {**an_id, "description": "A post-mortem's id"},
            "opportunity": {
                "type": "string",
                "maxLength": 60,
                "pattern": "^[-a-zA-Z0-9_]+$",
                "description": "The opportunity's id in that post-mortem: its type code",
            },
            **common,
        },
        "required": ["analysis", "opportunity", "status"],
        "additionalProperties": False,
    }
    return {"oneOf": [by_id, by_opportunity]}


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    recommendation = serializers.IntegerField()
    date = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    user_id = serializers.IntegerField(allow_null=True)
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    reason = serializers.CharField(allow_blank=True)
    changes = ChangeSerializer(many=True)


class ImpactAssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImpactAssessment
        fields = [
            "id",
            "recommendation",
            "status",
            "message",
            "window_days",
            "before_start",
            "before_end",
            "after_start",
            "after_end",
            "n_before",
            "n_after",
            "mean_before",
            "mean_after",
            "effect",
            "ci_low",
            "ci_high",
            "p_value",
            "p_mannwhitney",
            "q_value",
            "significant",
            "did_effect",
            "did_ci_low",
            "did_ci_high",
            "roi_per_month",
            "roi_ci_low",
            "roi_ci_high",
            "details",
            "run",
            "measured_at",
        ]
        read_only_fields = fields


class MeasureRequestSerializer(StrictRequestSerializer):
    """Body of POST impact-assessments/measure/: one recommendation or all implemented ones."""

    recommendation_id = StrictIntegerField(min_value=1, max_value=MAX_DB_ID, required=False, allow_null=True)
    window_days = StrictIntegerField(min_value=1, max_value=3650, default=DEFAULT_WINDOW_DAYS)
    min_sample = StrictIntegerField(min_value=2, max_value=1_000_000, default=DEFAULT_MIN_SAMPLE)


class MeasureAcceptedSerializer(serializers.Serializer):
    run = serializers.IntegerField(help_text="Poll /api/post-mortem/runs/<run>/; assessments carry run=<run>")
    recommendations = serializers.IntegerField()


class ExperimentSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Experiment
        fields = [
            "id",
            "name",
            "hypothesis",
            "recommendation",
            "metric",
            "treatment",
            "control",
            "start",
            "end",
            "min_sample",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


GROUP_NAMES = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1000,
    "items": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"},
}
GROUP_SCHEMA = {
    "type": "object",
    "description": '{"account": [...]} or {"tag": [...]}: exactly one key, a non-empty list of names.',
    "properties": {"account": GROUP_NAMES, "tag": GROUP_NAMES},
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}


@extend_schema_field(GROUP_SCHEMA)
class GroupField(serializers.JSONField):
    """A treatment or control group, checked for shape here (400); overlap is a business rule (422)."""

    def to_internal_value(self, data):
        ok = isinstance(data, dict) and len(data) == 1 and next(iter(data)) in ("account", "tag")
        names = next(iter(data.values())) if ok else None
        ok = ok and isinstance(names, list) and 1 <= len(names) <= 1000
        ok = ok and all(isinstance(n, str) and 1 <= len(n) <= 100 and n.strip() for n in names)
        if not ok:
            raise serializers.ValidationError(
                '{"account": [...]} or {"tag": [...]}: exactly one key, a list of 1-1,000 non-blank names.'
            )
        return data


class ExperimentCreateSerializer(StrictRequestSerializer):
    """Body of POST experiments/: everything is pre-registered here and fixed afterwards."""

    name = serializers.CharField(max_length=120, trim_whitespace=False)
    hypothesis = serializers.CharField(required=False, allow_blank=True, default="")
    recommendation = StrictIntegerField(
        min_value=1, max_value=MAX_DB_ID, required=False, allow_null=True, default=None, help_text="Recommendation id"
    )
    metric = serializers.ChoiceField(choices=ExperimentMetric.choices, default=ExperimentMetric.R_MULTIPLE)
    treatment = GroupField()
    control = GroupField()
    start = StrictDateField()
    end = StrictDateField()
    min_sample = StrictIntegerField(min_value=2, max_value=1_000_000, default=30)


class GroupSummarySerializer(serializers.Serializer):
    n = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)


class DidSerializer(serializers.Serializer):
    pre_treatment = GroupSummarySerializer()
    pre_control = GroupSummarySerializer()
    pre_difference = serializers.FloatField(allow_null=True)
    effect = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)


class ExperimentResultsSerializer(serializers.Serializer):
    experiment = serializers.IntegerField()
    metric = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    as_of = serializers.DateTimeField()
    interim = serializers.BooleanField(help_text="True before the pre-registered end date: do not act on it")
    treatment = GroupSummarySerializer()
    control = GroupSummarySerializer()
    difference = serializers.FloatField(allow_null=True, help_text="treatment - control")
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True, help_text="Welch (Fisher exact for win_rate)")
    p_mannwhitney = serializers.FloatField(allow_null=True)
    sufficient = serializers.BooleanField()
    significant = serializers.BooleanField()
    did = DidSerializer(allow_null=True)
    warnings = serializers.ListField(child=serializers.CharField())
    daily = serializers.JSONField(
        help_text="Running mean of the metric per group per desk day: `days` (ISO dates), `treatment`, `control`"
    )


# --- filters -------------------------------------------------------------------------------


class RecommendationFilter(df.FilterSet):
    area = df.CharFilter()
    type = df.CharFilter(field_name="type_code")
    implementation_status = StrictChoiceFilter(choices=ImplementationStatus.choices)
    source = StrictChoiceFilter(choices=RecommendationSource.choices)
    plan = IdFilter(field_name="plan_id")
    analysis = IdFilter(field_name="analysis_id")
    implemented_from = StrictDateFilter(field_name="implementation_date", lookup_expr="gte")
    implemented_to = StrictDateFilter(field_name="implementation_date", lookup_expr="lte")

    class Meta:
        model = Recommendation
        fields = []


class ImpactAssessmentFilter(df.FilterSet):
    recommendation = IdFilter(field_name="recommendation_id")
    status = StrictChoiceFilter(choices=AssessmentStatus.choices)
    significant = StrictBooleanFilter(field_name="significant")
    run = IdFilter(field_name="run_id")

    class Meta:
        model = ImpactAssessment
        fields = []


class ExperimentFilter(df.FilterSet):
    metric = StrictChoiceFilter(choices=ExperimentMetric.choices)
    recommendation = IdFilter(field_name="recommendation_id")

    class Meta:
        model = Experiment
        fields = []


# --- views ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List recommendations",
        description="Filterable by area, type, status, source, plan, analysis and implementation date. "
        "Each row carries its latest measured impact. Needs `post_mortem.view_recommendation`.",
        responses={200: RecommendationSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(summary="One recommendation", responses={200: RecommendationSerializer, **DETAIL_ERRORS}),
)
class RecommendationViewSet(DeskReadOnlyViewSet):
    queryset = recommendation_list()
    serializer_class = RecommendationSerializer
    filterset_class = RecommendationFilter
    ordering_fields = ["created_at", "implementation_date", "expected_impact_r", "impact_score", "id"]
    ordering = ["-created_at", "-id"]

    def get_permissions(self):
        if self.action == "track":
            return [CanChangeRecommendation()]
        return super().get_permissions()

    @extend_schema(
        summary="Track a recommendation (set its status)",
        description=(
            "Either `recommendation_id` (a tracked recommendation), or `analysis` + `opportunity` (a post-mortem's "
            "opportunity, by its type code: the first call creates its tracked recommendation). "
            "Set PENDING / IMPLEMENTED / IGNORED with an optional implementation date (IMPLEMENTED only; "
            "default today in the desk's timezone; never in the future), notes and a change reason. "
            "Recorded in the audit history with the calling user. Needs `post_mortem.change_recommendation` (Ops)."
        ),
        request={"application/json": _track_request_schema()},
        responses={200: RecommendationSerializer, 404: DETAIL_ERRORS[404], **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="track", filter_backends=[], pagination_class=None)
    def track(self, request):
        body = TrackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        change = {
            "status": data["status"],
            "implementation_date": data.get("implementation_date"),
            "notes": data.get("notes"),
            "reason": data.get("reason", ""),
            "user": request.user,
        }
        try:
            if "recommendation_id" in data:
                rec = get_object_or_404(Recommendation, pk=data["recommendation_id"])
                recommendation_set_status(recommendation=rec, **change)
            else:
                get_object_or_404(TradeAnalysis, pk=data["analysis"])
                opportunity = data["opportunity"]
                rec = track_recommendation(analysis_id=data["analysis"], recommendation_id=opportunity, **change)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        return Response(RecommendationSerializer(recommendation_list().get(pk=rec.pk)).data)

    @extend_schema(
        summary="Audit history of one recommendation",
        description="Every recorded change, newest first: who, when, the reason, and each field's old and new "
        "value. Read-only; needs `post_mortem.view_recommendation` (Auditor, Ops).",
        responses={200: HistoryEntrySerializer(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="history", filter_backends=[])
    def history(self, request, pk=None):
        rec = self.get_object()
        page = self.paginate_queryset(history_queryset().filter(id=rec.pk))
        return self.get_paginated_response(HistoryEntrySerializer(history_entries(page), many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List impact assessments",
        description="Measured before/after effects (newest first), filterable by recommendation, status, "
        "significance and run. Needs `post_mortem.view_impactassessment`.",
        responses={200: ImpactAssessmentSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One impact assessment", responses={200: ImpactAssessmentSerializer, **DETAIL_ERRORS}
    ),
)
class ImpactAssessmentViewSet(DeskReadOnlyViewSet):
    queryset = ImpactAssessment.objects.all()
    serializer_class = ImpactAssessmentSerializer
    filterset_class = ImpactAssessmentFilter
    ordering_fields = ["measured_at", "effect", "roi_per_month", "p_value", "id"]
    ordering = ["-measured_at", "-id"]

    @extend_schema(
        summary="Measure impact now",
        description="Queue an impact run over every implemented recommendation (or one). 202 with the run id; "
        "the assessments appear under impact-assessments/?run=<id>. Needs `post_mortem.add_impactassessment` (Ops).",
        request=MeasureRequestSerializer,
        responses={202: MeasureAcceptedSerializer, **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="measure", filter_backends=[], pagination_class=None)
    def measure(self, request):
        body = MeasureRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            run = impact_run_start(
                recommendation_id=data.get("recommendation_id"),
                window_days=data["window_days"],
                min_sample=data["min_sample"],
                user=request.user,
            )
        except DjangoValidationError as exc:
            raise _as_drf_error(exc, {"recommendation": "recommendation_id"}) from exc
        return Response({"run": run.pk, "recommendations": run.total}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="List experiments", responses={200: ExperimentSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(summary="One experiment", responses={200: ExperimentSerializer, **DETAIL_ERRORS}),
    create=extend_schema(
        summary="Register an A/B experiment",
        description=(
            "Metric, groups, dates and minimum sample are fixed at creation (no update endpoint): results "
            'read before `end` are interim. Groups are {"account": [...]} or {"tag": [...]}. '
            "Needs `post_mortem.add_experiment` (Ops)."
        ),
        request=ExperimentCreateSerializer,
        responses={201: ExperimentSerializer, **WRITE_ERRORS},
    ),
)
class ExperimentViewSet(mixins.CreateModelMixin, DeskReadOnlyViewSet):
    queryset = Experiment.objects.select_related("created_by")
    serializer_class = ExperimentSerializer
    filterset_class = ExperimentFilter
    ordering_fields = ["created_at", "start", "end", "id"]
    ordering = ["-created_at", "-id"]

    def create(self, request, *args, **kwargs):
        body = ExperimentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if not data["name"].strip():
            raise UnprocessableEntity({"name": ["The name must not be blank."]})
        if data["recommendation"] is not None:
            data["recommendation"] = Recommendation.objects.filter(pk=data["recommendation"]).first()
            if data["recommendation"] is None:
                raise UnprocessableEntity(
                    {"recommendation": [f"Unknown recommendation {body.validated_data['recommendation']}."]}
                )
        try:
            experiment = experiment_create(**data, user=request.user)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        return Response(ExperimentSerializer(experiment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Results of an experiment",
        description="Per group n / mean / CI, treatment - control with CI and p-value, the difference-in-"
        "differences against the pre-period, `significant`, interim warnings and the daily running means.",
        responses={200: ExperimentResultsSerializer, **DETAIL_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="results", filter_backends=[], pagination_class=None)
    def results(self, request, pk=None):
        return Response(experiment_results(experiment=self.get_object()))


routes = [
    ("recommendations", RecommendationViewSet, "recommendation"),
    ("impact-assessments", ImpactAssessmentViewSet, "impactassessment"),
    ("experiments", ExperimentViewSet, "experiment"),
]

__all__ = ["routes"]
