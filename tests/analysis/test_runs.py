"""Analysis runs end to end through the real services, database and django-q2 (sync mode)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from post_mortem.models import (
    ChunkStatus,
    ImplementationStatus,
    JobRun,
    Recommendation,
    RunStatus,
    TradeAnalysis,
)
from post_mortem.services.analyses import analysis_chunk_process, analysis_run_start, analysis_run_sync
from post_mortem.services.recommendations import track_recommendation
from tests.factories import TradeFactory

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def _desk(n: int = 12):
    """Alternating losers that blow through the stop and winners, on two accounts."""
    trades = []
    for i in range(n):
        loser = i % 3 == 0
        trades.append(
            TradeFactory(
                account="ACC-A" if i % 2 else "ACC-B",
                entry_time=T0 + dt.timedelta(hours=i),
                exit_time=T0 + dt.timedelta(hours=i, minutes=20),
                entry_price=Decimal("100"),
                exit_price=Decimal("97") if loser else Decimal("101.5"),
                stop_price=Decimal("99"),
            )
        )
    return trades


@pytest.mark.django_db
def test_run_start_enqueues_chunks_that_analyse_every_trade_once(django_capture_on_commit_callbacks):
    trades = _desk(12)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = analysis_run_start(trade_ids=[t.pk for t in trades], engine="rules", chunk_size=5)
    enqueued = [c for c in callbacks if c.__qualname__.startswith("enqueue_after_commit")]
    assert len(enqueued) == 3  # one task per chunk, enqueued only after commit
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert (run.total, run.done, run.succeeded, run.failed) == (12, 12, 12, 0)
    assert run.chunks.count() == 3
    assert set(run.chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}
    assert TradeAnalysis.objects.count() == 12
    loser = TradeAnalysis.objects.get(trade=trades[0])
    assert "stop_not_honoured" in loser.primary_factors
    opp = next(o for o in loser.analysis_data["improvement_opportunities"] if o["type_code"] == "stop_not_honoured")
    assert opp["expected_impact_r"] == pytest.approx(2.01)  # lost -3.01R (fees count) against a -1R plan
    assert not Recommendation.objects.exists()  # analysis tracks nothing: opportunities stay on the post-mortem


@pytest.mark.django_db
def test_retried_chunk_neither_double_counts_nor_duplicates():
    trades = _desk(6)
    run = analysis_run_sync(trade_ids=[t.pk for t in trades], engine="rules", chunk_size=3)
    recs_before = Recommendation.objects.count()
    chunk = run.chunks.first()
    assert analysis_chunk_process(chunk_id=chunk.pk) is None  # done: a retry is a no-op
    # A worker died after saving but before completing: the chunk is re-claimed and redone.
    chunk.status = ChunkStatus.QUEUED
    chunk.save(update_fields=["status"])
    JobRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, finished_at=None)
    analysis_chunk_process(chunk_id=chunk.pk)
    run.refresh_from_db()
    assert Recommendation.objects.count() == recs_before
    assert TradeAnalysis.objects.count() == 6


@pytest.mark.django_db
def test_reanalysis_keeps_recommendations_a_person_tracked(superuser):
    trades = _desk(3)
    analysis_run_sync(trade_ids=[trades[0].pk], engine="rules")
    analysis = TradeAnalysis.objects.get(trade=trades[0])
    codes = [o["type_code"] for o in analysis.analysis_data["improvement_opportunities"]]
    assert codes and not analysis.recommendations.exists()
    tracked = track_recommendation(
        analysis_id=analysis.pk, recommendation_id=codes[0], status="IGNORED", reason="not for us", user=superuser
    )
    analysis_run_sync(trade_ids=[trades[0].pk], engine="rules")
    after = list(TradeAnalysis.objects.get(pk=analysis.pk).recommendations.all())
    assert [r.pk for r in after] == [tracked.pk]  # still linked; nothing new created
    assert after[0].implementation_status == ImplementationStatus.IGNORED


@pytest.mark.django_db
def test_bad_input_is_a_clear_error():
    with pytest.raises(ValidationError, match="Unknown trade ids"):
        analysis_run_start(trade_ids=[999999], engine="rules")
    with pytest.raises(ValidationError, match="Unknown engine"):
        analysis_run_start(trade_ids=[1], engine="gpt")
    with pytest.raises(ValidationError, match="ANTHROPIC_API_KEY"):
        analysis_run_start(trade_ids=[1], engine="claude")
    assert JobRun.objects.count() == 0
