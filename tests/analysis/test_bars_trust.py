"""Bars count only when they are the trade's market; no fact or impact beyond what a trade allows.

Data: tests.mixed_desk (a home desk whose bars match its fills, a foreign desk trading the same
tickers at a quarter of the price, a bad print, a stop typed one cent from the entry).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from post_mortem.engines.rules import AVOIDANCE_CODES, EXIT_CODES
from post_mortem.engines.vocabulary import MAX_PLAUSIBLE_R
from post_mortem.metrics.bars import MAX_EXCURSION
from post_mortem.models import Trade, TradeAnalysis
from post_mortem.services.analyses import analysis_run_sync
from tests.mixed_desk import build_mixed_desk

BAR_FACTS = ("mfe_r", "mae_r", "mfe_usd", "mae_usd", "exit_efficiency", "left_on_table_r", "trend_atr", "atr_ratio")
BAR_CODES = {"early_exit", "gave_back_winner", "counter_trend", "with_trend", "high_volatility_entry", "efficient_exit"}


@pytest.fixture
def desk(db):
    desk = build_mixed_desk()
    run = analysis_run_sync(queryset=Trade.objects.all(), engine="rules")
    assert run.failed == 0
    return desk


def _analysis(trade) -> TradeAnalysis:
    return TradeAnalysis.objects.get(trade=trade)


@pytest.mark.django_db
def test_home_bars_are_used_and_foreign_prices_are_refused(desk):
    home = [_analysis(t).facts for t in desk.home]
    assert all(f["has_bars"] and f["bar_status"] == "used" for f in home)
    for trade in desk.foreign:
        analysis = _analysis(trade)
        f = analysis.facts
        assert not f["has_bars"] and f["bar_status"] == "entry_outside_bars", f["bars_note"]
        assert all(f[key] is None for key in BAR_FACTS)
        assert "outside the bars' range" in f["bars_note"] and f["data_problems"]
        assert not BAR_CODES & set(analysis.primary_factors)
        exit_obs = analysis.analysis_data["exit_analysis"]["observations"]
        assert f["bars_note"] in exit_obs and not any("No market bars" in o for o in exit_obs)


@pytest.mark.django_db
def test_bad_print_during_a_trade_refuses_the_bars(desk):
    f = _analysis(desk.bad_tick).facts
    assert f["bar_status"] == "bar_outlier" and f["mfe_r"] is None and f["mae_r"] is None
    assert f"{MAX_EXCURSION:.0%}" in f["bars_note"]


@pytest.mark.django_db
def test_no_fact_or_impact_beyond_what_the_trade_allows(desk):
    for analysis in TradeAnalysis.objects.select_related("trade"):
        f, trade = analysis.facts, analysis.trade
        if f["has_bars"]:  # the favourable/adverse prices stay near the trade's own fills
            entry = float(trade.entry_price)
            assert abs(f["mfe_price"] - entry) <= MAX_EXCURSION * entry
            assert abs(f["mae_price"] - entry) <= MAX_EXCURSION * entry
            assert f["mae_r"] <= 0 <= f["mfe_r"]
            assert f["mfe_r"] >= (f["r_multiple"] or 0) - 0.05  # the exit itself is inside the range
        r = f["r_multiple"]
        for opp in analysis.analysis_data["improvement_opportunities"]:
            impact = opp["expected_impact_r"]
            if impact is None:
                continue
            assert 0 <= impact <= MAX_PLAUSIBLE_R
            if r is not None and opp["type_code"] in AVOIDANCE_CODES:
                assert impact <= max(0.0, -r) + 1e-9, (opp, r)
            if opp["type_code"] in EXIT_CODES:
                assert impact <= max(f["mfe_r"], (f["left_on_table_r"] or 0) + r) - r + 1e-9


@pytest.mark.django_db
def test_a_stop_one_cent_away_is_a_data_problem_not_advice(desk):
    analysis = _analysis(desk.tiny_stop)
    f = analysis.facts
    assert abs(f["r_multiple"]) > MAX_PLAUSIBLE_R
    assert any("probably mistyped" in p for p in f["data_problems"])
    assert any(o.startswith("Data problem:") for o in analysis.analysis_data["performance_analysis"]["observations"])
    assert not {"stop_not_honoured", "disciplined_stop"} & set(analysis.primary_factors)  # no verdict on a bad R
    shown_r = f"{f['r_multiple']:+.2f}R"
    for opp in analysis.analysis_data["improvement_opportunities"]:
        assert opp["expected_impact_r"] is None or opp["expected_impact_r"] <= MAX_PLAUSIBLE_R
        assert shown_r not in opp["suggestion"] + opp["expected_impact"]


@pytest.mark.django_db
def test_report_draws_bars_only_when_they_were_used(desk, client, superuser):
    client.force_login(superuser)
    foreign = _analysis(desk.foreign[0])
    html = client.get(reverse("admin:post_mortem_tradeanalysis_change", args=[foreign.pk])).content.decode()
    assert 'id="price-chart"' not in html and 'id="no-price-chart"' in html
    assert "outside the bars&#x27; range" in html
    home = _analysis(desk.home[0])
    html = client.get(reverse("admin:post_mortem_tradeanalysis_change", args=[home.pk])).content.decode()
    assert 'id="price-chart"' in html and "No market bars" not in html


@pytest.mark.django_db
def test_entry_time_in_real_minutes_and_verdict_agrees_with_factors(desk, client, superuser):
    trade = desk.home[0]
    analysis = _analysis(trade)
    local = trade.entry_time.astimezone(ZoneInfo("America/New_York"))
    market = analysis.analysis_data["market_context"]["observations"][0]
    assert f"at {local:%H:%M} desk time" in market
    for a in TradeAnalysis.objects.all():
        verdict = a.analysis_data["performance_analysis"]["verdict"]
        weaknesses = [o["type_code"] for o in a.analysis_data["improvement_opportunities"]]
        assert (verdict in {"good_trade", "good_process_bad_outcome"}) == (not weaknesses), (verdict, weaknesses)
    client.force_login(superuser)
    html = client.get(reverse("admin:post_mortem_tradeanalysis_change", args=[analysis.pk])).content.decode()
    labels = ("Good trade", "Good process, bad outcome", "Bad process, good outcome", "Bad trade")
    assert any(f'id="verdict">{label}<' in html for label in labels)
