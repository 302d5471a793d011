"""Small unfold callbacks wired from settings.UNFOLD."""

from django.conf import settings


def environment_callback(request) -> list[str]:
    """Label the header with the engine and database in use, so nobody mistakes a demo for prod."""
    engine = "Claude" if settings.POST_MORTEM_ENGINE == "claude" else "Rules engine"
    return [f"{engine} · {settings.DB_VENDOR}", "info" if settings.DEBUG else "success"]
