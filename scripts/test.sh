#!/usr/bin/env bash
# Run every check: ruff, Django's system checks, missing migrations, and the pytest suite
# (browser tests included, through Debian's chromium). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/_venv.sh"

if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing Debian's chromium for the browser tests"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

export DJANGO_SETTINGS_MODULE=internal.settings_test
echo "==> ruff"
ruff check .
ruff format --check .
echo "==> manage.py check / makemigrations --check"
python manage.py check --fail-level WARNING
python manage.py makemigrations --check --dry-run
echo "==> pytest (database: ${DATABASE_URL:-sqlite default})"
pytest "$@"
