"""The desk-wide audit log: every recorded change of every recommendation, as a read-only admin
over simple-history's historical model.

Nobody adds, changes or deletes a history row here (the services write them, with the reason);
Ops and Auditors read and filter it. Each row says who changed what from what to what, with the
time in the desk timezone, and links to the recommendation's own history.

The older address ``recommendation/audit/`` (``admin:post_mortem_recommendation_audit``) sends
here with its filters, so bookmarks keep working.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter, RelatedDropdownFilter
from unfold.decorators import display

from admin_ext.filters import ExactTextFilter
from admin_ext.formatting import DASH, fmt_time
from admin_ext.labels import humanize_code
from admin_ext.views import AdminEndpoint
from post_mortem.models import Recommendation
from post_mortem.models.choices import ImplementationStatus
from post_mortem.selectors.feedback import history_entries

HistoricalRecommendation = Recommendation.history.model
ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}
ACTION_COLORS = {"Created": "success", "Changed": "info", "Deleted": "danger"}


def _field_label(field: str) -> str:
    return str(Recommendation._meta.get_field(field).verbose_name).capitalize()


def _value_text(field: str, value) -> str:
    if value in (None, ""):
        return DASH
    if field == "implementation_status":
        return str(ImplementationStatus(value).label) if value in ImplementationStatus.values else humanize_code(value)
    if field in ("area", "type_code"):
        return humanize_code(value)
    return str(value)


@admin.register(HistoricalRecommendation)
class RecommendationHistoryAdmin(ModelAdmin):
    """Read-only for everyone: the history is evidence, so no add, change, delete or revert."""

    list_display = ("when", "who", "recommendation_link", "action_label", "changes", "reason")
    list_display_links = None  # a row's page is its recommendation's history, linked per row
    list_filter = (
        ("history_user", RelatedDropdownFilter),
        ("history_type", ChoicesDropdownFilter),
        ("id", ExactTextFilter),
        ("history_date", RangeDateTimeFilter),
    )
    list_filter_submit = True
    search_fields = ("text", "history_change_reason", "history_user__username")
    list_select_related = ("history_user",)
    list_per_page = 50
    ordering = ("-history_date", "-history_id")
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        return super().changelist_view(request, {"title": "Recommendation history", **(extra_context or {})})

    def get_changelist_instance(self, request: HttpRequest):
        """Diffs for the whole page at once (history_entries fetches the previous versions in one
        query), attached to the rows the list draws."""
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)
        by_id = {entry["history_id"]: entry for entry in history_entries(rows)}
        for row in rows:
            row.audit_entry = by_id.get(row.history_id, {})
        return changelist

    @display(description="When", ordering="history_date")
    def when(self, obj) -> str:
        return fmt_time(obj.history_date, seconds=True)

    @display(description="Who", ordering="history_user__username")
    def who(self, obj) -> str:
        return obj.history_user.get_username() if obj.history_user else "System"

    @display(description="Recommendation", ordering="id")
    def recommendation_link(self, obj) -> str:
        url = reverse("admin:post_mortem_recommendation_history", args=[obj.id])
        text = obj.text if len(obj.text) <= 60 else f"{obj.text[:59]}…"
        return format_html('<a class="text-primary-600" href="{}">#{}</a> {}', url, obj.id, text)

    @display(description="Action", label=ACTION_COLORS)
    def action_label(self, obj) -> str:
        return ACTIONS.get(obj.history_type, obj.history_type)

    @display(description="Changes")
    def changes(self, obj) -> str:
        changes = getattr(obj, "audit_entry", {}).get("changes") or []
        if not changes:
            return DASH
        return format_html_join(
            "",
            '<div><span class="font-semibold">{}</span>: <del class="text-red-600">{}</del> → '
            '<ins class="text-green-700 no-underline">{}</ins></div>',
            (
                (_field_label(c["field"]), _value_text(c["field"], c["old"]), _value_text(c["field"], c["new"]))
                for c in changes
            ),
        )

    @display(description="Reason")
    def reason(self, obj) -> str:
        return obj.history_change_reason or DASH


class LegacyAuditRedirect(AdminEndpoint):
    """``recommendation/audit/?user=…&recommendation=…`` -> the history list with the same filters."""

    permission_required = ("post_mortem.view_historicalrecommendation",)

    def get(self, request: HttpRequest) -> HttpResponseRedirect:
        url = reverse("admin:post_mortem_historicalrecommendation_changelist")
        query = {}
        if who := request.GET.get("user", "").strip():
            user = get_user_model().objects.filter(username=who).first()
            query.update({"history_user__id__exact": user.pk} if user else {"q": who})
        if (rec_id := request.GET.get("recommendation", "").strip()).isdigit():
            query["id__exact"] = rec_id
        return HttpResponseRedirect(f"{url}?{urlencode(query)}" if query else url)
