"""Fills grouped one way must not land beside the same positions grouped the other way.

Why: flat-to-flat and FIFO grouping give a multi-fill position different trade ids (first~last
fill against one id per lot pair), so re-importing a fills file with the other grouping would add
its positions a second time and double their P&L, silently. The writer matches trades by id only;
this check finds the overlap by time instead and refuses the rows, naming the batch to roll back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from django.db.models import Q

from ..models import Trade
from .canonical import CanonicalTrade, RowError


def batch_grouping(options: dict | None) -> str:
    """The grouping an import ran with ("flat" unless it said "fifo")."""
    return "fifo" if str((options or {}).get("grouping") or "").lower() == "fifo" else "flat"


def grouping_conflicts(
    trades: Sequence[CanonicalTrade], *, grouping: str, fill_layouts: Collection[str]
) -> list[RowError]:
    """Rows whose position was already imported from fills under the other grouping.

    A row conflicts when an existing trade on the same account and symbol, imported by a layout in
    ``fill_layouts`` with the other grouping, overlaps it in time and is not the same trade (id).
    """
    by_instrument: dict[tuple[str, str], list[CanonicalTrade]] = defaultdict(list)
    for trade in trades:
        by_instrument[(trade.account, trade.symbol)].append(trade)
    errors: list[RowError] = []
    for (account, symbol), rows in by_instrument.items():
        start = min(t.entry_time for t in rows)
        end = max(t.exit_time for t in rows)
        overlapping = (
            Trade.objects.filter(
                account=account,
                symbol=symbol,
                entry_time__lte=end,
                exit_time__gte=start,
                import_batch__file_format__in=list(fill_layouts),
            )
            .exclude(external_id__in=[t.external_id for t in rows])
            .select_related("import_batch")
            .only("external_id", "entry_time", "exit_time", "import_batch__id", "import_batch__options")
            .order_by("entry_time")
        )
        # Batches store grouping "fifo", or "" / nothing for the default flat to flat.
        if grouping == "fifo":
            overlapping = overlapping.filter(
                Q(import_batch__options__grouping__isnull=True) | ~Q(import_batch__options__grouping="fifo")
            )
        else:
            overlapping = overlapping.filter(import_batch__options__grouping="fifo")
        others = list(overlapping)
        for trade in rows:
            clash = next(
                (o for o in others if o.entry_time <= trade.exit_time and o.exit_time >= trade.entry_time), None
            )
            if clash is None:
                continue
            other = batch_grouping(clash.import_batch.options)
            errors.append(
                RowError(
                    trade.line,
                    "grouping",
                    f"{account} {symbol}: this position was imported from fills grouped {_words(other)} "
                    f"(trade {clash.external_id}, import batch #{clash.import_batch.pk}); importing it grouped "
                    f"{_words(grouping)} would count it twice. Roll back batch #{clash.import_batch.pk} first, "
                    f"or import with grouping '{other}'.",
                )
            )
    return errors


def _words(grouping: str) -> str:
    return "lot by lot (FIFO)" if grouping == "fifo" else "flat to flat"
