"""Admin for mined patterns and improvement plans.

Patterns and plans are results, not data entry: both are read-only here. "Mine patterns" (a period
form) and "Build improvement plan" enqueue runs through the post_mortem services and send the user
to the run's page. The pattern page shows segment vs rest (mean R with CI, R distribution) and the
affected trades; the plan page reads as a document with each recommendation's live status.
"""

from __future__ import annotations

import json

import numpy as np
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminIntegerFieldWidget, UnfoldAdminSingleDateWidget

from admin_ext import formatting as fmt
from admin_ext import whatif
from admin_ext.code_filters import code_filter
from admin_ext.confirm import confirm_page, confirmed
from admin_ext.dashboard import DashboardCard, dashboard_card
from admin_ext.date_filters import DeskDayRangeFilter
from admin_ext.labels import SEGMENT_FACTORS, area_label, humanize_code, segment_label, segment_value
from admin_ext.views import AdminFormPage, admin_page
from post_mortem.mining import describe
from post_mortem.mining.miner import DEFAULT_MIN_TRADES
from post_mortem.models import AnalysisPattern, ImprovementPlan, Trade
from post_mortem.models.choices import IMPLEMENTATION_STATUS_COLORS
from post_mortem.selectors.patterns import pattern_segment_facts, top_patterns
from post_mortem.services.patterns import mining_run_start
from post_mortem.services.plans import plan_run_start

AFFECTED_TRADES_SHOWN = 100
# Chart.js options for the distribution: side-by-side bars (unfold's default overlaps datasets).
DISTRIBUTION_OPTIONS = json.dumps(
    {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "grouped": True,
        "barPercentage": 0.9,
        "categoryPercentage": 0.8,
        "plugins": {"legend": {"display": True, "position": "top", "align": "end"}},
        "scales": {
            "x": {"grid": {"display": False}, "title": {"display": True, "text": "R-multiple (bin start)"}},
            "y": {"beginAtZero": True, "title": {"display": True, "text": "% of the group's trades"}},
        },
    }
)
CONFIDENCE_COLORS = {"high": "success", "medium": "warning", "low": "info"}


def _dollars(value: float) -> str:
    """'$11,132 lost' / '$9,624 gained' (dollars at stake are signed like the effect)."""
    return f"${abs(value):,.0f} {'lost' if value < 0 else 'gained'}"


def _nowrap(text: str) -> str:
    """A number kept on one line in a list column ("5.3e-17" would break at its minus sign)."""
    return format_html('<span class="whitespace-nowrap">{}</span>', text)


def _reference_words(factor: str, reference: str) -> str:
    """The comparison group's values ("counter_trend, with_trend") as words."""
    values = [value.strip() for value in str(reference or "").split(",") if value.strip()]
    return ", ".join(segment_value(factor, value) for value in values) or "the rest"


def _confidence_level(p: AnalysisPattern) -> str:
    """Label colour: significant with q < 0.01 / significant / not significant."""
    if p.significant and p.q_value < 0.01:
        return "high"
    if p.significant:
        return "medium"
    return "low"


def _q_text(q: float) -> str:
    return f"q = {fmt.fmt_pvalue(q)}"


def _verdict(p: AnalysisPattern) -> str:
    """'Significant, q = 3.2e-12' / 'Not significant, q = 0.21' (the miner's rule; reasons listed below)."""
    return f"{'Significant' if p.significant else 'Not significant'}, {_q_text(p.q_value)}"


class MinePatternsForm(forms.Form):
    since = forms.DateField(
        required=False, widget=UnfoldAdminSingleDateWidget, help_text="First entry date (desk timezone); empty = all"
    )
    until = forms.DateField(
        required=False, widget=UnfoldAdminSingleDateWidget, help_text="Last entry date (desk timezone); empty = all"
    )
    min_trades = forms.IntegerField(
        min_value=2,
        initial=DEFAULT_MIN_TRADES,
        widget=UnfoldAdminIntegerFieldWidget,
        help_text="Minimum trades in a segment and in the rest, each with wins and losses",
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "Until must be on or after since.")
        return data


