"""The OpenAPI schema and its Swagger UI page, for people and for scripts.

Both need a login. A person who is not logged in (no Authorization header) is sent to the admin
login page and back; a script with a bad token gets the usual 401. The pages' JavaScript and CSS
come from drf-spectacular-sidecar (SPECTACULAR_SETTINGS), so they work without internet access.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions


class LoginRedirectMixin:
    """Anonymous browser requests go to the login page instead of a bare 401."""

    def handle_exception(self, exc):
        anonymous = isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed)
        if anonymous and not self.request.META.get("HTTP_AUTHORIZATION"):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class SchemaView(LoginRedirectMixin, SpectacularAPIView):
    pass


class HtmlPageOptionsMixin:
    """OPTIONS on an HTML page: the allowed methods, not DRF's metadata (which it cannot render as HTML)."""

    def options(self, request, *args, **kwargs):
        return JsonResponse(
            {"name": self.get_view_name(), "renders": ["text/html"]}, headers={"Allow": "GET, HEAD, OPTIONS"}
        )


class SwaggerView(LoginRedirectMixin, HtmlPageOptionsMixin, SpectacularSwaggerView):
    pass
