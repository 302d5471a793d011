"""JSON-field queries the code relies on, run on both SQLite (JSON1) and PostgreSQL (jsonb).

The two backends store and compare JSON differently (jsonb reorders object keys and compares
typed values; SQLite's JSON_EXTRACT returns SQL scalars). These tests pin the behaviour each
caller depends on, so a difference shows up as a failure on one of the two CI passes:

- `JobRun.objects.filter(params__use_batches=True)` (analysis service: the Claude batch poller);
- `TradeAnalysis...values_list("facts__trend_atr", "facts__atr_ratio")` (pattern selectors);
- `Recommendation.segment` / `Experiment.treatment` values read back whole (impact, experiments);
- key order of `analysis_data` (rendered as sections), which jsonb does not keep.
"""

from __future__ import annotations

import pytest
from django.db import NotSupportedError, connection

from post_mortem.models import JobRun, Recommendation, RunKind, TradeAnalysis
from tests.factories import TradeFactory

pytestmark = pytest.mark.django_db


def _analysis(facts: dict, **extra) -> TradeAnalysis:
    return TradeAnalysis.objects.create(trade=TradeFactory(), facts=facts, **extra)


def test_boolean_key_equality_matches_only_json_true():
    yes = JobRun.objects.create(kind=RunKind.ANALYSIS, params={"use_batches": True})
    JobRun.objects.create(kind=RunKind.ANALYSIS, params={"use_batches": False})
    text = JobRun.objects.create(kind=RunKind.ANALYSIS, params={"use_batches": "true"})
    JobRun.objects.create(kind=RunKind.ANALYSIS, params={"use_batches": 1})
    JobRun.objects.create(kind=RunKind.ANALYSIS, params={})
    matched = list(JobRun.objects.filter(params__use_batches=True).values_list("pk", flat=True))
    if connection.vendor == "sqlite":
        # Measured: SQLite also matches the STRING "true" (Django compares JSON_EXTRACT text
        # there); jsonb matches only the boolean. Callers must store real booleans under
        # use_batches (the analysis service does), never a string from a form or query param.
        assert sorted(matched) == [yes.pk, text.pk]
    else:
        assert matched == [yes.pk]


def test_key_values_come_back_typed_and_missing_keys_are_none():
    a = _analysis({"trend_atr": 1.25, "atr_ratio": 0.8})
    b = _analysis({"trend_atr": -0.5})  # atr_ratio missing
    c = _analysis({"trend_atr": None, "atr_ratio": 2})  # explicit JSON null, integer
    rows = {
        pk: (trend, ratio)
        for pk, trend, ratio in TradeAnalysis.objects.values_list("pk", "facts__trend_atr", "facts__atr_ratio")
    }
    assert rows[a.pk] == (1.25, 0.8)
    assert rows[b.pk] == (-0.5, None)
    assert rows[c.pk] == (None, 2)
    assert isinstance(rows[a.pk][0], float) and isinstance(rows[c.pk][1], int)


def test_key_values_of_lists_and_strings_are_decoded_alike():
    a = _analysis({"trend": "up", "levels": [1, 2], "ctx": {"n": 3}}, primary_factors=["early_exit", "oversized"])
    row = TradeAnalysis.objects.filter(pk=a.pk).values_list(
        "facts__trend", "facts__levels", "facts__ctx__n", "primary_factors"
    )[0]
    assert row == ("up", [1, 2], 3, ["early_exit", "oversized"])


def test_segment_key_lookup_compares_typed_values():
    """A segment value stored as the number 3 is not the string "3" on either database."""
    numeric = Recommendation.objects.create(text="cap streak", segment={"factor": "loss_streak", "value": 3})
    text = Recommendation.objects.create(text="cap streak", segment={"factor": "loss_streak", "value": "3"})
    by_factor = set(Recommendation.objects.filter(segment__factor="loss_streak").values_list("pk", flat=True))
    assert by_factor == {numeric.pk, text.pk}
    assert list(Recommendation.objects.filter(segment__value=3).values_list("pk", flat=True)) == [numeric.pk]
    assert list(Recommendation.objects.filter(segment__value="3").values_list("pk", flat=True)) == [text.pk]


def test_whole_values_round_trip_unicode_nested_and_big_numbers():
    segment = {"factor": "setup", "value": "gap fill – opening ✓", "accounts": ["A", "B"], "n": 2**40, "x": 0.1}
    rec = Recommendation.objects.create(text="t", segment=segment)
    rec.refresh_from_db()
    assert rec.segment == segment


def test_object_key_order_is_not_kept_by_postgres():
    """jsonb stores keys sorted (shorter first), SQLite keeps insertion order: code that shows the
    post-mortem's sections must order them itself, never rely on the stored order."""
    data = {"performance_analysis": {}, "entry_analysis": {}, "exit_analysis": {}, "risk_management": {}}
    analysis = _analysis({}, analysis_data=data)
    analysis.refresh_from_db()
    assert analysis.analysis_data == data
    if connection.vendor == "postgresql":
        assert list(analysis.analysis_data) != list(data)
    else:
        assert list(analysis.analysis_data) == list(data)


def test_containment_lookup_only_on_postgres():
    """`primary_factors__contains` is jsonb containment on PostgreSQL and unsupported on SQLite,
    which is why no code path uses it (the pattern selectors read the lists and filter in numpy)."""
    hit = _analysis({}, primary_factors=["early_exit", "oversized"])
    _analysis({}, primary_factors=["counter_trend"])
    query = TradeAnalysis.objects.filter(primary_factors__contains=["early_exit"])
    if connection.vendor == "postgresql":
        assert list(query.values_list("pk", flat=True)) == [hit.pk]
    else:
        with pytest.raises(NotSupportedError):
            list(query)
