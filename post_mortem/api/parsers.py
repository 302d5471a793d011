"""Request body parsing with a bound on nesting.

A body such as `[[[[...]]]]` ten thousand levels deep makes Python's JSON decoder (or anything that
walks the result afterwards) hit the recursion limit. Bodies of this API are at most a few levels
deep, so anything deeper than `MAX_DEPTH` is a 400 naming the limit.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import UnprocessableEntity

MAX_DEPTH = 32
SURROGATE = re.compile("[\ud800-\udfff]")


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when containers nest deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def unstorable_text(value: Any) -> bool:
    """True when a string (key or value) holds a NUL or a lone surrogate (`"\\ud800"`).

    Both are legal in JSON but no database column takes them (PostgreSQL refuses NUL, UTF-8 has no
    lone surrogates), so they are refused before any field sees them.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser; a too-deep body is a 400 instead of a RecursionError (500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        if json_depth_exceeds(data, MAX_DEPTH):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        if unstorable_text(data):
            raise UnprocessableEntity(
                {"non_field_errors": ["Text must not contain NUL characters or unpaired surrogates."]}
            )
        return data
