"""Recommendations people can act on: analysis tracks nothing; acting on an opportunity tracks it.

Covers ``track_recommendation`` (service), ``POST recommendations/track/`` with an analysis and an
opportunity, and the data migration that drops untouched analysis-sourced rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from post_mortem.models import ImplementationStatus, Recommendation, Trade, TradeAnalysis
from post_mortem.services.analyses import analysis_run_sync
from post_mortem.services.recommendations import track_recommendation
from tests.factories import TradeFactory

UTC = dt.UTC
TRACK = "/api/post-mortem/recommendations/track/"


@pytest.fixture
def analysed(db) -> TradeAnalysis:
    """A small desk of the tests' own making; the last trade blows through its stop."""
    start = dt.datetime(2026, 4, 6, 14, 0, tzinfo=UTC)
    trades = [
        TradeFactory(
            account="Desk-Mixed", entry_time=start + dt.timedelta(hours=i),
            exit_time=start + dt.timedelta(hours=i, minutes=20),
            entry_price=Decimal("52.10"), exit_price=Decimal("52.40") if i < 7 else Decimal("51.20"),
            stop_price=Decimal("51.90"),
        )
        for i in range(8)
    ]  # fmt: skip
    run = analysis_run_sync(queryset=Trade.objects.all(), engine="rules")
    assert run.succeeded == 8
    return TradeAnalysis.objects.get(trade=trades[-1])


def _codes(analysis: TradeAnalysis) -> list[str]:
    return [o["type_code"] for o in analysis.analysis_data["improvement_opportunities"]]


def test_analysis_creates_no_tracked_recommendation(analysed):
    assert "stop_not_honoured" in _codes(analysed)
    assert Recommendation.objects.count() == 0
    assert Recommendation.history.model.objects.count() == 0


