"""Admin pages show times in the desk's timezone (settings.DESK_TIMEZONE), never in UTC.

Storage stays UTC; Django converts on display (and reads typed-in times) in the active
timezone, so activating the desk zone for /admin/ requests makes every list, form, history
page and template date speak desk time. The API keeps UTC (ISO 8601 with its offset).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


class DeskTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.zone = ZoneInfo(settings.DESK_TIMEZONE)
        self.prefix = "/admin/"

    def __call__(self, request):
        if not request.path.startswith(self.prefix):
            return self.get_response(request)
        timezone.activate(self.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
