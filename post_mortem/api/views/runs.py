"""runs/: progress of background jobs, polled by scripts after a 202."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from ...selectors import api as selectors
from ..filters import RunFilter
from ..schema import DETAIL_ERRORS, READ_ERRORS
from ..serializers import JobRunSerializer
from .base import DeskReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(
        tags=["runs"],
        summary="List background runs",
        description="Imports, analyses, mining, plans and impact runs, newest first. Needs `post_mortem.view_jobrun`.",
        responses={200: JobRunSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        tags=["runs"],
        summary="Progress of one run",
        description=(
            "Status, total/done/succeeded/failed units, the first failures with reasons, token usage and cost, "
            "and timings (queued/running seconds, rate, ETA). Needs `post_mortem.view_jobrun` (Auditor, Ops)."
        ),
        responses={200: JobRunSerializer, **DETAIL_ERRORS},
    ),
)
class RunViewSet(DeskReadOnlyViewSet):
    queryset = selectors.run_list()
    serializer_class = JobRunSerializer
    filterset_class = RunFilter
    ordering_fields = ["created_at", "finished_at", "id"]
    ordering = ["-created_at", "-id"]
