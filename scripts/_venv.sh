# Sourced by the other scripts: create .venv and install the pinned requirements when they changed.
# Idempotent: a second run with unchanged requirements installs nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PY="$candidate"; break; fi
  done
fi
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  echo "==> creating .venv with $PY"
  "$PY" -m venv "$ROOT/.venv"
fi
REQ_HASH="$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
STAMP="$ROOT/.venv/.requirements-hash"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$REQ_HASH" ]; then
  echo "==> installing requirements"
  "$ROOT/.venv/bin/python" -m pip install --quiet --upgrade pip
  "$ROOT/.venv/bin/python" -m pip install --quiet -r "$ROOT/requirements-dev.txt"
  echo "$REQ_HASH" > "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
cd "$ROOT"
