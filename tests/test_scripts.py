"""The README's first command: scripts/start.sh sets up twice in a row and stops cleanly.

Runs the real script against a temporary SQLite file (demo data, logins), then starts the web
server and the qcluster on a free port, fetches the login page, sends Ctrl-C (SIGINT to the
script's process group, as a terminal does) and checks that every process it started is gone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [*sorted((ROOT / "scripts").glob("*.sh")), ROOT / ".ci" / "run"]


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_scripts_parse(script):
    subprocess.run(["bash", "-n", str(script)], check=True)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="internal.settings",
        SQLITE_PATH=str(tmp_path / "start.sqlite3"),
        ADMIN_PASSWORD="start-sh-test-pw",  # given, so no .admin-login is written
        OPS_PASSWORD="start-sh-second-pw",
        AUDITOR_PASSWORD="start-sh-third-pw",
        LOGIN_FILES_DIR=str(tmp_path),
        LOCAL_ENV_FILE=str(tmp_path / ".env.local"),  # not the checkout's own file
        Q_CLUSTER_NAME=f"start_sh_test_{os.getpid()}",
        **extra,
    )
    env.pop("DATABASE_URL", None)
    env.pop("DEBUG", None)
    env.pop("SECRET_KEY", None)
    env.pop("REDIS_URL", None)
    return env


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
def test_start_sh_twice_then_serves_and_stops_cleanly(tmp_path):
    for _ in (1, 2):
        done = subprocess.run(
            ["bash", "scripts/start.sh"],
            cwd=ROOT,
            env=_env(tmp_path, START_SERVERS="0"),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "Login (superuser): admin / start-sh-test-pw" in done.stdout
        assert "Login (Ops): ops / start-sh-second-pw" in done.stdout
    assert "demo trades: unchanged" in done.stdout and "demo bars: unchanged" in done.stdout

    # A new shell on the same machine: no DEBUG, no SECRET_KEY exported, yet README commands work
    # because manage.py reads the .env.local that start.sh left; the WSGI app (production) does not.
    local_env = (tmp_path / ".env.local").read_text()
    assert "SECRET_KEY=" in local_env and "DEBUG=1" in local_env
    shell = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "analyze_trades", "--help"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.returncode == 0, shell.stderr[-2000:]
    wsgi = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", "import internal.wsgi"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wsgi.returncode != 0 and "SECRET_KEY must be set" in wsgi.stderr

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        ["bash", "scripts/start.sh"],
        cwd=ROOT,
        env=_env(tmp_path, PORT=str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 300  # migrate + load_demo check + runserver's checks, on a busy CI box
        status = None
        while time.monotonic() < deadline and status != 200:
            time.sleep(1)
            started |= _descendants(server.pid)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5) as response:
                    status = response.status
                    page = response.read().decode()
            except OSError:
                continue
        assert status == 200 and "Trade Post-Mortem" in page
        time.sleep(3)  # let the qcluster spawn its workers
        started |= _descendants(server.pid)
        assert any("qcluster" in Path(f"/proc/{p}/cmdline").read_text() for p in started if _alive(p))
    finally:
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        # start.sh gives the qcluster 30 s to stop its workers before killing it; on a loaded box
        # the web server and the cluster's own shutdown add to that.
        server.wait(timeout=180)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in started):
        time.sleep(0.5)
    leftovers = [p for p in started if _alive(p)]
    for pid in leftovers:  # do not leave them behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not leftovers
