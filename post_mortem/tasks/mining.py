"""django-q2 tasks for pattern mining and improvement plans (thin: ids in, services do the work)."""

from __future__ import annotations

from ..services.patterns import mining_run_execute
from ..services.plans import plan_run_execute


def mining_run_task(run_id: int) -> dict:
    """Execute one mining run; returns its status so django-q2's Success row shows it too."""
    run = mining_run_execute(run_id=run_id)
    return {"run": run.pk, "status": run.status}


def plan_run_task(run_id: int) -> dict:
    """Execute one plan-building run."""
    run = plan_run_execute(run_id=run_id)
    return {"run": run.pk, "status": run.status, "plan": (run.result or {}).get("plan")}
