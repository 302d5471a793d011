"""Login attempts recorded by django-axes, with the unfold look: read-only; deleting a row unlocks it."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.http import HttpRequest
from unfold.admin import ModelAdmin
from unfold.decorators import display


class _ReadOnlyAdmin(ModelAdmin):
    list_filter_submit = True
    date_hierarchy = "attempt_time"
    search_fields = ("=username", "=ip_address")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(AccessAttempt)
class AccessAttemptAdmin(_ReadOnlyAdmin):
    """Failed logins being counted; a locked-out username/address pair is unlocked by deleting its row."""

    list_display = ("username", "ip_address", "failures_since_start", "locked_badge", "attempt_time", "path_info")
    list_filter = ("attempt_time",)
    exclude = ("post_data",)  # never show what was typed in the password field (axes masks it anyway)

    @display(description="Locked out", label={"locked": "danger", "counting": "warning"})
    def locked_badge(self, obj: AccessAttempt) -> str:
        from django.conf import settings

        return "locked" if obj.failures_since_start >= settings.AXES_FAILURE_LIMIT else "counting"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "post_data"]


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(_ReadOnlyAdmin):
    list_display = ("username", "ip_address", "locked_out", "attempt_time", "path_info")
    list_filter = ("locked_out", "attempt_time")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the failure log is an audit trail


@admin.register(AccessLog)
class AccessLogAdmin(_ReadOnlyAdmin):
    list_display = ("username", "ip_address", "attempt_time", "logout_time", "path_info")
    list_filter = ("attempt_time", "logout_time")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
