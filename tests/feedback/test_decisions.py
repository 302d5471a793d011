"""Prioritization ranks decisions: opportunities rolled up by type and account, trades one click away.

Data: tests.mixed_desk (home desk + a foreign desk at other price levels + data problems).
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from post_mortem.engines.vocabulary import MAX_PLAUSIBLE_R
from post_mortem.models import Recommendation, Trade, TradeAnalysis
from post_mortem.selectors.decisions import opportunity_rollup
from post_mortem.services.analyses import analysis_run_sync
from post_mortem.services.recommendations import track_recommendation
from tests.mixed_desk import FOREIGN_ACCOUNT, build_mixed_desk


@pytest.fixture
def desk(db):
    desk = build_mixed_desk()
    analysis_run_sync(queryset=Trade.objects.all(), engine="rules")
    return desk


@pytest.mark.django_db
def test_rollup_counts_each_trade_once_per_type_with_sane_numbers(desk):
    rollup = opportunity_rollup()
    expected = Counter(
        o["type_code"] for a in TradeAnalysis.objects.all() for o in a.analysis_data["improvement_opportunities"]
    )
    assert {g["type_code"]: g["trades"] for g in rollup["types"]} == dict(expected)
    assert rollup["trades_with_opportunities"] == sum(
        1 for a in TradeAnalysis.objects.all() if a.analysis_data["improvement_opportunities"]
    )
    for g in rollup["types"]:
        assert sum(a["trades"] for a in g["accounts"]) == g["trades"]  # accounts partition the type's trades
        for row in [g, *g["accounts"]]:
            if row["mean_r"] is not None:
                assert 0 <= row["median_r"] <= MAX_PLAUSIBLE_R and 0 <= row["mean_r"] <= MAX_PLAUSIBLE_R
                assert row["dollars"] is not None and row["dollars"] >= 0
    accounts = {a["account"] for g in rollup["types"] for a in g["accounts"]}
    assert FOREIGN_ACCOUNT in accounts and FOREIGN_ACCOUNT.lower() not in accounts
    assert Recommendation.objects.count() == 0  # the rollup is read from post-mortems, nothing tracked


@pytest.mark.django_db
def test_tracked_counts_and_filters(desk, ops_user):
    analysis = next(a for a in TradeAnalysis.objects.all() if "stop_not_honoured" in a.opportunity_impacts)
    track_recommendation(
        analysis_id=analysis.pk, recommendation_id="stop_not_honoured", status="IGNORED", user=ops_user
    )
    rollup = opportunity_rollup(type_code="stop_not_honoured")
    assert [g["type_code"] for g in rollup["types"]] == ["stop_not_honoured"]
    assert rollup["types"][0]["tracked"] == 1
    only = opportunity_rollup(account=FOREIGN_ACCOUNT)
    assert {a["account"] for g in only["types"] for a in g["accounts"]} <= {FOREIGN_ACCOUNT}


@pytest.mark.django_db
def test_page_shows_decisions_and_links_to_the_trades(desk, superuser_client):
    page = superuser_client.get(reverse("admin:post_mortem_recommendation_prioritisation"))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="prio-rollup"' in html and 'id="prio-plan"' in html
    rollup = opportunity_rollup()
    group = rollup["types"][0]
    row = group["accounts"][0]
    assert f'data-account="{row["account"]}"' in html
    link = reverse("admin:post_mortem_tradeanalysis_changelist")
    listing = superuser_client.get(link, {"opportunity": group["type_code"], "trade__account__exact": row["account"]})
    assert listing.status_code == 200
    shown = listing.context["cl"].result_count
    assert shown == row["trades"]
    # the page's own link carries the same filter
    href = next(part for part in html.split('href="')[1:] if part.startswith(link) and "trade__account__exact" in part)
    query = parse_qs(urlparse(href.split('"')[0].replace("&amp;", "&")).query)
    assert set(query) == {"opportunity", "trade__account__exact"}
