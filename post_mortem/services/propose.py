"""Propose a layout for an unknown file, try it the way the import would, and save it once confirmed.

Why a trial through the import's own stages: a proposal is only worth confirming if the file then
imports. The trial reads the file with the proposed saved layout through the same layout stage
(`importing.formats.convert`) and the same canonical validator the import uses, and writes
nothing; saving stores the same definition as an ImportLayout, so `--format auto` detects it
from then on like a built-in layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ..importing.brokers.custom import LayoutSpec, mapping_problems
from ..importing.brokers.header_names import LABELS
from ..importing.brokers.propose import LayoutProposal, ProposalFailed, proposal_pnl, propose_layout
from ..importing.brokers.registry import LAYOUT_NAMES, detect_layout
from ..importing.canonical import CanonicalValidator, ImportFormatError, RowError
from ..importing.formats import convert
from ..models import ImportLayout
from ..selectors.brokers import multiplier_table, saved_layout_specs
from .imports import default_timezone

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
RESERVED = {"canonical", "auto", "proposed", *LAYOUT_NAMES}
TRIAL_ACCOUNT = "sample"
NO_TRADES = "no closed round trips to import; "  # how the layout stage says a file holds no closed trade


@dataclass(slots=True)
class ProposalTrial:
    """What the import would do with the proposed layout: trades, net P&L, rows left out, errors."""

    trades: int = 0
    net_pnl: Decimal = Decimal(0)
    left_out: list[RowError] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass(slots=True)
class ProposalResult:
    """A proposal with its trial; ``known_layout`` when a layout already reads the file."""

    proposal: LayoutProposal | None
    trial: ProposalTrial
    known_layout: str = ""
    failure: str = ""
    failure_line: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """Why the proposal imports no trade, and what to do; "" when its trial reads trades."""
        if self.failure:
            return self.failure
        if self.known_layout or self.trial.trades:
            return ""
        errors = self.trial.errors
        nothing_closed = [e.message.split("; ", 1)[-1] for e in errors if e.message.startswith(NO_TRADES)]
        if errors and len(nothing_closed) == len(errors):
            if any(e.field == "position" for e in errors):
                still_open = next(e.message.split("; ", 1)[-1] for e in errors if e.field == "position")
                return (
                    f"no position in the file is closed ({still_open}): export a period that holds the closing "
                    "fills too, or check the side column (a wrong side turns closing fills into opening ones)."
                )
            return (
                f"every row was left out as not a trade (line {errors[0].line}: {nothing_closed[0]}). If those rows "
                "are trades, correct the column that leaves them out (status, side) or map the columns by hand."
            )
        if errors:
            first = errors[0]
            more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
            return (
                f"the import would refuse this file: line {first.line}, {first.field}: {first.message}{more}. "
                "Correct the column for that field (or the file) and try again."
            )
        return (
            "the proposal reads no closed trade from this file: every row was left out (see why under rows left "
            "out) or its positions are still open. Check the side and status columns, or map them by hand."
        )

    def as_json(self) -> dict[str, Any]:
        """The object `propose_layout --json` prints."""
        p = self.proposal
        return {
            "layout": p.spec.name if p else self.known_layout or None,
            "kind": p.kind if p else None,
            "kind_label": LABELS.get(p.kind, p.kind) if p else None,
            "mapping": p.mapping if p else {},
            "confidence": p.confidence if p else 0.0,
            "definition": (
                {"kind": p.spec.kind, "signature": list(p.spec.signature), "options": p.spec.options} if p else None
            ),
            "placed_by": {c.field: c.how for c in p.choices} if p else {},
            "known_layout": self.known_layout or None,
            "failure": self.failure or None,
            "reason": self.reason or None,
            "date_order": (
                {"chosen": p.spec.options.get("date_order", "MDY"), "from": p.date_order_from} if p else None
            ),
            "notes": [*(p.notes if p else []), *self.notes],
            "trial": {
                "trades": self.trial.trades,
                "net_pnl": str(self.trial.net_pnl.quantize(Decimal("0.01"))),
                "left_out": [e.as_dict() for e in self.trial.left_out],
                "errors": [e.as_dict() for e in self.trial.errors]
                or ([RowError(self.failure_line, "layout", self.failure).as_dict()] if self.failure else []),
            },
        }


def _text(data: bytes, file_name: str = "") -> str:
    """The file as the import's layout stage sees it: an XLSX sheet becomes CSV text the same way."""
    from ..importing.brokers import sheet_to_text
    from ..importing.readers import is_xlsx, xlsx_sheet_rows

    if is_xlsx(data, file_name):
        return sheet_to_text(xlsx_sheet_rows(data))[0]
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # spreadsheet exports on Windows; the trial says if cells are wrong


def layout_trial(
    spec: LayoutSpec,
    *,
    data: bytes,
    file_name: str,
    account: str = "",
    tz_name: str | None = None,
    session_date: str = "",
) -> ProposalTrial:
    """Run ``spec`` over the file through the import's layout stage and canonical checks; write nothing."""
    tz_name = tz_name or default_timezone("auto")
    trial = ProposalTrial()
    problems = mapping_problems(spec.kind, spec.mapping)
    if problems:
        trial.errors = [RowError(1, "mapping", problem) for problem in problems]
        return trial
    others = [s for s in saved_layout_specs() if s.name != spec.name]
    try:
        converted = convert(
            data,
            file_name=file_name,
            file_format=spec.name,
            tz_name=tz_name,
            options={"account": account or TRIAL_ACCOUNT, "session_date": session_date},
            multipliers=multiplier_table(),
            specs=[spec, *others],
        )
        rows = list(converted.rows)
        trial.left_out = converted.notes
        validator = CanonicalValidator(tz_name=tz_name)
        valid, errors = validator.validate(rows)
        trial.errors = [*errors, *validator.finish()]
    except ImportFormatError as exc:
        trial.errors = list(exc.errors)
        return trial
    if not trial.errors:
        trial.trades = len(valid)
        trial.net_pnl = proposal_pnl(rows)
    return trial