def test_first_action_creates_the_recommendation_then_updates_it(analysed, ops_user):
    rec = track_recommendation(
        analysis_id=analysed.pk, recommendation_id="stop_not_honoured", status="IMPLEMENTED",
        implementation_date=dt.date(2026, 4, 10), reason="resting stops from Monday", user=ops_user,
    )  # fmt: skip
    assert rec.analysis_id == analysed.pk and rec.source == "ANALYSIS" and rec.scope_accounts == ["Desk-Mixed"]
    assert rec.segment == {"factor": "primary_factor", "value": "stop_not_honoured"}
    opp = next(o for o in analysed.analysis_data["improvement_opportunities"] if o["type_code"] == "stop_not_honoured")
    assert rec.text == opp["suggestion"] and rec.expected_impact_r == opp["expected_impact_r"]
    assert rec.evidence["trade_id"] == analysed.trade_id
    history = list(rec.history.order_by("history_id"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert {h.history_user for h in history} == {ops_user}
    again = track_recommendation(
        analysis_id=analysed.pk, recommendation_id="stop_not_honoured", status="IGNORED", user=ops_user
    )
    assert again.pk == rec.pk and again.implementation_status == ImplementationStatus.IGNORED
    assert Recommendation.objects.count() == 1


def test_bad_input_names_the_field_and_writes_nothing(analysed, ops_user):
    with pytest.raises(ValidationError) as err:
        track_recommendation(analysis_id=analysed.pk, recommendation_id="early_exit", status="IGNORED", user=ops_user)
    assert "opportunity" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        track_recommendation(
            analysis_id=analysed.pk, recommendation_id="stop_not_honoured", status="IMPLEMENTED",
            implementation_date=dt.date(2999, 1, 1), user=ops_user,
        )  # fmt: skip
    assert "implementation_date" in err.value.message_dict
    with pytest.raises(TradeAnalysis.DoesNotExist):
        track_recommendation(analysis_id=987654, recommendation_id="stop_not_honoured", status="IGNORED", user=ops_user)
    assert Recommendation.objects.count() == 0


def test_api_tracks_an_opportunity(analysed, ops_user, auditor_user):
    ops_client, auditor_client = Client(), Client()
    ops_client.force_login(ops_user)
    auditor_client.force_login(auditor_user)
    body = {"analysis": analysed.pk, "opportunity": "stop_not_honoured", "status": "implemented"}
    r = ops_client.post(TRACK, body, content_type="application/json")
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["analysis"] == analysed.pk and data["implementation_status"] == "IMPLEMENTED"
    assert Recommendation.objects.get().history.first().history_user == ops_user
    r = ops_client.post(TRACK, {**body, "status": "IGNORED"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["id"] == data["id"] and Recommendation.objects.count() == 1

    bad = ops_client.post(TRACK, {**body, "opportunity": "early_exit"}, content_type="application/json")
    assert bad.status_code == 422 and "opportunity" in bad.json()  # well formed, not in that post-mortem
    both = ops_client.post(TRACK, {**body, "recommendation_id": data["id"]}, content_type="application/json")
    assert both.status_code == 400 and "recommendation_id" in both.json()
    half = ops_client.post(TRACK, {"analysis": analysed.pk, "status": "IGNORED"}, content_type="application/json")
    assert half.status_code == 400 and "opportunity" in half.json()
    missing = ops_client.post(TRACK, {**body, "analysis": 987654}, content_type="application/json")
    assert missing.status_code == 404
    assert auditor_client.post(TRACK, body, content_type="application/json").status_code == 403
    assert Recommendation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_touched_rows_with_history_and_drops_the_rest():
    executor = MigrationExecutor(connection)
    before = [("post_mortem", "0007_import_batch_skipped_notes")]
    after = [("post_mortem", "0008_drop_untouched_analysis_recommendations")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Rec = apps.get_model("post_mortem", "Recommendation")
    History = apps.get_model("post_mortem", "HistoricalRecommendation")
    Assessment = apps.get_model("post_mortem", "ImpactAssessment")
    now = dt.datetime(2026, 5, 1, tzinfo=UTC)

    def rec(**fields):
        row = Rec.objects.create(text="t", area="exit", type_code="early_exit", source="ANALYSIS", **fields)
        History.objects.create(
            id=row.pk, text=row.text, area=row.area, type_code=row.type_code, source=row.source,
            implementation_status=row.implementation_status, notes=row.notes, created_at=now, updated_at=now,
            history_date=now, history_type="+",
        )  # fmt: skip
        return row

    untouched = [rec() for _ in range(3)]
    status_changed = rec(implementation_status="IGNORED", status_changed_at=now)
    with_notes = rec(notes="discussed on Friday")
    measured = rec()
    Assessment.objects.create(recommendation=measured)
    changed_in_history = rec()
    History.objects.create(
        id=changed_in_history.pk, text="t", area="exit", type_code="early_exit", source="ANALYSIS",
        implementation_status="PENDING", notes="", created_at=now, updated_at=now, history_date=now, history_type="~",
    )  # fmt: skip
    plan_item = Rec.objects.create(text="plan", area="behavioral", type_code="after_loss", source="PLAN")
    History.objects.create(  # a row an earlier re-analysis replaced untouched: created + deleted
        id=999_001, text="gone", area="exit", type_code="early_exit", source="ANALYSIS",
        implementation_status="PENDING", notes="", created_at=now, updated_at=now, history_date=now, history_type="+",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    apps = executor.loader.project_state(after).apps
    Rec = apps.get_model("post_mortem", "Recommendation")
    History = apps.get_model("post_mortem", "HistoricalRecommendation")
    kept = {status_changed.pk, with_notes.pk, measured.pk, changed_in_history.pk, plan_item.pk}
    assert set(Rec.objects.values_list("pk", flat=True)) == kept
    assert not History.objects.filter(id__in=[u.pk for u in untouched] + [999_001]).exists()
    assert History.objects.filter(id=changed_in_history.pk).count() == 2
    assert History.objects.filter(id=status_changed.pk).count() == 1
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())  # leave the schema as the other tests expect
