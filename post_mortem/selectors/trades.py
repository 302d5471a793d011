"""Reads of trades and import batches that the admin (and others) share.

The trade changelist runs over 1M rows: these querysets add exactly what the list shows (one
EXISTS for "analysed?") and nothing that would make SQLite scan the table.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from ..models import ImportBatch, Trade, TradeAnalysis


def trade_list_queryset() -> QuerySet[Trade]:
    """Trades for list pages: `is_analysed` comes from an indexed EXISTS, not a join per row."""
    return Trade.objects.annotate(is_analysed=Exists(TradeAnalysis.objects.filter(trade_id=OuterRef("pk"))))


def trade_detail_queryset() -> QuerySet[Trade]:
    return Trade.objects.select_related("import_batch")


def import_batch_list_queryset() -> QuerySet[ImportBatch]:
    """Batches with their run and user, for the batch list's progress and 'who' columns."""
    return ImportBatch.objects.select_related("run", "created_by").defer("previous_values", "errors")


def import_batch_trade_count(*, batch: ImportBatch) -> int:
    """Trades still owned by the batch (a later import may have taken some over)."""
    return Trade.objects.filter(import_batch=batch).count()
