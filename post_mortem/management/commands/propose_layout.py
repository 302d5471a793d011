"""`manage.py propose_layout FILE [--save NAME] [--account A] [--session-date D] [--json]`.

A layout for an unknown file: proposed offline, tried as the import would read it, saved on request.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from post_mortem.services.propose import layout_proposal_save, layout_propose


class Command(BaseCommand):
    help = (
        "Propose a layout for a trade file no layout reads (offline), show a trial import, and with --save "
        "store it so `import_trades --format auto` reads such files from then on."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--save", default="", metavar="NAME", help="Save the proposal as a layout called NAME")
        parser.add_argument("--account", default="", help="Account for files that have no account column")
        parser.add_argument(
            "--session-date", default="", metavar="YYYY-MM-DD", help="The trading day of files with times only"
        )
        parser.add_argument(
            "--date-order",
            default="",
            choices=["MDY", "DMY"],
            help="Slash dates month first (MDY) or day first (DMY), when the rows cannot tell",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object")

    def handle(self, *args, **options) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        data = path.read_bytes()
        session_date = options["session_date"]
        result = layout_propose(
            data=data,
            file_name=path.name,
            account=options["account"],
            session_date=session_date,
            date_order=options["date_order"],
        )
        out = result.as_json()
        saved = None
        if options["save"]:
            if result.proposal is None or result.failure:
                raise CommandError(result.failure or "; ".join(out["notes"]) or "nothing to save")
            try:
                saved = layout_proposal_save(
                    spec=result.proposal.spec,
                    name=options["save"],
                    data=data,
                    file_name=path.name,
                    account=options["account"],
                    session_date=session_date,
                )
            except ValidationError as exc:
                raise CommandError("not saved: " + "; ".join(exc.messages)) from None
            out["layout"] = saved.name
            out["saved"] = True
        if options["json"]:
            self.stdout.write(json.dumps(out))
            return
        self._describe(out)
        if result.failure:
            raise CommandError(result.failure)

    def _describe(self, out: dict) -> None:
        w = self.stdout.write
        if out["failure"]:
            return
        if out["known_layout"] and not out["mapping"]:
            w(f"Already known: layout {out['known_layout']}. Import with --format auto.")
            return
        w(f"Layout {out['layout']}: {out['kind']} (confidence {out['confidence']:.2f})")
        order = out["date_order"]
        w(
            f"  dates read {order['chosen']}"
            + (" (a guess: --date-order to change it)" if order["from"] == "guess" else "")
        )
        for key, column in out["mapping"].items():
            w(f"  {key:<12} <- {column}  ({out['placed_by'].get(key, 'name')})")
        for note in out["notes"]:
            w(f"  note: {note}")
        trial = out["trial"]
        w(f"Trial: {trial['trades']} trades, net P&L {trial['net_pnl']}, {len(trial['left_out'])} rows left out")
        for item in trial["left_out"][:20]:
            w(f"  line {item['line']}: {item['message']}")
        for item in trial["errors"][:20]:
            w(f"  ERROR line {item['line']}, {item['field']}: {item['message']}")
        if out["reason"]:
            w(f"No trades: {out['reason']}")
        if out.get("saved"):
            w(f"Saved as {out['layout']}: `import_trades FILE --format auto` now reads such files.")
