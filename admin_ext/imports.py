"""Admin for ImportBatch: who imported what, its errors, its progress, and rollback.

(ContractMultiplierAdmin and ImportLayoutAdmin live in admin_ext/brokers.py.)
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from admin_ext.formatting import badge, import_run_rows
from admin_ext.views import AdminPage, admin_page
from post_mortem.models import BatchStatus, ImportBatch
from post_mortem.models.choices import BATCH_STATUS_COLORS
from post_mortem.selectors.trades import import_batch_list_queryset, import_batch_trade_count
from post_mortem.services.imports import import_batch_rollback

MAX_ERRORS_SHOWN = 200


def _issue_table(issues: list[dict], *, total: int) -> str:
    """Line / field / problem rows (errors, skipped lines, notes), escaped, the first 200."""
    shown = issues[:MAX_ERRORS_SHOWN]
    if not shown:
        return "—"
    rows = format_html_join(
        "",
        "<tr><td class='pr-4'>{}</td><td class='pr-4'>{}</td><td>{}</td></tr>",
        ((e.get("line"), e.get("field"), e.get("message")) for e in shown),
    )
    more = ""
    if total > len(shown):
        more = format_html("<p class='mt-2 text-sm'>… and {} more.</p>", total - len(shown))
    return format_html(
        "<table class='text-sm'><thead><tr><th class='pr-4 text-left'>Line</th>"
        "<th class='pr-4 text-left'>Field</th>"
        "<th class='text-left'>Problem</th></tr></thead><tbody>{}</tbody></table>{}",
        rows,
        more,
    )


@admin.register(ImportBatch)
class ImportBatchAdmin(ModelAdmin):
    list_display = (
        "created_at",
        "file_name",
        "status_label",
        "progress",
        "counts",
        "created_by",
    )
    list_filter = ("status", "file_format")
    list_filter_submit = True
    search_fields = ("file_name", "file_hash")
    show_full_result_count = False
    change_form_template = "admin_ext/imports/batch_change_form.html"
    actions_detail = ["rollback_detail"]
    actions_row = ["rollback_row"]
    readonly_fields = (
        "file_name",
        "file_hash",
        "file_format",
        "timezone",
        "status_label",
        "progress",
        "rows_count",
        "created_count",
        "updated_count",
        "unchanged_count",
        "errors_count",
        "error_list",
        "skipped_list",
        "notes_list",
        "trades_link",
        "run_link",
        "created_by",
        "created_at",
        "finished_at",
        "rolled_back_at",
        "rolled_back_by",
    )
    fieldsets = (
        (None, {"fields": (("file_name", "file_format", "timezone"), "file_hash", ("status_label", "progress"))}),
        (
            "Counts",
            {
                "fields": (
                    ("rows_count", "created_count", "updated_count"),
                    ("unchanged_count", "errors_count"),
                    "trades_link",
                )
            },
        ),
        ("Errors", {"fields": ("error_list", "skipped_list", "notes_list")}),
        (
            "Audit",
            {"fields": (("created_by", "created_at", "finished_at"), ("rolled_back_by", "rolled_back_at"), "run_link")},
        ),
    )

    def get_queryset(self, request):
        return import_batch_list_queryset()

    # Counts with thousands separators (Django prints a read-only integer as stored: "2596").

    @display(description="Rows")
    def rows_count(self, obj: ImportBatch) -> str:
        return f"{obj.rows:,}"

    @display(description="Created")
    def created_count(self, obj: ImportBatch) -> str:
        return f"{obj.created:,}"

    @display(description="Updated")
    def updated_count(self, obj: ImportBatch) -> str:
        return f"{obj.updated:,}"

    @display(description="Unchanged")
    def unchanged_count(self, obj: ImportBatch) -> str:
        return f"{obj.unchanged:,}"

    @display(description="Errors")
    def errors_count(self, obj: ImportBatch) -> str:
        return f"{obj.error_count:,}"

    def has_add_permission(self, request):
        return False  # batches are made by imports, never by hand

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail stays; undo is "roll back"

    def has_change_permission(self, request, obj=None):
        return False  # every field is a record of the import; "roll back" has its own permission

    def has_rollback_permission(self, request: HttpRequest, obj=None) -> bool:
        user = request.user
        if not (user.has_perm("post_mortem.change_importbatch") and user.has_perm("post_mortem.delete_trade")):
            return False
        if obj is None:
            return True
        # unfold's detail actions pass the object id; only a completed import has anything to undo.
        status = (
            obj.status
            if isinstance(obj, ImportBatch)
            else (ImportBatch.objects.filter(pk=obj).values_list("status", flat=True).first())
        )
        return status == BatchStatus.COMPLETED

    @display(description="Status", ordering="status")
    def status_label(self, obj: ImportBatch):
        return badge(obj.get_status_display(), BATCH_STATUS_COLORS.get(obj.status, ""))

    @display(description="Rows: new / updated / unchanged / errors")
    def counts(self, obj: ImportBatch) -> str:
        return f"{obj.rows:,}: {obj.created:,} / {obj.updated:,} / {obj.unchanged:,} / {obj.error_count:,}"

    @display(description="Progress")
    def progress(self, obj: ImportBatch) -> str:
        """Only a running import has a progress; a finished one says how it ended instead."""
        if obj.status == BatchStatus.COMPLETED:
            return "100%"
        if obj.status == BatchStatus.FAILED:
            return "Stopped: nothing was written (see Errors)"
        if obj.status == BatchStatus.ROLLED_BACK:
            return "—"
        run = obj.run
        if run is None:
            return "Waiting to start"
        phase, done, rows = import_run_rows(done=run.done, total=run.total)
        return format_html(
            '<div class="w-32 h-2 bg-base-200 rounded">'
            '<div class="h-2 bg-primary-600 rounded" style="width:{}%"></div></div>'
            '<span class="text-xs">{}% ({} of {} rows {})</span>',
            run.progress_pct,
            run.progress_pct,
            f"{done:,}",
            f"{rows:,}",
            phase or "done",
        )

    @display(description="Errors")
    def error_list(self, obj: ImportBatch) -> str:
        return _issue_table(obj.errors or [], total=obj.error_count)

    @display(description="Skipped lines (--skip-invalid)")
    def skipped_list(self, obj: ImportBatch) -> str:
        return _issue_table(obj.skipped or [], total=len(obj.skipped or []))

    @display(description="Left out and ignored")
    def notes_list(self, obj: ImportBatch) -> str:
        return _issue_table(obj.notes or [], total=len(obj.notes or []))

    @display(description="Trades")
    def trades_link(self, obj: ImportBatch) -> str:
        url = reverse("admin:post_mortem_trade_changelist") + f"?import_batch__id__exact={obj.pk}"
        count = import_batch_trade_count(batch=obj)
        link = format_html('<a class="text-primary-600" href="{}">{} trades owned by this batch</a>', url, f"{count:,}")
        if count and obj.status == BatchStatus.COMPLETED:
            analyze = reverse("admin:post_mortem_trade_analyze_batch", args=[obj.pk])
            link = format_html('{} · <a class="text-primary-600" href="{}">Analyze these trades</a>', link, analyze)
        return link

    @display(description="Background run")
    def run_link(self, obj: ImportBatch) -> str:
        if obj.run_id is None:
            return "— (imported in the request)"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:post_mortem_jobrun_change", args=[obj.run_id]), f"run #{obj.run_id}"
        )

    # --- rollback ------------------------------------------------------------------------------
    def get_urls(self):
        rollback = admin_page(self, "<int:object_id>/rollback/", RollbackPage, "post_mortem_importbatch_rollback")
        return [rollback, *super().get_urls()]

    @action(description="Roll back", permissions=["rollback"], icon="undo")
    def rollback_detail(self, request: HttpRequest, object_id: int):
        return HttpResponseRedirect(reverse("admin:post_mortem_importbatch_rollback", args=[object_id]))

    @action(description="Roll back", permissions=["rollback"], icon="undo")
    def rollback_row(self, request: HttpRequest, object_id: int):
        return HttpResponseRedirect(reverse("admin:post_mortem_importbatch_rollback", args=[object_id]))


class RollbackPage(AdminPage):
    """Confirm page on GET (what will be deleted / restored), the rollback on POST."""

    permission_required = ("post_mortem.change_importbatch", "post_mortem.delete_trade")
    template_name = "admin_ext/imports/rollback_confirm.html"

    def get_title(self) -> str:
        return f"Roll back {self.batch.file_name}?"

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.batch = get_object_or_404(ImportBatch, pk=kwargs["object_id"])
        self.change_url = reverse("admin:post_mortem_importbatch_change", args=[self.batch.pk])
        if self.batch.status != BatchStatus.COMPLETED:
            messages.error(
                request, f"Only a completed import can be rolled back; this one is {self.batch.get_status_display()}."
            )
            return HttpResponseRedirect(self.change_url)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.POST.get("confirm") != "yes":
            return self.get(request, *args, **kwargs)
        try:
            outcome = import_batch_rollback(batch=self.batch, user=request.user)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"Rolled back {self.batch.file_name}: {outcome['deleted']} trades deleted, "
                f"{outcome['restored']} trades restored to their previous values.",
            )
        return HttpResponseRedirect(self.change_url)

    def get_context_data(self, **kwargs):
        owned = import_batch_trade_count(batch=self.batch)
        to_restore = len(self.batch.previous_values or {})
        return super().get_context_data(
            **kwargs,
            batch=self.batch,
            owned=owned,
            to_restore=to_restore,
            to_delete=max(owned - to_restore, 0),
            change_url=self.change_url,
        )
