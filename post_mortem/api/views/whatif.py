"""what-if/: replay rules on the desk's trades (POST, 202 + run) and read the report (GET <id>/).

Thin: the input is validated here, the service validates the rules (errors name the rule and the
field) and enqueues the run; the report is the run's result.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ...models import JobRun, RunKind
from ...services.whatif import MAX_RULES, what_if_start, what_if_summary
from ..errors import UnprocessableEntity
from ..permissions import DeskModelPermissions
from ..schema import BAD_REQUEST, DETAIL_ERRORS, FORBIDDEN, THROTTLED, UNAUTHENTICATED, UNPROCESSABLE
from ..serializers import StrictDateField, StrictRequestSerializer
from ..throttling import WriteRateThrottle


class WhatIfRequestSerializer(StrictRequestSerializer):
    """Body of POST what-if/: the rules to replay and the trades to replay them on."""

    rules = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=MAX_RULES,
        help_text='Rules, e.g. [{"type": "no_reentry_after_loss", "minutes": 30}, {"type": "max_size", "multiple": 2}]',
    )
    account = serializers.CharField(required=False, allow_blank=True, max_length=64)
    since = StrictDateField(required=False, help_text="First desk-local entry date")
    until = StrictDateField(required=False, help_text="Last desk-local entry date")


class WhatIfQueuedSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.URLField(help_text="Absolute URL of the report (GET what-if/<run>/)")


class WhatIfReportSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    status = serializers.CharField()
    error = serializers.CharField()
    rules = serializers.JSONField()
    actual = serializers.JSONField(allow_null=True, help_text="trades, net_pnl, expectancy_r, win_rate, max_drawdown")
    what_if = serializers.JSONField(allow_null=True, help_text="The same keys, replayed")
    difference = serializers.JSONField(
        allow_null=True, help_text="expectancy_r, ci_low, ci_high, p_value, net_pnl_per_month, significant"
    )
    out_of_sample = serializers.JSONField(allow_null=True, help_text="Walk-forward figures, or null")


class WhatIfView(APIView):
    permission_classes = [DeskModelPermissions]
    throttle_classes = [WriteRateThrottle]
    queryset = JobRun.objects.filter(kind=RunKind.WHATIF)

    @extend_schema(
        tags=["what-if"],
        summary="Replay rules on the actual trades",
        description=(
            "Queues a what-if run: the rules are applied to the desk's actual trade sequence (context recomputed), "
            "and actual vs replayed figures are compared with a block bootstrap over days/weeks. Rule types: "
            "skip_segment (factor, value), no_reentry_after_loss (minutes), max_trades_per_day (n), daily_loss_limit "
            "(r or usd), max_size (multiple), stop_r / target_r (r). Poll `GET what-if/{run}/`. Needs "
            "`post_mortem.add_jobrun` (Ops)."
        ),
        request=WhatIfRequestSerializer,
        responses={
            202: WhatIfQueuedSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            422: UNPROCESSABLE,
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        body = WhatIfRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            run = what_if_start(
                rules=data["rules"],
                account=data.get("account") or None,
                since=data.get("since"),
                until=data.get("until"),
                created_by=request.user,
            )
        except DjangoValidationError as exc:
            raise UnprocessableEntity({"rules": exc.messages}) from exc
        run.refresh_from_db()
        url = request.build_absolute_uri(reverse("what-if-detail", kwargs={"run_id": run.pk}))
        return Response({"run": run.pk, "status": run.status, "url": url}, status=status.HTTP_202_ACCEPTED)


class WhatIfDetailView(APIView):
    permission_classes = [DeskModelPermissions]
    queryset = JobRun.objects.filter(kind=RunKind.WHATIF)

    @extend_schema(
        tags=["what-if"],
        summary="A what-if report",
        description="Actual vs replayed figures, the difference with its CI and p-value, and the out-of-sample "
        "(walk-forward) figures when the rule came from mining the same trades. Needs `post_mortem.view_jobrun`.",
        responses={200: WhatIfReportSerializer, **DETAIL_ERRORS},
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = get_object_or_404(JobRun.objects.filter(kind=RunKind.WHATIF), pk=run_id)
        return Response(what_if_summary(run))


urlpatterns = [
    path("", WhatIfView.as_view(), name="what-if"),
    path("<dbid:run_id>/", WhatIfDetailView.as_view(), name="what-if-detail"),
]
