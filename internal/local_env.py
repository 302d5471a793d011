"""A machine-local settings file for `manage.py`: a generated SECRET_KEY and DEBUG for local use.

`scripts/start.sh` writes `.env.local` (git-ignored) once; `manage.py` reads it before Django
loads settings, so every README command works in any new shell on that machine. Real
environment variables always win, and nothing else reads the file: a production host
(gunicorn through `internal.wsgi`) still has to set SECRET_KEY and friends in its environment.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def local_env_path() -> Path:
    """Where the file lives: LOCAL_ENV_FILE (tests, several checkouts) or `.env.local` in the repo."""
    return Path(os.environ.get("LOCAL_ENV_FILE") or BASE_DIR / ".env.local")


def parse_local_env(text: str) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and `#` comments skipped, surrounding quotes dropped."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip().strip("'\"")
    return values


def load_local_env(path: Path | None = None) -> dict[str, str]:
    """Put the file's values into os.environ where the environment does not already set them."""
    path = path or local_env_path()
    if not path.is_file():
        return {}
    values = parse_local_env(path.read_text(encoding="utf-8"))
    for key, value in values.items():
        os.environ.setdefault(key, value)
    return values


def write_local_env(path: Path | None = None) -> bool:
    """Create the file with a fresh secret key and DEBUG=1 unless it exists. True when written."""
    path = path or local_env_path()
    if path.exists():
        return False
    path.write_text(
        "# Written by scripts/start.sh for this machine only (git-ignored); manage.py reads it.\n"
        "# Environment variables override these values. Production sets real ones instead.\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        "DEBUG=1\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    written = write_local_env(target)
    where = target or local_env_path()
    print(f"==> {'wrote' if written else 'kept'} local settings {where}")
