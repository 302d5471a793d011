"""Routes of the REST API under /api/post-mortem/."""

from django.urls import include, path, register_converter
from rest_framework.routers import DefaultRouter

from .feedback import routes as feedback_routes
from .views.analyses import AnalysisBatchView, AnalysisDetailView, AnalysisListView
from .views.patterns import ImprovementPlanViewSet, PatternViewSet
from .views.runs import RunViewSet
from .views.trades import TradeViewSet


class DatabaseIdConverter:
    """A positive id that fits a 64-bit column; larger numbers do not match (404, not an overflow)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number < 2**63:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(DatabaseIdConverter, "dbid")

router = DefaultRouter()
router.include_format_suffixes = False
router.register("trades", TradeViewSet, basename="trade")
router.register("patterns", PatternViewSet, basename="pattern")
router.register("improvement-plans", ImprovementPlanViewSet, basename="improvementplan")
router.register("runs", RunViewSet, basename="jobrun")
for prefix, viewset, basename in feedback_routes:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("analyses/", AnalysisListView.as_view(), name="analysis-list"),
    path("analyses/batch/", AnalysisBatchView.as_view(), name="analysis-batch"),
    path("analyses/<dbid:trade_id>/", AnalysisDetailView.as_view(), name="analysis-detail"),
    path("ask/", include("post_mortem.api.views.ask")),
    path("what-if/", include("post_mortem.api.views.whatif")),
    *router.urls,
]
