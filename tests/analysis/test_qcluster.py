"""An analysis run finished by a real qcluster process sharing the test database."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from post_mortem.models import ChunkStatus, JobRun, Recommendation, RunStatus, TradeAnalysis
from tests.conftest import qcluster_env
from tests.factories import TradeFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.qcluster, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_analyze_trades_wait_through_a_real_cluster(tmp_path):
    start = dt.datetime(2026, 2, 2, 14, 30, tzinfo=dt.UTC)
    for i in range(30):
        TradeFactory(
            account=f"ACC-{i % 3}",
            entry_time=start + dt.timedelta(minutes=40 * i),
            exit_time=start + dt.timedelta(minutes=40 * i + 25),
            exit_price=Decimal("97.5") if i % 4 == 0 else Decimal("101"),
        )
    env = qcluster_env(Q_WORKERS="2", LOG_LEVEL="WARNING", Q_CLUSTER_NAME=f"analysis_test_{os.getpid()}")
    env.pop("ANTHROPIC_API_KEY", None)
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
            [sys.executable, "manage.py", "analyze_trades", "--all", "--wait", "--json", "--chunk-size", "7",
             "--engine", "rules", "--timeout", "180"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=10)
    assert done.returncode == 0, done.stderr + log_path.read_text()
    payload = json.loads(done.stdout.strip().splitlines()[-1])
    assert payload["analyzed"] == 30 and payload["failed"] == 0
    run = JobRun.objects.get(pk=payload["run"])
    assert run.status == RunStatus.SUCCEEDED and (run.done, run.total) == (30, 30)
    assert run.chunks.count() == 5 and set(run.chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}
    assert TradeAnalysis.objects.filter(run=run).count() == 30
    assert sum("stop_not_honoured" in a.primary_factors for a in TradeAnalysis.objects.filter(run=run)) == 8
    assert not Recommendation.objects.exists()  # analysis tracks nothing
