"""Shared OpenAPI pieces: the error responses every endpoint documents."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse

from .serializers import ErrorDetailSerializer

FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Each bad field or query parameter, mapped to its messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"trade_ids": ["Unknown trade ids: 12, 99."]},
}

BAD_REQUEST = OpenApiResponse(
    response=FIELD_ERRORS_SCHEMA,
    description="Invalid input: the body names each bad field or query parameter (malformed JSON: {detail}).",
)
UNAUTHENTICATED = OpenApiResponse(ErrorDetailSerializer, description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(ErrorDetailSerializer, description="Authenticated but missing the model permission.")
NOT_FOUND = OpenApiResponse(ErrorDetailSerializer, description="Unknown id (or page past the end).")
THROTTLED = OpenApiResponse(ErrorDetailSerializer, description="Write rate limit exceeded; see Retry-After.")

READ_ERRORS = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN}
DETAIL_ERRORS = {401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND}
WRITE_ERRORS = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 429: THROTTLED}


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """Documents the knox token header (`Authorization: Token <token>`) as the security scheme."""

    target_class = "post_mortem.api.authentication.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Prefix "Token ", e.g. `Token 3f2a...` (make one with `manage.py create_api_token USER`).',
        }
