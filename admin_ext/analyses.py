"""Post-mortems in the admin: the list, the report page, re-analysis, and "Analyze selected trades".

The report page reads like the seed's template: the verdict, each section with its numbers, the
improvement opportunities each with its recommendation's status select (posted with CSRF to a view
that calls ``recommendation_set_status``), and a price chart around the trade when bars exist.
Everything shown is model or user text and is auto-escaped; the chart data is JSON in an attribute.

``AnalyzeTradesMixin`` gives the trade admin its "Analyze selected trades" action (with an engine
choice on a confirmation page, like ``delete_selected``) and a "Re-analyze" button on a trade.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, DropdownFilter, RangeNumericFilter
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldBooleanSwitchWidget

from admin_ext.charts import price_chart
from admin_ext.filters import ExactTextFilter
from admin_ext.labels import area_label, fact_rows, humanize_code
from admin_ext.views import AdminEndpoint, AdminPage, admin_page
from post_mortem.engines.rules import VERDICT_LABELS
from post_mortem.engines.vocabulary import FACTOR_BY_CODE, FACTORS
from post_mortem.llm import claude as llm
from post_mortem.models import ImplementationStatus, Recommendation, TradeAnalysis
from post_mortem.models.choices import IMPLEMENTATION_STATUS_COLORS
from post_mortem.selectors.analyses import analysis_list, bars_around_trade
from post_mortem.services.analyses import analysis_default_engine, analysis_reanalyze, analysis_run_start
from post_mortem.services.recommendations import recommendation_set_status, track_recommendation

SECTIONS = (
    ("performance_analysis", "Performance"),
    ("entry_analysis", "Entry"),
    ("exit_analysis", "Exit"),
    ("risk_management", "Risk management"),
    ("market_context", "Market context"),
    ("behavioral", "Behavior"),
)


def _with_type_label(rec):
    factor = FACTOR_BY_CODE.get(rec.type_code)
    rec.type_label = factor.title if factor else humanize_code(rec.type_code)
    return rec


def can_analyze(request: HttpRequest) -> bool:
    user = request.user
    return user.has_perm("post_mortem.add_tradeanalysis") and user.has_perm("post_mortem.add_jobrun")


def engine_choices() -> list[tuple[str, str]]:
    choices = [("rules", "Rules (offline, deterministic)")]
    if llm.is_configured():
        choices.append(("claude", f"Claude ({settings.POST_MORTEM_MODEL})"))
    return choices


class AnalyzeForm(forms.Form):
    engine = forms.ChoiceField(choices=engine_choices, widget=UnfoldAdminSelectWidget)
    use_batches = forms.BooleanField(
        required=False,
        label="Use the Message Batches API (half price, results within hours; claude only)",
        widget=UnfoldBooleanSwitchWidget,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not llm.is_configured():
            del self.fields["use_batches"]  # a Claude-only option means nothing without a key

    def clean(self):
        data = super().clean()
        if data.get("use_batches") and data.get("engine") != "claude":
            raise ValidationError("Message Batches apply to the claude engine only.")
        return data


class AnalyzeTradesMixin:
    """Mixed into the trade admin: "Analyze selected trades" (list) and "Re-analyze" (detail)."""

    actions = ["analyze_selected_trades"]
    actions_detail = ["reanalyze_trade"]

    def has_analyze_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_analyze(request)

    @action(description="Analyze selected trades", permissions=["analyze"])
    def analyze_selected_trades(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """First a page to choose the engine (like delete_selected), then start the run."""
        form = AnalyzeForm(
            request.POST if "apply" in request.POST else None, initial={"engine": analysis_default_engine()}
        )
        if "apply" in request.POST and form.is_valid():
            try:
                run = analysis_run_start(
                    queryset=queryset,
                    engine=form.cleaned_data["engine"],
                    requested_by=request.user,
                    use_batches=form.cleaned_data.get("use_batches", False),
                )
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
                return None
            self.message_user(request, f"Analysis of {run.total} trades queued as run #{run.pk}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:post_mortem_jobrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Analyze {queryset.count()} selected trades",
            "opts": self.model._meta,
            "form": form,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_name": "analyze_selected_trades",
            "count": queryset.count(),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin_ext/analyses/analyze_confirm.html", context)

    def get_urls(self):
        batch = admin_page(self, "analyze-batch/<int:batch_id>/", AnalyzeBatchPage, "post_mortem_trade_analyze_batch")
        return [batch, *super().get_urls()]

    @action(description="Re-analyze", icon="troubleshoot", permissions=["analyze"])
    def reanalyze_trade(self, request: HttpRequest, object_id: int) -> HttpResponse:
        trade = get_object_or_404(self.model, pk=object_id)
        return _reanalyze(self, request, trade)


def _reanalyze(model_admin, request: HttpRequest, trade) -> HttpResponse:
    """unfold's detail actions are links (GET): show a confirmation form, act on its POST (CSRF)."""
    form = AnalyzeForm(request.POST or None, initial={"engine": analysis_default_engine()})
    if request.method != "POST" or not form.is_valid():
        context = {
            **model_admin.admin_site.each_context(request),
            "title": f"Re-analyze {trade}",
            "opts": model_admin.model._meta,
            "form": form,
            "trade": trade,
        }
        return TemplateResponse(request, "admin_ext/analyses/reanalyze_confirm.html", context)
    try:
        run = analysis_reanalyze(trade=trade, engine=form.cleaned_data["engine"], requested_by=request.user)
    except ValidationError as exc:
        model_admin.message_user(request, "; ".join(exc.messages), messages.ERROR)
        return HttpResponseRedirect(request.META.get("HTTP_REFERER") or reverse("admin:index"))
    model_admin.message_user(request, f"Re-analysis queued as run #{run.pk}.", messages.SUCCESS)
    return HttpResponseRedirect(reverse("admin:post_mortem_jobrun_change", args=[run.pk]))


