"""A recommendation's stored codes and numbers as read-only fields people read.

The change form shows pre-registered fields read-only once a recommendation is implemented or
measured, and its origin (pattern, evidence) always read-only; Django would print those as stored
(`avoid_after_loss_reentry`, a JSON dict, 0.8747769253164557). RecommendationReadable supplies
display methods, and `readable_fields` / `readable_fieldsets` swap them in for read-only fields.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.decorators import display

from admin_ext import formatting as fmt
from admin_ext.labels import area_label, fact_label, fact_value, segment_label, segment_value, type_label
from post_mortem.models import Recommendation

# Read-only field -> the display method that says it in words.
READABLE: dict[str, str] = {
    "area": "area_words",
    "type_code": "type_words",
    "expected_impact_r": "expected_r_words",
    "segment": "segment_words",
    "scope_accounts": "scope_words",
    "impact_score": "impact_score_words",
    "pattern": "pattern_link",
    "evidence": "evidence_rows",
}


def readable_fields(readonly: list[str]) -> list[str]:
    """Read-only field names with the stored-code fields swapped for their display methods."""
    return [READABLE.get(name, name) for name in readonly]


def readable_fieldsets(fieldsets: list, readonly: list[str]) -> list:
    """Fieldsets naming the display method wherever that field is shown read-only."""
    shown = set(readonly)
    return [
        (title, {**options, "fields": [READABLE[f] if READABLE.get(f) in shown else f for f in options["fields"]]})
        for title, options in fieldsets
    ]


class RecommendationReadable:
    """Display methods for RecommendationAdmin's read-only fields."""

    @display(description="Area")
    def area_words(self, obj: Recommendation) -> str:
        return area_label(obj.area)

    @display(description="Type")
    def type_words(self, obj: Recommendation) -> str:
        return type_label(obj.type_code)

    @display(description="Expected R per affected trade")
    def expected_r_words(self, obj: Recommendation) -> str:
        return fmt.fmt_r(obj.expected_impact_r)

    @display(description="Segment")
    def segment_words(self, obj: Recommendation) -> str:
        segment = obj.segment or {}
        if not segment.get("factor"):
            return "All trades in scope"
        return segment_label(segment["factor"], segment.get("value", ""))

    @display(description="Scope accounts")
    def scope_words(self, obj: Recommendation) -> str:
        return ", ".join(obj.scope_accounts or []) or "All accounts"

    @display(description="Latest measured effect (R per trade)")
    def impact_score_words(self, obj: Recommendation) -> str:
        return fmt.fmt_r(obj.impact_score)

    @display(description="Pattern")
    def pattern_link(self, obj: Recommendation) -> str:
        pattern = obj.pattern
        if pattern is None:
            return fmt.DASH
        url = reverse("admin:post_mortem_analysispattern_change", args=[pattern.pk])
        words = f"{segment_label(pattern.factor, pattern.segment)} ({fmt.fmt_r(pattern.effect)})"
        return format_html('<a class="text-primary-600" href="{}">{}</a>', url, words)

    @display(description="Evidence")
    def evidence_rows(self, obj: Recommendation) -> str:
        evidence = obj.evidence or {}
        if not isinstance(evidence, dict):
            return str(evidence)
        if not evidence:
            return fmt.DASH
        rows = []
        for key, value in evidence.items():
            text = fact_value(key, value)
            if key == "reference" and (obj.segment or {}).get("factor"):
                factor = obj.segment["factor"]
                text = ", ".join(segment_value(factor, part.strip()) for part in str(value).split(","))
            elif key == "pattern" and isinstance(value, int):
                text = format_html(
                    '<a class="text-primary-600" href="{}">{}</a>',
                    reverse("admin:post_mortem_analysispattern_change", args=[value]),
                    f"Pattern #{value}",
                )
            elif key == "trade_id" and isinstance(value, int):
                text = format_html(
                    '<a class="text-primary-600" href="{}">{}</a>',
                    reverse("admin:post_mortem_trade_change", args=[value]),
                    f"Trade #{value}",
                )
            rows.append((fact_label(key), text))
        body = format_html_join(
            "", '<tr><td class="pr-4 py-0.5 text-base-500">{}</td><td class="py-0.5">{}</td></tr>', rows
        )
        return format_html('<table class="text-sm evidence-table"><tbody>{}</tbody></table>', body)
