"""Users, groups and API tokens, restyled with unfold (Django's and DRF's behaviour, unfold's look)."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.admin import TokenAdmin as BaseTokenAdmin
from rest_framework.authtoken.models import TokenProxy
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

admin.site.unregister(User)
admin.site.unregister(Group)
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


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


@admin.register(TokenProxy)
class TokenAdmin(BaseTokenAdmin, ModelAdmin):
    """REST API tokens for scripts (DRF's admin: one token per user, looked up by user id)."""