class OpportunityFilter(DropdownFilter):
    """Post-mortems naming one opportunity type (the prioritisation page links here per type/account)."""

    title = "Opportunity"
    parameter_name = "opportunity"

    def lookups(self, request, model_admin):
        return [(f.code, f.title) for f in FACTORS if f.polarity == "negative"]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(opportunity_impacts__has_key=value) if value else queryset


@admin.register(TradeAnalysis)
class TradeAnalysisAdmin(ModelAdmin):
    list_display = ("trade_link", "account", "symbol", "score_label", "factors", "engine", "updated_at")
    list_display_links = ("trade_link",)
    list_filter = (
        ("engine", ChoicesDropdownFilter),
        ("trade__account", ExactTextFilter),
        OpportunityFilter,
        ("success_score", RangeNumericFilter),
    )
    list_filter_submit = True
    list_per_page = 50
    search_fields = ("=trade__external_id", "=trade__account", "=trade__symbol")
    search_help_text = "Exact external id, account or symbol"
    ordering = ("-updated_at", "-id")
    show_full_result_count = False
    actions = ["reanalyze_selected"]
    actions_detail = ["reanalyze_analysis"]

    def get_queryset(self, request: HttpRequest):
        return analysis_list()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # post-mortems come from analysis runs

    def has_change_permission(self, request: HttpRequest, obj: TradeAnalysis | None = None) -> bool:
        return False  # read-only report; statuses change through the recommendation service

    def has_analyze_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_analyze(request)

    @display(description="Trade", ordering="trade__entry_time")
    def trade_link(self, obj: TradeAnalysis) -> str:
        return str(obj.trade)

    @display(description="Account", ordering="trade__account")
    def account(self, obj: TradeAnalysis) -> str:
        return obj.trade.account

    @display(description="Symbol", ordering="trade__symbol")
    def symbol(self, obj: TradeAnalysis) -> str:
        return obj.trade.symbol

    @display(
        description="Score", ordering="success_score", label={"good": "success", "mixed": "warning", "poor": "danger"}
    )
    def score_label(self, obj: TradeAnalysis) -> tuple[str, str]:
        band = "good" if obj.success_score >= 70 else "mixed" if obj.success_score >= 45 else "poor"
        return band, str(obj.success_score)

    @display(description="Primary factors")
    def factors(self, obj: TradeAnalysis) -> str:
        return ", ".join(FACTOR_BY_CODE[c].title if c in FACTOR_BY_CODE else c for c in obj.primary_factors[:4])

    @action(description="Re-analyze selected", permissions=["analyze"])
    def reanalyze_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        trade_ids = list(queryset.values_list("trade_id", flat=True))
        try:
            run = analysis_run_start(trade_ids=trade_ids, requested_by=request.user)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return None
        self.message_user(request, f"Re-analysis of {run.total} trades queued as run #{run.pk}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:post_mortem_jobrun_change", args=[run.pk]))

    @action(description="Re-analyze", icon="troubleshoot", permissions=["analyze"])
    def reanalyze_analysis(self, request: HttpRequest, object_id: int) -> HttpResponse:
        analysis = get_object_or_404(TradeAnalysis.objects.select_related("trade"), pk=object_id)
        return _reanalyze(self, request, analysis.trade)

    # --- the report page ------------------------------------------------------------------

    def get_urls(self):
        return [
            admin_page(
                self,
                "<int:object_id>/opportunities/<slug:code>/status/",
                OpportunityStatusEndpoint,
                "post_mortem_tradeanalysis_opportunity_status",
            ),
            admin_page(
                self,
                "<int:object_id>/recommendations/<int:rec_id>/status/",
                RecommendationStatusEndpoint,
                "post_mortem_tradeanalysis_recommendation_status",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied  # a read-only report: statuses are posted to their own view
        return ReportPage.as_view(model_admin=self)(request, object_id=object_id)


class ReportPage(AdminPage):
    """The post-mortem of one trade: verdict, sections, opportunities (tracked as recommendations),
    the price chart around the trade."""

    permission_required = ("post_mortem.view_tradeanalysis",)
    template_name = "admin_ext/analyses/report.html"

    def get_title(self) -> str:
        return f"Post-mortem: {self.analysis.trade}"

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        request, object_id = self.request, kwargs.pop("object_id")
        try:
            analysis = get_object_or_404(analysis_list(), pk=int(object_id))
        except ValueError as exc:
            raise Http404 from exc
        self.analysis = analysis
        data = analysis.analysis_data or {}
        recs = {r.type_code: r for r in analysis.recommendations.order_by("id")}
        can_set_status = request.user.has_perm("post_mortem.change_recommendation")
        opportunities = []
        for opp in data.get("improvement_opportunities", []):
            rec = recs.get(opp.get("type_code"))
            opportunities.append(
                {
                    **opp,
                    "title": FACTOR_BY_CODE[opp["type_code"]].title
                    if opp.get("type_code") in FACTOR_BY_CODE
                    else humanize_code(opp.get("type_code", "")),
                    "area_label": area_label(opp.get("area", "")),
                    "evidence_items": fact_rows(dict(sorted((opp.get("evidence") or {}).items()))),
                    "rec": rec,
                    "status_url": reverse(
                        "admin:post_mortem_tradeanalysis_opportunity_status", args=[analysis.pk, opp["type_code"]]
                    ),
                    "status_color": IMPLEMENTATION_STATUS_COLORS.get(rec.implementation_status) if rec else "",
                }
            )
        sections = []
        for key, title in SECTIONS:
            section = data.get(key) or {}
            sections.append(
                {
                    "key": key,
                    "title": title,
                    "assessment": section.get("assessment", ""),
                    "observations": section.get("observations", []),
                    "metrics": fact_rows(section.get("metrics") or {}),
                }
            )
        facts = analysis.facts or {}
        # Draw bars only when the post-mortem used them (they agree with the fills).
        chart = price_chart(bars_around_trade(trade=analysis.trade)) if facts.get("has_bars") else None
        shown = {o.get("type_code") for o in opportunities}
        return super().get_context_data(
            **kwargs,
            original=analysis,
            analysis=analysis,
            trade=analysis.trade,
            performance=data.get("performance_analysis") or {},
            sections=sections,
            opportunities=opportunities,
            other_recommendations=[_with_type_label(r) for r in recs.values() if r.type_code not in shown],
            factors=[FACTOR_BY_CODE.get(c) for c in analysis.primary_factors if c in FACTOR_BY_CODE],
            chart=chart,
            bars_note=facts.get("bars_note") or ("" if chart else "No market bars were used for this trade."),
            verdict_label=VERDICT_LABELS.get(data.get("performance_analysis", {}).get("verdict", ""), ""),
            status_choices=ImplementationStatus.choices,
            can_set_status=can_set_status,
            can_analyze=can_analyze(request),
            trade_url=reverse("admin:post_mortem_trade_change", args=[analysis.trade_id])
            if request.user.has_perm("post_mortem.view_trade")
            else "",
            run_url=reverse("admin:post_mortem_jobrun_change", args=[analysis.run_id]) if analysis.run_id else "",
            vocabulary=FACTORS,
        )


class OpportunityStatusEndpoint(AdminEndpoint):
    """POST only (CSRF): the first status change on an opportunity creates its tracked Recommendation.
    Tracking an opportunity is setting its status (Ops)."""

    permission_required = ("post_mortem.change_recommendation",)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, object_id: int, code: str) -> HttpResponse:
        return _track(self.model_admin, request, object_id, code)


class RecommendationStatusEndpoint(AdminEndpoint):
    """POST only, CSRF-checked by Django; the service validates and writes the audited history."""

    permission_required = ("post_mortem.change_recommendation",)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, object_id: int, rec_id: int) -> HttpResponse:
        return _set_status(self.model_admin, request, object_id, rec_id)


