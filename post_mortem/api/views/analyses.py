"""analyses/: post-mortems of trades; POST queues new ones as a background run and answers 202.

The request never runs an engine itself (no event loop, no Claude call in the web process): it
validates, creates the JobRun through the analysis service, and the run's tasks are enqueued
after commit. The answer carries the run id to poll at runs/<id>/.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from ...models import JobRun, Trade, TradeAnalysis
from ...selectors import api as selectors
from ...services.analyses import analysis_run_start
from ..errors import refused_by_rules
from ..filters import AnalysisFilter, StrictOrderingFilter
from ..pagination import FastCountPagination
from ..permissions import DeskModelPermissions, ReanalysePermission
from ..schema import (
    BAD_REQUEST,
    DETAIL_ERRORS,
    FORBIDDEN,
    NOT_FOUND,
    READ_ERRORS,
    THROTTLED,
    UNAUTHENTICATED,
    UNPROCESSABLE,
)
from ..serializers import (
    AnalysisBatchRequestSerializer,
    AnalysisRequestSerializer,
    RunQueuedSerializer,
    TradeAnalysisDetailSerializer,
    TradeAnalysisSerializer,
)
from ..throttling import WriteRateThrottle

TRADE_ID_PARAM = OpenApiParameter(
    "trade_id", int, OpenApiParameter.PATH, description="Primary key of the trade (not the analysis id)."
)
QUEUED = OpenApiResponse(RunQueuedSerializer, description="Queued: poll the run's url for progress.")


def _start_run(*, request: Request, trade_ids: list[int], engine: str | None, use_batches: bool = False) -> Response:
    """Create the run through the analysis service; a refusal by the service is a 422, nothing written."""
    try:
        with transaction.atomic():
            run: JobRun = analysis_run_start(
                trade_ids=trade_ids, engine=engine, requested_by=request.user, use_batches=use_batches
            )
    except DjangoValidationError as exc:
        raise refused_by_rules(exc) from exc
    body = {
        "run": run.pk,
        "kind": run.kind,
        "status": run.status,
        "total": run.total,
        "engine": (run.params or {}).get("engine", engine),
        "url": request.build_absolute_uri(reverse("jobrun-detail", args=[run.pk])),
    }
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class AnalysisListView(generics.ListAPIView):
    queryset = selectors.analysis_list()
    serializer_class = TradeAnalysisSerializer
    permission_classes = [DeskModelPermissions]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = AnalysisFilter
    pagination_class = FastCountPagination
    ordering_fields = ["updated_at", "created_at", "success_score", "id"]
    ordering = ["-updated_at", "-id"]
    TRADE_FIELD_FILTERS = ("account", "symbol", "setup")
    JOINED_COUNT_CAP = 1_000

    def get_count_cap(self, default: int) -> int:
        """Filters on the trade's fields are counted through a join (one probe per row): cap lower."""
        if any(self.request.query_params.get(name) for name in self.TRADE_FIELD_FILTERS):
            return min(default, self.JOINED_COUNT_CAP)
        return default

    def filter_queryset(self, queryset):
        """On SQLite, walk the ordering index when a trade-field filter matches many rows.

        SQLite's planner answers `?account=X` by reading every trade of X through the account index,
        joining its analysis and sorting them all (400 ms for 25k matches at 1M trades), even for a
        page of 100. When the filter is dense (more matches than the count cap), walking the
        analyses in page order and probing each one's trade (EXISTS) finds a page in a few thousand
        probes; when it is sparse, the join sorts only those few rows and stays the better plan.
        PostgreSQL's planner makes that choice itself.
        """
        filtered = super().filter_queryset(queryset)
        trade_kwargs = {
            name: value for name in self.TRADE_FIELD_FILTERS if (value := self.request.query_params.get(name))
        }
        if not trade_kwargs or connection.vendor != "sqlite":
            return filtered
        self.count_queryset = filtered
        if filtered.order_by()[: self.JOINED_COUNT_CAP + 1].count() <= self.JOINED_COUNT_CAP:
            return filtered
        rest = self.request.query_params.copy()
        for name in trade_kwargs:
            rest.pop(name)
        others = self.filterset_class(rest, queryset=queryset, request=self.request)
        others.is_valid()  # the full set of parameters was validated above
        dense = others.qs.filter(Exists(Trade.objects.filter(pk=OuterRef("trade_id"), **trade_kwargs)))
        return StrictOrderingFilter().filter_queryset(self.request, dense, self)

    @extend_schema(
        summary="List post-mortems",
        description=(
            "Post-mortems (one per trade), most recently updated first, each with a brief of its trade. "
            "Needs `post_mortem.view_tradeanalysis` (Auditor, Ops). `count` is exact up to 10,000 results "
            "(1,000 with an account/symbol/setup filter; see `count_exact`)."
        ),
        responses={200: TradeAnalysisSerializer(many=True), **READ_ERRORS},
        tags=["analyses"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AnalysisDetailView(generics.GenericAPIView):
    """GET a trade's post-mortem; POST queues a (re-)analysis of that trade."""

    queryset = selectors.analysis_detail()
    serializer_class = TradeAnalysisDetailSerializer
    permission_classes = [ReanalysePermission]
    throttle_classes = [WriteRateThrottle]
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        summary="A trade's post-mortem",
        description=(
            "The post-mortem of the trade `trade_id` (the trade's primary key), with the facts the engine was "
            "given and the recommendations it made. 404 when the trade is unknown or has no post-mortem yet. "
            "Needs `post_mortem.view_tradeanalysis` (Auditor, Ops)."
        ),
        parameters=[TRADE_ID_PARAM],
        responses={200: TradeAnalysisDetailSerializer, **DETAIL_ERRORS},
        tags=["analyses"],
    )
    def get(self, request: Request, trade_id: int) -> Response:
        analysis = self.get_queryset().filter(trade_id=trade_id).first()
        if analysis is None:
            if not Trade.objects.filter(pk=trade_id).exists():
                raise Http404(f"No trade with id {trade_id}.")
            raise Http404(f"Trade {trade_id} has no post-mortem yet; POST to this URL to queue one.")
        self.check_object_permissions(request, analysis)
        return Response(self.get_serializer(analysis).data)

    @extend_schema(
        summary="Queue a post-mortem of one trade",
        description=(
            "Queues an analysis of the trade as a background run and answers 202 with the run id at once. "
            "Needs `post_mortem.add_tradeanalysis`; when the trade already has a post-mortem (it is replaced) "
            "also `post_mortem.change_tradeanalysis` (Ops has both; Auditors get 403). The body is optional. "
            "Rate-limited per user (the `writes` throttle)."
        ),
        parameters=[TRADE_ID_PARAM],
        request=AnalysisRequestSerializer,
        responses={
            202: QUEUED,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            422: UNPROCESSABLE,
            429: THROTTLED,
        },
        examples=[OpenApiExample("Rules engine", value={"engine": "rules"}, request_only=True)],
        tags=["analyses"],
    )
    def post(self, request: Request, trade_id: int) -> Response:
        trade = selectors.trade_with_analysis_flag().filter(pk=trade_id).first()
        if trade is None:
            raise Http404(f"No trade with id {trade_id}.")
        self.check_object_permissions(request, trade)
        body = AnalysisRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _start_run(request=request, trade_ids=[trade.pk], engine=body.validated_data.get("engine"))


class AnalysisBatchView(generics.GenericAPIView):
    """POST a list of trade ids: one background run analyses them all."""

    queryset = TradeAnalysis.objects.all()
    serializer_class = AnalysisBatchRequestSerializer
    permission_classes = [DeskModelPermissions]
    throttle_classes = [WriteRateThrottle]
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        summary="Queue post-mortems of many trades",
        description=(
            "Validates every id (422 naming the unknown ones; nothing is queued then), creates one background "
            "run and answers 202 with its id. Needs `post_mortem.add_tradeanalysis`, plus "
            "`post_mortem.change_tradeanalysis` when some of the trades already have a post-mortem (Ops). "
            "`use_batches` sends the work through Claude's Message Batches API (claude engine only). "
            "Rate-limited per user (the `writes` throttle)."
        ),
        request=AnalysisBatchRequestSerializer,
        responses={
            202: QUEUED,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            422: UNPROCESSABLE,
            429: THROTTLED,
        },
        examples=[
            OpenApiExample("Three trades", value={"trade_ids": [101, 102, 103], "engine": "rules"}, request_only=True)
        ],
        tags=["analyses"],
    )
    def post(self, request: Request) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        trade_ids: list[int] = body.validated_data["trade_ids"]
        if not request.user.has_perm("post_mortem.change_tradeanalysis"):
            analysed = _already_analysed(trade_ids)
            if analysed:
                shown = ", ".join(str(pk) for pk in analysed[:50])
                raise PermissionDenied(
                    f"Trades {shown} already have a post-mortem; replacing it needs the change permission."
                )
        return _start_run(
            request=request,
            trade_ids=trade_ids,
            engine=body.validated_data.get("engine"),
            use_batches=body.validated_data.get("use_batches", False),
        )


def _already_analysed(trade_ids: list[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(trade_ids), 900):
        part = trade_ids[start : start + 900]
        found.extend(TradeAnalysis.objects.filter(trade_id__in=part).values_list("trade_id", flat=True))
    return sorted(found)
