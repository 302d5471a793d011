"""trades/: the desk's closed trades, read-only, filterable, without a full COUNT on 1M rows."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from ...selectors import api as selectors
from ..filters import TradeFilter
from ..pagination import FastCountPagination
from ..schema import DETAIL_ERRORS, READ_ERRORS
from ..serializers import TradeSerializer
from .base import DeskReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(
        tags=["trades"],
        summary="List trades",
        description=(
            "Closed trades, newest entry first. Filter by account, symbol, setup, side, entry date or time "
            "range, import batch, analyzed or not. Needs `post_mortem.view_trade` (Auditor, Ops). "
            "`count` is exact up to 10,000 results (see `count_exact`)."
        ),
        responses={200: TradeSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        tags=["trades"],
        summary="One trade",
        description="A trade with its derived numbers and the id of its post-mortem. Needs `post_mortem.view_trade`.",
        responses={200: TradeSerializer, **DETAIL_ERRORS},
    ),
)
class TradeViewSet(DeskReadOnlyViewSet):
    queryset = selectors.trade_list()
    serializer_class = TradeSerializer
    filterset_class = TradeFilter
    pagination_class = FastCountPagination
    ordering_fields = ["entry_time", "exit_time", "net_pnl", "r_multiple", "id"]
    ordering = ["-entry_time", "-id"]
    ordering_skips_nulls = ("r_multiple",)  # trades without a stop have no R

    def filter_queryset(self, queryset):
        filtered = super().filter_queryset(queryset)
        self.count_queryset = filtered  # FastCountPagination counts this one: no join to the analyses
        return selectors.trade_with_analysis_id(filtered)
