"""The fast read path of the API serializers prints exactly what DRF's own path prints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework import serializers

from post_mortem.api import serializers as api_serializers
from post_mortem.selectors import api as selectors
from tests.factories import (
    AnalysisPatternFactory,
    ImprovementPlanFactory,
    JobRunFactory,
    RecommendationFactory,
    TradeAnalysisFactory,
    TradeFactory,
)


def _trades():
    return selectors.trade_with_analysis_id(selectors.trade_list())


def _drf_path(serializer_class, instance):
    """Serialize with DRF's generic Serializer.to_representation, nested serializers included."""
    original = api_serializers.FastReadMixin.to_representation
    try:
        api_serializers.FastReadMixin.to_representation = serializers.Serializer.to_representation
        return serializer_class(instance).data
    finally:
        api_serializers.FastReadMixin.to_representation = original


@pytest.mark.parametrize(
    ("serializer_class", "make", "queryset"),
    [
        (api_serializers.TradeSerializer, lambda: TradeFactory(stop_price=None, tags="a;b"), _trades),
        (api_serializers.TradeSerializer, lambda: TradeAnalysisFactory().trade, _trades),
        (api_serializers.TradeAnalysisSerializer, TradeAnalysisFactory, selectors.analysis_list),
        (
            api_serializers.TradeAnalysisDetailSerializer,
            lambda: (
                RecommendationFactory(analysis=TradeAnalysisFactory(), implementation_date=dt.date(2026, 2, 1)).analysis
            ),
            selectors.analysis_detail,
        ),
        (api_serializers.AnalysisPatternDetailSerializer, AnalysisPatternFactory, selectors.pattern_detail),
        (api_serializers.ImprovementPlanDetailSerializer, ImprovementPlanFactory, selectors.plan_detail),
        (
            api_serializers.JobRunSerializer,
            lambda: JobRunFactory(cost_usd=Decimal("0.123456"), failures=[{"ref": 1, "reason": "x"}]),
            selectors.run_list,
        ),
    ],
)
def test_fast_path_matches_drf(db, serializer_class, make, queryset):
    made = make()
    instance = queryset().get(pk=made.pk)
    fast = serializer_class(instance).data
    reference = _drf_path(serializer_class, queryset().get(pk=made.pk))
    if "timings" in fast:  # computed against "now": compare the stable parts
        for key in ("queued_seconds", "running_seconds"):
            fast["timings"].pop(key), reference["timings"].pop(key)
    assert fast == reference
    assert list(fast) == list(reference)
