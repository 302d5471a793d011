"""Waiting on a background run from a management command (`--wait`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management.base import CommandError

from ..models import JobRun


def wait_for_run(
    run: JobRun, *, timeout: float, on_progress: Callable[[JobRun], None] | None = None, poll: float = 0.5
) -> JobRun:
    """Poll the run row until a qcluster finishes it; the row, not the task queue, is the truth.

    Raises CommandError after `timeout` seconds, naming the likely cause (no qcluster running).
    """
    deadline = time.monotonic() + timeout
    while True:
        run.refresh_from_db()
        if on_progress is not None:
            on_progress(run)
        if run.is_finished:
            return run
        if time.monotonic() > deadline:
            raise CommandError(
                f"{run.get_kind_display()} run #{run.pk} did not finish within {timeout:.0f}s (is a qcluster running?)"
            )
        time.sleep(poll)
