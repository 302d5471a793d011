#!/usr/bin/env bash
# Run the pytest suite a second time on PostgreSQL + Redis (the scaled-out layout of issue 7).
#
# Starts PostgreSQL and Redis when they are not answering, installs them with apt-get when they
# are missing, creates the database, and fails loudly when any of that does not work.
# Extra arguments go to pytest (e.g. `bash scripts/test_postgres.sh tests/scale -q`).
set -euo pipefail
source "$(dirname "$0")/_venv.sh"

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

die() { echo "ERROR: $*" >&2; exit 1; }

apt_install() {
  echo "==> installing $* with apt-get"
  $SUDO apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

# --- PostgreSQL -----------------------------------------------------------------------------
if ! command -v pg_isready >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt_install postgresql postgresql-client
fi
if ! pg_up; then
  [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ] || die "no PostgreSQL cluster in /etc/postgresql"
  echo "==> starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start \
    || die "pg_ctlcluster could not start PostgreSQL"
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || die "PostgreSQL is not answering on $PG_HOST:$PG_PORT"
fi
PSQL=(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtAX)
"${PSQL[@]}" -d postgres -c "select 1" >/dev/null \
  || die "cannot log in to PostgreSQL as postgres on $PG_HOST:$PG_PORT (trust auth expected)"
if [ "$("${PSQL[@]}" -d postgres -c "select 1 from pg_database where datname = 'post_mortem'")" != "1" ]; then
  echo "==> creating database post_mortem"
  "${PSQL[@]}" -d postgres -c "create database post_mortem" || die "cannot create database post_mortem"
fi

# --- Redis ----------------------------------------------------------------------------------
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  apt_install redis-server
fi
if ! redis_up; then
  echo "==> starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    || die "redis-server could not start"
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  redis_up || die "Redis is not answering on 127.0.0.1:$REDIS_PORT"
fi

# --- the suite --------------------------------------------------------------------------------
export DATABASE_URL="postgres://postgres@$PG_HOST:$PG_PORT/post_mortem"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
# django-q2 keys its Redis queue by cluster name: a name of our own keeps this run's tasks away
# from any other run (or a production cluster) sharing the Redis server. The qcluster processes
# that tests start inherit it.
export Q_CLUSTER_NAME="post_mortem_test_$$"
export DJANGO_SETTINGS_MODULE=internal.settings_test
cleanup() {
  # django-q2 leaves the (empty) queue list and stats keys behind; drop what this run made.
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --scan --pattern "*${Q_CLUSTER_NAME}*" 2>/dev/null \
    | xargs -r redis-cli -h 127.0.0.1 -p "$REDIS_PORT" del >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "==> manage.py check on PostgreSQL"
python manage.py check --fail-level WARNING
echo "==> pytest (database: $DATABASE_URL, broker: $REDIS_URL, cluster: $Q_CLUSTER_NAME)"
pytest "$@"
