"""measure_impact --wait against a real qcluster subprocess sharing the test database."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from post_mortem.models import ImpactAssessment, ImplementationStatus, JobRun, RunStatus
from tests.conftest import qcluster_env
from tests.factories import RecommendationFactory
from tests.feedback.helpers import plant_trades

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.qcluster, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_measure_impact_wait_through_real_cluster(tmp_path):
    UTC = dt.UTC
    plant_trades(account="A", start=dt.datetime(2026, 7, 2, tzinfo=UTC), days=30, per_day=4, mean_r=0.0, seed=1)
    plant_trades(account="A", start=dt.datetime(2026, 8, 1, 4, tzinfo=UTC), days=30, per_day=4, mean_r=0.6, seed=2)
    rec = RecommendationFactory(
        implementation_status=ImplementationStatus.IMPLEMENTED, implementation_date=dt.date(2026, 8, 1)
    )
    env = qcluster_env(Q_WORKERS="1", LOG_LEVEL="WARNING", Q_CLUSTER_NAME=f"impact_test_{os.getpid()}")
    log = (tmp_path / "qcluster.log").open("w")
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out = subprocess.run(
            [sys.executable, "manage.py", "measure_impact", "--wait", "--json", "--timeout", "120"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=10)
    assert out.returncode == 0, out.stderr + (tmp_path / "qcluster.log").read_text()
    payload = json.loads(out.stdout.strip().splitlines()[-1])
    [a] = payload["assessments"]
    assert a["recommendation"] == rec.pk and a["significant"] is True and a["ci_low"] > 0
    run = JobRun.objects.get(pk=payload["run"])
    assert run.status == RunStatus.SUCCEEDED and run.finished_at is not None
    assert ImpactAssessment.objects.filter(run=run).count() == 1