def _track(model_admin, request: HttpRequest, object_id: int, code: str) -> HttpResponse:
    analysis = get_object_or_404(TradeAnalysis, pk=object_id)
    raw_date = (request.POST.get("implementation_date") or "").strip()
    back = reverse("admin:post_mortem_tradeanalysis_change", args=[object_id])
    try:
        date = forms.DateField().clean(raw_date) if raw_date else None
        rec = track_recommendation(
            analysis_id=analysis.pk,
            recommendation_id=code,
            status=request.POST.get("status", ""),
            implementation_date=date,
            notes=request.POST.get("notes") if "notes" in request.POST else None,
            reason=(request.POST.get("reason") or "Set on the post-mortem page")[:100],
            user=request.user,
        )
    except ValidationError as exc:
        model_admin.message_user(request, f"Recommendation not changed: {'; '.join(exc.messages)}", messages.ERROR)
        return HttpResponseRedirect(back)
    model_admin.message_user(
        request, f"Recommendation #{rec.pk} set to {rec.get_implementation_status_display()}.", messages.SUCCESS
    )
    return HttpResponseRedirect(f"{back}#opp-{code}")


def _set_status(model_admin, request: HttpRequest, object_id: int, rec_id: int) -> HttpResponse:
    rec = get_object_or_404(Recommendation, pk=rec_id, analysis_id=object_id)
    raw_date = (request.POST.get("implementation_date") or "").strip()
    back = reverse("admin:post_mortem_tradeanalysis_change", args=[object_id])
    try:
        date = forms.DateField().clean(raw_date) if raw_date else None
        recommendation_set_status(
            recommendation=rec,
            status=request.POST.get("status", ""),
            implementation_date=date,
            notes=request.POST.get("notes") if "notes" in request.POST else None,
            reason=(request.POST.get("reason") or "Set on the post-mortem page")[:100],
            user=request.user,
        )
    except ValidationError as exc:
        model_admin.message_user(request, f"Recommendation not changed: {'; '.join(exc.messages)}", messages.ERROR)
        return HttpResponseRedirect(back)
    model_admin.message_user(
        request, f"Recommendation set to {rec.get_implementation_status_display()}.", messages.SUCCESS
    )
    return HttpResponseRedirect(f"{back}#rec-{rec.pk}")


class AnalyzeBatchPage(AdminPage):
    """ "Analyze these trades" after an import: the confirmation page for one batch's trades,
    posting the list action over the batch-filtered trade list (select across)."""

    permission_required = ("post_mortem.view_trade", "post_mortem.add_tradeanalysis", "post_mortem.add_jobrun")
    template_name = "admin_ext/analyses/analyze_confirm.html"

    def get_title(self) -> str:
        return f"Analyze the {self.count:,} trades of import batch #{self.kwargs['batch_id']}"

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        batch_id = kwargs.pop("batch_id")
        queryset = self.model_admin.model.objects.filter(import_batch_id=batch_id)
        self.count = queryset.count()
        changelist = reverse("admin:post_mortem_trade_changelist") + f"?import_batch__id__exact={batch_id}"
        return super().get_context_data(
            **kwargs,
            form=AnalyzeForm(initial={"engine": analysis_default_engine()}),
            # Django runs a list action only with a selected row; select_across widens it to the list.
            selected=list(queryset.values_list("pk", flat=True)[:1]),
            select_across="1",
            action_name="analyze_selected_trades",
            count=self.count,
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
            form_action=changelist,
        )
