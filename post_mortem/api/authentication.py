"""Token authentication for scripts: django-rest-knox tokens (SHA-512 digest at rest, expiry).

`Authorization: Token <token>` as before. A header that is not valid UTF-8 or not a token at all is
a 401 like any other bad token, never a server error.
"""

from __future__ import annotations

from knox.auth import TokenAuthentication
from rest_framework import exceptions


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's authentication, with undecodable or oversized credentials refused as invalid."""

    MAX_TOKEN_LENGTH = 256

    def authenticate_credentials(self, token: bytes):
        if len(token) > self.MAX_TOKEN_LENGTH:
            raise exceptions.AuthenticationFailed("Invalid token.")
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)
