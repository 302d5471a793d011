"""Run rows for background jobs: create, claim work, count progress, finish.

Every long step (import, analysis, mining, plan, impact) is a JobRun that the admin and the API
show. Work is split into RunChunk rows that a worker claims atomically, so two qclusters never do
the same unit twice and a chunk whose worker died is claimed again after its lease expires.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import ChunkStatus, JobRun, RunChunk, RunKind, RunStatus

MAX_STORED_FAILURES = 200
# A chunk claimed longer ago than this, and not finished, is treated as abandoned by a dead worker.
CHUNK_LEASE = timedelta(minutes=int(os.environ.get("RUN_CHUNK_LEASE_MINUTES", "15")))
MAX_CHUNK_ATTEMPTS = 3


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


def run_mark_started(*, run_id: int) -> None:
    JobRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )


def chunk_claim(*, chunk_id: int) -> RunChunk | None:
    """Claim a chunk for this worker, or None when another worker holds it or it is done.

    The claim is one conditional UPDATE, which is atomic on SQLite and PostgreSQL alike.
    """
    now = timezone.now()
    claimable = Q(status=ChunkStatus.QUEUED) | Q(status=ChunkStatus.RUNNING, claimed_at__lt=now - CHUNK_LEASE)
    claimed = RunChunk.objects.filter(claimable, pk=chunk_id, attempts__lt=MAX_CHUNK_ATTEMPTS).update(
        status=ChunkStatus.RUNNING, claimed_by=worker_name(), claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    run_id = RunChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).get()
    run_mark_started(run_id=run_id)
    return RunChunk.objects.select_related("run").get(pk=chunk_id)


def chunk_release(*, chunk: RunChunk, error: str) -> None:
    """Give a chunk back after a transient error so a retry can claim it at once."""
    RunChunk.objects.filter(pk=chunk.pk, status=ChunkStatus.RUNNING).update(
        status=ChunkStatus.QUEUED, error=error[:2000], claimed_by=""
    )


def chunk_complete(
    *,
    chunk: RunChunk,
    succeeded: int,
    failures: Sequence[dict[str, Any]] = (),
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: Decimal | float = 0,
) -> JobRun:
    """Mark a chunk done and add its counts to the run in the same transaction (never twice)."""
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
        return run_finish_if_complete(run_id=chunk.run_id)


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
