"""Recommendations: the list and page (tracking, audited history), the status form page, and the
bulk status action.

Every status change goes through ``post_mortem.services.recommendations`` (via a small form page
that asks for the date, notes and a change reason), so the admin, the API and the analysis page
write the same audited history. History is read-only here: no revert, no edits.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
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
from admin_ext.code_filters import code_filter
from admin_ext.confirm import confirm_page, confirmed
from admin_ext.feedback.prioritization import PrioritizationPage
from admin_ext.formatting import fmt_r
from admin_ext.labels import AREAS, area_label, type_label
from admin_ext.recommendation_fields import READABLE, RecommendationReadable, readable_fields, readable_fieldsets
from admin_ext.views import AdminFormPage, admin_page
from post_mortem.models import (
    ImplementationStatus,
    Recommendation,
    RecommendationSource,
)
from post_mortem.models.choices import IMPLEMENTATION_STATUS_COLORS
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


class AccountListField(forms.CharField):
    """A list of accounts typed as "DESK-A, DESK-B" (stored as a JSON list; empty = all accounts)."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))

    def has_changed(self, initial, data):
        return list(initial or []) != self.to_python(data)


class RecommendationForm(forms.ModelForm):
    """The change form: content edits need a reason, and pre-registered fields stay as they were."""

    scope_accounts = AccountListField(
        required=False,
        label="Accounts it applies to",
        widget=UnfoldAdminTextInputWidget,
        help_text="Comma-separated accounts; empty = all accounts.",
    )

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
        if obj is not None and obj.source != RecommendationSource.MANUAL:
            # Defined by the pattern or post-mortem it came from: the type and segment it targets
            # and the expected R it was given are that source's, not an editable opinion.
            readonly += [f for f in ("type_code", "segment", "expected_impact_r") if f not in readonly]
        if obj is not None and recommendation_is_locked(obj):
            readonly += [f for f in PREREGISTERED_FIELDS if f not in readonly]
        return readable_fields(readonly)

    def get_fieldsets(self, request, obj=None):
        view_only = obj is not None and not self.has_change_permission(request, obj)
        readonly = list(READABLE.values()) if view_only else self.get_readonly_fields(request, obj)
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

    # --- custom pages -----------------------------------------------------------------------

    def get_urls(self):
        return [
            admin_page(self, "prioritisation/", PrioritizationPage, "post_mortem_recommendation_prioritisation"),
            admin_page(self, "audit/", LegacyAuditRedirect, "post_mortem_recommendation_audit"),
            admin_page(self, "<path:object_id>/set-status/", SetStatusPage, "post_mortem_recommendation_set_status"),
            *super().get_urls(),
        ]


class SetStatusPage(AdminFormPage):
    """One recommendation's status, date and notes, with the reason kept in its history (Ops)."""

    permission_required = ("post_mortem.change_recommendation",)
    template_name = "admin_ext/feedback/set_status.html"
    form_class = StatusChangeForm

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.recommendation = get_object_or_404(Recommendation, pk=kwargs["object_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_title(self) -> str:
        return f"Set status: {self.recommendation.text[:60]}"

    def get_initial(self) -> dict:
        rec = self.recommendation
        return {"status": rec.implementation_status, "implementation_date": rec.implementation_date, "notes": rec.notes}

    def form_valid(self, form: StatusChangeForm) -> HttpResponse:
        rec = self.recommendation
        if not form.apply(user=self.request.user, recommendation=rec):
            return self.form_invalid(form)
        self.model_admin.message_user(self.request, f"Status of “{rec}” saved.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:post_mortem_recommendation_change", args=[rec.pk]))

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, original=self.recommendation, bulk=False)
