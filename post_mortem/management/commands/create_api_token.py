"""Create an API token for a user and print it once (only its SHA-512 digest is stored)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken
from knox.settings import knox_settings


class Command(BaseCommand):
    help = (
        "Create a REST API token for USER and print it (shown once: only a digest is kept). "
        "Expires after --days (default API_TOKEN_DAYS, 90)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None, help="Days until the token expires (1-3650).")
        parser.add_argument(
            "--revoke-others", action="store_true", help="Delete the user's existing tokens first (rotation)."
        )

    def handle(self, *args, username: str, days: int | None, revoke_others: bool, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        if days is not None and not 1 <= days <= 3650:
            raise CommandError(f"--days must be between 1 and 3650, got {days}.")
        ttl = timedelta(days=days) if days is not None else knox_settings.TOKEN_TTL
        if revoke_others:
            removed, _ = AuthToken.objects.filter(user=user).delete()
            self.stderr.write(f"Revoked {removed} earlier token(s) of {username}.")
        instance, token = AuthToken.objects.create(user=user, expiry=ttl)
        self.stderr.write(f"Token for {username}, expires {instance.expiry:%Y-%m-%d %H:%M} UTC. It is not shown again:")
        self.stdout.write(token)
