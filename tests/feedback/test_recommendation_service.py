"""recommendation_set_status: validation, dates in the desk timezone, audited history."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from post_mortem.models import ImplementationStatus, Recommendation
from post_mortem.services.recommendations import (
    desk_today,
    recommendation_bulk_set_status,
    recommendation_set_status,
)
from tests.factories import RecommendationFactory

pytestmark = pytest.mark.django_db


def test_implemented_defaults_date_to_desk_today_and_records_history(ops_user):
    rec = RecommendationFactory()
    out = recommendation_set_status(recommendation=rec, status="IMPLEMENTED", reason="desk agreed", user=ops_user)
    assert out.implementation_status == ImplementationStatus.IMPLEMENTED
    assert out.implementation_date == desk_today()
    assert out.status_changed_at is not None
    latest = rec.history.first()
    assert latest.history_user == ops_user
    assert latest.history_change_reason == "desk agreed"
    assert latest.implementation_status == "IMPLEMENTED"
    diff = latest.diff_against(latest.prev_record)
    changed = {c.field: (c.old, c.new) for c in diff.changes}
    assert changed["implementation_status"] == ("PENDING", "IMPLEMENTED")


def test_desk_today_uses_desk_timezone(settings):
    settings.DESK_TIMEZONE = "Pacific/Kiritimati"  # UTC+14: usually a day ahead of UTC
    expected = dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert desk_today() == expected


def test_explicit_past_date_kept_and_lowercase_status_accepted(ops_user):
    rec = RecommendationFactory()
    recommendation_set_status(
        recommendation=rec, status="implemented", implementation_date=dt.date(2026, 8, 1), notes="n1", user=ops_user
    )
    rec.refresh_from_db()
    assert rec.implementation_date == dt.date(2026, 8, 1)
    assert rec.notes == "n1"


def test_unknown_status_names_the_field(ops_user):
    rec = RecommendationFactory()
    with pytest.raises(ValidationError) as exc:
        recommendation_set_status(recommendation=rec, status="DONE", user=ops_user)
    assert "status" in exc.value.message_dict
    assert rec.history.count() == 1  # only the creation row


def test_future_date_rejected(ops_user):
    rec = RecommendationFactory()
    with pytest.raises(ValidationError) as exc:
        recommendation_set_status(
            recommendation=rec,
            status="IMPLEMENTED",
            implementation_date=desk_today() + dt.timedelta(days=2),
            user=ops_user,
        )
    assert "implementation_date" in exc.value.message_dict
    rec.refresh_from_db()
    assert rec.implementation_status == ImplementationStatus.PENDING


def test_date_with_non_implemented_status_rejected_and_switching_away_clears(ops_user):
    rec = RecommendationFactory()
    with pytest.raises(ValidationError) as exc:
        recommendation_set_status(
            recommendation=rec, status="IGNORED", implementation_date=dt.date(2026, 1, 1), user=ops_user
        )
    assert "implementation_date" in exc.value.message_dict
    recommendation_set_status(recommendation=rec, status="IMPLEMENTED", user=ops_user)
    recommendation_set_status(recommendation=rec, status="PENDING", reason="rolled back", user=ops_user)
    rec.refresh_from_db()
    assert rec.implementation_date is None
    assert rec.history.count() == 3


def test_noop_change_writes_no_history(ops_user):
    rec = RecommendationFactory()
    recommendation_set_status(recommendation=rec, status="PENDING", user=ops_user)
    assert rec.history.count() == 1


def test_too_long_reason_rejected(ops_user):
    rec = RecommendationFactory()
    with pytest.raises(ValidationError) as exc:
        recommendation_set_status(recommendation=rec, status="IGNORED", reason="x" * 101, user=ops_user)
    assert "reason" in exc.value.message_dict


def test_bulk_all_or_nothing(ops_user):
    recs = RecommendationFactory.create_batch(3)
    out = recommendation_bulk_set_status(recommendations=recs, status="IGNORED", reason="not for us", user=ops_user)
    assert len(out) == 3
    assert set(Recommendation.objects.values_list("implementation_status", flat=True)) == {"IGNORED"}
    for rec in recs:
        assert rec.history.first().history_user == ops_user
        assert rec.history.first().history_change_reason == "not for us"
    # A row that fails full_clean makes the whole batch roll back.
    bad = RecommendationFactory()
    Recommendation.objects.filter(pk=bad.pk).update(text="")
    with pytest.raises(ValidationError):
        recommendation_bulk_set_status(recommendations=[*recs, bad], status="IMPLEMENTED", user=ops_user)
    assert set(
        Recommendation.objects.filter(pk__in=[r.pk for r in recs]).values_list("implementation_status", flat=True)
    ) == {"IGNORED"}
