#!/usr/bin/env bash
# Set everything up and run the app on the embedded default: SQLite, django-q2's ORM broker,
# demo data, an admin login, the web server and one qcluster. Safe to run again.
set -euo pipefail
source "$(dirname "$0")/_venv.sh"

# .env.local (git-ignored): a generated SECRET_KEY and DEBUG=1 that manage.py reads in any
# shell on this machine, so the README's other commands work without exporting anything.
python -m internal.local_env
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
# Each server runs in its own process group: Ctrl-C (or a signal to this script) reaches only
# this script, whose cleanup stops the web server and sends the qcluster ONE SIGTERM to its main
# process, which then stops its own workers cleanly. (A signal to the whole group kills the
# workers under the cluster's feet and leaves it hanging in "stopping".)
SETSID=""
if command -v setsid >/dev/null 2>&1; then SETSID="setsid"; fi
QCLUSTER_PID=""
WEB_PID=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$WEB_PID" ]; then kill -TERM -- "-$WEB_PID" 2>/dev/null || kill -TERM "$WEB_PID" 2>/dev/null || true; fi
  if [ -n "$QCLUSTER_PID" ] && kill -0 "$QCLUSTER_PID" 2>/dev/null; then
    echo "==> stopping the qcluster"
    kill -TERM "$QCLUSTER_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$QCLUSTER_PID" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$QCLUSTER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
$SETSID python manage.py qcluster &
QCLUSTER_PID=$!
$SETSID python manage.py runserver "$HOST:$PORT" &
WEB_PID=$!
wait "$WEB_PID"
