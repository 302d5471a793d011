"""One error shape for the whole API, and JSON (not HTML) for every error under /api/.

DRF's ValidationError can nest (a list field reports `{"trade_ids": {"0": ["..."]}}`; a bare
`ValidationError("...")` is a list). Scripts and the OpenAPI schema get one flat shape instead:
`{"<field or parameter>": ["message", ...]}`, a nested item's messages prefixed with its path
(`"[0]: A valid integer is required."`), errors that belong to no field under `non_field_errors`.
The same shape serves 422 (a business rule refused well-formed input). Every other error, malformed
JSON included, is `{"detail": "..."}`.

URLs under /api/ that match no route, and server errors there, answer JSON too (`api_not_found`,
`api_server_error` are the project's handler404 / handler500; other paths keep Django's pages).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.views import exception_handler

API_PREFIX = "/api/"


def flatten_errors(detail: Any) -> dict[str, list[str]]:
    """`{"a": {"0": ["x"]}, "b": ["y"]}` -> `{"a": ["[0]: x"], "b": ["y"]}`; a bare list -> non_field_errors."""
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail}
    return {str(key): _messages(value) for key, value in detail.items()}


def _messages(detail: Any, path: str = "") -> list[str]:
    prefix = f"{path}: " if path else ""
    if isinstance(detail, dict):
        return [msg for key, value in detail.items() for msg in _messages(value, f"{path}[{key}]")]
    if isinstance(detail, list):
        out: list[str] = []
        for index, item in enumerate(detail):
            out.extend(_messages(item, f"{path}[{index}]") if isinstance(item, dict | list) else [prefix + str(item)])
        return out
    return [prefix + str(detail)]


class UnprocessableEntity(exceptions.ValidationError):
    """422: the request is well formed (it matches the schema) but a business rule refuses it.

    400 means the request itself is wrong (a type, an enum, a range, malformed JSON: what the OpenAPI
    schema already says); 422 means its values conflict with the data or the rules (an unknown trade
    id in a list, end before start, overlapping groups, a recommendation that is not implemented).
    """

    status_code = 422
    default_code = "unprocessable"


def refused_by_rules(exc: DjangoValidationError, rename: dict[str, str] | None = None) -> UnprocessableEntity:
    """A service's ValidationError as a 422 naming each field (renamed to the request's names)."""
    if hasattr(exc, "error_dict"):
        detail = {(rename or {}).get(field, field): list(msgs) for field, msgs in exc.message_dict.items()}
    else:
        detail = {"non_field_errors": exc.messages}
    return UnprocessableEntity(detail)


def api_exception_handler(exc: Exception, context: dict) -> Any:
    """DRF's handler, with validation errors flattened to `{"field": ["message"]}`."""
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = flatten_errors(response.data)
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: `{"detail": ...}` under /api/, Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def api_server_error(request: HttpRequest) -> HttpResponse:
    """handler500: `{"detail": ...}` under /api/, Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
