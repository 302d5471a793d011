"""The one base for the admin's own pages (pages that are not a model's list or form).

unfold's ``UnfoldModelAdminViewMixin`` is Django's ``PermissionRequiredMixin`` plus the admin's
header, sidebar and title context. Each page states the permissions it needs in
``permission_required`` (view permissions for pages an Auditor may read, add/change permissions for
pages that act), so no page repeats a hand-written check or hand-built context.

A page is mounted in its model admin's ``get_urls`` with :func:`admin_page`, which wraps it in
``admin_site.admin_view`` (login, staff, CSRF, never cached) as unfold's documentation shows.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from django.views import View
from django.views.generic import FormView, TemplateView
from unfold.views import UnfoldModelAdminViewMixin


class _AdminPageContext:
    title = ""

    def get_title(self) -> str:
        return self.title

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = self.get_title()
        context.setdefault("opts", self.model_admin.model._meta)
        return context


class AdminPage(_AdminPageContext, UnfoldModelAdminViewMixin, TemplateView):
    """A custom admin page: permission gate, unfold's context, the model's ``opts`` for breadcrumbs.

    ``title`` is the page header; pages whose header depends on the object override
    :meth:`get_title`. POST handling, where a page has a form, goes in ``post``.
    """


class AdminFormPage(_AdminPageContext, UnfoldModelAdminViewMixin, FormView):
    """A custom admin page around one form: Django's FormView (``form_class``, ``form_valid``)
    behind the same gate and context as :class:`AdminPage`."""


class AdminEndpoint(UnfoldModelAdminViewMixin, View):
    """A non-HTML endpoint (JSON the pages poll) behind the same permission gate."""


def admin_page(model_admin, route: str, view_class: type[View], name: str) -> URLPattern:
    """The URL of a custom page of ``model_admin``, behind the admin site's login and CSRF checks."""
    view = model_admin.admin_site.admin_view(view_class.as_view(model_admin=model_admin))
    return path(route, view, name=name)
