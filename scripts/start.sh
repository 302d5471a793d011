#!/usr/bin/env bash
# Set everything up and run the app on the embedded default: SQLite, django-q2's ORM broker,
# demo data, an admin login, the web server and one qcluster. Safe to run again.
set -euo pipefail
source "$(dirname "$0")/_venv.sh"

export DEBUG="${DEBUG:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

python manage.py migrate --noinput
python manage.py load_demo
python manage.py ensure_logins

if [ "${START_SERVERS:-1}" != "1" ]; then
  echo "==> set up done (START_SERVERS=0: not starting the servers)"
  exit 0
fi

echo "==> starting one qcluster and the web server on http://$HOST:$PORT/admin/"
python manage.py qcluster &
QCLUSTER_PID=$!
trap 'kill "$QCLUSTER_PID" 2>/dev/null || true; wait "$QCLUSTER_PID" 2>/dev/null || true' EXIT INT TERM
python manage.py runserver "$HOST:$PORT"
