"""A confirmation page for admin actions that are reached by a link.

unfold's list and detail actions are plain links, so a GET (a prefetcher, a crawler, a reload)
reaches them. Such an action answers a GET with this page and acts only on its POST, which
Django's admin_view checks for CSRF.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest
from django.template.response import TemplateResponse


def confirmed(request: HttpRequest) -> bool:
    """True only for the POST of the confirmation form."""
    return request.method == "POST" and request.POST.get("confirm") == "yes"


def confirm_page(
    model_admin,
    request: HttpRequest,
    *,
    title: str,
    lines: Sequence[str],
    button: str,
    cancel_url: str,
) -> TemplateResponse:
    """Render what the action will do, with a POST form (CSRF) that does it."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "lines": lines,
        "button": button,
        "cancel_url": cancel_url,
    }
    return TemplateResponse(request, "admin_ext/confirm_action.html", context)
