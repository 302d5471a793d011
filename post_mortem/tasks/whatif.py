"""django-q2 task for what-if replays (thin: the run id in, the service does the work)."""

from __future__ import annotations

from ..services.whatif import what_if_run_execute


def what_if_run_task(run_id: int) -> dict:
    """Execute one what-if run; a duplicate delivery finds it claimed or finished and does nothing."""
    run = what_if_run_execute(run_id=run_id)
    return {"run": run.pk, "status": run.status}
