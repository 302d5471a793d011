"""Run rows for background jobs: create, claim work, count progress, finish.

Every long step (import, analysis, mining, plan, impact) is a JobRun that the admin and the API
show. Work is split into RunChunk rows that a worker claims atomically, so two qclusters never do
the same unit twice and a chunk whose worker died is claimed again after its lease expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import ChunkStatus, JobRun, RunChunk, RunKind, RunStatus

logger = logging.getLogger(__name__)

MAX_STORED_FAILURES = 200
# A worker holds a lease on its chunk (or single-task run) and renews it every HEARTBEAT_EVERY
# from a background thread while the work runs. A lease not renewed for CHUNK_LEASE means the
# worker is dead (kill -9, OOM, a lost machine): the recovery sweep, every minute, re-queues the
# work, so it restarts within about two minutes. A slow but alive worker keeps renewing, so its
# work is never taken twice, however long it takes. RUN_CHUNK_LEASE_SECONDS shortens it in tests.
CHUNK_LEASE = timedelta(seconds=float(os.environ.get("RUN_CHUNK_LEASE_SECONDS") or 60))
HEARTBEAT_EVERY = CHUNK_LEASE / 4
MAX_CHUNK_ATTEMPTS = 3
OPEN_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)

# The django-q2 task that works one chunk of a run, by run kind. The recovery sweep re-enqueues
# it for chunks whose task was lost (a killed worker, a Redis broker that does not redeliver).
# Each task is called with the chunk id as its only positional argument. A run can name its own
# task in params["chunk_task"] (dotted path), which wins over this table.
CHUNK_TASKS: dict[str, str] = {
    RunKind.ANALYSIS: "post_mortem.tasks.analysis.analyze_chunk",
}
# The django-q2 task of each single-task run kind (called with the run id), for the same sweep.
RUN_TASKS: dict[str, str] = {
    RunKind.MINING: "post_mortem.tasks.mining.mining_run_task",
    RunKind.PLAN: "post_mortem.tasks.mining.plan_run_task",
    RunKind.IMPACT: "post_mortem.tasks.impact.impact_run_task",
    RunKind.WHATIF: "post_mortem.tasks.whatif.what_if_run_task",
}
# Analysis runs in Message Batches mode: a chunk is submitted by this task, then stays RUNNING
# (its batch id in run.result["batches"]) until the batch poller collects it, hours later maybe.
BATCH_SUBMIT_TASK = "post_mortem.tasks.analysis.submit_batch_chunk"
# A chunk given back after a transient error (429, 5xx) is retried this long after its claim.
RELEASED_RETRY_AFTER = min(CHUNK_LEASE, timedelta(minutes=1))


@dataclass(frozen=True)
class RunOutcome:
    """What a single-task run's work hands back to `run_execute`.

    `result` is stored on the run; `units`, when given, becomes total, done and succeeded (a
    mining run's pattern count, an impact run's assessments).
    """

    result: dict[str, Any]
    units: int | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_create(
    *,
    kind: RunKind | str,
    params: dict[str, Any] | None = None,
    total: int = 0,
    created_by: AbstractBaseUser | None = None,
) -> JobRun:
    """Create the row first, so the caller can show it before a worker picks the job up."""
    user = created_by if created_by is not None and created_by.is_authenticated else None
    return JobRun.objects.create(kind=kind, params=params or {}, total=total, created_by=user)


def run_create_chunks(*, run: JobRun, units: Sequence[Any], chunk_size: int) -> list[RunChunk]:
    """Split the run's units (usually ids) into chunk rows; the run's total becomes len(units)."""
    chunks = [
        RunChunk(run=run, seq=seq, payload=list(units[start : start + chunk_size]))
        for seq, start in enumerate(range(0, len(units), chunk_size))
    ]
    with transaction.atomic():
        RunChunk.objects.bulk_create(chunks, batch_size=500)
        JobRun.objects.filter(pk=run.pk).update(total=len(units))
    run.total = len(units)
    return list(run.chunks.order_by("seq"))


def _lease_expired(now: Any) -> Q:
    """Held work whose holder stopped renewing its lease (rows from before heartbeats: by claim time)."""
    stale_before = now - CHUNK_LEASE
    return Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, claimed_at__lt=stale_before)


@contextmanager
def lease_heartbeat(held: QuerySet, every: timedelta | None = None) -> Iterator[None]:
    """Renew a lease (heartbeat_at of the rows in `held`) from a thread while the body runs.

    `held` must match only while this worker still holds the lease (its claimed_by and attempt),
    so a worker whose lease was taken over cannot renew the new holder's. The thread has its own
    database connection and closes it; a failed renewal (a busy SQLite, a network blip) is logged
    and retried at the next beat: the lease is several beats long. Work shorter than one beat
    never touches the database from the thread.
    """
    interval = (every or HEARTBEAT_EVERY).total_seconds()
    stop = threading.Event()
    in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    held.update(heartbeat_at=timezone.now())
                except Exception:
                    logger.warning("lease heartbeat failed; retrying at the next beat", exc_info=True)
        finally:
            connection.close()

    thread = None if in_memory else threading.Thread(target=beat, name="lease-heartbeat", daemon=True)
    if thread is not None:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=interval + 30)


def run_mark_started(*, run_id: int) -> None:
    JobRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )


def chunk_claim(*, chunk_id: int) -> RunChunk | None:
    """Claim a chunk for this worker, or None when another worker holds it or it is done.

    The claim is one conditional UPDATE, which is atomic on SQLite and PostgreSQL alike: on
    PostgreSQL the second of two concurrent UPDATEs waits for the row lock, re-checks the WHERE
    clause against the committed row, and updates nothing. Chunks of a finished or cancelled run
    are not claimed. The returned chunk carries this claim's holder and attempt number, which
    `chunk_release` uses so a worker whose lease was taken over cannot give back someone else's claim.
    """
    now = timezone.now()
    claimable = Q(status=ChunkStatus.QUEUED) | (Q(status=ChunkStatus.RUNNING) & _lease_expired(now))
    claimed = RunChunk.objects.filter(
        claimable, pk=chunk_id, attempts__lt=MAX_CHUNK_ATTEMPTS, run__status__in=OPEN_RUN_STATUSES
    ).update(
        status=ChunkStatus.RUNNING,
        claimed_by=worker_name(),
        claimed_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    run_id = RunChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).get()
    run_mark_started(run_id=run_id)
    return RunChunk.objects.select_related("run").get(pk=chunk_id)


def chunk_release(*, chunk: RunChunk, error: str) -> None:
    """Give a chunk back after a transient error so a retry can claim it at once.

    Only the current holder can release: a worker whose lease expired and was taken over by
    another must not put the chunk back in the queue while the new holder works on it.
    """
    RunChunk.objects.filter(
        pk=chunk.pk, status=ChunkStatus.RUNNING, claimed_by=chunk.claimed_by, attempts=chunk.attempts
    ).update(status=ChunkStatus.QUEUED, error=error[:2000], claimed_by="")


def chunk_complete(
    *,
    chunk: RunChunk,
    succeeded: int,
    failures: Sequence[dict[str, Any]] = (),
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: Decimal | float = 0,
) -> JobRun:
    """Mark a chunk done and add its counts to the run in the same transaction (never twice).

    The first completion wins: when a lease was taken over and both the old and the new holder
    finish, the second finds the chunk no longer RUNNING and adds nothing. Call it inside the
    transaction that saves the chunk's results, so a worker killed before the commit leaves
    neither results nor counts, and the chunk is redone from scratch.
    """
    with transaction.atomic():
        marked = RunChunk.objects.filter(pk=chunk.pk, status=ChunkStatus.RUNNING).update(
            status=ChunkStatus.DONE if not failures or succeeded else ChunkStatus.FAILED,
            finished_at=timezone.now(),
        )
        if marked:
            run_add_progress(
                run_id=chunk.run_id,
                done=succeeded + len(failures),
                succeeded=succeeded,
                failures=failures,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cost_usd=cost_usd,
            )
        run = run_finish_if_complete(run_id=chunk.run_id)
    if not run.is_finished:
        # After the caller's commit, outside its locks: pick up chunks a dead worker left behind.
        run_id = chunk.run_id
        transaction.on_commit(lambda: run_recover_stale_chunks(run_id=run_id))
    return run


def run_add_progress(
    *,
    run_id: int,
    done: int = 0,
    succeeded: int = 0,
    failures: Sequence[dict[str, Any]] = (),
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: Decimal | float = 0,
) -> None:
    """Add counts with F() expressions so concurrent workers never overwrite each other."""
    with transaction.atomic():
        JobRun.objects.filter(pk=run_id).update(
            done=F("done") + done,
            succeeded=F("succeeded") + succeeded,
            failed=F("failed") + len(failures),
            input_tokens=F("input_tokens") + input_tokens,
            output_tokens=F("output_tokens") + output_tokens,
            cost_usd=F("cost_usd") + Decimal(str(cost_usd)),
        )
        if failures:
            run = JobRun.objects.select_for_update().get(pk=run_id)
            room = MAX_STORED_FAILURES - len(run.failures)
            if room > 0:
                run.failures = [*run.failures, *list(failures)[:room]]
                run.save(update_fields=["failures"])


def run_finish_if_complete(*, run_id: int) -> JobRun:
    """Close the run once no chunk is left queued or running."""
    with transaction.atomic():
        run = JobRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished:
            return run
        open_chunks = run.chunks.filter(status__in=[ChunkStatus.QUEUED, ChunkStatus.RUNNING]).exists()
        if open_chunks:
            return run
        if run.failed and not run.succeeded:
            run.status = RunStatus.FAILED
        elif run.failed:
            run.status = RunStatus.PARTIAL
        else:
            run.status = RunStatus.SUCCEEDED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        return run


def run_finish(*, run_id: int, result: dict[str, Any] | None = None, status: RunStatus | None = None) -> JobRun:
    """Finish a run that is not chunked (mining, plan, import)."""
    with transaction.atomic():
        run = JobRun.objects.select_for_update().get(pk=run_id)
        if result is not None:
            run.result = result
        if status is None:
            status = RunStatus.PARTIAL if run.failed and run.succeeded else RunStatus.SUCCEEDED
            if run.failed and not run.succeeded:
                status = RunStatus.FAILED
        run.status = status
        run.finished_at = timezone.now()
        if run.total and run.done < run.total and status == RunStatus.SUCCEEDED:
            run.done = run.total
        run.save(update_fields=["result", "status", "finished_at", "done"])
        return run


def run_fail(*, run_id: int, error: str) -> JobRun:
    """Record why a whole run failed; the reason is what the operator reads on the run page."""
    with transaction.atomic():
        run = JobRun.objects.select_for_update().get(pk=run_id)
        run.status = RunStatus.FAILED
        run.error = error[:10000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        return run


def run_execute(*, run_id: int, work: Callable[[JobRun], RunOutcome]) -> JobRun:
    """The one runner of single-task runs (mining, plan, impact, what-if): start, work, finish or fail.

    Why one runner: every kind must behave the same way when a task is delivered twice (a finished
    run is left alone), when its input is refused (a ValidationError's messages become the run's
    error, readable on the run page) and when it crashes (logged with the traceback, the run failed
    with the exception's type and text). `work` must be idempotent: a worker that dies after
    `work` committed and before the run finished is retried.
    """
    run = JobRun.objects.get(pk=run_id)
    if run.is_finished:
        return run
    run = run_claim(run_id=run_id)
    if run is None:  # a live worker holds it (a redelivered task), or it just finished
        return JobRun.objects.get(pk=run_id)
    held = JobRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, claimed_by=run.claimed_by, attempts=run.attempts)
    try:
        with lease_heartbeat(held):
            outcome = work(run)
    except ValidationError as exc:
        return run_fail(run_id=run_id, error="; ".join(exc.messages))
    except Exception as exc:  # the operator reads the reason on the run page
        logger.exception("%s run %s failed", run.kind, run_id)
        return run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
    if outcome.units is not None:
        JobRun.objects.filter(pk=run_id).update(done=outcome.units, succeeded=outcome.units, total=outcome.units)
    return run_finish(run_id=run_id, result=outcome.result)


def run_claim(*, run_id: int) -> JobRun | None:
    """Claim a single-task run for this worker (one conditional UPDATE, like `chunk_claim`).

    Claimable: queued, or running under a lease its holder stopped renewing. None when a live
    worker holds it, it is finished, or it used up its attempts (the sweep fails it).
    """
    now = timezone.now()
    expired = Q(heartbeat_at__lt=now - CHUNK_LEASE) | Q(heartbeat_at__isnull=True)  # null: started before leases
    claimable = Q(status=RunStatus.QUEUED) | (Q(status=RunStatus.RUNNING) & expired)
    claimed = JobRun.objects.filter(claimable, pk=run_id, attempts__lt=MAX_CHUNK_ATTEMPTS).update(
        status=RunStatus.RUNNING,
        claimed_by=worker_name(),
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        started_at=Coalesce("started_at", now),
    )
    return JobRun.objects.get(pk=run_id) if claimed else None


def chunk_execute(
    *,
    chunk_id: int,
    work: Callable[[RunChunk], None],
    exhausted: Callable[[RunChunk, Exception], None] | None = None,
) -> RunChunk | None:
    """The one runner of a chunk: claim, work, and on error give it back or, at the last try, fail it.

    Returns None when the chunk is done or held by another worker (a redelivered task is a no-op).
    `work` saves its results and calls `chunk_complete` in one transaction. A transient error
    gives the chunk back and re-raises (the task retries); after MAX_CHUNK_ATTEMPTS `exhausted`
    (by default: every unit recorded as failed) closes the chunk so the run still finishes.
    """
    chunk = chunk_claim(chunk_id=chunk_id)
    if chunk is None:
        return None
    held = RunChunk.objects.filter(
        pk=chunk.pk, status=ChunkStatus.RUNNING, claimed_by=chunk.claimed_by, attempts=chunk.attempts
    )
    try:
        with lease_heartbeat(held):
            work(chunk)
    except Exception as exc:
        if chunk.attempts >= MAX_CHUNK_ATTEMPTS:
            (exhausted or chunk_fail_units)(chunk, exc)
            return chunk
        chunk_release(chunk=chunk, error=str(exc))
        raise
    return chunk


def chunk_fail_units(chunk: RunChunk, exc: Exception) -> None:
    """Close a chunk that failed its last attempt: each of its units counts as a failure."""
    reason = f"Chunk failed {chunk.attempts} times: {exc}"[:500]
    chunk_complete(chunk=chunk, succeeded=0, failures=_unit_failures(chunk.payload, reason))


def run_set_progress(*, run_id: int, done: int, total: int | None = None) -> None:
    """Set absolute progress for single-task runs (an import reporting rows read)."""
    values: dict[str, Any] = {"done": done}
    if total is not None:
        values["total"] = total
    JobRun.objects.filter(pk=run_id).update(**values)


def enqueue_after_commit(func: str, *args: Any, task_name: str | None = None, **kwargs: Any) -> None:
    """Enqueue a django-q2 task once the current transaction commits.

    A worker must never look for a row that is not committed yet. Tasks take ids and re-fetch.
    """
    from django_q.tasks import async_task

    options: dict[str, Any] = {}
    if task_name:
        options["task_name"] = task_name[:100]

    transaction.on_commit(lambda: async_task(func, *args, **kwargs, **({"q_options": options} if options else {})))


def _chunk_task_enqueue(*, kind: str, params: dict[str, Any] | None, chunk_id: int) -> bool:
    """Enqueue the chunk task of a run after commit; False when no task is known for it."""
    params = params or {}
    func = params.get("chunk_task") or (
        BATCH_SUBMIT_TASK if kind == RunKind.ANALYSIS and params.get("use_batches") else CHUNK_TASKS.get(kind)
    )
    if not func:
        logger.warning("no chunk task registered for run kind %s; chunk %s waits for a manual retry", kind, chunk_id)
        return False
    enqueue_after_commit(func, chunk_id, task_name=f"{kind.lower()} chunk {chunk_id} (recovered)")
    return True


def run_recover_stale_chunks(*, run_id: int | None = None) -> dict[str, int]:
    """Put work that a dead worker abandoned back in the queue; fail it after MAX_CHUNK_ATTEMPTS.

    Why: a qcluster killed mid-task (kill -9, OOM, a lost machine) leaves its chunk RUNNING, and
    django-q2's Redis broker does not redeliver the task it had popped, nor the tasks the dead
    cluster had prefetched. Without this sweep such a run never finishes. It runs from a
    django-q2 schedule every minute and after every completed chunk.

    - RUNNING chunks whose lease expired: back to QUEUED and their task enqueued again; when
      they already had MAX_CHUNK_ATTEMPTS tries, FAILED, each unit counted as a failure.
    - QUEUED chunks that were claimed before and given back (`chunk_release` after a transient
      error; django-q2's Redis broker does not retry the failed task): enqueued again
      RELEASED_RETRY_AFTER after their last hand-out.
    - QUEUED chunks never claimed, of a run where nothing was claimed for a whole lease (their
      tasks are lost): enqueued again, at most once per lease (claimed_at records the hand-out).
    - A chunk of a Message Batches run whose batch was submitted is not stale: it waits for the
      batch poller, however long that takes.
    A duplicate task is harmless: `chunk_claim` lets exactly one of them work the chunk.
    """
    now = timezone.now()
    stale_before = now - CHUNK_LEASE
    chunks = RunChunk.objects.filter(run__status__in=OPEN_RUN_STATUSES)
    if run_id is not None:
        chunks = chunks.filter(run_id=run_id)
    counts = {"requeued": 0, "failed": 0, "reenqueued": 0}
    touched_runs: set[int] = set()

    stale_running = chunks.filter(_lease_expired(now), status=ChunkStatus.RUNNING)
    for chunk in stale_running.select_related("run").only(
        "pk", "attempts", "payload", "run__kind", "run__params", "run__result", "run_id"
    ):
        if chunk.run.params.get("use_batches") and str(chunk.pk) in chunk.run.result.get("batches", {}):
            continue
        with transaction.atomic():
            still_stale = RunChunk.objects.filter(
                _lease_expired(now), pk=chunk.pk, status=ChunkStatus.RUNNING, attempts=chunk.attempts
            )
            if chunk.attempts >= MAX_CHUNK_ATTEMPTS:
                reason = f"abandoned by its worker {chunk.attempts} times (lease {CHUNK_LEASE})"
                if still_stale.update(status=ChunkStatus.FAILED, finished_at=now, error=reason):
                    run_add_progress(
                        run_id=chunk.run_id, done=len(chunk.payload), failures=_unit_failures(chunk.payload, reason)
                    )
                    counts["failed"] += 1
                    touched_runs.add(chunk.run_id)
            elif still_stale.update(
                status=ChunkStatus.QUEUED, claimed_by="", claimed_at=now, error="lease expired: worker presumed dead"
            ):
                _chunk_task_enqueue(kind=chunk.run.kind, params=chunk.run.params, chunk_id=chunk.pk)
                counts["requeued"] += 1

    # Given back after an error: retry soon. Never claimed, in a run whose queue stopped moving
    # for a whole lease: their tasks are gone.
    released = Q(attempts__gt=0, claimed_at__lt=now - RELEASED_RETRY_AFTER)
    recently_claimed = RunChunk.objects.filter(run_id=OuterRef("run_id"), claimed_at__gte=stale_before)
    never_claimed = Q(attempts=0) & (
        Q(claimed_at__lt=stale_before) | Q(claimed_at__isnull=True, run__created_at__lt=stale_before)
    )
    lost = (
        chunks.filter(status=ChunkStatus.QUEUED)
        .filter(released | (never_claimed & ~Exists(recently_claimed)))
        .values_list("pk", "run__kind", "run__params")
    )
    for chunk_id, kind, params in lost:
        if RunChunk.objects.filter(pk=chunk_id, status=ChunkStatus.QUEUED).update(claimed_at=now):
            _chunk_task_enqueue(kind=kind, params=params, chunk_id=chunk_id)
            counts["reenqueued"] += 1

    for touched in touched_runs:
        run_finish_if_complete(run_id=touched)
    if run_id is None:
        for key, value in _recover_single_task_runs(now).items():
            counts[key] += value
    if any(counts.values()):
        logger.warning("recovered stale run chunks: %s", counts)
    return counts


def _recover_single_task_runs(now: Any) -> dict[str, int]:
    """The sweep for runs that are one task (mining, plan, impact, what-if), by their own lease.

    Running with an expired lease: back to queued and the task enqueued again (failed after
    MAX_CHUNK_ATTEMPTS). Queued and not handed out for a whole lease (the task was lost with a
    dead cluster, or sits behind a long queue): enqueued again, at most once per lease
    (heartbeat_at records the hand-out). A duplicate is harmless: `run_claim` lets one through.
    """
    stale_before = now - CHUNK_LEASE
    counts = {"requeued": 0, "failed": 0, "reenqueued": 0}
    runs = JobRun.objects.filter(kind__in=list(RUN_TASKS))
    expired = Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, started_at__lt=stale_before)
    stale = runs.filter(expired, status=RunStatus.RUNNING)
    for run_id, kind, attempts in stale.values_list("pk", "kind", "attempts"):
        still = JobRun.objects.filter(expired, pk=run_id, status=RunStatus.RUNNING)
        if attempts >= MAX_CHUNK_ATTEMPTS:
            if still.exists():
                run_fail(run_id=run_id, error=f"abandoned by its worker {attempts} times (lease {CHUNK_LEASE})")
                counts["failed"] += 1
        elif still.update(status=RunStatus.QUEUED, claimed_by="", heartbeat_at=now):
            enqueue_after_commit(RUN_TASKS[kind], run_id, task_name=f"{kind.lower()} run {run_id} (recovered)")
            counts["requeued"] += 1
    lost = runs.filter(status=RunStatus.QUEUED).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True, created_at__lt=stale_before)
    )
    for run_id, kind in lost.values_list("pk", "kind"):
        if JobRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(heartbeat_at=now):
            enqueue_after_commit(RUN_TASKS[kind], run_id, task_name=f"{kind.lower()} run {run_id} (re-sent)")
            counts["reenqueued"] += 1
    return counts


def _unit_failures(payload: Sequence[Any], reason: str) -> list[dict[str, Any]]:
    return [{"ref": unit, "reason": reason} for unit in payload]
