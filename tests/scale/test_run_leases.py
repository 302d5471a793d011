"""Heartbeat leases: a slow but alive worker keeps its work; a silent one loses it within a lease."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from post_mortem.models import ChunkStatus, JobRun, RunChunk, RunKind, RunStatus
from post_mortem.services import runs
from post_mortem.services.runs import (
    MAX_CHUNK_ATTEMPTS,
    RunOutcome,
    chunk_claim,
    chunk_complete,
    chunk_execute,
    run_claim,
    run_create,
    run_create_chunks,
    run_execute,
    run_recover_stale_chunks,
)

LEASE = timedelta(seconds=1.2)


@pytest.fixture
def short_lease(monkeypatch):
    monkeypatch.setattr(runs, "CHUNK_LEASE", LEASE)
    monkeypatch.setattr(runs, "HEARTBEAT_EVERY", LEASE / 4)


def _one_chunk() -> RunChunk:
    run = run_create(kind=RunKind.ANALYSIS)
    return run_create_chunks(run=run, units=[1, 2, 3], chunk_size=3)[0]


@pytest.mark.django_db(transaction=True)  # the heartbeat thread has its own connection
def test_a_slow_live_chunk_is_never_taken_twice(short_lease):
    chunk = _one_chunk()
    seen: dict[str, object] = {}

    def slow_work(held: RunChunk) -> None:
        time.sleep(3 * LEASE.total_seconds())  # three leases long, far past any expiry
        seen["second_claim"] = chunk_claim(chunk_id=held.pk)
        seen["sweep"] = run_recover_stale_chunks(run_id=held.run_id)
        chunk_complete(chunk=held, succeeded=len(held.payload))

    done = chunk_execute(chunk_id=chunk.pk, work=slow_work)
    assert done is not None and done.attempts == 1
    assert seen["second_claim"] is None
    assert seen["sweep"]["requeued"] == 0
    row = RunChunk.objects.get(pk=chunk.pk)
    assert row.status == ChunkStatus.DONE and row.attempts == 1 and row.heartbeat_at > row.claimed_at
    assert JobRun.objects.get(pk=chunk.run_id).status == RunStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_silent_holder_loses_its_chunk_after_one_lease(short_lease, monkeypatch):
    monkeypatch.setitem(runs.CHUNK_TASKS, RunKind.ANALYSIS, "tests.scale.chunk_tasks.work_chunk")
    chunk = _one_chunk()
    dead = chunk_claim(chunk_id=chunk.pk)  # claimed without a heartbeat: its worker died at once
    assert dead is not None
    assert run_recover_stale_chunks(run_id=chunk.run_id)["requeued"] == 0  # still inside its lease
    time.sleep(LEASE.total_seconds() + 0.3)
    # The sweep re-queues it and (tests run tasks inline) the re-sent task completes it.
    assert run_recover_stale_chunks(run_id=chunk.run_id)["requeued"] == 1
    row = RunChunk.objects.get(pk=chunk.pk)
    assert row.status == ChunkStatus.DONE and row.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_slow_live_single_task_run_is_not_claimed_twice(short_lease):
    run = run_create(kind=RunKind.MINING)
    seen: dict[str, object] = {}

    def slow_work(claimed: JobRun) -> RunOutcome:
        time.sleep(3 * LEASE.total_seconds())
        seen["second_claim"] = run_claim(run_id=claimed.pk)
        seen["sweep"] = run_recover_stale_chunks()
        return RunOutcome(result={"ok": True}, units=1)

    finished = run_execute(run_id=run.pk, work=slow_work)
    assert seen["second_claim"] is None and seen["sweep"]["requeued"] == 0
    assert finished.status == RunStatus.SUCCEEDED and finished.result == {"ok": True}
    assert finished.attempts == 1


@pytest.mark.django_db
def test_a_dead_single_task_run_is_requeued_then_failed_after_max_attempts(django_capture_on_commit_callbacks):
    stale = timezone.now() - runs.CHUNK_LEASE - timedelta(seconds=5)
    run = run_create(kind=RunKind.MINING, params={"since": None, "until": None, "min_trades": 30})
    JobRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, claimed_by="dead:1", heartbeat_at=stale, attempts=1, started_at=stale
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = run_recover_stale_chunks()
    assert counts["requeued"] == 1
    run.refresh_from_db()
    # Tests run tasks inline: the re-sent mining task claimed it (attempt 2) and finished it.
    assert run.attempts == 2 and run.is_finished

    again = run_create(kind=RunKind.MINING)
    JobRun.objects.filter(pk=again.pk).update(
        status=RunStatus.RUNNING, heartbeat_at=stale, attempts=MAX_CHUNK_ATTEMPTS, started_at=stale
    )
    assert run_recover_stale_chunks()["failed"] == 1
    again.refresh_from_db()
    assert again.status == RunStatus.FAILED and "abandoned" in again.error


@pytest.mark.django_db
def test_a_redelivered_task_of_a_live_run_does_nothing():
    run = run_create(kind=RunKind.MINING)
    JobRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, claimed_by="alive:1", heartbeat_at=timezone.now(), attempts=1
    )
    calls: list[int] = []
    result = run_execute(run_id=run.pk, work=lambda r: calls.append(r.pk) or RunOutcome(result={}))
    assert calls == [] and result.status == RunStatus.RUNNING and result.attempts == 1
