"""Background runs: the list, and a run page with a live progress bar, counts, failures and cost.

Every long job (import, analysis, mining, plan, impact) is a JobRun; its page polls a small JSON
endpoint (``<id>/progress/``) once a second until the run finishes, then reloads once to list what
the run produced.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter
from unfold.decorators import display

from admin_ext import whatif
from admin_ext.formatting import fmt_cost
from admin_ext.labels import humanize_code
from admin_ext.views import AdminEndpoint, AdminPage, admin_page
from post_mortem.engines.vocabulary import FACTOR_BY_CODE
from post_mortem.models import (
    AnalysisPattern,
    ImpactAssessment,
    ImportBatch,
    ImprovementPlan,
    JobRun,
    RunKind,
    Trade,
)
from post_mortem.models.choices import RUN_STATUS_COLORS
from post_mortem.selectors.analyses import analyses_recent_since, run_progress


def run_outputs(*, run: JobRun, user) -> list[dict[str, str]]:
    """Links from a run to what it produced (patterns, a plan, assessments, an import batch)."""
    links: list[dict[str, str]] = []

    def add(perm: str, label: str, url: str) -> None:
        if user.has_perm(f"post_mortem.{perm}"):
            links.append({"label": label, "url": url})

    if run.kind == RunKind.MINING:
        n = AnalysisPattern.objects.filter(run=run).count()
        url = reverse("admin:post_mortem_analysispattern_changelist") + f"?run={run.pk}"
        add("view_analysispattern", f"{n:,} pattern(s) mined by this run", url)
    elif run.kind == RunKind.PLAN:
        for plan_id in ImprovementPlan.objects.filter(run=run).values_list("pk", flat=True):
            add(
                "view_improvementplan",
                f"Improvement plan #{plan_id}",
                reverse("admin:post_mortem_improvementplan_change", args=[plan_id]),
            )
    elif run.kind == RunKind.IMPACT:
        n = ImpactAssessment.objects.filter(run=run).count()
        url = reverse("admin:post_mortem_impactassessment_changelist") + f"?run={run.pk}"
        add("view_impactassessment", f"{n:,} impact assessment(s) measured by this run", url)
    elif run.kind == RunKind.IMPORT:
        for batch in ImportBatch.objects.filter(run=run).only("pk", "file_name"):
            add(
                "view_importbatch",
                f"Import batch: {batch.file_name}",
                reverse("admin:post_mortem_importbatch_change", args=[batch.pk]),
            )
    elif run.kind == RunKind.ANALYSIS:
        url = reverse("admin:post_mortem_tradeanalysis_changelist") + f"?run={run.pk}"
        add("view_tradeanalysis", f"{run.succeeded:,} post-mortem(s) written by this run", url)
    return links


@admin.register(JobRun)
class JobRunAdmin(ModelAdmin):
    list_display = ("id", "kind", "status_label", "progress_bar", "counts", "cost_display", "created_by", "created_at")
    list_display_links = ("id", "kind")
    list_filter = (
        ("kind", ChoicesDropdownFilter),
        ("status", ChoicesDropdownFilter),
        ("created_at", RangeDateTimeFilter),
    )
    list_filter_submit = True
    list_select_related = ("created_by",)
    list_per_page = 50
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are created by actions, commands and the API

    def has_change_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False

    @display(description="Status", ordering="status", label={k.value: v for k, v in RUN_STATUS_COLORS.items()})
    def status_label(self, obj: JobRun) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Progress")
    def progress_bar(self, obj: JobRun) -> str:
        return format_html(
            '<div class="w-24 h-2 bg-base-200 rounded-full" title="{}%"><div class="h-2 bg-primary-600 rounded-full" '
            'style="width: {}%"></div></div>',
            obj.progress_pct,
            obj.progress_pct,
        )

    @display(description="Done / total (failed)")
    def counts(self, obj: JobRun) -> str:
        return f"{obj.done:,} / {obj.total:,} ({obj.failed:,})"

    @display(description="Cost", ordering="cost_usd")
    def cost_display(self, obj: JobRun) -> str:
        return fmt_cost(obj.cost_usd)

    def get_urls(self):
        return [
            admin_page(self, "<int:object_id>/progress/", RunProgressEndpoint, "post_mortem_jobrun_progress"),
            admin_page(self, "what-if/", whatif.ScenarioPage, "post_mortem_jobrun_what_if"),
            admin_page(self, "what-if/<int:run_id>/", whatif.ResultPage, "post_mortem_jobrun_what_if_result"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied  # a read-only page: runs change only through their services
        return RunPage.as_view(model_admin=self)(request, object_id=object_id)


def _get_run(object_id) -> JobRun:
    try:
        return get_object_or_404(JobRun.objects.select_related("created_by"), pk=int(object_id))
    except ValueError as exc:
        raise Http404 from exc


class RunProgressEndpoint(AdminEndpoint):
    """The small JSON the run page polls (escaped on the client with textContent)."""

    permission_required = ("post_mortem.view_jobrun",)

    def get(self, request: HttpRequest, object_id: int) -> JsonResponse:
        return JsonResponse(run_progress(run=_get_run(object_id)))


class RunPage(AdminPage):
    """One run: live progress, counts, cost, failures (linked to their trades), what it produced."""

    permission_required = ("post_mortem.view_jobrun",)
    template_name = "admin_ext/runs/detail.html"

    def get_title(self) -> str:
        return f"{self.run.get_kind_display()} run #{self.run.pk}"

    def get(self, request: HttpRequest, object_id: str) -> HttpResponse:
        self.run = _get_run(object_id)
        return super().get(request, object_id=object_id)

    def get_context_data(self, **kwargs):
        run, user = self.run, self.request.user
        trade_refs = [f.get("ref") for f in run.failures if isinstance(f.get("ref"), int)]
        labels = {}
        if run.kind == RunKind.ANALYSIS and trade_refs:
            labels = {t.pk: str(t) for t in Trade.objects.filter(pk__in=trade_refs[:200])}
        can_view_trades = user.has_perm("post_mortem.view_trade")
        failure_rows = []
        for failure in run.failures:
            ref = failure.get("ref")
            label = labels.get(ref, ref)
            if run.kind == RunKind.ANALYSIS and isinstance(ref, int) and can_view_trades:
                url = reverse("admin:post_mortem_trade_change", args=[ref])
                label = format_html('<a class="text-primary-600" href="{}">{}</a>', url, label)
            failure_rows.append([label, failure.get("reason", "")])
        analyses = []
        if run.kind == RunKind.ANALYSIS and user.has_perm("post_mortem.view_tradeanalysis"):
            analyses = list(analyses_recent_since(run=run, limit=25))
        analysis_rows = [
            [
                format_html(
                    '<a class="text-primary-600 analysis-link" href="{}">{}</a>',
                    reverse("admin:post_mortem_tradeanalysis_change", args=[analysis.pk]),
                    analysis.trade,
                ),
                analysis.success_score,
                ", ".join(
                    FACTOR_BY_CODE[c].title if c in FACTOR_BY_CODE else humanize_code(c)
                    for c in analysis.primary_factors
                ),
            ]
            for analysis in analyses
        ]
        return super().get_context_data(
            **kwargs,
            produced=run_outputs(run=run, user=user),
            params=[(humanize_code(k), "—" if v in (None, "") else v) for k, v in (run.params or {}).items()],
            run=run,
            progress=run_progress(run=run),
            progress_url=reverse("admin:post_mortem_jobrun_progress", args=[run.pk]),
            failures_table={"headers": ["Item", "Reason"], "rows": failure_rows},
            analyses_table={"headers": ["Trade", "Score", "Primary factors"], "rows": analysis_rows}
            if analysis_rows
            else None,
            analyses_title=f"Post-mortems written by this run (latest {len(analysis_rows)})",
            status_color=RUN_STATUS_COLORS.get(run.status, "info"),
            what_if_url=reverse("admin:post_mortem_jobrun_what_if_result", args=[run.pk])
            if run.kind == RunKind.WHATIF
            else "",
        )
