"""Replay rules on the desk's actual trades: what would following them have done?

    python manage.py what_if --rule '{"type": "no_reentry_after_loss", "minutes": 30}' \\
        [--rule ...] [--account A] [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--sync|--wait] [--json]

Rule types: skip_segment (factor, value), no_reentry_after_loss (minutes), max_trades_per_day (n),
daily_loss_limit (r or usd), max_size (multiple), stop_r / target_r (r). With --json the last
line is {"run", "actual", "what_if", "difference", "out_of_sample"} (plus status, error, rules).
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from post_mortem.management.run_waiting import wait_for_run
from post_mortem.models import RunKind, RunStatus
from post_mortem.services.runs import run_create
from post_mortem.services.whatif import what_if_params, what_if_run_execute, what_if_start, what_if_summary


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Replay rules on the actual trade sequence and compare with what happened (bootstrap CI)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rule", action="append", required=True, help="One rule as JSON; repeat to combine")
        parser.add_argument("--account", help="Only this account")
        parser.add_argument("--since", type=_date, help="First desk-local entry date (YYYY-MM-DD)")
        parser.add_argument("--until", type=_date, help="Last desk-local entry date (YYYY-MM-DD)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--sync", action="store_true", help="Replay in this process")
        mode.add_argument("--wait", action="store_true", help="Enqueue for the qcluster and wait for the result")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON on the last line")
        parser.add_argument("--timeout", type=float, default=600, help="Seconds to wait with --wait")

    def handle(self, *args, **opts) -> None:
        rules = []
        for position, text in enumerate(opts["rule"], start=1):
            try:
                rules.append(json.loads(text))
            except json.JSONDecodeError as exc:
                raise CommandError(f"--rule {position} is not JSON ({exc.msg} at column {exc.colno}): {text}") from None
        selection = {"account": opts["account"], "since": opts["since"], "until": opts["until"]}
        try:
            if opts["sync"]:
                params = what_if_params(rules=rules, **selection)
                run = what_if_run_execute(run_id=run_create(kind=RunKind.WHATIF, params=params).pk)
            else:
                run = what_if_start(rules=rules, **selection)
                if opts["wait"]:
                    run = wait_for_run(run, timeout=opts["timeout"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        summary = what_if_summary(run)
        if opts["json"]:
            self.stdout.write(json.dumps(summary))
        elif not run.is_finished:
            self.stdout.write(f"What-if run #{run.pk} queued: a qcluster will replay it (--wait to wait for it).")
        elif run.status == RunStatus.SUCCEEDED:
            self._print(summary)
        if run.status == RunStatus.FAILED:
            raise CommandError(f"What-if run #{run.pk} failed: {run.error}")

    def _print(self, summary: dict) -> None:
        actual, what_if, diff = summary["actual"], summary["what_if"], summary["difference"]
        self.stdout.write(f"What-if run #{summary['run']}")
        for label, side in (("actual ", actual), ("what-if", what_if)):
            self.stdout.write(
                f"  {label}: {side['trades']:,} trades, net {side['net_pnl']:+,.2f}, "
                f"expectancy {_r(side['expectancy_r'])}, win rate {_pct(side['win_rate'])}, "
                f"max drawdown {side['max_drawdown']:,.2f}"
            )
        if diff["expectancy_r"] is None:
            self.stdout.write("  difference: too few days to resample")
        else:
            self.stdout.write(
                f"  difference: {diff['expectancy_r']:+.3f}R per trade [{diff['ci_low']:+.3f}, {diff['ci_high']:+.3f}] "
                f"p{_p(diff['p_value'])} {'SIGNIFICANT' if diff['significant'] else 'not significant'}; "
                f"{diff['net_pnl_per_month']:+,.0f}/month"
            )
        oos = summary["out_of_sample"]
        if oos:
            d = oos["difference"]
            self.stdout.write(
                f"  out-of-sample (from {oos['split_date']}; {oos['why']}): "
                f"{'adopted' if oos['adopted'] else 'NOT found in the earlier part'}, "
                + (
                    f"{d['expectancy_r']:+.3f}R [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}]"
                    if d["expectancy_r"] is not None
                    else "n/a"
                )
                + (
                    f" vs in-sample {oos['in_sample']['expectancy_r']:+.3f}R"
                    if oos["in_sample"]["expectancy_r"] is not None
                    else ""
                )
            )


def _p(value: float) -> str:
    return "<0.0001" if value < 0.0001 else f"={value:.4f}"


def _r(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}R"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"
