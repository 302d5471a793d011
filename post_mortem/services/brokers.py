"""Saving a column mapping for a broker layout we did not ship (ImportLayout).

Why a service: the admin page and any later door (API, a Claude proposal confirmed by a person)
must apply the same checks: a clean name, every required field mapped to a real column, and a
trial parse of the sample that gives round trips, before anything is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ..importing.brokers import BrokerOptions, BrokerParse, LayoutSpec, detect_layout, parse_broker_text
from ..importing.brokers.custom import REQUIRED, mapping_problems, sample_header
from ..importing.brokers.registry import LAYOUT_NAMES
from ..models import ImportLayout
from ..selectors.brokers import multiplier_table, saved_layout_specs

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
RESERVED = {"canonical", "auto", *LAYOUT_NAMES}


@dataclass(frozen=True, slots=True)
class LayoutTrial:
    """What the sample gives with a proposed mapping: the parse and the spec that produced it."""

    spec: LayoutSpec
    parsed: BrokerParse
    header: list[str]


def import_layout_trial(
    *, name: str, kind: str, mapping: dict[str, str], sample_text: str, date_order: str = "MDY"
) -> LayoutTrial:
    """Check a proposed mapping against its sample without saving; ValidationError says what is wrong."""
    problems: list[str] = []
    if not _NAME.match(name or ""):
        problems.append("name: lower-case letters, digits and _ only, starting with a letter (2-60 characters)")
    elif name in RESERVED:
        problems.append(f"name: {name!r} is a built-in format name")
    elif ImportLayout.objects.filter(name=name).exists():
        problems.append(f"name: a layout called {name!r} already exists")
    _line, header = sample_header(sample_text)
    if not header:
        problems.append("sample: no header row found in the sample")
    mapping = {k: v for k, v in mapping.items() if v}
    problems += mapping_problems(kind, mapping, header)
    if problems:
        raise ValidationError(problems)
    by_norm = {h.strip().lower(): h for h in header}
    signature = tuple(dict.fromkeys(by_norm.get(c.strip().lower(), c) for c in mapping.values()))
    spec = LayoutSpec(name=name, signature=signature, mapping=mapping, kind=kind, options={"kind": kind})
    extra = [spec, *saved_layout_specs()]
    detected = detect_layout(sample_text, extra=extra)
    if detected != name:
        raise ValidationError([f"sample: this file is already read by the {detected!r} layout; import it with that"])
    parsed = parse_broker_text(
        sample_text,
        layout=name,
        options=BrokerOptions(account="sample", date_order=date_order, multipliers=multiplier_table()),
        extra=extra,
    )
    if parsed.errors:
        raise ValidationError([f"line {e.line}, {e.field}: {e.message}" for e in parsed.errors[:10]])
    if not parsed.rows:
        raise ValidationError(["sample: the mapping gives no closed round trips from the sample"])
    return LayoutTrial(spec=spec, parsed=parsed, header=header)


@transaction.atomic
def import_layout_create(
    *,
    name: str,
    kind: str,
    mapping: dict[str, str],
    sample_text: str,
    created_by: Any = None,
    date_order: str = "MDY",
) -> ImportLayout:
    """Save a mapping that parses its own sample; from then on `--format auto` detects it."""
    trial = import_layout_trial(name=name, kind=kind, mapping=mapping, sample_text=sample_text, date_order=date_order)
    layout = ImportLayout(
        name=name,
        signature=list(trial.spec.signature),
        mapping=trial.spec.mapping,
        options={"kind": kind, "date_order": date_order},
        is_active=True,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    layout.full_clean()
    layout.save()
    return layout


def required_fields(kind: str) -> tuple[str, ...]:
    return REQUIRED.get(kind, ())
