"""Create the admin login and the demo Ops / Auditor users, each with its own password, and print them.

Idempotent: an existing user keeps its password unless its variable is given (ADMIN_PASSWORD,
OPS_PASSWORD, AUDITOR_PASSWORD). A password given in a variable must pass the project's password
validators (AUTH_PASSWORD_VALIDATORS), so a date or `ops12345` is refused before anything is
written. A generated password is kept in `.<user>-login` (git-ignored, mode 600) so a second run
prints the same one; a demo user without such a file (it used to share the admin's password)
gets a fresh one, while an admin created another way (createsuperuser) keeps its own.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# (username variable and default, password variable, group, superuser)
LOGINS = (
    ("ADMIN_USERNAME", "admin", "ADMIN_PASSWORD", None, True),
    (None, "ops", "OPS_PASSWORD", "Ops", False),
    (None, "auditor", "AUDITOR_PASSWORD", "Auditor", False),
)


def login_file(username: str) -> Path:
    """Where a generated password is kept (`.admin-login` for the default admin)."""
    return Path(os.environ.get("LOGIN_FILES_DIR") or settings.BASE_DIR) / f".{username}-login"


class Command(BaseCommand):
    help = "Create the admin superuser and the demo ops/auditor users; print each login."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        printed = []
        with transaction.atomic():
            for username_var, default_name, password_var, group, superuser in LOGINS:
                username = (os.environ.get(username_var) if username_var else None) or default_name
                user, created = User.objects.get_or_create(
                    username=username, defaults={"is_staff": True, "is_superuser": superuser}
                )
                given = os.environ.get(password_var)
                if given:
                    try:
                        validate_password(given, user=user)
                    except ValidationError as exc:
                        raise CommandError(f"{password_var} refused: {' '.join(exc.messages)}") from exc
                    password, fresh = given, True
                elif superuser and not created and user.has_usable_password() and not login_file(username).exists():
                    # An admin made another way (createsuperuser) keeps the password it was given.
                    printed.append((username, "(its existing password)", "superuser"))
                    continue
                else:
                    password, fresh = self._stored_or_new_password(username)
                if created or fresh or not user.has_usable_password():
                    user.set_password(password)
                user.is_staff = user.is_active = True
                if superuser:
                    user.is_superuser = True
                user.save()
                if group:
                    user.groups.add(Group.objects.get(name=group))
                printed.append((username, password, group or "superuser"))
        for username, password, role in printed:
            self.stdout.write(self.style.SUCCESS(f"Login ({role}): {username} / {password}"))

    def _stored_or_new_password(self, username: str) -> tuple[str, bool]:
        """The kept password, or a new one written to its file; True when it is new."""
        path = login_file(username)
        if path.exists():
            return path.read_text().strip(), False
        password = secrets.token_urlsafe(12)
        path.write_text(password + "\n")
        path.chmod(0o600)
        return password, True
