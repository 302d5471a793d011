"""Mine patterns across trades, now or through the task queue.

    python manage.py mine_patterns [--since DATE] [--until DATE] [--min-trades N] [--sync|--wait] [--json]

With --json the last line is {"run": id, "patterns": [{"id", "factor", "segment", "n", "effect",
"ci_low", "ci_high", "p_value", "q_value", "confidence", "description"}, ...]}, listing every tested
segment that met the support, significant or not.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from post_mortem.management.run_waiting import wait_for_run
from post_mortem.mining.miner import DEFAULT_MIN_TRADES
from post_mortem.models import AnalysisPattern, RunKind, RunStatus
from post_mortem.services.patterns import mining_run_execute, mining_run_start, pattern_as_dict
from post_mortem.services.runs import run_create


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Mine statistically tested patterns (AnalysisPattern rows) from the trades of a period."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", type=_date, help="First entry date (desk timezone), inclusive")
        parser.add_argument("--until", type=_date, help="Last entry date (desk timezone), inclusive")
        parser.add_argument("--min-trades", type=int, default=DEFAULT_MIN_TRADES, help="Minimum trades per side")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--sync", action="store_true", help="Mine in this process")
        mode.add_argument("--wait", action="store_true", help="Enqueue for the qcluster and wait for the result")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON on the last line")
        parser.add_argument("--timeout", type=float, default=600, help="Seconds to wait with --wait")

    def handle(self, *args, **opts) -> None:
        since, until, min_trades = opts["since"], opts["until"], opts["min_trades"]
        try:
            if opts["sync"]:
                if since and until and since > until:
                    raise ValidationError(f"--since ({since}) is after --until ({until})")
                if min_trades < 1:
                    raise ValidationError("--min-trades must be at least 1")
                params = {
                    "since": since.isoformat() if since else None,
                    "until": until.isoformat() if until else None,
                    "min_trades": min_trades,
                }
                run = run_create(kind=RunKind.MINING, params=params)
                run = mining_run_execute(run_id=run.pk)
            else:
                run = mining_run_start(since=since, until=until, min_trades=min_trades)
                if opts["wait"]:
                    run = wait_for_run(run, timeout=opts["timeout"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

        patterns = [pattern_as_dict(p) for p in AnalysisPattern.objects.filter(run=run).order_by("q_value", "id")]
        if opts["json"]:
            self.stdout.write(json.dumps({"run": run.pk, "patterns": patterns}))
        else:
            self.stdout.write(f"Mining run #{run.pk}: {run.status}" + (f" ({run.error})" if run.error else ""))
            if run.is_finished and run.result:
                r = run.result
                self.stdout.write(
                    f"  {r.get('trades_with_r')} trades with R ({r.get('trades_without_r_excluded')} without a stop "
                    f"excluded), {r.get('segments_tested')} segments tested, {r.get('significant')} significant"
                )
            for p in patterns:
                if p["q_value"] < 0.05:
                    self.stdout.write(
                        f"  {p['factor']}={p['segment']}: {p['effect']:+.2f}R "
                        f"[{p['ci_low']:+.2f}, {p['ci_high']:+.2f}] n={p['n']} q={p['q_value']:.2g}"
                    )
            if not run.is_finished:
                self.stdout.write("  queued: a qcluster will run it (see the run page in the admin)")
        if run.status == RunStatus.FAILED:
            raise CommandError(f"Mining run #{run.pk} failed: {run.error}")
