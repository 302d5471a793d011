"""Serializers of the REST API: read shapes of the domain rows, and the write requests' validation.

Read serializers only touch columns the selectors already loaded (no per-row queries). Write
serializers validate everything before any service runs, so a bad request writes nothing and its
400 names each bad field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, PrimaryKeyRelatedField

from ..models import AnalysisPattern, Engine, ImprovementPlan, JobRun, Recommendation, Trade, TradeAnalysis
from .formats import parse_rfc3339_date

MAX_BATCH_TRADES = 10_000  # larger jobs: the admin's Analyze action over a filtered list
MAX_DB_ID = 2**63 - 1


class FastReadMixin:
    """Read-only serialization without DRF's per-field attribute machinery.

    A page of 100 trades has ~3,000 field values; DRF's generic path (get_attribute, PKOnlyObject,
    per-row field iteration) spent most of the request's time there. The plan below is built once per
    serializer instance (a list's child serializer is reused for every row) and gives byte-identical
    output (tests compare it with DRF's own path): plain fields go straight to their
    `to_representation`, FKs read `<name>_id`, datetimes are formatted the way DRF does, and anything
    unusual (nested serializers, method fields) falls back to DRF for that field only.
    """

    def _fast_plan(self) -> list[tuple[str, Callable[[Any], Any]]]:
        plan = getattr(self, "_fast_plan_cache", None)
        if plan is None:
            plan = [(field.field_name, self._fast_getter(field)) for field in self._readable_fields]
            self._fast_plan_cache = plan
        return plan

    @staticmethod
    def _fast_getter(field) -> Callable[[Any], Any]:
        simple = (
            not isinstance(field, serializers.BaseSerializer | serializers.SerializerMethodField | ManyRelatedField)
            and field.source != "*"
            and field.source_attrs
        )
        if not simple:

            def generic(instance, field=field):
                attribute = field.get_attribute(instance)
                return None if attribute is None else field.to_representation(attribute)

            return generic
        if isinstance(field, PrimaryKeyRelatedField) and len(field.source_attrs) == 1:
            return attrgetter(f"{field.source_attrs[0]}_id")
        get = attrgetter(".".join(field.source_attrs))
        if isinstance(field, serializers.DateTimeField) and getattr(field, "format", None) is None:
            tz = timezone.get_current_timezone()

            def as_iso(instance):
                value = get(instance)
                if not value:
                    return None
                if isinstance(value, dt.datetime) and timezone.is_aware(value):
                    value = value.astimezone(tz)
                text = value.isoformat()
                return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text

            return as_iso if field.__class__ is serializers.DateTimeField else _with_none(get, field)
        return _with_none(get, field)

    def to_representation(self, instance) -> dict[str, Any]:
        return {name: getter(instance) for name, getter in self._fast_plan()}


def _with_none(get: Callable[[Any], Any], field) -> Callable[[Any], Any]:
    convert = field.to_representation

    def read(instance):
        value = get(instance)
        return None if value is None else convert(value)

    return read


class TradeSerializer(FastReadMixin, serializers.ModelSerializer):
    analysis = serializers.IntegerField(
        source="analysis_pk", read_only=True, allow_null=True, help_text="Id of the trade's post-mortem, if any."
    )
    tag_list = serializers.ListField(child=serializers.CharField(), read_only=True)
    # Plain text, not an enum: stocks and futures carry "" here, which an enum of CALL/PUT would refuse.
    option_type = serializers.CharField(read_only=True, help_text="CALL or PUT for an option; empty otherwise.")

    class Meta:
        model = Trade
        fields = [
            "id",
            "external_id",
            "account",
            "symbol",
            "side",
            "quantity",
            "multiplier",
            "option_type",
            "strike",
            "expiry",
            "underlying",
            "entry_time",
            "exit_time",
            "entry_price",
            "exit_price",
            "fees",
            "stop_price",
            "target_price",
            "setup",
            "tags",
            "tag_list",
            "notes",
            "gross_pnl",
            "net_pnl",
            "risk_amount",
            "r_multiple",
            "return_pct",
            "holding_minutes",
            "import_batch",
            "analysis",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TradeBriefSerializer(FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = Trade
        fields = ["id", "external_id", "account", "symbol", "side", "setup", "entry_time", "net_pnl", "r_multiple"]
        read_only_fields = fields


class RecommendationBriefSerializer(FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = Recommendation
        fields = [
            "id",
            "text",
            "area",
            "type_code",
            "expected_impact",
            "expected_impact_r",
            "implementation_status",
            "implementation_date",
        ]
        read_only_fields = fields


class TradeAnalysisSerializer(FastReadMixin, serializers.ModelSerializer):
    trade = TradeBriefSerializer(read_only=True)

    class Meta:
        model = TradeAnalysis
        fields = [
            "id",
            "trade",
            "analysis_data",
            "success_score",
            "primary_factors",
            "engine",
            "model",
            "prompt_version",
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_creation_tokens",
            "cost_usd",
            "run",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TradeAnalysisDetailSerializer(TradeAnalysisSerializer):
    recommendations = RecommendationBriefSerializer(many=True, read_only=True)

    class Meta(TradeAnalysisSerializer.Meta):
        fields = [*TradeAnalysisSerializer.Meta.fields, "facts", "recommendations"]
        read_only_fields = fields


class AnalysisPatternSerializer(FastReadMixin, serializers.ModelSerializer):
    class Meta:
        model = AnalysisPattern
        fields = [
            "id",
            "pattern_type",
            "description",
            "confidence",
            "category",
            "action_items",
            "affected_trades",
            "factor",
            "segment",
            "n",
            "n_rest",
            "mean_r",
            "mean_r_rest",
            "effect",
            "ci_low",
            "ci_high",
            "p_value",
            "q_value",
            "win_rate",
            "win_rate_rest",
            "fisher_p",
            "dollars_at_stake",
            "significant",
            "period_start",
            "period_end",
            "run",
            "created_at",
        ]
        read_only_fields = fields


class AnalysisPatternDetailSerializer(AnalysisPatternSerializer):
    class Meta(AnalysisPatternSerializer.Meta):
        fields = [*AnalysisPatternSerializer.Meta.fields, "affected_trade_ids", "details"]
        read_only_fields = fields


class ImprovementPlanSerializer(FastReadMixin, serializers.ModelSerializer):
    patterns = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username; null for scheduled runs."
    )

    class Meta:
        model = ImprovementPlan
        fields = [
            "id",
            "title",
            "summary",
            "focus_areas",
            "improvements",
            "patterns",
            "period_start",
            "period_end",
            "run",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ImprovementPlanDetailSerializer(ImprovementPlanSerializer):
    recommendations = RecommendationBriefSerializer(many=True, read_only=True)

    class Meta(ImprovementPlanSerializer.Meta):
        fields = [*ImprovementPlanSerializer.Meta.fields, "recommendations"]
        read_only_fields = fields


class RunTimingsSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    queued_seconds = serializers.FloatField(allow_null=True, help_text="Created to started (or to now).")
    running_seconds = serializers.FloatField(allow_null=True, help_text="Started to finished (or to now).")
    units_per_second = serializers.FloatField(allow_null=True)
    eta_seconds = serializers.FloatField(allow_null=True, help_text="Estimated seconds left at the current rate.")


class JobRunSerializer(FastReadMixin, serializers.ModelSerializer):
    """A background run's progress, as scripts poll it after a 202."""

    progress_pct = serializers.IntegerField(read_only=True)
    is_finished = serializers.BooleanField(read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username; null for scheduled runs."
    )
    timings = serializers.SerializerMethodField()

    class Meta:
        model = JobRun
        fields = [
            "id",
            "kind",
            "status",
            "is_finished",
            "params",
            "total",
            "done",
            "succeeded",
            "failed",
            "progress_pct",
            "failures",
            "result",
            "error",
            "input_tokens",
            "output_tokens",
            "cost_usd",
            "created_by",
            "timings",
        ]
        read_only_fields = fields

    @extend_schema_field(RunTimingsSerializer)
    def get_timings(self, run: JobRun) -> dict:
        from django.utils import timezone

        now = timezone.now()
        queued = running = rate = eta = None
        if run.created_at:
            queued = ((run.started_at or now) - run.created_at).total_seconds()
        if run.started_at:
            running = ((run.finished_at or now) - run.started_at).total_seconds()
            if running > 0 and run.done:
                rate = run.done / running
                if not run.is_finished and run.total > run.done:
                    eta = (run.total - run.done) / rate
        return {
            "created_at": run.created_at,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "queued_seconds": queued,
            "running_seconds": running,
            "units_per_second": rate,
            "eta_seconds": eta,
        }


# --- Write requests -----------------------------------------------------------------------


class StrictRequestSerializer(serializers.Serializer):
    """A request body: a JSON object with only the documented fields (others are a 400, not ignored).

    The schema says `additionalProperties: false` for every request body (schema.strict_request_bodies):
    a misspelt optional field (`engin`) must not silently fall back to a default.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name[:60]: ["Unknown field."] for name in unknown[:20]})
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "format": "date"})
class StrictDateField(serializers.DateField):
    """YYYY-MM-DD only (the schema's `date`; DRF would also take other ISO 8601 spellings)."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        try:
            return parse_rfc3339_date(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only (DRF would also take "12", 12.0 and true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (DRF would also take 0, 1, "yes", "on", ...)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


def _engine_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=Engine.choices,
        required=False,
        help_text=f"Analyzer engine; default {settings.POST_MORTEM_ENGINE!r} (POST_MORTEM_ENGINE).",
    )


class AnalysisRequestSerializer(StrictRequestSerializer):
    """Body of POST analyses/<trade_id>/ (optional: an empty body uses the default engine)."""

    engine = _engine_field()


class AnalysisBatchRequestSerializer(StrictRequestSerializer):
    """Body of POST analyses/batch/: the trades to analyse in one background run."""

    trade_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_DB_ID),
        min_length=1,
        max_length=MAX_BATCH_TRADES,
        help_text=f"Primary keys of the trades to analyze (1 to {MAX_BATCH_TRADES:,}); duplicates are ignored.",
    )
    engine = _engine_field()
    use_batches = StrictBooleanField(
        required=False,
        default=False,
        help_text="Claude engine only: use the Message Batches API (cheaper, slower).",
    )


class RunQueuedSerializer(serializers.Serializer):
    """The 202 answer to a write that queued background work."""

    run = serializers.IntegerField(help_text="Id of the JobRun; poll runs/<id>/ for progress.")
    kind = serializers.CharField()
    status = serializers.CharField()
    total = serializers.IntegerField(help_text="Units of work (trades) queued.")
    engine = serializers.CharField(allow_null=True)
    url = serializers.URLField(help_text="Absolute URL of the run's progress endpoint.")


class ErrorDetailSerializer(serializers.Serializer):
    """{"detail": "..."}: what DRF answers for 401/403/404/429 and malformed JSON."""

    detail = serializers.CharField()


__all__ = [
    "AnalysisBatchRequestSerializer",
    "AnalysisPatternDetailSerializer",
    "AnalysisPatternSerializer",
    "AnalysisRequestSerializer",
    "ErrorDetailSerializer",
    "ImprovementPlanDetailSerializer",
    "ImprovementPlanSerializer",
    "JobRunSerializer",
    "RecommendationBriefSerializer",
    "RunQueuedSerializer",
    "TradeAnalysisDetailSerializer",
    "TradeAnalysisSerializer",
    "TradeSerializer",
]