def layout_propose(
    *,
    data: bytes,
    file_name: str,
    account: str = "",
    name: str = "proposed",
    session_date: str = "",
    date_order: str = "",
) -> ProposalResult:
    """Propose a layout for a file and try it; a file a layout already reads is named, not re-proposed.

    ``date_order`` (MDY/DMY) is a person's correction of the order the proposal guessed.
    """
    try:
        text = _text(data, file_name)
    except ImportFormatError as exc:
        return ProposalResult(proposal=None, trial=ProposalTrial(), failure=exc.errors[0].message)
    saved = saved_layout_specs()
    try:
        known = detect_layout(text, extra=saved)
    except ImportFormatError:
        known = None
    if known:
        return ProposalResult(
            proposal=None,
            trial=ProposalTrial(),
            known_layout=known,
            notes=[f"this file is already read by the {known!r} layout: import it with --format auto"],
        )
    try:
        proposal = propose_layout(text, name=name, date_order=date_order.upper() or None)
    except ProposalFailed as exc:
        # A header with fields left unplaced: the page offers the partial proposal to complete.
        return ProposalResult(proposal=exc.partial, trial=ProposalTrial(), failure=str(exc), failure_line=exc.line)
    trial = layout_trial(proposal.spec, data=data, file_name=file_name, account=account, session_date=session_date)
    notes = []
    if trial.errors and all("point value" in e.message for e in trial.errors):
        # Plain roots (MNQ, NQ) priced like futures: read them as roots of the multiplier table.
        futures = LayoutSpec(
            name=proposal.spec.name,
            signature=proposal.spec.signature,
            mapping=proposal.spec.mapping,
            kind=proposal.spec.kind,
            options={**proposal.spec.options, "futures_only": True},
        )
        retry = layout_trial(futures, data=data, file_name=file_name, account=account, session_date=session_date)
        if not retry.errors:
            proposal.spec, trial = futures, retry
            notes.append("symbols are futures roots: point values come from Contract multipliers")
    if not proposal.spec.mapping.get("account") and not account:
        notes.append("the file has no account column: import it with --account (the trial used 'sample')")
    if not trial.errors and trial.trades == 0:
        notes.append("the proposal reads no closed trades from this file")
    return ProposalResult(proposal=proposal, trial=trial, notes=notes)


def layout_proposal_second_opinion(proposal: LayoutProposal, *, data: bytes, file_name: str):
    """Claude's suggestion for the fields the offline proposal left unplaced (a MappingProposal).

    Why only those: the heuristics' placements are tried on the file; Claude is a second opinion
    for what they could not place, shown to a person and never applied without them. Raises
    ProposalError when Claude cannot answer usefully.
    """
    from .brokers import import_layout_propose

    lines = _text(data, file_name).splitlines()
    start = max(proposal.header_line - 1, 0)
    return import_layout_propose(
        kind=proposal.spec.kind,
        sample_text="\n".join(lines[start : start + 15]),
        header=proposal.header,
        placed=dict(proposal.spec.mapping),
    )


def renamed(spec: LayoutSpec, name: str) -> LayoutSpec:
    return LayoutSpec(name=name, signature=spec.signature, mapping=spec.mapping, kind=spec.kind, options=spec.options)


def corrected_spec(spec: LayoutSpec, mapping: dict[str, str], header: list[str]) -> LayoutSpec:
    """The proposal with a person's corrected mapping; the signature follows the columns now used."""
    from ..importing.brokers.row_rules import JOIN

    real = {h for h in header if h}
    used = tuple(dict.fromkeys(part for column in mapping.values() for part in column.split(JOIN) if part in real))
    lead = tuple(spec.signature[:2]) if spec.options.get("section") else ()
    signature = tuple(dict.fromkeys((*lead, *used)))
    return LayoutSpec(name=spec.name, signature=signature, mapping=mapping, kind=spec.kind, options=spec.options)


@transaction.atomic
def layout_proposal_save(
    *,
    spec: LayoutSpec,
    name: str,
    data: bytes,
    file_name: str,
    account: str = "",
    created_by: Any = None,
    session_date: str = "",
) -> ImportLayout:
    """Save a confirmed proposal as an ImportLayout, only when its trial on the sample is clean."""
    if not _NAME.match(name or ""):
        raise ValidationError("name: lower-case letters, digits and _ only, starting with a letter (2-60 characters)")
    if name in RESERVED:
        raise ValidationError(f"name: {name!r} is a built-in format name")
    if ImportLayout.objects.filter(name=name).exists():
        raise ValidationError(f"name: a layout called {name!r} already exists")
    spec = renamed(spec, name)
    trial = layout_trial(spec, data=data, file_name=file_name, account=account, session_date=session_date)
    if trial.errors:
        raise ValidationError([f"line {e.line}, {e.field}: {e.message}" for e in trial.errors[:10]])
    if not trial.trades:
        raise ValidationError("sample: the layout reads no closed trades from the sample")
    layout = ImportLayout(
        name=name,
        signature=list(spec.signature),
        mapping=dict(spec.mapping),
        options={**spec.options, "kind": spec.kind},
        is_active=True,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    layout.full_clean()
    layout.save()
    return layout


__all__ = ["ProposalFailed", "ProposalResult", "ProposalTrial", "layout_proposal_save", "layout_propose"]
