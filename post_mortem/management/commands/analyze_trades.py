"""`manage.py analyze_trades [--all] [--account A] [--limit N] [--engine rules|claude] [--sync | --wait] [--json]`.

``--sync`` runs inline (no qcluster needed); ``--wait`` enqueues and waits for the qcluster;
neither just enqueues. ``--json`` prints ``{"run": id, "analyzed": N, "failed": N}`` as the last
line; the exit code is 1 when anything failed.
"""

from __future__ import annotations

import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from post_mortem.management.run_waiting import wait_for_run
from post_mortem.models import JobRun, Trade
from post_mortem.services.analyses import analysis_run_start, analysis_run_sync

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Write a post-mortem for each selected trade (rules engine offline, claude with a key)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="Every trade")
        parser.add_argument("--account", action="append", default=[], help="Only this account (repeatable)")
        parser.add_argument("--limit", type=int, help="The first N trades by entry time")
        parser.add_argument("--engine", choices=["rules", "claude"], help="Default: claude with a key, else rules")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--sync", action="store_true", help="Run inline in this process")
        mode.add_argument("--wait", action="store_true", help="Enqueue and wait for the qcluster to finish")
        parser.add_argument("--chunk-size", type=int, default=500)
        parser.add_argument("--batches", action="store_true", help="claude: use the Message Batches API")
        parser.add_argument("--timeout", type=float, default=3600, help="--wait: give up after this many seconds")
        parser.add_argument("--json", action="store_true", help="Print one JSON object as the last line")

    def _progress(self, run: JobRun) -> None:
        if self._quiet:
            return
        pct = run.progress_pct
        filled = BAR_WIDTH * pct // 100
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {pct:3d}% {run.done}/{run.total} ({run.failed} failed)"
        )
        sys.stderr.flush()

    def handle(self, *args, **options) -> None:
        self._quiet = options["json"]
        if not options["all"] and not options["account"]:
            raise CommandError("Choose the trades: --all or --account A (optionally with --limit N).")
        qs = Trade.objects.all()
        if options["account"]:
            qs = qs.filter(account__in=options["account"])
        if options["limit"] is not None:
            if options["limit"] < 1:
                raise CommandError("--limit must be at least 1.")
            qs = Trade.objects.filter(
                pk__in=list(qs.order_by("entry_time", "id").values_list("pk", flat=True)[: options["limit"]])
            )
        if not qs.exists():
            raise CommandError("No trades match the selection.")
        try:
            if options["sync"]:
                run = analysis_run_sync(
                    queryset=qs, engine=options["engine"], chunk_size=options["chunk_size"], progress=self._progress
                )
            else:
                run = analysis_run_start(
                    queryset=qs,
                    engine=options["engine"],
                    chunk_size=options["chunk_size"],
                    use_batches=options["batches"],
                )
                if options["wait"]:
                    run = wait_for_run(run, timeout=options["timeout"], on_progress=self._progress)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        if not self._quiet:
            sys.stderr.write("\n")
            self.stdout.write(
                f"Run {run.pk} {run.get_status_display().lower()}: {run.succeeded} analyzed, {run.failed} failed"
                f" of {run.total}" + (f", cost ${run.cost_usd}" if run.cost_usd else "")
            )
            for failure in run.failures[:20]:
                self.stderr.write(f"trade {failure.get('ref')}: {failure.get('reason')}")
        if options["json"]:
            self.stdout.write(json.dumps({"run": run.pk, "analyzed": run.succeeded, "failed": run.failed}))
        if run.failed or run.error:
            raise SystemExit(1)
