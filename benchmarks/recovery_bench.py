"""Recovery benchmark: how long until a killed worker's chunk is redone, and a slow one is not.

    .venv/bin/python benchmarks/recovery_bench.py --json

Real parts only: a fresh SQLite database (`--db-path`), migrated, and two `manage.py qcluster`
processes (one worker each, the ORM broker) with the production lease (60 s, renewed every 15 s)
and the migrations' "Recover stale run chunks" schedule. One run has short chunks (10 s each) and
one chunk longer than the lease (80 s) that must finish on its first attempt. When a short chunk
is running, its cluster is killed with SIGKILL (its whole process group). Printed: seconds from
the kill to the chunk's second claim (`requeue_s`) and to the run's end (`finish_s`), and the
attempts of the slow chunk (1 = never taken twice). Takes about four minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def slow_chunk(chunk_id: int) -> None:
    """The chunk task the clusters run: sleep per unit, then complete, through the shared runner."""
    from post_mortem.services.runs import chunk_complete, chunk_execute

    def work(chunk) -> None:
        time.sleep(float(chunk.run.params["unit_seconds"]) * len(chunk.payload))
        chunk_complete(chunk=chunk, succeeded=len(chunk.payload))

    chunk_execute(chunk_id=chunk_id, work=work)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise SystemExit(f"timed out after {timeout}s waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-path", default="/tmp/post_mortem_recovery_bench.sqlite3")  # noqa: S108
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    db = Path(args.db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "internal.settings", "DEBUG": "1", "SQLITE_PATH": str(db)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.pop("RUN_CHUNK_LEASE_SECONDS", None)
    os.environ.update({k: v for k, v in env.items() if k in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SQLITE_PATH"}})
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from post_mortem.models import ChunkStatus, RunChunk, RunKind
    from post_mortem.services.runs import (
        CHUNK_LEASE,
        HEARTBEAT_EVERY,
        enqueue_after_commit,
        run_create,
        run_create_chunks,
    )

    call_command("migrate", verbosity=0)
    task = "benchmarks.recovery_bench.slow_chunk"
    with transaction.atomic():
        run = run_create(kind=RunKind.ANALYSIS, params={"chunk_task": task, "unit_seconds": 2})
        # Chunk 0: 40 units x 2 s = 80 s, longer than the lease. Then 8 chunks of 10 s.
        units = list(range(1, 81))
        chunks = run_create_chunks(run=run, units=units[:40], chunk_size=40)
        chunks += [
            RunChunk.objects.create(run=run, seq=1 + i, payload=units[40 + 5 * i : 45 + 5 * i]) for i in range(8)
        ]
        run.total = len(units)
        run.save(update_fields=["total"])
        for chunk in chunks:
            enqueue_after_commit(task, chunk.pk, q_options={"sync": False})
    slow_id = chunks[0].pk
    cluster_env = {**env, "Q_WORKERS": "1", "Q_QUEUE_LIMIT": "1", "LOG_LEVEL": "WARNING"}
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=cluster_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    try:

        def victim():
            groups = {p.pid: p for p in procs if p.poll() is None}
            for chunk in RunChunk.objects.filter(status=ChunkStatus.RUNNING).exclude(pk=slow_id).exclude(claimed_by=""):
                try:
                    group = os.getpgid(int(chunk.claimed_by.rsplit(":", 1)[1]))
                except ProcessLookupError:
                    continue
                if group in groups:
                    return chunk, groups[group]
            return None

        chunk, proc = _wait(victim, 120, "a short chunk in progress")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        killed_at = time.monotonic()
        _wait(lambda: RunChunk.objects.filter(pk=chunk.pk, attempts__gte=2).exists(), 600, "the re-claim")
        requeue_s = time.monotonic() - killed_at

        def finished():
            run.refresh_from_db()
            return run.is_finished

        _wait(finished, 900, "the run to finish")
        finish_s = time.monotonic() - killed_at
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    slow = RunChunk.objects.get(pk=slow_id)
    figures = {
        "lease_s": CHUNK_LEASE.total_seconds(),
        "heartbeat_s": HEARTBEAT_EVERY.total_seconds(),
        "requeue_s": round(requeue_s, 1),
        "finish_s": round(finish_s, 1),
        "run_status": run.status,
        "units_done": run.done,
        "units_succeeded": run.succeeded,
        "killed_chunk_attempts": RunChunk.objects.get(pk=chunk.pk).attempts,
        "slow_chunk_seconds": round((slow.finished_at - slow.claimed_at).total_seconds(), 1),
        "slow_chunk_attempts": slow.attempts,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
