"""The post-mortem of one trade, as produced by an engine and saved by a service."""

from __future__ import annotations

from django.db import models

from .choices import Engine


class TradeAnalysis(models.Model):
    trade = models.OneToOneField("post_mortem.Trade", on_delete=models.CASCADE, related_name="analysis")
    analysis_data = models.JSONField(default=dict, help_text="The seed's post-mortem shape")
    facts = models.JSONField(default=dict, blank=True, help_text="Metrics and context the engine was given")
    success_score = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    primary_factors = models.JSONField(default=list, blank=True, help_text="Codes from the factor vocabulary")
    # {type_code: expected R or null} of the improvement opportunities: what prioritisation rolls up
    # and filters on without reading every post-mortem's full text.
    opportunity_impacts = models.JSONField(default=dict, blank=True, help_text="Opportunity code -> expected R")
    engine = models.CharField(max_length=10, choices=Engine.choices, default=Engine.RULES)
    model = models.CharField(max_length=80, blank=True, default="")
    prompt_version = models.CharField(max_length=20, blank=True, default="")
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_creation_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    run = models.ForeignKey("post_mortem.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "post-mortem"
        verbose_name_plural = "post-mortems"
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="analysis_updated_idx"),
            models.Index(fields=["success_score"], name="analysis_score_idx"),
            models.Index(fields=["engine"], name="analysis_engine_idx"),
        ]

    def __str__(self) -> str:
        return f"Post-mortem of trade {self.trade_id}"
