"""Throttling for write endpoints.

Reads are cheap and scripts poll them; writes queue background work (analyses can cost money on
the Claude engine), so they are rate-limited per user with the "writes" rate from
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env API_WRITE_THROTTLE, default 120/min).
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import UserRateThrottle


class WriteRateThrottle(UserRateThrottle):
    """Per-user limit on unsafe methods only, so one view can serve throttled POSTs and free GETs."""

    scope = "writes"

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
