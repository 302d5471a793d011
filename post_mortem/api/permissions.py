"""API permissions that mirror the admin's groups: Auditor reads, Ops reads and writes."""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions


class DeskModelPermissions(DjangoModelPermissions):
    """Model permissions for every method, reads included (DRF's default lets any user read).

    Anonymous users are refused before anything else (401 with token auth's WWW-Authenticate).
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }


class ReanalysePermission(DeskModelPermissions):
    """POST on a trade that already has a post-mortem replaces it: that needs change_tradeanalysis too.

    Checked per object (the trade's existing analysis), on top of the model-level add permission.
    """

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method == "POST" and getattr(obj, "has_analysis", False):
            return request.user.has_perm("post_mortem.change_tradeanalysis")
        return True
