"""A large import end to end on a real django-q2 cluster (a `manage.py qcluster` subprocess)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.test import override_settings
from django_q.tasks import async_task

from post_mortem.models import BatchStatus, ImportBatch, JobRun, RunStatus, Trade
from post_mortem.services.imports import trades_import_enqueue
from tests.qcluster import running_qcluster

pytestmark = [pytest.mark.qcluster, pytest.mark.slow]


def _file(rows: int) -> bytes:
    lines = ["external_id,account,symbol,side,quantity,entry_time,exit_time,entry_price,exit_price,fees,stop_price"]
    for i in range(rows):
        minute = i % 50
        lines.append(
            f"Q-{i},ACC-{i % 3},SPY,LONG,10,2026-01-05T14:{minute:02d}:00Z,2026-01-05T15:{minute:02d}:00Z,"
            f"480.{i % 100:02d},481,0.5,479"
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.django_db(transaction=True)
def test_large_import_runs_on_a_real_qcluster(tmp_path, superuser):
    rows = 6000  # above the progress slice size, so the sliced validation path runs
    with override_settings(IMPORT_UPLOAD_DIR=tmp_path):
        batch = trades_import_enqueue(
            data=_file(rows), file_name="big.csv", created_by=superuser, rows_estimate=rows, enqueue=False
        )
    assert batch.status == BatchStatus.PENDING and Path(batch.options["upload_path"]).is_file()
    with running_qcluster(tmp_path, None) as cluster:  # the queue this process enqueues to
        # sync=False: the test settings run tasks inline; this one must go to the cluster.
        async_task("post_mortem.tasks.imports.trades_import_task", batch.pk, sync=False)
        # The batch commits with its trades; the run is finished right after: wait for both.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            run = JobRun.objects.filter(pk=batch.run_id).first()
            if batch.status in {BatchStatus.COMPLETED, BatchStatus.FAILED} and run and run.finished_at:
                break
            time.sleep(0.5)
    assert batch.status == BatchStatus.COMPLETED, cluster.log()[-3000:]
    assert (batch.rows, batch.created, batch.error_count) == (rows, rows, 0)
    assert batch.created_by == superuser
    assert Trade.objects.filter(import_batch=batch).count() == rows
    run = JobRun.objects.get(pk=batch.run_id)
    assert run.status == RunStatus.SUCCEEDED and run.done == run.total == rows * 2
    assert run.result["created"] == rows
    assert not Path(batch.options["upload_path"]).exists()
    # a retry of the same task (e.g. after a timeout) is a no-op
    from post_mortem.tasks.imports import trades_import_task

    assert trades_import_task(batch.pk) is None
    assert Trade.objects.count() == rows and ImportBatch.objects.count() == 1
