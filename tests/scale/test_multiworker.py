"""Several real qcluster processes on PostgreSQL (+ Redis when REDIS_URL is set) work one run.

Nothing here is simulated: the clusters are `manage.py qcluster` subprocesses sharing the test
database, one of them is killed with SIGKILL (its whole process group) while it holds a chunk, and
the survivors, the recovery sweep and the scheduled recovery task must finish the run with every
unit done exactly once and nothing of the killed attempt left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django_q.models import Schedule

from post_mortem.models import ChunkStatus, RunChunk, RunKind, RunStatus, TradeAnalysis
from post_mortem.services.runs import enqueue_after_commit, run_create, run_create_chunks
from tests.conftest import qcluster_env
from tests.factories import TradeFactory

ROOT = Path(__file__).resolve().parents[2]
IS_POSTGRES = "postgres" in os.environ.get("DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.qcluster,
    pytest.mark.slow,
    pytest.mark.skipif(not IS_POSTGRES, reason="needs DATABASE_URL pointing at PostgreSQL"),
]

LEASE_SECONDS = 4


def _start_clusters(count: int, log_dir: Path) -> list[subprocess.Popen]:
    env = qcluster_env(
        Q_WORKERS="1",
        Q_QUEUE_LIMIT="1",  # prefetch little, so the work spreads over the clusters
        RUN_CHUNK_LEASE_SECONDS=str(LEASE_SECONDS),
        LOG_LEVEL="WARNING",
    )
    procs = []
    for i in range(count):
        log = (log_dir / f"qcluster{i}.log").open("w")
        procs.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killing it kills its workers too
            )
        )
    return procs


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _running_chunk_held_by(procs: list[subprocess.Popen]):
    """A RUNNING chunk whose holder is a worker of one of our clusters, and that cluster."""
    groups = {proc.pid: proc for proc in procs if proc.poll() is None}
    for chunk in RunChunk.objects.filter(status=ChunkStatus.RUNNING).exclude(claimed_by=""):
        pid = int(chunk.claimed_by.rsplit(":", 1)[1])
        try:
            group = os.getpgid(pid)
        except ProcessLookupError:
            continue
        if group in groups and TradeAnalysis.objects.filter(trade_id__in=chunk.payload).count() == 0:
            return chunk, groups[group]
    return None


@pytest.mark.django_db(transaction=True)
def test_three_clusters_one_killed_mid_chunk_every_unit_once(tmp_path):
    assert connection.vendor == "postgresql"
    trades = TradeFactory.create_batch(90)
    ids = sorted(t.pk for t in trades)
    from django.db import transaction

    with transaction.atomic():
        run = run_create(
            kind=RunKind.ANALYSIS,
            params={"chunk_task": "tests.scale.chunk_tasks.slow_mark_chunk", "unit_delay": 0.08},
        )
        chunks = run_create_chunks(run=run, units=ids, chunk_size=6)
        for chunk in chunks:
            enqueue_after_commit("tests.scale.chunk_tasks.slow_mark_chunk", chunk.pk, q_options={"sync": False})
    # The recovery schedule comes from a data migration; transactional tests flush it, so restore it.
    Schedule.objects.update_or_create(
        name="Recover stale run chunks",
        defaults={"func": "post_mortem.tasks.runs.recover_stale_chunks", "schedule_type": "I", "minutes": 1},
    )
    procs = _start_clusters(3, tmp_path)
    try:
        # Kill a cluster while its worker is inside a chunk's transaction (no analysis committed yet).
        chunk, victim = _wait(lambda: _running_chunk_held_by(procs), 90, "a chunk in progress")
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        killed_chunk = chunk.pk

        def finished():
            run.refresh_from_db()
            return run.is_finished

        _wait(finished, 180, "the run to finish after the kill")
    finally:
        _stop(procs)
        logs = "\n".join(p.read_text()[-2000:] for p in tmp_path.glob("qcluster*.log"))

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, (run.status, run.failures, logs)
    assert (run.total, run.done, run.succeeded, run.failed) == (90, 90, 90, 0)
    chunk_rows = list(RunChunk.objects.filter(run=run))
    assert all(c.status == ChunkStatus.DONE for c in chunk_rows)
    # Every trade analysed, exactly one analysis each, by this run.
    per_trade = Counter(TradeAnalysis.objects.filter(run=run).values_list("trade_id", flat=True))
    assert sorted(per_trade) == ids and set(per_trade.values()) == {1}
    # The killed chunk was redone by another worker; its analyses come from the attempt that
    # completed, none from the killed one (that transaction died with the worker).
    redone = RunChunk.objects.get(pk=killed_chunk)
    assert redone.attempts >= 2
    facts = list(TradeAnalysis.objects.filter(trade_id__in=redone.payload).values_list("facts", flat=True))
    assert {f["attempt"] for f in facts} == {redone.attempts}
    assert all(f["worker"] != chunk.claimed_by for f in facts)
    # Work really was spread over more than one process.
    workers = {f["worker"] for f in TradeAnalysis.objects.values_list("facts", flat=True)}
    assert len(workers) >= 2, workers


@pytest.mark.django_db(transaction=True)
def test_analysis_run_on_three_clusters_with_one_killed(tmp_path, monkeypatch):
    """The real analysis run (rules engine) through analysis_run_start, worked by three clusters."""
    from django_q.conf import Conf

    from post_mortem.models import Recommendation
    from post_mortem.services.analyses import analysis_run_start

    # The test settings run tasks inline; this test needs them on the broker for the clusters.
    monkeypatch.setattr(Conf, "SYNC", False)
    trades = [
        TradeFactory(account=f"ACC-{i % 4}", exit_price=[95, 99, 101, 104][i % 4], quantity=100 + 50 * (i % 5))
        for i in range(240)
    ]
    ids = sorted(t.pk for t in trades)
    Schedule.objects.update_or_create(
        name="Recover stale run chunks",
        defaults={"func": "post_mortem.tasks.runs.recover_stale_chunks", "schedule_type": "I", "minutes": 1},
    )
    run = analysis_run_start(trade_ids=ids, engine="rules", chunk_size=8)
    procs = _start_clusters(3, tmp_path)
    killed = None
    try:

        def victim():
            held = _running_chunk_held_by(procs)
            run.refresh_from_db()
            return held or (run.is_finished and ("finished", None))

        # A rules chunk takes milliseconds, so the holder may commit it between our look and the
        # kill. After the kill the holder is dead: a chunk still RUNNING was interrupted mid-chunk.
        # If it had already finished, try once more on another cluster (one is always left).
        for _ in range(2):
            found, victim_proc = _wait(victim, 120, "a chunk in progress")
            if victim_proc is None:
                break
            os.killpg(victim_proc.pid, signal.SIGKILL)
            victim_proc.wait(timeout=10)
            found.refresh_from_db()
            if found.status == ChunkStatus.RUNNING:
                killed = found.pk
                break

        def finished():
            run.refresh_from_db()
            return run.is_finished

        _wait(finished, 240, "the analysis run to finish")
    finally:
        _stop(procs)
        logs = "\n".join(p.read_text()[-3000:] for p in tmp_path.glob("qcluster*.log"))

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, (run.status, run.failures, logs)
    assert (run.total, run.done, run.succeeded, run.failed) == (240, 240, 240, 0)
    assert set(RunChunk.objects.filter(run=run).values_list("status", flat=True)) == {ChunkStatus.DONE}
    per_trade = Counter(TradeAnalysis.objects.values_list("trade_id", flat=True))
    assert sorted(per_trade) == ids and set(per_trade.values()) == {1}
    assert TradeAnalysis.objects.filter(run=run).count() == 240
    # No half-written analysis: each has its sections; analysis tracks no recommendation.
    for analysis in TradeAnalysis.objects.all():
        assert "performance_analysis" in analysis.analysis_data
        assert "improvement_opportunities" in analysis.analysis_data
    assert not Recommendation.objects.exists()
    assert killed is not None, "the run finished before a cluster could be killed mid-chunk"
    assert RunChunk.objects.get(pk=killed).attempts >= 2
