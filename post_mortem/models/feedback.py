"""Recommendations with audited status, their measured impact, and A/B experiments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .choices import AssessmentStatus, ExperimentMetric, ImplementationStatus, RecommendationSource


class Recommendation(models.Model):
    """The seed's RecommendationTracking: one improvement, tracked from suggestion to measured effect."""

    text = models.TextField()
    area = models.CharField(max_length=40, help_text="entry, exit, risk_management, behavioral, ...")
    type_code = models.CharField(max_length=60, help_text="Recommendation type, used for ROI per type")
    expected_impact = models.TextField(blank=True, default="")
    expected_impact_r = models.FloatField(null=True, blank=True, help_text="Expected R per affected trade")
    segment = models.JSONField(default=dict, blank=True, help_text='{"factor": ..., "value": ...}')
    scope_accounts = models.JSONField(default=list, blank=True, help_text="Accounts it applies to; empty = all")
    evidence = models.JSONField(default=dict, blank=True)
    source = models.CharField(
        max_length=10, choices=RecommendationSource.choices, default=RecommendationSource.ANALYSIS
    )
    analysis = models.ForeignKey(
        "post_mortem.TradeAnalysis", null=True, blank=True, on_delete=models.SET_NULL, related_name="recommendations"
    )
    plan = models.ForeignKey(
        "post_mortem.ImprovementPlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="recommendations"
    )
    pattern = models.ForeignKey(
        "post_mortem.AnalysisPattern", null=True, blank=True, on_delete=models.SET_NULL, related_name="recommendations"
    )
    implementation_status = models.CharField(
        max_length=12, choices=ImplementationStatus.choices, default=ImplementationStatus.PENDING
    )
    implementation_date = models.DateField(null=True, blank=True)
    impact_score = models.FloatField(null=True, blank=True, help_text="Latest measured effect (R per trade)")
    notes = models.TextField(blank=True, default="")
    # Set the first time a person changes the status: re-analysis never replaces such a row.
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(verbose_name="recommendation change", verbose_name_plural="recommendation changes")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["implementation_status", "-created_at"], name="rec_status_created_idx"),
            models.Index(fields=["type_code"], name="rec_type_idx"),
            models.Index(fields=["area"], name="rec_area_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class ImpactAssessment(models.Model):
    """One measurement of whether an implemented recommendation paid."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="assessments")
    status = models.CharField(max_length=12, choices=AssessmentStatus.choices, default=AssessmentStatus.MEASURED)
    message = models.CharField(max_length=255, blank=True, default="")
    window_days = models.PositiveIntegerField(default=30)
    before_start = models.DateTimeField(null=True, blank=True)
    before_end = models.DateTimeField(null=True, blank=True)
    after_start = models.DateTimeField(null=True, blank=True)
    after_end = models.DateTimeField(null=True, blank=True)
    n_before = models.PositiveIntegerField(default=0)
    n_after = models.PositiveIntegerField(default=0)
    mean_before = models.FloatField(null=True, blank=True)
    mean_after = models.FloatField(null=True, blank=True)
    effect = models.FloatField(null=True, blank=True, help_text="Change in expectancy (R per trade)")
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    p_value = models.FloatField(null=True, blank=True, help_text="Welch")
    p_mannwhitney = models.FloatField(null=True, blank=True)
    q_value = models.FloatField(null=True, blank=True)
    significant = models.BooleanField(default=False)
    did_effect = models.FloatField(null=True, blank=True, help_text="Difference-in-differences vs control")
    did_ci_low = models.FloatField(null=True, blank=True)
    did_ci_high = models.FloatField(null=True, blank=True)
    roi_per_month = models.FloatField(null=True, blank=True)
    roi_ci_low = models.FloatField(null=True, blank=True)
    roi_ci_high = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="Segment share/expectancy, control, ...")
    run = models.ForeignKey("post_mortem.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    measured_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_at", "-id"]
        indexes = [models.Index(fields=["recommendation", "-measured_at"], name="impact_rec_measured_idx")]

    def __str__(self) -> str:
        return f"Impact of recommendation {self.recommendation_id} at {self.measured_at:%Y-%m-%d}"


class Experiment(models.Model):
    """An A/B comparison whose metric, groups and horizon are fixed before results are read."""

    name = models.CharField(max_length=120, unique=True)
    hypothesis = models.TextField(blank=True, default="")
    recommendation = models.ForeignKey(
        Recommendation, null=True, blank=True, on_delete=models.SET_NULL, related_name="experiments"
    )
    metric = models.CharField(max_length=12, choices=ExperimentMetric.choices, default=ExperimentMetric.R_MULTIPLE)
    treatment = models.JSONField(help_text='{"account": [...]} or {"tag": [...]}')
    control = models.JSONField(help_text='{"account": [...]} or {"tag": [...]}')
    start = models.DateField()
    end = models.DateField()
    min_sample = models.PositiveIntegerField(default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Pre-registered: nothing changes after creation, so the history shows its creation (who,
    # when, what) and a deletion, and would show any change made around the admin and the API.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="experiment_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.name
