"""Which trades a number's selection holds, as an id list small enough for a link.

The trade list can filter by account, symbol, setup, side and period itself; a selection with
more (exclusions, tags, time of day, mining segments, "B without A") needs the ids. They are
computed while the conversation's ToolBox has the desk's columns in memory and stored next to
the tool call, so the question page never re-reads the desk to draw its links.
"""

from __future__ import annotations

import json
from typing import Any

from ..mining.segments import NO_SETUP
from . import tracing
from .tools import Selection, ToolBox

MAX_IDS_IN_URL = 400
DIRECT = {"account": "accounts", "symbol": "symbols", "setup": "setups", "side": "sides"}


def narrowed(selection: dict[str, Any], group: dict[str, Any] | None) -> dict[str, Any]:
    """The selection narrowed to one group of a `group_by` (a list filter or a segment)."""
    sel = dict(selection)
    if group:
        factor, value = group.get("factor"), group.get("value")
        key = DIRECT.get(factor)
        if key and value is not None:
            sel[key] = [value]
        else:
            sel["segments"] = [*sel.get("segments", []), {"factor": factor, "value": value}]
    return sel


def needs_ids(parsed: Selection, minus: dict[str, Any] | None) -> bool:
    return bool(
        parsed.exclude_accounts
        or parsed.exclude_symbols
        or parsed.exclude_setups
        or parsed.tags
        or parsed.segments
        or parsed.time_from
        or parsed.time_to
        or minus
        or NO_SETUP in parsed.setups
    )


def key_of(selection: dict[str, Any], minus: dict[str, Any] | None) -> str:
    return json.dumps([selection, minus], sort_keys=True, default=str)


def selection_ids(box: ToolBox, parsed: Selection, minus: dict[str, Any] | None) -> list[int] | None:
    """Sorted ids of the selection (less `minus`), or None when there are too many for a URL."""
    mask = box.mask(parsed)
    if minus:
        mask &= ~box.mask(Selection.model_validate(minus))
    if mask.sum() > MAX_IDS_IN_URL:
        return None
    return sorted(int(i) for i in box.data.frame.id[mask])


def precompute(box: ToolBox, result: dict[str, Any]) -> dict[str, list[int] | None]:
    """Id lists of every selection a tool result's numbers come from (only those that need ids)."""
    out: dict[str, list[int] | None] = {}
    for source in tracing.sources_of([{"input": None, "result": result}]):
        anchor = source.anchor
        if not anchor or anchor.get("kind") != "selection":
            continue
        sel = narrowed(anchor["selection"], anchor.get("group"))
        key = key_of(sel, anchor.get("minus"))
        if key in out:
            continue
        parsed = Selection.model_validate(sel)
        if needs_ids(parsed, anchor.get("minus")):
            out[key] = selection_ids(box, parsed, anchor.get("minus"))
    return out
