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
DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "example": {"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"},
}

BAD_REQUEST = OpenApiResponse(
    response={"anyOf": [FIELD_ERRORS_SCHEMA, DETAIL_SCHEMA]},
    description=(
        "The request does not match this schema: the body names each bad field or query parameter "
        "(`{field: [messages]}`); malformed or too deeply nested JSON is `{detail}`."
    ),
)
UNPROCESSABLE = OpenApiResponse(
    response=FIELD_ERRORS_SCHEMA,
    description=(
        "Well formed, but a business rule refuses it (unknown ids in a list, dates out of order, "
        "overlapping groups, a state that does not allow it); the body names each field. Nothing is written."
    ),
)
UNAUTHENTICATED = OpenApiResponse(ErrorDetailSerializer, description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(ErrorDetailSerializer, description="Authenticated but missing the model permission.")
NOT_FOUND = OpenApiResponse(ErrorDetailSerializer, description="Unknown id, or a page past the last one.")
THROTTLED = OpenApiResponse(ErrorDetailSerializer, description="Write rate limit exceeded; see Retry-After.")

READ_ERRORS = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND}
DETAIL_ERRORS = {401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND}
WRITE_ERRORS = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 422: UNPROCESSABLE, 429: THROTTLED}


NO_NUL = "^[^\\u0000]*$"
FIXED_SHAPE = {"enum", "format", "pattern"}


def strict_request_bodies(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: request bodies admit only their documented fields.

    The API refuses unknown body fields (400, see StrictRequestSerializer), so the schema says
    `additionalProperties: false` on every request component; a body with required fields is itself
    required (an empty POST is a 400). Free-text query parameters say they take no NUL character
    (Django's forms refuse it with a 400).
    """
    components = result.get("components", {}).get("schemas", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string" and not FIXED_SHAPE & set(schema):
                    schema["pattern"] = NO_NUL
            for media in operation.get("requestBody", {}).get("content", {}).values():
                schema = media.get("schema", {})
                ref = schema.get("$ref", "")
                component = components.get(ref.rsplit("/", 1)[-1]) if ref else schema
                if component and component.get("type") == "object" and ref:
                    component["additionalProperties"] = False
                branches = component.get("oneOf", [component]) if component else []
                if branches and all(branch.get("required") for branch in branches):
                    operation["requestBody"]["required"] = True
    return result


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
