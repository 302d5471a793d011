"""Small unfold callbacks wired from settings.UNFOLD."""

from __future__ import annotations

import os

from django.conf import settings

# DEPLOY_ENVIRONMENT names the installation ("production", "staging", ...); the colour warns
# people on the installations where a mistake costs most.
ENVIRONMENT_COLORS = {"production": "danger", "prod": "danger", "staging": "warning", "test": "warning"}


def environment_callback(request) -> list[str]:
    """Label the header with where this is and what it runs on, so nobody mistakes a demo for prod.

    e.g. "Development · Rules engine · sqlite" (blue) or "Production · Claude · postgresql" (red).
    """
    name = os.environ.get("DEPLOY_ENVIRONMENT", "").strip() or ("Development" if settings.DEBUG else "")
    engine = "Claude" if settings.POST_MORTEM_ENGINE == "claude" else "Rules engine"
    parts = [p for p in (name.capitalize() if name else "", engine, settings.DB_VENDOR) if p]
    color = ENVIRONMENT_COLORS.get(name.lower(), "info" if settings.DEBUG or not name else "success")
    return [" · ".join(parts), color]
