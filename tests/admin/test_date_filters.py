"""Date-range filters on datetime columns select whole desk-local days (America/New_York here)."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from django.urls import reverse

from tests.factories import TradeFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def test_trade_entry_date_range_is_whole_desk_days(ops_client, settings):
    settings.DESK_TIMEZONE = "America/New_York"
    inside = {
        "first-minute": dt.datetime(2026, 3, 31, 4, 0, tzinfo=UTC),  # 00:00 New York on the 31st
        "late-evening": dt.datetime(2026, 4, 1, 3, 30, tzinfo=UTC),  # 23:30 New York on the 31st
    }
    outside = {
        "day-before": dt.datetime(2026, 3, 31, 3, 59, tzinfo=UTC),  # 23:59 New York on the 30th
        "next-day": dt.datetime(2026, 4, 1, 4, 0, tzinfo=UTC),  # 00:00 New York on April 1
    }
    for name, at in {**inside, **outside}.items():
        TradeFactory(external_id=name, entry_time=at, exit_time=at + dt.timedelta(minutes=5))
    url = reverse("admin:post_mortem_trade_changelist")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no naive datetimes reach the query
        page = ops_client.get(url, {"entry_time_from": "2026-03-31", "entry_time_to": "2026-03-31"})
    assert page.status_code == 200
    shown = {t.external_id for t in page.context["cl"].result_list}
    assert shown == set(inside)
