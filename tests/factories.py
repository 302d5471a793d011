"""factory-boy factories for the domain. Trades get their derived numbers from Trade.save()."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from post_mortem.models import MarketBar, Recommendation, Side, Trade

UTC = dt.UTC


class TradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trade

    external_id = factory.Sequence(lambda n: f"T{n:06d}")
    account = "ACC-1"
    symbol = "AAPL"
    side = Side.LONG
    quantity = Decimal("100")
    entry_time = factory.Sequence(lambda n: dt.datetime(2026, 1, 5, 14, 30, tzinfo=UTC) + dt.timedelta(hours=n))
    exit_time = factory.LazyAttribute(lambda t: t.entry_time + dt.timedelta(minutes=45))
    entry_price = Decimal("100")
    exit_price = Decimal("101")
    fees = Decimal("1")
    stop_price = Decimal("99")
    target_price = Decimal("102")
    setup = "breakout"


class MarketBarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketBar

    symbol = "AAPL"
    timestamp = factory.Sequence(lambda n: dt.datetime(2026, 1, 5, 14, 0, tzinfo=UTC) + dt.timedelta(minutes=5 * n))
    open = 100.0
    high = 100.5
    low = 99.5
    close = 100.2
    volume = 1000


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    text = factory.Sequence(lambda n: f"Recommendation {n}")
    area = "risk_management"
    type_code = "honour_stop"


class TradeAnalysisFactory(factory.django.DjangoModelFactory):
    """A saved post-mortem row (built directly; engine output shape kept minimal)."""

    class Meta:
        model = "post_mortem.TradeAnalysis"

    trade = factory.SubFactory(TradeFactory)
    analysis_data = factory.LazyFunction(
        lambda: {"performance_analysis": {"overall_evaluation": "ok"}, "improvement_opportunities": []}
    )
    success_score = 60
    primary_factors = factory.LazyFunction(lambda: ["stop_honoured"])
    engine = "rules"


class AnalysisPatternFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "post_mortem.AnalysisPattern"

    pattern_type = "weakness"
    description = factory.Sequence(lambda n: f"Pattern {n}")
    confidence = 0.99
    category = "timing"
    factor = "hour"
    segment = factory.Sequence(lambda n: f"h{n % 24}")
    n = 40
    n_rest = 400
    effect = -0.5
    ci_low = -0.8
    ci_high = -0.2
    p_value = 0.001
    q_value = 0.01
    significant = True
    affected_trade_ids = factory.LazyFunction(lambda: [1, 2, 3])


class ImprovementPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "post_mortem.ImprovementPlan"

    title = factory.Sequence(lambda n: f"Plan {n}")
    focus_areas = factory.LazyFunction(lambda: ["timing"])


class JobRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "post_mortem.JobRun"

    kind = "ANALYSIS"
    total = 10
