"""Impact assessments: read-only measurements of implemented recommendations (effect, CI, q, ROI)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import display

from admin_ext.date_filters import DeskDayRangeFilter
from admin_ext.formatting import fmt_money, fmt_pvalue, fmt_r, fmt_time
from admin_ext.impact_fields import IMPACT_DISPLAY_FIELDS, IMPACT_FIELDSETS, ImpactReadable
from post_mortem.models import (
    AssessmentStatus,
    ImpactAssessment,
)


@admin.register(ImpactAssessment)
class ImpactAssessmentAdmin(ImpactReadable, ModelAdmin):
    list_display = [
        "recommendation_link",
        "verdict_badge",
        "effect_ci",
        "q_display",
        "roi",
        "measured_day",
    ]
    list_filter = [("status", ChoicesDropdownFilter), "significant", ("measured_at", DeskDayRangeFilter)]
    list_filter_submit = True
    list_select_related = ["recommendation"]
    search_fields = ["recommendation__text"]

    fieldsets = IMPACT_FIELDSETS

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + IMPACT_DISPLAY_FIELDS

    def has_add_permission(self, request) -> bool:
        return False  # assessments come from measure_impact, never typed in

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @display(description="Recommendation")
    def recommendation_link(self, obj: ImpactAssessment) -> str:
        url = reverse("admin:post_mortem_recommendation_change", args=[obj.recommendation_id])
        text = obj.recommendation.text
        return format_html(
            '<a href="{}">#{} {}</a>', url, obj.recommendation_id, text if len(text) <= 40 else text[:39] + "…"
        )

    @display(
        description="Status",
        label={AssessmentStatus.MEASURED: "success", AssessmentStatus.INSUFFICIENT: "warning"},
    )
    def status_badge(self, obj: ImpactAssessment) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Effect per trade [95% CI]")
    def effect_ci(self, obj: ImpactAssessment) -> str:
        if obj.effect is None:
            return obj.message or "—"
        return f"{fmt_r(obj.effect)} [{fmt_r(obj.ci_low)}, {fmt_r(obj.ci_high)}]"

    @display(
        description="Verdict",
        ordering="significant",
        label={"Significant": "success", "Not significant": "info", "Not enough data": "warning"},
    )
    def verdict_badge(self, obj: ImpactAssessment) -> str:
        if obj.status != AssessmentStatus.MEASURED:
            return "Not enough data"
        return "Significant" if obj.significant else "Not significant"

    @display(description="Measured", ordering="measured_at")
    def measured_day(self, obj: ImpactAssessment) -> str:
        return fmt_time(obj.measured_at)[:10] if obj.measured_at else "—"

    @display(description="Trades before / after")
    def n_display(self, obj: ImpactAssessment) -> str:
        return f"{obj.n_before:,} / {obj.n_after:,}"

    @display(description="q (BH)", ordering="q_value")
    def q_display(self, obj: ImpactAssessment) -> str:
        return fmt_pvalue(obj.q_value)

    @display(description="Significant", label={"yes": "success", "no": "info"})
    def significant_badge(self, obj: ImpactAssessment) -> str:
        return "yes" if obj.significant else "no"

    @display(description="ROI per month [95% CI]")
    def roi(self, obj: ImpactAssessment) -> str:
        if obj.roi_per_month is None:
            return "—"
        money = [fmt_money(v, signed=True, decimals=0) for v in (obj.roi_per_month, obj.roi_ci_low, obj.roi_ci_high)]
        return f"{money[0]} [{money[1]}, {money[2]}]"
