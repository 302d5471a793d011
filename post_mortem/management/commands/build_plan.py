"""Build an improvement plan from the latest mined patterns, now or through the task queue.

    python manage.py build_plan [--sync|--wait] [--json]

With --json the last line is {"plan": id, "recommendations": [ids]}.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from post_mortem.management.run_waiting import wait_for_run
from post_mortem.models import RunKind, RunStatus
from post_mortem.services.plans import plan_run_execute, plan_run_start
from post_mortem.services.runs import run_create


class Command(BaseCommand):
    help = "Build an improvement plan (and its recommendations) from the significant mined patterns."

    def add_arguments(self, parser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--sync", action="store_true", help="Build in this process")
        mode.add_argument("--wait", action="store_true", help="Enqueue for the qcluster and wait for the result")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON on the last line")
        parser.add_argument("--timeout", type=float, default=600, help="Seconds to wait with --wait")

    def handle(self, *args, **opts) -> None:
        try:
            if opts["sync"]:
                run = run_create(kind=RunKind.PLAN, params={}, total=1)
                run = plan_run_execute(run_id=run.pk)
            else:
                run = plan_run_start()
                if opts["wait"]:
                    run = wait_for_run(run, timeout=opts["timeout"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if run.status == RunStatus.FAILED:
            raise CommandError(f"Plan run #{run.pk} failed: {run.error}")
        result = run.result or {}
        if opts["json"]:
            self.stdout.write(
                json.dumps({"plan": result.get("plan"), "recommendations": result.get("recommendations", [])})
            )
        elif run.is_finished:
            self.stdout.write(
                f"Plan #{result.get('plan')} built with {len(result.get('recommendations', []))} recommendations"
            )
        else:
            self.stdout.write(f"Plan run #{run.pk} queued: a qcluster will build it")