def _forest_plot(p: AnalysisPattern) -> dict:
    """Coordinates of an SVG forest plot: segment and rest means with 95% CIs, and the difference.

    Drawn server-side (no JS): a dot per estimate, a line per interval, a dashed line at 0 R.
    """
    details = p.details or {}
    ci_seg = details.get("mean_ci_segment") or [p.mean_r, p.mean_r]
    ci_rest = details.get("mean_ci_rest") or [p.mean_r_rest, p.mean_r_rest]
    rows = [
        (f"{segment_label(p.factor, p.segment)} (n={p.n:,})", p.mean_r, ci_seg[0], ci_seg[1], "#6366f1"),
        (f"compared with (n={p.n_rest:,})", p.mean_r_rest, ci_rest[0], ci_rest[1], "#64748b"),
        ("adjusted effect (95% CI)", p.effect, p.ci_low, p.ci_high, "#dc2626" if p.effect < 0 else "#16a34a"),
    ]
    rows = [row for row in rows if row[1] is not None]  # a group's mean is unknown without R values
    values = [v for _, m, lo, hi, _ in rows for v in (m, lo, hi) if v is not None] + [0.0]
    lo_v, hi_v = min(values), max(values)
    pad = max((hi_v - lo_v) * 0.1, 0.05)
    lo_v, hi_v = lo_v - pad, hi_v + pad
    left, right, width = 230.0, 160.0, 840.0
    plot_w = width - left - right

    def x(v: float) -> float:
        return round(left + (v - lo_v) / (hi_v - lo_v) * plot_w, 1)

    step = 10 ** np.floor(np.log10(max(hi_v - lo_v, 1e-9) / 5))
    for mult in (1, 2, 5, 10):
        if (hi_v - lo_v) / (step * mult) <= 6:
            step *= mult
            break
    ticks = [float(t) for t in np.arange(np.ceil(lo_v / step) * step, hi_v, step)]
    drawn = []
    for i, (label, mean, lo, hi, colour) in enumerate(rows):
        y = 30 + i * 40
        drawn.append(
            {
                "label": label,
                "y": y,
                "x_mean": x(mean),
                "x_lo": x(lo if lo is not None else mean),
                "x_hi": x(hi if hi is not None else mean),
                "colour": colour,
                "text": f"{mean:+.2f} [{lo:+.2f}, {hi:+.2f}]" if lo is not None and hi is not None else f"{mean:+.2f}",
            }
        )
    return {
        "width": width,
        "height": 30 + len(rows) * 40 + 10,
        "rows": drawn,
        "zero_x": x(0.0),
        "axis_y": 30 + len(rows) * 40 - 10,
        "ticks": [{"x": x(t), "label": f"{t:+.2f}".replace("+0.00", "0")} for t in ticks],
        "value_x": width - right + 8,
    }


def _distribution_json(p: AnalysisPattern) -> str:
    """Chart.js data for the R distributions (% of each group's trades per bin)."""
    details = p.details or {}
    edges = details.get("hist_edges") or []
    seg = details.get("hist_segment") or []
    rest = details.get("hist_rest") or []
    n_seg, n_rest = max(sum(seg), 1), max(sum(rest), 1)
    labels = []
    for i in range(max(len(edges) - 1, 0)):
        lo, hi = edges[i], edges[i + 1]
        if i == 0:
            labels.append(f"< {hi:g}")
        elif i == len(edges) - 2:
            labels.append(f">= {lo:g}")
        else:
            labels.append(f"{lo:g}")
    seg_pct = [round(100 * c / n_seg, 2) for c in seg]
    rest_pct = [round(100 * c / n_rest, 2) for c in rest]
    return json.dumps(
        {
            "labels": labels,
            "datasets": [
                {"label": "segment, % of its trades", "data": seg_pct, "backgroundColor": "#6366f1"},
                {"label": "comparison group, % of its trades", "data": rest_pct, "backgroundColor": "#94a3b8"},
            ],
        }
    )


def _comparison_sentence(p: AnalysisPattern) -> str:
    """The comparison the effect comes from, for the pattern page."""
    details = p.details or {}
    if not details.get("comparison"):
        return "Segment against the rest of the period's trades (mined before day-aware comparisons)."
    facts = pattern_segment_facts(p)
    return "Compared " + describe.comparison_text(facts, after_loss_minutes=details.get("after_loss_minutes", 30)) + "."


