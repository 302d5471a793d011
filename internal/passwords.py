"""Password rules beyond Django's own validators."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class NoUsernameInPasswordValidator:
    """Refuse a password that contains the username (``ops12345`` for user ``ops``).

    Django's similarity check compares whole strings, so a short username plus digits passes it.
    """

    def validate(self, password: str, user=None) -> None:
        username = (getattr(user, "username", "") or "").strip().lower()
        if len(username) >= 3 and username in (password or "").lower():
            raise ValidationError("The password contains the username.", code="password_contains_username")

    def get_help_text(self) -> str:
        return "Your password can't contain your username."
