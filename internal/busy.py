"""A write that cannot get SQLite's lock is answered "busy, try again" (503 + Retry-After), not a 500.

On the embedded SQLite setup one writer holds the database at a time; another waits up to the
busy timeout (SQLITE_BUSY_TIMEOUT, 20 s) and then gets OperationalError "database is locked".
That is a temporary condition the client can act on, so the admin gets a page saying so and the
API a JSON body, both with status 503 and a Retry-After header. Nothing was written: the failed
statement ran inside the request's transaction, which Django rolled back.

Two doors, because Django turns an exception into a response at each middleware layer: the
middleware's ``process_exception`` sees exceptions from views (DEBUG on or off), and
``server_error`` (handler500) sees the rest, e.g. a session save after the view.
"""

from __future__ import annotations

import logging
import sys

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
BUSY_MESSAGE = "The database is busy with another write (an import, a rollback or a background run). Nothing was saved."
_LOCKED = ("database is locked", "database table is locked", "database is busy")

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Busy, try again · Trade Post-Mortem</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;background:#f9fafb;color:#111827;display:flex;min-height:100vh;
align-items:center;justify-content:center;margin:0}}main{{background:#fff;border:1px solid #e5e7eb;border-radius:8px;
padding:2rem;max-width:34rem}}h1{{font-size:1.25rem;margin-top:0}}a{{color:#7e22ce}}</style></head>
<body><main id="database-busy"><h1>Busy, try again</h1><p>{message}</p>
<p>Try again in {seconds} seconds: {how}</p></main></body></html>"""


def is_database_busy(exc: BaseException | None) -> bool:
    """True for SQLite's lock timeout (the message is the only marker the driver gives)."""
    return isinstance(exc, OperationalError) and any(text in str(exc).lower() for text in _LOCKED)


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for the API, a short page for the admin."""
    logger.warning("database busy: %s %s answered 503", request.method, request.path)
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"detail": f"{BUSY_MESSAGE} Try again in {RETRY_AFTER_SECONDS} seconds.", "code": "database_busy"},
            status=503,
        )
    else:
        how = (
            "go back and submit the form again."
            if request.method == "POST"
            else f'<a href="{escape(request.get_full_path())}">reload this page</a>.'
        )
        response = HttpResponse(PAGE.format(message=BUSY_MESSAGE, seconds=RETRY_AFTER_SECONDS, how=how), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """Turns a view's "database is locked" into the busy response."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return busy_response(request) if is_database_busy(exception) else None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the busy response for a lock timeout outside the view, the API's JSON 500 or
    Django's page otherwise."""
    from post_mortem.api.errors import api_server_error

    if is_database_busy(sys.exc_info()[1]):
        return busy_response(request)
    return api_server_error(request)
