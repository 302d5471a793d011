"""Users, groups and API tokens, restyled with unfold (Django's and knox's behavior, unfold's look)."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from knox.admin import AuthTokenAdmin as BaseAuthTokenAdmin
from knox.models import AuthToken
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

admin.site.unregister(User)
admin.site.unregister(Group)
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ("username", "email", "group_names", "staff_label", "last_login")
    list_filter_submit = True

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @display(description="Groups")
    def group_names(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all())) or "–"

    @display(
        description="Access",
        label={"Superuser": "danger", "Staff": "success", "No admin access": "info"},
    )
    def staff_label(self, obj: User) -> str:
        if obj.is_superuser:
            return "Superuser"
        return "Staff" if obj.is_staff else "No admin access"


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass


@admin.register(AuthToken)
class AuthTokenAdmin(BaseAuthTokenAdmin, ModelAdmin):
    """REST API tokens for scripts (django-rest-knox). Only a digest is stored, so the list shows
    who holds a token and until when, never the token; a new token is shown once, on creation.
    Deleting a row revokes that token."""

    list_display = ("user", "digest_start", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    ordering = ("-created",)

    @display(description="Digest (SHA-512)")
    def digest_start(self, obj: AuthToken) -> str:
        return f"{obj.digest[:12]}…"

    def has_change_permission(self, request, obj=None) -> bool:
        return False
