"""what_if --wait through a real qcluster subprocess (shared test DB): the run is worked, leased, finished."""

from __future__ import annotations

import json

import pytest

from post_mortem.models import JobRun, RunKind, RunStatus
from tests.mining.helpers import store_synthetic_trades
from tests.qcluster import running_qcluster

pytestmark = [pytest.mark.qcluster, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_what_if_wait_through_real_cluster(tmp_path):
    store_synthetic_trades(1500, seed=77, effects=(("after_loss", "true", -0.6),))
    with running_qcluster(tmp_path, "whatif_test") as cluster:
        done = cluster.manage(
            "what_if",
            "--rule",
            '{"type": "no_reentry_after_loss", "minutes": 30}',
            "--rule",
            '{"type": "max_trades_per_day", "n": 8}',
            "--wait",
            "--json",
            "--timeout",
            "180",
        )
    assert done.returncode == 0, done.stderr + cluster.log()
    body = json.loads(done.stdout.strip().splitlines()[-1])
    run = JobRun.objects.get(pk=body["run"])
    assert run.kind == RunKind.WHATIF and run.status == RunStatus.SUCCEEDED
    assert run.attempts == 1 and run.claimed_by and run.heartbeat_at is not None  # claimed once, under a lease
    assert body["difference"]["significant"] and body["what_if"]["trades"] < body["actual"]["trades"] == 1500
