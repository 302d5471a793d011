"""mine_patterns --wait and build_plan --wait through a real qcluster subprocess (shared test DB)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from post_mortem.mining.synthetic import DEMO_EFFECTS
from post_mortem.models import AnalysisPattern, ImprovementPlan, JobRun, Recommendation, RunStatus
from tests.conftest import qcluster_env
from tests.mining.helpers import store_synthetic_trades

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.qcluster, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _manage(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )


def test_mining_and_plan_through_real_cluster(tmp_path):
    store_synthetic_trades(1200, seed=51, effects=DEMO_EFFECTS)
    env = qcluster_env(Q_WORKERS="1", LOG_LEVEL="WARNING", Q_CLUSTER_NAME=f"mining_test_{os.getpid()}")
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
        mined = _manage(env, "mine_patterns", "--wait", "--json", "--timeout", "180")
        planned = _manage(env, "build_plan", "--wait", "--json", "--timeout", "120")
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=10)
    assert mined.returncode == 0, mined.stderr + log_path.read_text()
    payload = json.loads(mined.stdout.strip().splitlines()[-1])
    run = JobRun.objects.get(pk=payload["run"])
    assert run.status == RunStatus.SUCCEEDED and run.finished_at is not None
    assert len(payload["patterns"]) == AnalysisPattern.objects.filter(run=run).count() > 20
    significant = {(p["factor"], p["segment"]) for p in payload["patterns"] if p["q_value"] < 0.05}
    assert ("after_loss", "true") in significant and ("setup", "fade") in significant

    assert planned.returncode == 0, planned.stderr + log_path.read_text()
    plan_payload = json.loads(planned.stdout.strip().splitlines()[-1])
    plan = ImprovementPlan.objects.get(pk=plan_payload["plan"])
    assert sorted(plan_payload["recommendations"]) == sorted(
        Recommendation.objects.filter(plan=plan).values_list("pk", flat=True)
    )
