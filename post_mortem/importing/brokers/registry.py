"""The broker layouts we know, header-signature detection, and the unknown-file message.

Detection reads the first rows only and picks the most specific layout whose whole signature is
present, so a broker adding columns keeps working while a renamed column is caught by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import BrokerLayout, BrokerOptions, BrokerParse
from .cash_history import SchwabLayout, TastytradeLayout
from .custom import LayoutSpec, build_layout
from .executions import (
    DASTraderLayout,
    IBKRFlexLayout,
    IBKRTransactionHistoryLayout,
    NinjaTraderExecutionsLayout,
    ThinkorswimLayout,
    TradeNoteLayout,
    TradervueLayout,
    TradovateOrdersLayout,
)
from .ibkr_activity import IBKRActivityStatementLayout
from .mt5_report import MT5TradeHistoryReportLayout
from .parsing import csv_lines, norm_header
from .platform_fills import QuantowerTradesLayout, TradeStationOrdersLayout, TradovateFillsLayout
from .rithmic import RithmicCompletedOrdersLayout, RithmicPerformanceLayout
from .roundtrip import (
    MT5Layout,
    MT5PositionHistoryLayout,
    NinjaTraderTradesLayout,
    TopstepXLayout,
    TradovatePerformanceLayout,
    TradovatePositionHistoryLayout,
)

BUILTIN_LAYOUTS: tuple[type[BrokerLayout], ...] = (
    NinjaTraderTradesLayout,
    TopstepXLayout,
    TradovatePerformanceLayout,
    TradovatePositionHistoryLayout,
    MT5Layout,
    MT5PositionHistoryLayout,
    ThinkorswimLayout,
    TradeNoteLayout,
    NinjaTraderExecutionsLayout,
    IBKRFlexLayout,
    DASTraderLayout,
    TradervueLayout,
    TradovateOrdersLayout,
    IBKRTransactionHistoryLayout,
    IBKRActivityStatementLayout,
    MT5TradeHistoryReportLayout,
    TradovateFillsLayout,
    RithmicCompletedOrdersLayout,
    RithmicPerformanceLayout,
    QuantowerTradesLayout,
    TradeStationOrdersLayout,
    TastytradeLayout,
    SchwabLayout,
)
LAYOUT_NAMES = tuple(layout.name for layout in BUILTIN_LAYOUTS)


def _layouts(extra: Sequence[LayoutSpec]) -> list[type[BrokerLayout]]:
    # Saved layouts first: ops staff save one precisely because a built-in did not fit.
    return [build_layout(spec) for spec in extra] + list(BUILTIN_LAYOUTS)


def layout_class(name: str, *, extra: Sequence[LayoutSpec] = ()) -> type[BrokerLayout]:
    for layout in _layouts(extra):
        if layout.name == name:
            return layout
    known = ", ".join(sorted([*LAYOUT_NAMES, *(s.name for s in extra)]))
    raise KeyError(f"unknown layout {name!r}; known layouts: {known}")


def groups_fills(name: str, *, extra: Sequence[LayoutSpec] = ()) -> bool:
    """Whether the layout reads fills and groups them into trades (so the grouping choice matters)."""
    from .base import ExecutionLayout

    try:
        return issubclass(layout_class(name, extra=extra), ExecutionLayout)
    except KeyError:
        return False


def detect_layout(text: str, *, extra: Sequence[LayoutSpec] = ()) -> str | None:
    """The name of the layout the file is in, or None when no known signature is present."""
    matching = [layout for layout in _layouts(extra) if layout.matches(text)]
    if not matching:
        return None
    # The longest signature wins: a file that satisfies two layouts is the more specific one.
    return max(matching, key=lambda layout: len(layout.signature)).name


def parse_broker_text(
    text: str, *, layout: str, options: BrokerOptions, extra: Sequence[LayoutSpec] = ()
) -> BrokerParse:
    """Read a broker file in ``layout`` into canonical text rows (round trips), errors and warnings."""
    return layout_class(layout, extra=extra)().parse(text, options)


def _candidate_headers(text: str, limit: int = 40) -> list[set[str]]:
    out = []
    for count, (_line, cells) in enumerate(csv_lines(text)):
        names = {norm_header(c) for c in cells if c.strip()}
        if len(names) >= 2:
            out.append(names)
        if count >= limit:
            break
    return out


def closest_layouts(text: str, *, extra: Sequence[LayoutSpec] = (), top: int = 3) -> list[tuple[str, str, list[str]]]:
    """(name, label, missing columns) of the layouts whose signature the file's header comes closest to."""
    headers = _candidate_headers(text)
    scored = []
    for layout in _layouts(extra):
        need = [norm_header(c) for c in layout.signature]
        best = max((sum(1 for c in need if c in header) for header in headers), default=0)
        if best < 2:
            continue  # one shared word ("Qty") is not a resemblance
        missing_for_best = min(
            ([c for c, n in zip(layout.signature, need, strict=True) if n not in header] for header in headers),
            key=len,
        )
        scored.append((best / len(need), layout.name, layout.label, missing_for_best))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(name, label, missing) for _score, name, label, missing in scored[:top]]


def unknown_layout_message(text: str, *, extra: Sequence[LayoutSpec] = ()) -> str:
    """What to tell a person whose file matches no layout: the closest ones and what they lack."""
    lines = ["This file is not in a layout we know (canonical CSV or a broker export)."]
    closest = closest_layouts(text, extra=extra)
    if closest:
        lines.append("Closest known layouts:")
        for name, label, missing in closest:
            lines.append(f"- {label} (--format {name}): missing column(s) {', '.join(missing)}")
    else:
        lines.append("Known layouts: " + ", ".join(f"{cls.label} ({cls.name})" for cls in BUILTIN_LAYOUTS) + ".")
    lines.append(
        "If the broker renamed a column, fix the header; for a new broker, save a column mapping under "
        "Import layouts in the admin, then import again."
    )
    lines.append(
        "To have a layout proposed from the file itself (offline), run `python manage.py propose_layout FILE` "
        "and confirm it with --save NAME."
    )
    return "\n".join(lines)
