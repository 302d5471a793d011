"""API permissions that mirror the admin's groups: Auditor reads, Ops reads and writes."""

from rest_framework.permissions import DjangoModelPermissions


class DeskModelPermissions(DjangoModelPermissions):
    """Model permissions for every method, reads included (DRF's default lets any user read)."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }
