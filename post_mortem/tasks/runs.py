"""Housekeeping tasks for run rows, run by django-q2 schedules."""

from __future__ import annotations

from ..services.runs import run_recover_stale_chunks


def recover_stale_chunks() -> dict[str, int]:
    """Scheduled every minute (migration `scale_recover_schedule`): re-queue work of dead workers."""
    return run_recover_stale_chunks()
