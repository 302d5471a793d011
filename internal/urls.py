from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from post_mortem.api.docs import SchemaView, SwaggerView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Browsers ask for /favicon.ico on pages without a <link rel=icon> (the API docs, JSON).
    path("favicon.ico", RedirectView.as_view(url=static("admin_ext/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/post-mortem/", include("post_mortem.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# JSON errors under /api/ (unknown routes included), Django's pages elsewhere; a lock timeout
# outside a view (e.g. saving the session) is "busy, try again" (internal.busy), not a 500.
handler404 = "post_mortem.api.errors.api_not_found"
handler500 = "internal.busy.server_error"
