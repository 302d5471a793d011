"""Statistically tested patterns across trades, and the improvement plans built from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AnalysisPattern(models.Model):
    pattern_type = models.CharField(max_length=40, help_text="e.g. weakness, strength")
    description = models.TextField()
    confidence = models.FloatField(help_text="1 - q")
    category = models.CharField(max_length=40, blank=True, default="")
    action_items = models.JSONField(default=list, blank=True)
    affected_trades = models.PositiveIntegerField(default=0, help_text="Trades in the segment")
    affected_trade_ids = models.JSONField(default=list, blank=True)
    # The statistics behind it
    factor = models.CharField(max_length=40)
    segment = models.CharField(max_length=80)
    n = models.PositiveIntegerField()
    n_rest = models.PositiveIntegerField(default=0)
    mean_r = models.FloatField(null=True, blank=True)
    mean_r_rest = models.FloatField(null=True, blank=True)
    effect = models.FloatField(help_text="Mean R difference, segment - rest (negative = worse)")
    ci_low = models.FloatField()
    ci_high = models.FloatField()
    p_value = models.FloatField()
    q_value = models.FloatField()
    win_rate = models.FloatField(null=True, blank=True)
    win_rate_rest = models.FloatField(null=True, blank=True)
    fisher_p = models.FloatField(null=True, blank=True)
    dollars_at_stake = models.FloatField(default=0)
    significant = models.BooleanField(default=False)
    details = models.JSONField(default=dict, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    run = models.ForeignKey("post_mortem.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["q_value", "effect"]
        indexes = [
            models.Index(fields=["significant", "q_value"], name="pattern_sig_q_idx"),
            models.Index(fields=["period_start", "period_end"], name="pattern_period_idx"),
            models.Index(fields=["factor", "segment"], name="pattern_factor_segment_idx"),
        ]

    def __str__(self) -> str:
        # Words, not factor=value: this is the page title and every link's text in the admin.
        from ..mining.describe import subject

        return f"{subject(self.factor, self.segment)} ({self.effect:+.2f}R)"


class ImprovementPlan(models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, default="")
    focus_areas = models.JSONField(default=list, blank=True)
    improvements = models.JSONField(default=list, blank=True)
    patterns = models.ManyToManyField(AnalysisPattern, blank=True, related_name="plans")
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    run = models.ForeignKey("post_mortem.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
