"""Admin for the feedback loop: Recommendation (tracking + audited history), ImpactAssessment,
Experiment, plus two custom pages: the prioritization dashboard and the recommendation audit log.

Every status change goes through ``post_mortem.services.recommendations`` (via a small form page
that asks for the date, notes and a change reason), so the admin, the API and the analysis page
write the same audited history. History is read-only here: no revert, no edits.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateFilter
from unfold.decorators import action, display
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from admin_ext import whatif
from admin_ext.audit import LegacyAuditRedirect
from admin_ext.charts import expectancy_chart, experiment_chart
from admin_ext.code_filters import code_filter
from admin_ext.confirm import confirm_page, confirmed
from admin_ext.dashboard import DashboardCard, dashboard_card
from admin_ext.experiment_form import (
    MIN_SAMPLE_LABEL,
    ExperimentForm,
    group_conditional_fields,
    group_fieldsets,
    group_values_view,
    group_words,
)
from admin_ext.formatting import fmt_money, fmt_pvalue, fmt_r, fmt_time
from admin_ext.labels import AREAS, area_label, type_label
from admin_ext.recommendation_fields import RecommendationReadable, readable_fields, readable_fieldsets
from admin_ext.views import admin_page
from post_mortem.models import (
    AssessmentStatus,
    Experiment,
    ImpactAssessment,
    ImplementationStatus,
    Recommendation,
)
from post_mortem.models.choices import IMPLEMENTATION_STATUS_COLORS
from post_mortem.selectors.decisions import opportunity_rollup, plan_items
from post_mortem.selectors.feedback import (
    experiment_results,
    prioritisation,
    rolling_expectancy,
)
from post_mortem.services.impact import impact_run_start
from post_mortem.services.recommendation_edits import (
    CONTENT_FIELDS,
    PREREGISTERED_FIELDS,
    recommendation_edit,
    recommendation_edit_check,
    recommendation_is_locked,
)
from post_mortem.services.recommendations import (
    MAX_REASON_LENGTH,
    recommendation_bulk_set_status,
    recommendation_set_status,
)


class StatusChangeForm(forms.Form):
    """Status, date, notes and the reason that goes into the audit history."""

    status = forms.ChoiceField(choices=ImplementationStatus.choices, widget=UnfoldAdminSelectWidget)
    implementation_date = forms.DateField(
        required=False,
        widget=UnfoldAdminSingleDateWidget,
        help_text="Implemented only. Empty = today (desk timezone). Never in the future.",
    )
    notes = forms.CharField(required=False, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))
    reason = forms.CharField(
        max_length=MAX_REASON_LENGTH,
        widget=UnfoldAdminTextInputWidget,
        help_text="Why the status changes; kept in the audit history.",
    )

    def apply(self, *, user, recommendation=None, queryset=None) -> bool:
        """Call the service; service errors land on the form field they name."""
        data = self.cleaned_data
        kwargs = {
            "status": data["status"],
            "implementation_date": data.get("implementation_date"),
            "reason": data["reason"],
            "user": user,
        }
        try:
            if recommendation is not None:
                recommendation_set_status(recommendation=recommendation, notes=data.get("notes"), **kwargs)
            else:
                # Bulk: empty notes keep each row's own notes.
                recommendation_bulk_set_status(recommendations=queryset, notes=data.get("notes") or None, **kwargs)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
            return False
        return True


def _status_label(status: str) -> tuple[str, str]:
    return status, ImplementationStatus(status).label if status in ImplementationStatus.values else status


class RecommendationForm(forms.ModelForm):
    """The change form: content edits need a reason, and pre-registered fields stay as they were."""

    change_reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=UnfoldAdminTextInputWidget,
        help_text="Required when you change anything above; kept in the audit history.",
    )

    class Meta:
        model = Recommendation
        fields = [*CONTENT_FIELDS]
        # Areas by name (the stored code is the option's value), not the model's list of codes.
        widgets = {"area": UnfoldAdminSelectWidget(choices=list(AREAS.items()))}
        help_texts = {"area": ""}

    def content_changes(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.changed_data if f in CONTENT_FIELDS and f in self.cleaned_data}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None or self.errors:
            return cleaned
        changes = self.content_changes()
        if changes and not (cleaned.get("change_reason") or "").strip():
            self.add_error("change_reason", "Say why the recommendation changes; it is kept in the audit history.")
        try:
            recommendation_edit_check(recommendation=Recommendation.objects.get(pk=self.instance.pk), changes=changes)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


@admin.register(Recommendation)
class RecommendationAdmin(RecommendationReadable, SimpleHistoryAdmin, ModelAdmin):
    form = RecommendationForm
    list_display = [
        "id",
        "short_text",
        "type_display",
        "status_badge",
        "since_display",
        "expected_display",
        "source",
    ]
    list_display_links = ["id", "short_text"]
    list_filter = [
        ("implementation_status", ChoicesDropdownFilter),
        ("source", ChoicesDropdownFilter),
        code_filter("area", "area", area_label),
        code_filter("type_code", "type", type_label),
        ("implementation_date", RangeDateFilter),
    ]
    list_filter_submit = True
    search_fields = ["text", "type_code", "notes"]
    list_select_related = ["plan"]
    readonly_fields = [
        "replayed_impact",
        "implementation_status",
        "implementation_date",
        "notes",
        "status_changed_at",
        "impact_score",
        "analysis",
        "plan",
        "pattern",
        "source",
        "evidence",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["text", "area", "type_code", "expected_impact", "expected_impact_r", "replayed_impact"]}),
        (
            "Tracking (change with “Set status”)",
            {"fields": ["implementation_status", "implementation_date", "notes", "status_changed_at", "impact_score"]},
        ),
        ("Targeting", {"fields": ["segment", "scope_accounts"]}),
        ("Origin", {"fields": ["source", "analysis", "plan", "pattern", "evidence", "created_at", "updated_at"]}),
    ]
    actions = ["bulk_set_status"]
    actions_row = ["row_set_status", "row_what_if"]

    # --- pre-registered fields: read-only once implemented or measured ---------------------

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and recommendation_is_locked(obj):
            readonly += [f for f in PREREGISTERED_FIELDS if f not in readonly]
        return readable_fields(readonly)

    def get_fieldsets(self, request, obj=None):
        readonly = self.get_readonly_fields(request, obj)
        fieldsets = readable_fieldsets(list(super().get_fieldsets(request, obj)), readonly)
        if obj is not None and self.has_change_permission(request, obj):
            fieldsets.append(("Why it changes", {"fields": ["change_reason"]}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        changes = form.content_changes()
        if changes:
            recommendation_edit(
                recommendation=obj, changes=changes, reason=form.cleaned_data["change_reason"], user=request.user
            )

    actions_detail = ["detail_set_status", "detail_what_if"]
    actions_list = ["measure_impact_now"]
    history_list_display = ["implementation_status", "implementation_date"]
    object_history_list_template = "admin_ext/feedback/history_list.html"

    def history_view(self, request, object_id, extra_context=None):
        extra = {"desk_timezone": settings.DESK_TIMEZONE, **(extra_context or {})}
        return super().history_view(request, object_id, extra)

    @display(description="Recommendation")
    def short_text(self, obj: Recommendation) -> str:
        return obj.text if len(obj.text) <= 60 else obj.text[:59] + "…"

    @display(description="Since", ordering="implementation_date")
    def since_display(self, obj: Recommendation) -> str:
        return obj.implementation_date.isoformat() if obj.implementation_date else "—"

    @display(description="Area / type", ordering="type_code")
    def type_display(self, obj: Recommendation) -> str:
        return f"{area_label(obj.area)} / {type_label(obj.type_code)}"

    @display(description="Expected R/trade", ordering="expected_impact_r")
    def expected_display(self, obj: Recommendation) -> str:
        return fmt_r(obj.expected_impact_r)

    @display(description="Status", label=IMPLEMENTATION_STATUS_COLORS)
    def status_badge(self, obj: Recommendation) -> tuple[str, str]:
        return _status_label(obj.implementation_status)

    # --- history is an audit trail: readable, never editable or revertible ------------------

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("History is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- status changes ---------------------------------------------------------------------

    def has_measure_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("post_mortem.add_impactassessment") and request.user.has_perm(
            "post_mortem.add_jobrun"
        )

    @action(description="Measure impact now", icon="monitoring", permissions=["measure"])
    def measure_impact_now(self, request: HttpRequest) -> HttpResponse:
        """Queue a measurement of every implemented recommendation (the daily schedule, on demand)."""
        changelist = reverse("admin:post_mortem_recommendation_changelist")
        if not confirmed(request):
            implemented = Recommendation.objects.filter(implementation_status=ImplementationStatus.IMPLEMENTED).count()
            return confirm_page(
                self,
                request,
                title="Measure impact now?",
                lines=[
                    f"Queues a background run that measures the {implemented} implemented recommendation(s).",
                    "Each measurement adds an impact assessment; earlier assessments are kept.",
                ],
                button="Yes, measure impact",
                cancel_url=changelist,
            )
        run = impact_run_start(user=request.user)
        url = reverse("admin:post_mortem_jobrun_change", args=[run.pk])
        self.message_user(
            request,
            format_html(
                'Impact measurement queued as <a href="{}">run #{}</a> ({} recommendations).', url, run.pk, run.total
            ),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(changelist)

    def has_what_if_permission(self, request, obj=None) -> bool:
        return whatif.can_run_what_if(request.user)

    @action(description="What if", icon="science", permissions=["what_if"])
    def row_what_if(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return HttpResponseRedirect(whatif.recommendation_scenario_url(get_object_or_404(Recommendation, pk=object_id)))

    @action(description="What if", icon="science", permissions=["what_if"])
    def detail_what_if(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return HttpResponseRedirect(whatif.recommendation_scenario_url(get_object_or_404(Recommendation, pk=object_id)))

    @display(description="Replayed (what if)")
    def replayed_impact(self, obj: Recommendation) -> str:
        return whatif.replayed_impact_html(obj)

    @action(description="Set status", icon="task_alt", permissions=["change"])
    def row_set_status(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:post_mortem_recommendation_set_status", args=[object_id]))

    @action(description="Set status", icon="task_alt", permissions=["change"])
    def detail_set_status(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:post_mortem_recommendation_set_status", args=[object_id]))

    @action(description="Set status of selected recommendations", permissions=["change"])
    def bulk_set_status(self, request: HttpRequest, queryset):
        """Intermediate page like delete_selected: show the form, act on its POST."""
        form = StatusChangeForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            count = queryset.count()
            if form.apply(user=request.user, queryset=queryset):
                self.message_user(request, f"Status set on {count} recommendation(s).", messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Set status of selected recommendations",
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "bulk": True,
        }
        return TemplateResponse(request, "admin_ext/feedback/set_status.html", context)

    def set_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        rec = get_object_or_404(Recommendation, pk=object_id)
        if not self.has_change_permission(request, rec):
            raise PermissionDenied
        initial = {
            "status": rec.implementation_status,
            "implementation_date": rec.implementation_date,
            "notes": rec.notes,
        }
        form = StatusChangeForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid() and form.apply(user=request.user, recommendation=rec):
            self.message_user(request, f"Status of “{rec}” saved.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:post_mortem_recommendation_change", args=[rec.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Set status: {rec.text[:60]}",
            "opts": self.model._meta,
            "original": rec,
            "form": form,
            "bulk": False,
        }
        return TemplateResponse(request, "admin_ext/feedback/set_status.html", context)

    # --- custom pages -----------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("prioritisation/", wrap(self.prioritisation_view), name="post_mortem_recommendation_prioritisation"),
            admin_page(self, "audit/", LegacyAuditRedirect, "post_mortem_recommendation_audit"),
            path(
                "<path:object_id>/set-status/",
                wrap(self.set_status_view),
                name="post_mortem_recommendation_set_status",
            ),
            *super().get_urls(),
        ]

    def prioritisation_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        area = request.GET.get("area") or None
        type_code = request.GET.get("type") or None
        status = request.GET.get("status") or None
        if status not in (None, *ImplementationStatus.values):
            status = None
        sort = request.GET.get("sort") if request.GET.get("sort") in ("impact", "roi", "recent") else "impact"
        data = prioritisation(area=area, type_code=type_code, status=status, sort=sort)
        account = (request.GET.get("account") or "").strip() or None
        rollup = opportunity_rollup(account=account, type_code=type_code)
        trades_url = reverse("admin:post_mortem_tradeanalysis_changelist")
        for group in rollup["types"]:
            group["url"] = f"{trades_url}?{urlencode({'opportunity': group['type_code']})}"
            for row in group["accounts"]:
                query = {"opportunity": group["type_code"], "trade__account__exact": row["account"]}
                row["url"] = f"{trades_url}?{urlencode(query)}"
        expectancy = rolling_expectancy()
        context = {
            **self.admin_site.each_context(request),
            "title": "Prioritization",
            "opts": self.model._meta,
            "data": data,
            "rollup": rollup,
            "plan_items": plan_items(),
            "chart": expectancy_chart(expectancy),
            "implementations": expectancy["implementations"],
            "filters": {
                "area": area or "",
                "type": type_code or "",
                "status": status or "",
                "sort": sort,
                "account": account or "",
            },
            "statuses": ImplementationStatus.choices,
            "status_colors": IMPLEMENTATION_STATUS_COLORS,
        }
        return TemplateResponse(request, "admin_ext/feedback/prioritisation.html", context)


@admin.register(ImpactAssessment)
class ImpactAssessmentAdmin(ModelAdmin):
    list_display = [
        "recommendation_link",
        "verdict_badge",
        "effect_ci",
        "q_display",
        "roi",
        "measured_day",
    ]
    list_filter = [("status", ChoicesDropdownFilter), "significant", ("measured_at", RangeDateFilter)]
    list_filter_submit = True
    list_select_related = ["recommendation"]
    search_fields = ["recommendation__text"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

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


@admin.register(Experiment)
class ExperimentAdmin(SimpleHistoryAdmin, ModelAdmin):
    """Every field is read-only once created (pre-registration); the history shows its creation."""

    form = ExperimentForm
    # A search box instead of a <select> of every recommendation: the form loads in constant time.
    autocomplete_fields = ["recommendation"]
    conditional_fields = group_conditional_fields()
    list_display = ["name", "metric", "groups", "start", "end", "phase_badge", "created_by"]
    list_filter = ["metric"]
    list_filter_submit = True
    search_fields = ["name", "hypothesis"]
    change_form_after_template = "admin_ext/feedback/experiment_results.html"
    PREREGISTERED = [
        "name",
        "hypothesis",
        "recommendation",
        "metric",
        "treatment_display",
        "control_display",
        "start",
        "end",
        "min_sample_display",
    ]
    history_list_display = ["name", "metric", "start", "end"]

    def get_readonly_fields(self, request, obj=None):
        ro = ["created_by", "created_at"]
        return ro + self.PREREGISTERED if obj is not None else ro

    def get_fieldsets(self, request, obj=None):
        about = (None, {"fields": ["name", "hypothesis", "recommendation", "metric"]})
        if obj is None:
            return [about, *group_fieldsets(), ("Horizon", {"fields": ["start", "end", "min_sample"]})]
        horizon = ("Horizon", {"fields": ["start", "end", "min_sample_display"]})
        groups = ("Groups", {"fields": ["treatment_display", "control_display"]})
        return [about, groups, horizon, ("Registered", {"fields": ["created_by", "created_at"]})]

    def get_urls(self):
        return [
            path(
                "group-values/",
                self.admin_site.admin_view(self.group_values),
                name="post_mortem_experiment_group_values",
            ),
            *super().get_urls(),
        ]

    def group_values(self, request: HttpRequest) -> HttpResponse:
        """The group pickers' autocomplete: for people who may add an experiment."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return group_values_view(request)

    def has_change_permission(self, request, obj=None) -> bool:
        # A registered experiment is viewed, never changed: its page offers no save buttons.
        return False if obj is not None else super().has_change_permission(request, obj)

    # --- history is an audit trail: readable, never editable or revertible ------------------

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("History is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            from post_mortem.services.experiments import experiment_create

            created = experiment_create(
                name=obj.name,
                hypothesis=obj.hypothesis,
                metric=obj.metric,
                treatment=obj.treatment,
                control=obj.control,
                start=obj.start,
                end=obj.end,
                min_sample=obj.min_sample,
                recommendation=obj.recommendation,
                user=request.user,
            )
            obj.pk = created.pk
            obj.created_by = created.created_by
            obj.created_at = created.created_at
            return
        # Nothing is editable after creation (every field is read-only): no save, no history row.

    @display(description="Treatment vs control")
    def groups(self, obj: Experiment) -> str:
        return f"{group_words(obj.treatment)} vs {group_words(obj.control)}"

    @display(description="Treatment group")
    def treatment_display(self, obj: Experiment) -> str:
        return group_words(obj.treatment, capital=True)

    @display(description="Control group")
    def control_display(self, obj: Experiment) -> str:
        return group_words(obj.control, capital=True)

    @display(description=MIN_SAMPLE_LABEL)
    def min_sample_display(self, obj: Experiment) -> str:
        return f"{obj.min_sample:,}"

    @display(description="Phase", label={"running": "warning", "finished": "success", "planned": "info"})
    def phase_badge(self, obj: Experiment) -> str:
        from post_mortem.services.recommendations import desk_today

        today = desk_today()
        return "planned" if today < obj.start else ("running" if today <= obj.end else "finished")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None:
            results = experiment_results(experiment=obj)
            extra_context["experiment_results"] = results
            extra_context["experiment_chart"] = experiment_chart(results["daily"], obj.get_metric_display())
            extra_context["experiment_metric_label"] = obj.get_metric_display()
            extra_context["treatment_words"] = group_words(obj.treatment)
            extra_context["control_words"] = group_words(obj.control)
        return super().change_view(request, object_id, form_url, extra_context)


# --- landing-page card (B's dashboard registry) ----------------------------------------------


@dashboard_card(order=30)
def feedback_card(request: HttpRequest) -> DashboardCard | None:
    """Did the changes pay? The implemented recommendations with the largest measured effect."""
    if not request.user.has_perm("post_mortem.view_recommendation"):
        return None
    data = prioritisation(status=ImplementationStatus.IMPLEMENTED, sort="impact", limit=5)
    rows = []
    for rec in data["implemented"]:
        url = reverse("admin:post_mortem_recommendation_change", args=[rec.pk])
        if rec.latest_effect is None:
            effect, verdict, roi = "—", "not enough data yet", "—"
        else:
            effect = f"{rec.latest_effect:+.2f}R [{rec.latest_ci_low:+.2f}, {rec.latest_ci_high:+.2f}]"
            verdict = "paid" if rec.latest_significant and rec.latest_effect > 0 else "not significant"
            if rec.latest_significant and rec.latest_effect < 0:
                verdict = "hurt"
            roi = f"{fmt_money(rec.latest_roi, signed=True, decimals=0)}/month" if rec.latest_roi is not None else "—"
        rows.append([format_html('<a href="{}">{}</a>', url, rec.text[:60]), effect, roi, verdict])
    link = reverse("admin:post_mortem_recommendation_prioritisation")
    return DashboardCard(
        title="Did the changes pay?",
        template="admin_ext/dashboard/cards/table.html",
        context={
            "table": {"headers": ["Recommendation", "Effect [95% CI]", "ROI", "Verdict"], "rows": rows},
            "empty": format_html('No implemented recommendations yet. <a href="{}">Prioritization</a>', link),
        },
    )
