"""`manage.py import_trades PATH [--timezone TZ] [--dry-run] [--json] [--format canonical|auto]`."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from post_mortem.services.imports import trades_import


def _broker_options(options: dict) -> dict | None:
    """What a broker file cannot say itself; left out when not given, so canonical batches stay clean."""
    chosen = {
        "account": options["account"],
        "date_order": "" if options["date_order"] == "MDY" else options["date_order"],
        "session_date": options["session_date"],
        "grouping": "" if options["grouping"] == "flat" else options["grouping"],
    }
    return {k: v for k, v in chosen.items() if v} or None


class Command(BaseCommand):
    help = "Import closed trades from a CSV/XLSX file. Atomic: any bad row means nothing is written."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--timezone",
            default=None,
            help="Zone naive times are read in (default: UTC for canonical files, DESK_TIMEZONE for broker layouts)",
        )
        parser.add_argument("--dry-run", action="store_true", help="Validate and count, write nothing")
        parser.add_argument("--json", action="store_true", help="Print one JSON object as the last line")
        parser.add_argument(
            "--format",
            default="canonical",
            help="canonical (default), auto (detect from the header), or a broker layout name: "
            "ninjatrader_trades, topstepx, tradovate_performance, tradovate_positions, mt5, thinkorswim, "
            "tradenote, ninjatrader_executions, ibkr_flex, das, tradervue (or a layout saved in the admin)",
        )
        parser.add_argument("--account", default="", help="Account for broker files that have no account column")
        parser.add_argument(
            "--date-order", default="MDY", choices=["MDY", "DMY"], help="Slash dates month-first (default) or day-first"
        )
        parser.add_argument("--session-date", default="", help="YYYY-MM-DD: the trading day of a DAS Trader file")
        parser.add_argument(
            "--grouping",
            default="flat",
            choices=["flat", "fifo"],
            help="Execution files: one trade per position from flat to flat (default), or FIFO lot pairs",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows and list every skipped line (default: any bad row writes nothing)",
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        result = trades_import(
            source=path,
            file_name=path.name,
            tz_name=options["timezone"],
            dry_run=options["dry_run"],
            file_format=options["format"],
            options=_broker_options(options),
            skip_invalid=options["skip_invalid"],
        )
        notes = result.notes
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            verb = "Would import" if result.dry_run else "Imported"
            self.stdout.write(
                f"{verb} {result.rows} rows: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged"
                + (f" (batch {result.batch_id})" if result.batch_id and result.ok else "")
            )
            for error in result.errors:
                self.stderr.write(f"line {error.line}, {error.field}: {error.message}")
            for note in notes:
                self.stderr.write(f"line {note.line}, left out: {note.message}")
            for warning in result.warnings:
                self.stderr.write(f"line {warning.line}, {warning.field}: {warning.message}")
            for skipped in result.skipped:
                self.stderr.write(f"line {skipped.line}, skipped, {skipped.field}: {skipped.message}")
        if result.errors:
            if not options["json"]:
                self.stderr.write(f"{len(result.errors)} error(s): nothing was imported.")
            raise SystemExit(1)
