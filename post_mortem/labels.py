"""One spelling per setup and tag: labels that differ only in case, spaces, ``-`` or ``_`` are one value.

Why: a desk types "VWAP Reclaim" in one export and "vwap_reclaim" in another; unnormalised, mining
splits one setup into three small segments and the plan names them separately. The canonical form
is lower case with words joined by ``-`` ("vwap-reclaim"), the spelling the demo desk already uses.
Import validation (every layout goes through it) and the data migration call these functions.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalize_label(text: str | None) -> str:
    """ "VWAP Reclaim", "vwap-reclaim", "vwap_reclaim", " Vwap  reclaim " -> "vwap-reclaim"."""
    if not text:
        return ""
    return _SEPARATORS.sub("-", text.strip().lower()).strip("-")


def normalize_tags(text: str | None) -> str:
    """Each ``;``-separated tag normalised, empties and repeats dropped, order kept."""
    if not text:
        return ""
    tags = dict.fromkeys(normalize_label(tag) for tag in text.split(";"))
    return ";".join(tag for tag in tags if tag)


def normalize_setup_and_tags(setup: str | None, tags: str | None) -> tuple[str, str]:
    """Both labels of a trade row in their one spelling (what import validation calls)."""
    return normalize_label(setup), normalize_tags(tags)
