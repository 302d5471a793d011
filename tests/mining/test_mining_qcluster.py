"""mine_patterns --wait and build_plan --wait through a real qcluster subprocess (shared test DB)."""

from __future__ import annotations

import json

import pytest

from post_mortem.mining.synthetic import DEMO_EFFECTS
from post_mortem.models import AnalysisPattern, ImprovementPlan, JobRun, Recommendation, RunStatus
from tests.mining.helpers import store_synthetic_trades
from tests.qcluster import running_qcluster

pytestmark = [pytest.mark.qcluster, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_mining_and_plan_through_real_cluster(tmp_path):
    store_synthetic_trades(1200, seed=51, effects=DEMO_EFFECTS)
    with running_qcluster(tmp_path, "mining_test") as cluster:
        mined = cluster.manage("mine_patterns", "--wait", "--json", "--timeout", "180")
        planned = cluster.manage("build_plan", "--wait", "--json", "--timeout", "120")
    assert mined.returncode == 0, mined.stderr + cluster.log()
    payload = json.loads(mined.stdout.strip().splitlines()[-1])
    run = JobRun.objects.get(pk=payload["run"])
    assert run.status == RunStatus.SUCCEEDED and run.finished_at is not None
    assert len(payload["patterns"]) == AnalysisPattern.objects.filter(run=run).count() > 20
    significant = {(p["factor"], p["segment"]) for p in payload["patterns"] if p["q_value"] < 0.05}
    assert ("after_loss", "true") in significant and ("setup", "fade") in significant

    assert planned.returncode == 0, planned.stderr + cluster.log()
    plan_payload = json.loads(planned.stdout.strip().splitlines()[-1])
    plan = ImprovementPlan.objects.get(pk=plan_payload["plan"])
    assert sorted(plan_payload["recommendations"]) == sorted(
        Recommendation.objects.filter(plan=plan).values_list("pk", flat=True)
    )
