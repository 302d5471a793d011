"""The accounts and tags that exist in the trades, as an experiment group can name them.

Imports from different brokers spell the same account or tag differently ("desk-a", "DESK-A"):
a person picks one value, case-insensitively, and the group stores every spelling that exists,
so the group resolver (exact matches, ``selectors.feedback.group_q``) finds all of its trades.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Min
from django.db.models.functions import Lower

from ..models import Trade

GROUP_KINDS: dict[str, str] = {"account": "Accounts", "tag": "Tags"}


@dataclass(frozen=True)
class GroupValuesPage:
    """One page of distinct values (one spelling each) and whether more follow."""

    values: list[str]
    more: bool


def group_values_page(kind: str, *, term: str = "", page: int = 1, per_page: int = 20) -> GroupValuesPage:
    """Distinct values of one kind containing ``term`` (case-insensitive), one spelling each, sorted.

    Feeds the group picker one page at a time, so the experiment form never lists them all.
    """
    if kind not in GROUP_KINDS:
        raise ValueError(f"Unknown group kind {kind!r}; expected one of: {', '.join(GROUP_KINDS)}.")
    term = term.strip()
    start = max(page - 1, 0) * per_page
    if kind == "account":
        rows = Trade.objects.all()
        if term:
            rows = rows.filter(account__icontains=term)
        keyed = rows.annotate(key=Lower("account")).values("key").annotate(name=Min("account")).order_by("key")
        names = [row["name"] for row in keyed[start : start + per_page + 1]]
    else:
        shown = sorted((min(spellings) for spellings in _tag_spellings(term=term).values()), key=str.lower)
        names = shown[start : start + per_page + 1]
    return GroupValuesPage(values=names[:per_page], more=len(names) > per_page)


def group_spellings(kind: str, names: Iterable[str]) -> dict[str, list[str]]:
    """Every existing spelling of each name (compared case-insensitively), keyed by the lowercase name.

    A name absent from the trades maps to no spelling, so a caller can say which one does not exist.
    """
    if kind not in GROUP_KINDS:
        raise ValueError(f"Unknown group kind {kind!r}; expected one of: {', '.join(GROUP_KINDS)}.")
    wanted = {name.strip().lower() for name in names if name.strip()}
    found: dict[str, set[str]] = {key: set() for key in wanted}
    if not wanted:
        return {}
    if kind == "account":
        spellings = (
            Trade.objects.annotate(key=Lower("account"))
            .filter(key__in=wanted)
            .order_by()
            .values_list("account", flat=True)
            .distinct()
        )
    else:
        spellings = [tag for key, tags in _tag_spellings().items() if key in wanted for tag in tags]
    for spelling in spellings:
        found[spelling.lower()].add(spelling)
    return {key: sorted(values) for key, values in found.items()}


def _tag_spellings(*, term: str = "") -> dict[str, set[str]]:
    """Distinct single tags (a trade's tags are ';'-separated), every spelling by lowercase tag."""
    rows = Trade.objects.exclude(tags="")
    if term:
        rows = rows.filter(tags__icontains=term)
    needle = term.lower()
    by_key: dict[str, set[str]] = {}
    for combined in rows.order_by().values_list("tags", flat=True).distinct():
        for tag in combined.split(";"):
            if tag.strip() and needle in tag.lower():
                by_key.setdefault(tag.lower(), set()).add(tag)
    return by_key
