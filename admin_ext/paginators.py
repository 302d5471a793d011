"""Changelist paginators for the million-row tables (trades, post-mortems).

Django's admin counts the whole filtered queryset on every changelist page. Unfiltered, that
is a COUNT(*) over every trade: on PostgreSQL (MVCC, no stored row count) that is a full scan
of the table or an index, ~100 ms at 1M rows, as much as the rest of the page together. An
unfiltered list therefore shows PostgreSQL's own estimate (pg_class.reltuples, refreshed by
autovacuum/ANALYZE) once the table is large; any filtered list, and every small table, still
gets the exact count. SQLite keeps its exact count (its COUNT(*) walks the smallest index and
has no estimate to offer).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows the exact count is cheap enough and an estimate would only confuse.
ESTIMATE_ABOVE = 100_000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        qs = self.object_list
        query = getattr(qs, "query", None)
        if query is None or query.where or query.distinct or query.combinator:
            return super().count
        db = qs.db
        if connections[db].vendor != "postgresql":
            return super().count
        with connections[db].cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [qs.model._meta.db_table]
            )
            row = cursor.fetchone()
        estimate = int(row[0]) if row and row[0] is not None else -1
        if estimate < ESTIMATE_ABOVE:  # never analysed (-1), or small: count exactly
            return super().count
        return estimate
