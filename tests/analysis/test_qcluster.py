"""An analysis run finished by a real qcluster process sharing the test database."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from post_mortem.models import ChunkStatus, JobRun, Recommendation, RunStatus, TradeAnalysis
from tests.factories import TradeFactory
from tests.qcluster import running_qcluster

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
    with running_qcluster(tmp_path, "analysis_test", workers=2, unset=("ANTHROPIC_API_KEY",)) as cluster:
        done = cluster.manage(
            "analyze_trades", "--all", "--wait", "--json", "--chunk-size", "7", "--engine", "rules", "--timeout", "180"
        )
    assert done.returncode == 0, done.stderr + cluster.log()
    payload = json.loads(done.stdout.strip().splitlines()[-1])
    assert payload["analyzed"] == 30 and payload["failed"] == 0
    run = JobRun.objects.get(pk=payload["run"])
    assert run.status == RunStatus.SUCCEEDED and (run.done, run.total) == (30, 30)
    assert run.chunks.count() == 5 and set(run.chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}
    assert TradeAnalysis.objects.filter(run=run).count() == 30
    assert sum("stop_not_honoured" in a.primary_factors for a in TradeAnalysis.objects.filter(run=run)) == 8
    assert not Recommendation.objects.exists()  # analysis tracks nothing
