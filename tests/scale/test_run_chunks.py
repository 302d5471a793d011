"""Multi-worker safety of the run/chunk service, on whichever database the suite runs on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from post_mortem.models import ChunkStatus, JobRun, RunChunk, RunKind, RunStatus
from post_mortem.services import runs
from post_mortem.services.runs import (
    MAX_CHUNK_ATTEMPTS,
    chunk_claim,
    chunk_complete,
    chunk_release,
    run_create,
    run_create_chunks,
    run_recover_stale_chunks,
)

from . import chunk_tasks

pytestmark = pytest.mark.django_db


def _run(units: int = 10, chunk_size: int = 4) -> tuple[JobRun, list[RunChunk]]:
    run = run_create(kind=RunKind.ANALYSIS)
    return run, run_create_chunks(run=run, units=list(range(1, units + 1)), chunk_size=chunk_size)


def _age_claim(chunk: RunChunk, by: timedelta = timedelta(hours=2)) -> None:
    """The chunk was handed out (or claimed) `by` ago and its holder has not renewed its lease since."""
    RunChunk.objects.filter(pk=chunk.pk).update(claimed_at=timezone.now() - by, heartbeat_at=timezone.now() - by)


@pytest.fixture
def chunk_task(monkeypatch):
    """Register the test chunk task for ANALYSIS runs (the registry is how the sweep finds it)."""
    monkeypatch.setitem(runs.CHUNK_TASKS, RunKind.ANALYSIS, "tests.scale.chunk_tasks.work_chunk")
    chunk_tasks.WORKED.clear()
    return chunk_tasks.WORKED


def test_a_chunk_is_claimed_once():
    _, chunks = _run()
    first = chunk_claim(chunk_id=chunks[0].pk)
    assert first is not None and first.attempts == 1 and first.status == ChunkStatus.RUNNING
    assert chunk_claim(chunk_id=chunks[0].pk) is None
    assert JobRun.objects.get(pk=first.run_id).status == RunStatus.RUNNING


def test_counts_are_added_once_even_when_a_lease_was_taken_over():
    run, chunks = _run(units=4, chunk_size=4)
    old = chunk_claim(chunk_id=chunks[0].pk)
    _age_claim(old)
    new = chunk_claim(chunk_id=chunks[0].pk)
    assert new is not None and new.attempts == 2
    # The old holder cannot put the chunk back while the new holder works on it.
    chunk_release(chunk=old, error="transient")
    assert RunChunk.objects.get(pk=new.pk).status == ChunkStatus.RUNNING
    chunk_complete(chunk=old, succeeded=4)
    chunk_complete(chunk=new, succeeded=4)
    run.refresh_from_db()
    assert (run.done, run.succeeded, run.failed, run.status) == (4, 4, 0, RunStatus.SUCCEEDED)


def test_release_by_the_holder_requeues():
    _, chunks = _run()
    held = chunk_claim(chunk_id=chunks[1].pk)
    chunk_release(chunk=held, error="429 from upstream")
    row = RunChunk.objects.get(pk=held.pk)
    assert row.status == ChunkStatus.QUEUED and row.error == "429 from upstream"
    assert chunk_claim(chunk_id=held.pk).attempts == 2


def test_chunks_of_a_cancelled_run_are_not_claimed():
    run, chunks = _run()
    JobRun.objects.filter(pk=run.pk).update(status=RunStatus.CANCELLED)
    assert chunk_claim(chunk_id=chunks[0].pk) is None


def test_recovery_requeues_and_reenqueues_a_dead_workers_chunk(chunk_task, django_capture_on_commit_callbacks):
    run, chunks = _run(units=10, chunk_size=4)
    for chunk in chunks[1:]:
        claimed = chunk_claim(chunk_id=chunk.pk)
        chunk_complete(chunk=claimed, succeeded=len(claimed.payload))
    dead = chunk_claim(chunk_id=chunks[0].pk)  # its worker dies here: never completes
    assert run_recover_stale_chunks(run_id=run.pk) == {"requeued": 0, "failed": 0, "reenqueued": 0}
    _age_claim(dead)
    with django_capture_on_commit_callbacks(execute=True):
        counts = run_recover_stale_chunks(run_id=run.pk)
    assert counts["requeued"] == 1
    assert chunk_task == [1, 2, 3, 4]  # the re-enqueued task (sync mode) worked the chunk
    run.refresh_from_db()
    assert (run.done, run.succeeded, run.status) == (10, 10, RunStatus.SUCCEEDED)
    assert RunChunk.objects.get(pk=dead.pk).attempts == 2


def test_recovery_fails_a_chunk_that_killed_its_worker_too_often(chunk_task):
    run, chunks = _run(units=6, chunk_size=3)
    ok = chunk_claim(chunk_id=chunks[1].pk)
    chunk_complete(chunk=ok, succeeded=3)
    RunChunk.objects.filter(pk=chunks[0].pk).update(
        status=ChunkStatus.RUNNING, attempts=MAX_CHUNK_ATTEMPTS, claimed_at=timezone.now() - timedelta(hours=1)
    )
    counts = run_recover_stale_chunks()
    assert counts["failed"] == 1 and chunk_task == []
    run.refresh_from_db()
    assert (run.done, run.succeeded, run.failed, run.status) == (6, 3, 3, RunStatus.PARTIAL)
    assert {f["ref"] for f in run.failures} == {1, 2, 3}
    assert "abandoned" in run.failures[0]["reason"]


def test_recovery_reenqueues_queued_chunks_whose_tasks_were_lost_once_per_lease(
    chunk_task, django_capture_on_commit_callbacks
):
    run, _ = _run(units=8, chunk_size=4)
    long_ago = timezone.now() - timedelta(hours=1)
    JobRun.objects.filter(pk=run.pk).update(created_at=long_ago)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = run_recover_stale_chunks(run_id=run.pk)
        second = run_recover_stale_chunks(run_id=run.pk)
    assert first["reenqueued"] == 2 and second["reenqueued"] == 0
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    run.refresh_from_db()
    assert sorted(chunk_task) == list(range(1, 9))
    assert (run.done, run.status) == (8, RunStatus.SUCCEEDED)


def test_a_queue_that_is_moving_is_left_alone(chunk_task):
    run, chunks = _run(units=8, chunk_size=4)
    JobRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=1))
    chunk_claim(chunk_id=chunks[0].pk)  # a worker just claimed: the run's queue is alive
    assert run_recover_stale_chunks(run_id=run.pk)["reenqueued"] == 0


def test_a_released_chunk_is_retried_after_a_pause(chunk_task, django_capture_on_commit_callbacks):
    run, chunks = _run(units=4, chunk_size=4)
    held = chunk_claim(chunk_id=chunks[0].pk)
    chunk_release(chunk=held, error="429 rate limited")
    assert run_recover_stale_chunks(run_id=run.pk)["reenqueued"] == 0  # not at once: let the limit pass
    _age_claim(held, by=runs.RELEASED_RETRY_AFTER + timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_recover_stale_chunks(run_id=run.pk)["reenqueued"] == 1
    run.refresh_from_db()
    assert chunk_task == [1, 2, 3, 4] and run.status == RunStatus.SUCCEEDED


def test_a_submitted_message_batch_chunk_is_never_taken_for_dead():
    run = run_create(kind=RunKind.ANALYSIS, params={"engine": "claude", "use_batches": True})
    submitted, unsent = run_create_chunks(run=run, units=[1, 2, 3, 4], chunk_size=2)
    for chunk in (submitted, unsent):
        chunk_claim(chunk_id=chunk.pk)
        _age_claim(chunk)
    JobRun.objects.filter(pk=run.pk).update(result={"batches": {str(submitted.pk): "msgbatch_1"}})
    assert run_recover_stale_chunks(run_id=run.pk)["requeued"] == 1
    assert RunChunk.objects.get(pk=submitted.pk).status == ChunkStatus.RUNNING  # waits for the poller
    assert RunChunk.objects.get(pk=unsent.pk).status == ChunkStatus.QUEUED  # its submitter died
