"""`manage.py import_bars PATH [--timezone TZ] [--json]`: OHLCV bars, upsert on (symbol, timestamp)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from post_mortem.services.imports import bars_import


class Command(BaseCommand):
    help = "Load OHLCV bars (symbol,timestamp,open,high,low,close,volume). Atomic."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        result = bars_import(source=path, file_name=path.name, tz_name=options["timezone"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json()))
        else:
            self.stdout.write(f"{result.rows} bars: {result.created} created, {result.updated} updated")
            for error in result.errors:
                self.stderr.write(f"line {error.line}, {error.field}: {error.message}")
        if result.errors:
            raise SystemExit(1)
