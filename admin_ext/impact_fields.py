"""An impact assessment's page in words and formatted numbers.

Every field of an assessment is a measurement; shown as stored they read "Roi per month
40491.52396676406" and a JSON dict. These display methods group them the way a desk head reads
the result: the verdict, before vs after, the control comparison, the money, how it was measured.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.decorators import display

from admin_ext import formatting as fmt
from admin_ext.labels import segment_label
from post_mortem.models import AssessmentStatus, ImpactAssessment

IMPACT_FIELDSETS = [
    (None, {"fields": ["recommendation_words", "status_words", "message", "effect_line", "q_display", "run_link"]}),
    ("Before and after", {"fields": ["window_line", "before_line", "after_line", "segment_line"]}),
    ("Against the control group", {"fields": ["did_line", "control_line"]}),
    ("Money", {"fields": ["roi"]}),
    ("How it was measured", {"fields": ["method_line", "measured_at"]}),
]
IMPACT_DISPLAY_FIELDS = [
    "recommendation_words",
    "status_words",
    "effect_line",
    "q_display",
    "window_line",
    "before_line",
    "after_line",
    "segment_line",
    "did_line",
    "control_line",
    "roi",
    "method_line",
    "run_link",
    "message",
    "measured_at",
]


def _period(start, end) -> str:
    return f"{fmt.fmt_time(start)[:10]} to {fmt.fmt_time(end)[:10]}" if start and end else fmt.DASH


class ImpactReadable:
    """Display methods for ImpactAssessmentAdmin's detail page."""

    @display(description="Recommendation")
    def recommendation_words(self, obj: ImpactAssessment) -> str:
        url = reverse("admin:post_mortem_recommendation_change", args=[obj.recommendation_id])
        return format_html(
            '<a class="text-primary-600" href="{}">#{} {}</a>', url, obj.recommendation_id, obj.recommendation.text
        )

    @display(description="Status")
    def status_words(self, obj: ImpactAssessment) -> str:
        # A read-only field shows a `label=` display's (value, text) tuple as is: draw the pill here.
        return fmt.badge(obj.get_status_display(), "success" if obj.status == AssessmentStatus.MEASURED else "warning")

    @display(description="Change in expectancy per trade [95% CI]")
    def effect_line(self, obj: ImpactAssessment) -> str:
        if obj.effect is None:
            return fmt.DASH
        verdict = "significant" if obj.significant else "not significant"
        p_values = f"p = {fmt.fmt_pvalue(obj.p_value)} (Welch), {fmt.fmt_pvalue(obj.p_mannwhitney)} (Mann-Whitney)"
        return f"{fmt.fmt_r(obj.effect)} [{fmt.fmt_r(obj.ci_low)}, {fmt.fmt_r(obj.ci_high)}], {verdict}; {p_values}"

    @display(description="Window")
    def window_line(self, obj: ImpactAssessment) -> str:
        return f"{obj.window_days} days before and after the implementation date"

    @display(description="Before")
    def before_line(self, obj: ImpactAssessment) -> str:
        period = _period(obj.before_start, obj.before_end)
        return f"{period}: {obj.n_before:,} trades, mean {fmt.fmt_r(obj.mean_before)}"

    @display(description="After")
    def after_line(self, obj: ImpactAssessment) -> str:
        period = _period(obj.after_start, obj.after_end)
        return f"{period}: {obj.n_after:,} trades, mean {fmt.fmt_r(obj.mean_after)}"

    @display(description="Targeted segment")
    def segment_line(self, obj: ImpactAssessment) -> str:
        details = obj.details or {}
        definition = details.get("segment_definition") or {}
        if not definition.get("factor"):
            return fmt.DASH
        parts = [segment_label(definition["factor"], definition.get("value", ""))]
        for when in ("before", "after"):
            group = (details.get("segment") or {}).get(when) or {}
            if group:
                share = fmt.fmt_percent(group.get("share"), 0)
                mean = fmt.fmt_r(group.get("expectancy"))
                parts.append(f"{when}: {group.get('n', 0):,} trades ({share}), mean {mean}")
        return " · ".join(parts)

    @display(description="Difference-in-differences [95% CI]")
    def did_line(self, obj: ImpactAssessment) -> str:
        if obj.did_effect is None:
            return fmt.DASH
        return f"{fmt.fmt_r(obj.did_effect)} [{fmt.fmt_r(obj.did_ci_low)}, {fmt.fmt_r(obj.did_ci_high)}]"

    @display(description="Control group")
    def control_line(self, obj: ImpactAssessment) -> str:
        control = (obj.details or {}).get("control") or {}
        if not control:
            return fmt.DASH
        return (
            f"before {control.get('n_before', 0):,} trades, mean {fmt.fmt_r(control.get('mean_before'))}; "
            f"after {control.get('n_after', 0):,} trades, mean {fmt.fmt_r(control.get('mean_after'))}; "
            f"change {fmt.fmt_r(control.get('change'))}"
        )

    @display(description="Method")
    def method_line(self, obj: ImpactAssessment) -> str:
        details = obj.details or {}
        inference = details.get("inference") or {}
        rows = [
            ("Inference", inference.get("method") or fmt.DASH),
            (
                "Days with trades",
                f"{inference.get('days_before', 0):,} before, {inference.get('days_after', 0):,} after",
            ),
            ("Minimum sample", f"{details.get('min_sample', 0):,} trades"),
            ("Typical 1R", fmt.fmt_money(details.get("typical_risk"))),
            ("Trades per month after", f"{details.get('trades_per_month_after') or 0:,.1f}"),
            ("Accounts", ", ".join(details.get("scope_accounts") or []) or "All accounts"),
        ]
        body = format_html_join(
            "", '<tr><td class="pr-4 py-0.5 text-base-500">{}</td><td class="py-0.5">{}</td></tr>', rows
        )
        return format_html('<table class="text-sm"><tbody>{}</tbody></table>', body)

    @display(description="Run")
    def run_link(self, obj: ImpactAssessment) -> str:
        if not obj.run_id:
            return fmt.DASH
        url = reverse("admin:post_mortem_jobrun_change", args=[obj.run_id])
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, str(obj.run))
