"""measure_impact --wait against a real qcluster subprocess sharing the test database."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from post_mortem.models import ImpactAssessment, ImplementationStatus, JobRun, RunStatus
from tests.factories import RecommendationFactory
from tests.feedback.helpers import plant_trades
from tests.qcluster import running_qcluster

pytestmark = [pytest.mark.qcluster, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_measure_impact_wait_through_real_cluster(tmp_path):
    UTC = dt.UTC
    plant_trades(account="A", start=dt.datetime(2026, 7, 2, tzinfo=UTC), days=30, per_day=4, mean_r=0.0, seed=1)
    plant_trades(account="A", start=dt.datetime(2026, 8, 1, 4, tzinfo=UTC), days=30, per_day=4, mean_r=0.6, seed=2)
    rec = RecommendationFactory(
        implementation_status=ImplementationStatus.IMPLEMENTED, implementation_date=dt.date(2026, 8, 1)
    )
    with running_qcluster(tmp_path, "impact_test") as cluster:
        out = cluster.manage("measure_impact", "--wait", "--json", "--timeout", "120", timeout=180)
    assert out.returncode == 0, out.stderr + cluster.log()
    payload = json.loads(out.stdout.strip().splitlines()[-1])
    [a] = payload["assessments"]
    assert a["recommendation"] == rec.pk and a["significant"] is True and a["ci_low"] > 0
    run = JobRun.objects.get(pk=payload["run"])
    assert run.status == RunStatus.SUCCEEDED and run.finished_at is not None
    assert ImpactAssessment.objects.filter(run=run).count() == 1
