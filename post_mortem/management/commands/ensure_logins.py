"""Create the admin login (and demo Ops / Auditor users) and print how to log in.

Idempotent: existing users keep their passwords unless ADMIN_PASSWORD is given. A generated
password is kept in .admin-login (git-ignored, mode 600) so a second run prints the same one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create the admin superuser and demo ops/auditor users; print the login."

    def handle(self, *args, **options) -> None:
        username = os.environ.get("ADMIN_USERNAME", "admin")
        password = os.environ.get("ADMIN_PASSWORD") or self._stored_or_new_password()
        User = get_user_model()
        with transaction.atomic():
            admin, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True, "is_superuser": True, "email": ""}
            )
            if created or os.environ.get("ADMIN_PASSWORD") or not admin.has_usable_password():
                admin.set_password(password)
            admin.is_staff = admin.is_superuser = admin.is_active = True
            admin.save()
            for demo_name, group_name in (("ops", "Ops"), ("auditor", "Auditor")):
                user, made = User.objects.get_or_create(username=demo_name, defaults={"is_staff": True})
                if made or os.environ.get("ADMIN_PASSWORD"):
                    user.set_password(password)
                    user.save()
                user.groups.add(Group.objects.get(name=group_name))
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login: {username} / {password}   (demo users 'ops' and 'auditor' share this password)"
            )
        )

    def _stored_or_new_password(self) -> str:
        path = Path(settings.BASE_DIR) / ".admin-login"
        if path.exists():
            return path.read_text().strip()
        password = secrets.token_urlsafe(12)
        path.write_text(password + "\n")
        path.chmod(0o600)
        return password
