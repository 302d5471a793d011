"""Deploy checks (`manage.py check --deploy`) for what Django's own checks do not see."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.staticfiles, deploy=True)
def static_files_collected(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """With DEBUG off, static files should come from collectstatic (hashed names, compressed)."""
    if settings.DEBUG or getattr(settings, "STATIC_COLLECTED", True):
        return []
    return [
        checks.Warning(
            f"No static files manifest in {settings.STATIC_ROOT}: pages work, but static files are served "
            "from the apps' folders without hashed names or compression.",
            hint="Run `python manage.py collectstatic --noinput` as part of every deploy.",
            id="admin_ext.W001",
        )
    ]
