"""Reads of trades and import batches that the admin (and others) share.

The trade changelist runs over 1M rows: these querysets add exactly what the list shows (one
EXISTS for "analysed?") and nothing that would make SQLite scan the table.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

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


# A desk has a few dozen accounts, symbols and setups; past this many a dropdown stops being useful.
DISTINCT_VALUES_CAP = 1000
DISTINCT_VALUE_FIELDS = ("account", "symbol", "setup")


def trade_distinct_values(field: str, *, cap: int = DISTINCT_VALUES_CAP) -> list[str]:
    """The distinct non-blank values of a trade column, in binary order, at most `cap` of them.

    Why a recursive query: `SELECT DISTINCT` reads every index entry (1M at 1M trades, and
    PostgreSQL has no skip scan); this walks the (field, entry_time) index from one value to the
    next, one seek per distinct value, so the list filters can offer choices on every page view.
    """
    if field not in DISTINCT_VALUE_FIELDS:
        raise ValueError(f"no distinct-value list for trade field {field!r}")
    table = connection.ops.quote_name(Trade._meta.db_table)
    column = connection.ops.quote_name(Trade._meta.get_field(field).column)
    sql = (
        f"WITH RECURSIVE walk(value) AS ("  # noqa: S608 (model's own table and column names)
        f" SELECT MIN({column}) FROM {table} WHERE {column} > %s"
        f" UNION ALL"
        f" SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > walk.value)"
        f" FROM walk WHERE walk.value IS NOT NULL"
        f") SELECT value FROM walk WHERE value IS NOT NULL LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ["", cap])
        return [row[0] for row in cursor.fetchall()]


def trade_id_prefix_q(prefix: str) -> Q:
    """Trades whose external id starts with `prefix` (as typed, or in capitals), on the external-id index.

    Why not `istartswith`: SQLite's LIKE ignores case, so it cannot use a plain index and reads
    all 1M rows; a range on the binary-ordered index finds the same ids in a few seeks.
    PostgreSQL's LIKE 'prefix%' uses the index's pattern operator class.
    """
    q = Q()
    for variant in dict.fromkeys([prefix, prefix.upper()]):
        if connection.vendor == "postgresql":
            q |= Q(external_id__startswith=variant)
        else:
            q |= Q(external_id__gte=variant, external_id__lt=variant + "\U0010ffff")
    return q


def latest_import_batches(*, limit: int = 20, include: int | None = None) -> list[ImportBatch]:
    """The newest batches (id, file name, time) for the trade list's batch filter, plus `include` if older."""
    fields = ("id", "file_name", "created_at")
    batches = list(ImportBatch.objects.only(*fields).order_by("-created_at", "-id")[:limit])
    if include is not None and len(batches) == limit and all(batch.pk != include for batch in batches):
        batches += list(ImportBatch.objects.only(*fields).filter(pk=include))
    return batches


def analyzed_trade_count() -> int:
    """Trades that have a post-mortem, counted from the post-mortem table.

    Why: counting `EXISTS (post-mortem)` row by row takes ~0.7 s at 1M trades on SQLite; a trade
    has at most one post-mortem, so the analyzed trades are as many as the post-mortems.
    """
    return TradeAnalysis.objects.count()
