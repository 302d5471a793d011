"""Experiments: pre-registered A/B tests; read-only once created, results drawn under the form."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.decorators import display

from admin_ext.charts import experiment_chart
from admin_ext.experiment_form import (
    MIN_SAMPLE_LABEL,
    ExperimentForm,
    group_conditional_fields,
    group_fieldsets,
    group_values_view,
    group_words,
)
from admin_ext.views import AdminEndpoint, admin_page
from post_mortem.models import Experiment
from post_mortem.selectors.feedback import experiment_results


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
            admin_page(self, "group-values/", GroupValuesEndpoint, "post_mortem_experiment_group_values"),
            *super().get_urls(),
        ]

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


class GroupValuesEndpoint(AdminEndpoint):
    """The group pickers' autocomplete: for people who may add an experiment."""

    permission_required = ("post_mortem.add_experiment",)

    def get(self, request: HttpRequest) -> HttpResponse:
        return group_values_view(request)
