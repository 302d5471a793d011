"""The README's production steps, run as written with DEBUG off, serve every admin page.

The environment comes from the README's `export` lines (host names, secrets and the database
are swapped for local ones: SQLite in a temporary folder, 127.0.0.1, a random free port), the
commands from its deploy block (gunicorn on that port with one worker; the qcluster is not
started). Requests carry `X-Forwarded-Proto: https` as the TLS proxy would. First without
`collectstatic` (every admin page used to be a 500), then after it, with `check --deploy` clean.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCAL = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "ANTHROPIC_API_KEY"}
PAGES = [
    "/admin/",
    "/admin/post_mortem/trade/",
    "/admin/post_mortem/tradeanalysis/",
    "/admin/post_mortem/recommendation/",
    "/admin/post_mortem/recommendation/prioritisation/",
    "/admin/post_mortem/improvementplan/",
    "/admin/post_mortem/experiment/",
    "/admin/post_mortem/jobrun/",
    "/admin/post_mortem/importbatch/",
]

pytestmark = pytest.mark.slow


def readme_production() -> tuple[dict[str, str], list[str]]:
    """The `export` assignments and the deploy commands of the README's production section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Production layout", 1)[1].split("\n## ", 1)[0]
    env: dict[str, str] = {}
    for line in re.findall(r"^export (.+)$", section, re.MULTILINE):
        for word in shlex.split(line.split("#", 1)[0]):
            name, _, value = word.partition("=")
            env[name] = value
    deploy = section.split("Deploy, then start each part:", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("  #", 1)[0].strip() for line in deploy.strip().splitlines()]
    return env, commands


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Plain HTTP with the proxy's header; cookies kept by hand (they are Secure-only)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, *, https: bool = True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response, content.decode(errors="replace")

    def login(self, username: str, password: str) -> None:
        _r, page = self.request("GET", "/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        response, _ = self.request(
            "POST",
            "/admin/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"},
        )
        assert response.status == 302, f"login failed: {response.status}"


def _run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    argv = shlex.split(command)
    argv[0] = sys.executable if argv[0] == "python" else str(BIN / argv[0])
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _serve_and_check(gunicorn: str, env: dict[str, str], port: int) -> None:
    argv = shlex.split(gunicorn.replace("0.0.0.0:8000", f"127.0.0.1:{port}"))
    argv[argv.index("--workers") + 1] = "1"
    argv[0] = str(BIN / "gunicorn")
    server = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        browser = Browser(port)
        deadline = time.monotonic() + 90
        while True:
            try:
                plain, _ = browser.request("GET", "/admin/login/", https=False)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()[-3000:]
                time.sleep(0.5)
        assert plain.status == 301 and plain.getheader("Location").startswith("https://")  # SECURE_SSL_REDIRECT
        login_page, html = browser.request("GET", "/admin/login/")
        assert login_page.status == 200, html[-2000:]
        assert "max-age=31536000" in login_page.getheader("Strict-Transport-Security", "")
        browser.login("admin", env["ADMIN_PASSWORD"])
        for path in PAGES:
            response, html = browser.request("GET", path)
            assert response.status == 200, (path, response.status, html[-1500:])
        statics = sorted(set(re.findall(r'(?:href|src)="(/static/[^"?]+)', html)))
        assert statics, "the page links no static files"
        for path in statics:
            response, _ = browser.request("GET", path)
            assert response.status == 200, (path, response.status)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_readme_production_steps_serve_the_admin(tmp_path):
    documented, commands = readme_production()
    for name in ("DEBUG", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SECURE_HSTS_SECONDS"):
        assert name in documented, f"README production section does not set {name}"
    assert documented["DEBUG"] == "0"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "SQLITE_"))}
    for name in LOCAL | {"DATABASE_URL", "REDIS_URL"}:
        env.pop(name, None)
    env.update({k: v for k, v in documented.items() if k not in LOCAL})
    env.update(
        DJANGO_SETTINGS_MODULE="internal.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{port}",
        SQLITE_PATH=str(tmp_path / "prod.sqlite3"),
        STATIC_ROOT=str(tmp_path / "static"),
        ADMIN_PASSWORD=secrets.token_urlsafe(16),
        OPS_PASSWORD=secrets.token_urlsafe(16),
        AUDITOR_PASSWORD=secrets.token_urlsafe(16),
        LOGIN_FILES_DIR=str(tmp_path),
        Q_CLUSTER_NAME=f"prod_test_{os.getpid()}",
    )
    migrate, collectstatic, check, gunicorn = (
        next(c for c in commands if key in c) for key in ("migrate", "collectstatic", "check --deploy", "gunicorn")
    )
    done = _run(migrate, env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _run("python manage.py ensure_logins", env).returncode == 0

    # 1. Without collectstatic: pages and static files still answer; the deploy check says why not.
    not_collected = _run(check, env)
    assert not_collected.returncode != 0 and "admin_ext.W001" in not_collected.stderr
    _serve_and_check(gunicorn, env, port)

    # 2. As written: collectstatic, a clean deploy check, then the server.
    done = _run(collectstatic, env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()
    done = _run(check, env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    _serve_and_check(gunicorn, env, port)
