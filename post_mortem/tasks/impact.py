"""django-q2 tasks for impact measurement (thin: ids in, service does the work)."""

from __future__ import annotations

from ..models import RunKind
from ..services.impact import impact_run_execute
from ..services.runs import run_create


def impact_run_task(run_id: int) -> dict:
    """Execute one impact run; returns its result so django-q2's Success row shows it too."""
    run = impact_run_execute(run_id=run_id)
    return {"run": run.pk, "status": run.status}


def impact_daily_task() -> dict:
    """The daily schedule's entry point: a fresh run over every implemented recommendation."""
    run = run_create(kind=RunKind.IMPACT, params={"recommendation_id": None, "scheduled": True})
    return impact_run_task(run.pk)
