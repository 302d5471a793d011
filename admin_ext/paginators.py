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
        if query is None or query.where or query.distinct or query.combinator or query.is_sliced:
            return super().count
        connection = connections[qs.db]
        if connection.vendor != "postgresql":
            return super().count
        # One query either way: the estimate when the table is big, else the exact COUNT(*)
        # (PostgreSQL evaluates the scalar subquery only in the branch that needs it).
        table = qs.model._meta.db_table
        exact = f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}"  # noqa: S608 (model's own table)
        with connection.cursor() as cursor:
            sql = f"SELECT CASE WHEN c.reltuples >= %s THEN c.reltuples::bigint ELSE ({exact}) END"
            cursor.execute(sql + " FROM pg_class c WHERE c.oid = to_regclass(%s)", [ESTIMATE_ABOVE, table])
            row = cursor.fetchone()
        return int(row[0]) if row else super().count
