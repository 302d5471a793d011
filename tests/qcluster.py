"""A real `manage.py qcluster` subprocess over the test database, for integration tests.

Why one helper: every run kind (analysis, mining, plans, impact, what-if) is tested end to end
through a real cluster the same way, and stopping it cleanly (one SIGTERM to the group, then a
kill) is easy to get subtly wrong in each copy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import qcluster_env

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class RunningCluster:
    env: dict[str, str]
    log_path: Path

    def manage(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
        """Run a management command in its own process against the cluster's database and broker."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def running_qcluster(
    tmp_path: Path, name: str | None, *, workers: int = 1, unset: tuple[str, ...] = (), **extra: str
) -> Iterator[RunningCluster]:
    """Start a qcluster named after the test (its own broker queue), yield, then stop it.

    Call it inside a transactional test (the subprocess must see committed rows). ``name=None``
    keeps the configured cluster name, for a test that enqueues from its own process (the queue is
    the cluster's name). ``unset`` names environment variables the cluster must not see (an API key).
    """
    if name:
        extra = {"Q_CLUSTER_NAME": f"{name}_{os.getpid()}", **extra}
    env = qcluster_env(Q_WORKERS=str(workers), LOG_LEVEL="WARNING", **extra)
    for name_ in unset:
        env.pop(name_, None)
    log_path = tmp_path / "qcluster.log"
    with log_path.open("w") as log:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield RunningCluster(env=env, log_path=log_path)
        finally:
            os.killpg(cluster.pid, signal.SIGTERM)
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, signal.SIGKILL)
                cluster.wait(timeout=10)
