"""Measure the impact of implemented recommendations, now or through the task queue.

    python manage.py measure_impact [--recommendation ID] [--sync|--wait] [--json]
    python manage.py measure_impact --ensure-schedule     # create the daily schedule (idempotent)

The last line with --json is ``{"assessments": [...], "run": id, "status": ...}``.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from post_mortem.management.run_waiting import wait_for_run
from post_mortem.models import ImpactAssessment, RunKind, RunStatus
from post_mortem.services.impact import (
    DEFAULT_MIN_SAMPLE,
    DEFAULT_WINDOW_DAYS,
    assessment_as_dict,
    impact_run_execute,
    impact_run_start,
    impact_schedule_ensure,
)
from post_mortem.services.runs import run_create


class Command(BaseCommand):
    help = "Measure before/after impact of implemented recommendations (ImpactAssessment rows)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--recommendation", type=int, help="Only this recommendation id")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--sync", action="store_true", help="Measure in this process")
        mode.add_argument("--wait", action="store_true", help="Enqueue for the qcluster and wait for the result")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON on the last line")
        parser.add_argument("--window-days", type=int, default=DEFAULT_WINDOW_DAYS)
        parser.add_argument("--min-sample", type=int, default=DEFAULT_MIN_SAMPLE)
        parser.add_argument("--timeout", type=float, default=600, help="Seconds to wait with --wait")
        parser.add_argument("--ensure-schedule", action="store_true", help="Create the daily schedule and exit")

    def handle(self, *args, **opts) -> None:
        if opts["ensure_schedule"]:
            schedule, created = impact_schedule_ensure()
            self.stdout.write(
                f"{'Created' if created else 'Kept'} schedule {schedule.name!r} (next run {schedule.next_run})"
            )
            return
        params = {
            "recommendation_id": opts["recommendation"],
            "window_days": opts["window_days"],
            "min_sample": opts["min_sample"],
        }
        try:
            if opts["sync"]:
                from post_mortem.services.impact import _recommendations_for

                _recommendations_for(opts["recommendation"])  # validate before creating a run row
                run = run_create(kind=RunKind.IMPACT, params=params)
                run = impact_run_execute(run_id=run.pk)
            else:
                run = impact_run_start(
                    recommendation_id=opts["recommendation"],
                    window_days=opts["window_days"],
                    min_sample=opts["min_sample"],
                )
                if opts["wait"]:
                    run = wait_for_run(run, timeout=opts["timeout"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

        assessments = [
            assessment_as_dict(a) for a in ImpactAssessment.objects.filter(run=run).order_by("recommendation_id")
        ]
        if not opts["json"]:
            self.stdout.write(f"Impact run #{run.pk}: {run.status}" + (f" ({run.error})" if run.error else ""))
            for a in assessments:
                if a["status"] == "INSUFFICIENT":
                    self.stdout.write(f"  #{a['recommendation']}: {a['message']}")
                else:
                    self.stdout.write(
                        f"  #{a['recommendation']}: effect {a['effect']:+.3f}R "
                        f"[{a['ci_low']:+.3f}, {a['ci_high']:+.3f}] p={a['p_value']:.4f} q={a['q_value']:.4f} "
                        f"{'SIGNIFICANT' if a['significant'] else 'not significant'}"
                        + (f", ROI {a['roi_per_month']:+,.0f}$/month" if a["roi_per_month"] is not None else "")
                    )
        if opts["json"]:
            self.stdout.write(
                json.dumps({"assessments": assessments, "run": run.pk, "status": run.status, "error": run.error})
            )
        if run.status == RunStatus.FAILED:
            raise CommandError(f"Impact run #{run.pk} failed: {run.error}")
