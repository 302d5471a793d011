"""what_if --wait through a real qcluster subprocess (shared test DB): the run is worked, leased, finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from post_mortem.models import JobRun, RunKind, RunStatus
from tests.conftest import qcluster_env
from tests.mining.helpers import store_synthetic_trades

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.qcluster, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_what_if_wait_through_real_cluster(tmp_path):
    store_synthetic_trades(1500, seed=77, effects=(("after_loss", "true", -0.6),))
    env = qcluster_env(Q_WORKERS="1", LOG_LEVEL="WARNING", Q_CLUSTER_NAME=f"whatif_test_{os.getpid()}")
    log_path = tmp_path / "qcluster.log"
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        done = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "what_if",
                "--rule",
                '{"type": "no_reentry_after_loss", "minutes": 30}',
                "--rule",
                '{"type": "max_trades_per_day", "n": 8}',
                "--wait",
                "--json",
                "--timeout",
                "180",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=10)
    assert done.returncode == 0, done.stderr + log_path.read_text()
    body = json.loads(done.stdout.strip().splitlines()[-1])
    run = JobRun.objects.get(pk=body["run"])
    assert run.kind == RunKind.WHATIF and run.status == RunStatus.SUCCEEDED
    assert run.attempts == 1 and run.claimed_by and run.heartbeat_at is not None  # claimed once, under a lease
    assert body["difference"]["significant"] and body["what_if"]["trades"] < body["actual"]["trades"] == 1500