@admin.register(AnalysisPattern)
class AnalysisPatternAdmin(ModelAdmin):
    list_display = [
        "segment_name",
        "kind_label",
        "verdict_label",
        "effect_display",
        "ci_display",
        "n",
        "q_display",
        "comparison_display",
        "dollars_display",
    ]
    list_filter = [
        "significant",
        "pattern_type",
        code_filter("factor", "factor", lambda code: SEGMENT_FACTORS.get(code, humanize_code(code))),
        code_filter("category", "category", area_label),
        ("period_start", RangeDateFilter),
    ]
    list_filter_submit = True
    search_fields = ["factor", "segment", "description"]
    ordering = ["q_value", "effect"]
    actions_list = ["mine_patterns"]
    actions_detail = ["what_if"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["description", "action_items_display", "statistics"]}),
        ("Segment vs rest", {"fields": ["charts"]}),
        ("Affected trades", {"fields": ["affected_trades_display"]}),
    ]
    readonly_fields = ["description", "action_items_display", "statistics", "charts", "affected_trades_display"]

    # --- read-only results ------------------------------------------------------------------

    def has_add_permission(self, request) -> bool:
        return False  # patterns come from mining runs only

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_mine_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("post_mortem.add_analysispattern") and request.user.has_perm(
            "post_mortem.add_jobrun"
        )

    # --- columns ----------------------------------------------------------------------------

    @display(description="Segment", ordering="factor")
    def segment_name(self, obj: AnalysisPattern) -> str:
        return segment_label(obj.factor, obj.segment)

    @display(description="Kind", label={"weakness": "danger", "strength": "success", "none": "info"})
    def kind_label(self, obj: AnalysisPattern) -> tuple[str, str]:
        if not obj.significant:  # a sign without significance is no weakness or strength
            return "none", "–"
        return obj.pattern_type, obj.pattern_type.capitalize()

    @display(description="Verdict", ordering="q_value", label=CONFIDENCE_COLORS)
    def verdict_label(self, obj: AnalysisPattern) -> tuple[str, str]:
        return _confidence_level(obj), "Significant" if obj.significant else "Not significant"

    @display(description="Compared with")
    def comparison_display(self, obj: AnalysisPattern) -> str:
        details = obj.details or {}
        if details.get("comparison") == "days":
            reference = _reference_words(obj.factor, details.get("reference", ""))
            return f"{details.get('n_days', 0):,} vs {details.get('n_days_ref', 0):,} days ({reference})"
        if details.get("comparison") == "within_day":
            if obj.factor in ("after_loss", "primary_factor"):
                return f"same days: {describe.reference_text(obj.factor, details.get('reference', ''))}"
            return f"same days: {_reference_words(obj.factor, details.get('reference', ''))}"
        return "the rest"

    @display(description="Effect", ordering="effect")
    def effect_display(self, obj: AnalysisPattern) -> str:
        return fmt.fmt_r(obj.effect)

    @display(description="95% CI")
    def ci_display(self, obj: AnalysisPattern) -> str:
        return f"{fmt.fmt_r(obj.ci_low)} to {fmt.fmt_r(obj.ci_high)}"

    @display(description="q (BH)", ordering="q_value")
    def q_display(self, obj: AnalysisPattern) -> str:
        return _nowrap(fmt.fmt_pvalue(obj.q_value))

    @display(description="$ at stake", ordering="dollars_at_stake")
    def dollars_display(self, obj: AnalysisPattern) -> str:
        return _dollars(obj.dollars_at_stake)

    @display(description="Period")
    def period_display(self, obj: AnalysisPattern) -> str:
        if not obj.period_start and not obj.period_end:
            return "all trades"
        return f"{obj.period_start or '…'} to {obj.period_end or '…'}"

    # --- detail page ------------------------------------------------------------------------

    @display(description="Statistics")
    def statistics(self, obj: AnalysisPattern) -> str:
        details = obj.details or {}
        return render_to_string(
            "admin_ext/patterns/statistics.html",
            {
                "p": obj,
                "level": _confidence_level(obj),
                "variant": CONFIDENCE_COLORS[_confidence_level(obj)],
                "verdict": _verdict(obj),
                "reasons": details.get("not_significant_because") or [],
                "comparison": _comparison_sentence(obj),
                "same_trades_as": details.get("same_trades_as") or [],
                "overlap_threshold": details.get("overlap_threshold"),
                "min_effect": details.get("min_effect_r"),
                "tests_in_run": details.get("tests_in_run"),
                "ci_seg": details.get("mean_ci_segment") or [None, None],
                "ci_rest": details.get("mean_ci_rest") or [None, None],
                "share": details.get("share"),
                "dollars_text": _dollars(obj.dollars_at_stake),
                "typical_risk": details.get("typical_risk"),
                "accounts": details.get("accounts") or [],
                "run_url": reverse("admin:post_mortem_jobrun_change", args=[obj.run_id]) if obj.run_id else "",
            },
        )

    @display(description="Action items")
    def action_items_display(self, obj: AnalysisPattern) -> str:
        return render_to_string("admin_ext/patterns/action_items.html", {"items": obj.action_items or []})

    @display(description="Segment vs rest")
    def charts(self, obj: AnalysisPattern) -> str:
        return render_to_string(
            "admin_ext/patterns/charts.html",
            {
                "pattern": obj,
                "forest": _forest_plot(obj),
                "dist": _distribution_json(obj),
                "dist_options": DISTRIBUTION_OPTIONS,
            },
        )

    @display(description="Trades")
    def affected_trades_display(self, obj: AnalysisPattern) -> str:
        ids = list(obj.affected_trade_ids or [])
        # The newest trades of the segment, whatever order the miner stored their ids in.
        trades = (
            Trade.objects.filter(pk__in=ids)
            .order_by("-entry_time", "-id")
            .values("pk", "account", "external_id", "symbol", "side", "setup", "entry_time", "r_multiple", "net_pnl")
        )[:AFFECTED_TRADES_SHOWN]
        changelist = reverse("admin:post_mortem_trade_changelist")
        return render_to_string(
            "admin_ext/patterns/affected_trades.html",
            {
                "pattern": obj,
                "trades": trades,
                "stored": len(ids),
                "truncated": bool((obj.details or {}).get("trade_ids_truncated")),
                "changelist_url": f"{changelist}?id__in={','.join(str(i) for i in ids)}" if ids else "",
            },
        )

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return True if lookup == "id__in" else super().lookup_allowed(lookup, value, request)

    # --- "What if" ---------------------------------------------------------------------------

    def has_what_if_permission(self, request, obj=None) -> bool:
        return whatif.can_run_what_if(request.user)

    @action(description="What if", icon="science", permissions=["what_if"])
    def what_if(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Open the scenario page with this segment's rule proposed (nothing runs until submitted)."""
        pattern = get_object_or_404(AnalysisPattern, pk=object_id)
        return HttpResponseRedirect(whatif.pattern_scenario_url(pattern))

    # --- "Mine patterns" --------------------------------------------------------------------

    @action(description="Mine patterns", icon="query_stats", permissions=["mine"])
    def mine_patterns(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:post_mortem_analysispattern_mine"))

    def get_urls(self):
        return [admin_page(self, "mine/", MinePage, "post_mortem_analysispattern_mine"), *super().get_urls()]


class MinePage(AdminFormPage):
    """Start a mining run over a date range; the run page follows its progress."""

    permission_required = ("post_mortem.add_analysispattern", "post_mortem.add_jobrun")
    template_name = "admin_ext/patterns/mine.html"
    title = "Mine patterns"
    form_class = MinePatternsForm
    initial = {"min_trades": DEFAULT_MIN_TRADES}

    def form_valid(self, form: MinePatternsForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            run = mining_run_start(
                since=data.get("since"),
                until=data.get("until"),
                min_trades=data["min_trades"],
                created_by=self.request.user,
            )
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
            return self.form_invalid(form)
        self.model_admin.message_user(self.request, f"Pattern mining queued as run #{run.pk}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:post_mortem_jobrun_change", args=[run.pk]))


@admin.register(ImprovementPlan)
class ImprovementPlanAdmin(ModelAdmin):
    list_display = ["title", "improvement_count", "weakness_dollars", "period_start", "period_end", "created_at"]
    list_filter_submit = True
    list_filter = [("created_at", DeskDayRangeFilter)]
    search_fields = ["title", "summary"]
    actions_list = ["build_plan"]
    change_form_template = "admin_ext/patterns/plan_document.html"
    readonly_fields = ["title", "summary", "period_start", "period_end", "created_by", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False  # plans come from "Build improvement plan"

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_build_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("post_mortem.add_improvementplan") and request.user.has_perm(
            "post_mortem.add_jobrun"
        )

    @display(description="Improvements")
    def improvement_count(self, obj: ImprovementPlan) -> int:
        return len(obj.improvements or [])

    @display(description="Weaknesses, $ at stake (each trade once)")
    def weakness_dollars(self, obj: ImprovementPlan) -> str:
        total = sum(
            i.get("dollars_once", i.get("dollars_at_stake", 0))
            for i in obj.improvements or []
            if i.get("kind") == "avoid"
        )
        return _dollars(total)

    @action(description="Build improvement plan", icon="checklist", permissions=["build"])
    def build_plan(self, request: HttpRequest) -> HttpResponse:
        """Confirmation page on GET; the run is queued only by its POST."""
        if not confirmed(request):
            return confirm_page(
                self,
                request,
                title="Build an improvement plan?",
                lines=[
                    "Queues a background run that builds a new plan from the latest mined patterns.",
                    "Earlier plans and their recommendations are kept.",
                ],
                button="Yes, build the plan",
                cancel_url=reverse("admin:post_mortem_improvementplan_changelist"),
            )
        try:
            run = plan_run_start(created_by=request.user)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:post_mortem_improvementplan_changelist"))
        self.message_user(request, f"Building the improvement plan as run #{run.pk}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:post_mortem_jobrun_change", args=[run.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        plan = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if plan is not None:
            recs = {r.pk: r for r in plan.recommendations.all()}
            items = []
            for item in plan.improvements or []:
                rec = recs.get(item.get("recommendation_id"))
                items.append(
                    {
                        **item,
                        "dollars_text": _dollars(item.get("dollars_at_stake", 0)),
                        "dollars_once_text": _dollars(item.get("dollars_once", item.get("dollars_at_stake", 0))),
                        "q_text": _q_text(item["q_value"]) if item.get("q_value") is not None else "",
                        "rec": rec,
                        "what_if_url": whatif.recommendation_scenario_url(rec)
                        if rec and whatif.can_run_what_if(request.user)
                        else "",
                        "status_variant": IMPLEMENTATION_STATUS_COLORS.get(rec.implementation_status, "info")
                        if rec
                        else "info",
                    }
                )
            extra["plan_items"] = items
            extra["plan_focus"] = [
                {**area, "dollars_text": _dollars(area.get("dollars_at_stake", 0))} for area in plan.focus_areas or []
            ]
        return super().change_view(request, object_id, form_url, extra_context=extra)


@dashboard_card(order=30)
def top_patterns_card(request: HttpRequest) -> DashboardCard | None:
    """Dashboard: the latest mined period's significant patterns, most dollars at stake first."""
    if not request.user.has_perm("post_mortem.view_analysispattern"):
        return None
    patterns = top_patterns(limit=5)
    rows = [
        {
            "pattern": p,
            "url": reverse("admin:post_mortem_analysispattern_change", args=[p.pk]),
            "variant": CONFIDENCE_COLORS[_confidence_level(p)],
            "q_text": _q_text(p.q_value),
            "dollars_text": _dollars(p.dollars_at_stake),
        }
        for p in patterns
    ]
    return DashboardCard(
        title="Top patterns (latest mining run)",
        template="admin_ext/dashboard/top_patterns.html",
        context={"rows": rows, "list_url": reverse("admin:post_mortem_analysispattern_changelist")},
        wide=True,  # six columns: at half width "$ at stake" is cut off at 1280 px
    )
