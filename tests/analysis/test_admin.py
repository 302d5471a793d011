"""The analysis admin: Analyze action with engine choice, run page + progress JSON, report page,
status select (CSRF, permission, audited), re-analyze, Auditor read-only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin import helpers
from django.test import Client
from django.urls import reverse

from post_mortem.models import ImplementationStatus, JobRun, Recommendation, RunStatus, TradeAnalysis
from post_mortem.services.analyses import analysis_run_sync
from tests.factories import MarketBarFactory, TradeFactory

UTC = dt.UTC
EVIL = '<script>alert("x")</script>'


@pytest.fixture
def trades(db):
    out = [
        TradeFactory(
            entry_time=dt.datetime(2026, 1, 5, 14, 30, tzinfo=UTC) + dt.timedelta(hours=i),
            exit_time=dt.datetime(2026, 1, 5, 14, 50, tzinfo=UTC) + dt.timedelta(hours=i),
            exit_price=Decimal("97") if i == 0 else Decimal("101"),
            notes=EVIL if i == 0 else "",
        )
        for i in range(3)
    ]
    for i in range(40):  # explicit times: the factory's sequence runs on across the whole suite
        MarketBarFactory(  # a range holding every fill, so the bars are used
            timestamp=dt.datetime(2026, 1, 5, 14, 0, tzinfo=UTC) + dt.timedelta(minutes=5 * i), high=101.5, low=96.5
        )
    return out


@pytest.mark.django_db
def test_analyze_action_confirm_then_run_page_and_report(client, superuser, trades, django_capture_on_commit_callbacks):
    client.force_login(superuser)
    changelist = reverse("admin:post_mortem_trade_changelist")
    selected = {"action": "analyze_selected_trades", helpers.ACTION_CHECKBOX_NAME: [t.pk for t in trades]}
    confirm = client.post(changelist, selected)
    assert confirm.status_code == 200 and b'name="engine"' in confirm.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {**selected, "apply": "1", "engine": "rules"})
    run = JobRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:post_mortem_jobrun_change", args=[run.pk]
    )
    run.refresh_from_db()
    assert (run.status, run.succeeded, run.created_by) == (RunStatus.SUCCEEDED, 3, superuser)

    page = client.get(response["Location"])
    assert page.status_code == 200 and b'id="run-bar"' in page.content and b"analysis-link" in page.content
    progress = client.get(reverse("admin:post_mortem_jobrun_progress", args=[run.pk])).json()
    assert progress["progress_pct"] == 100 and progress["finished"] is True

    analysis = TradeAnalysis.objects.get(trade=trades[0])
    report = client.get(reverse("admin:post_mortem_tradeanalysis_change", args=[analysis.pk]))
    html = report.content.decode()
    assert report.status_code == 200
    assert EVIL not in html and "&lt;script&gt;" in html  # notes escaped
    assert 'id="section-exit_analysis"' in html and "status-form" in html
    assert 'id="price-chart"' in html  # bars exist around the trade
    assert "csrfmiddlewaretoken" in html


@pytest.mark.django_db
def test_status_select_calls_the_service_with_csrf_and_history(superuser, trades):
    analysis_run_sync(trade_ids=[trades[0].pk], engine="rules")
    analysis = TradeAnalysis.objects.get(trade=trades[0])
    assert not analysis.recommendations.exists()  # nothing tracked until a person acts
    code = analysis.analysis_data["improvement_opportunities"][0]["type_code"]
    url = reverse("admin:post_mortem_tradeanalysis_opportunity_status", args=[analysis.pk, code])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(superuser)
    assert strict.post(url, {"status": "IMPLEMENTED"}).status_code == 403  # no CSRF token
    page = strict.get(reverse("admin:post_mortem_tradeanalysis_change", args=[analysis.pk]))
    token = page.cookies["csrftoken"].value
    response = strict.post(url, {"status": "IMPLEMENTED", "reason": "desk agreed", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    rec = Recommendation.objects.get(analysis=analysis)  # the first status change created it
    assert (rec.type_code, rec.source, rec.scope_accounts) == (code, "ANALYSIS", [trades[0].account])
    assert rec.implementation_status == ImplementationStatus.IMPLEMENTED and rec.status_changed_at
    assert [h.history_type for h in rec.history.order_by("history_id")] == ["+", "~"]
    last = rec.history.first()
    assert last.history_user == superuser and last.history_change_reason == "desk agreed"
    bad = strict.post(url, {"status": "DONE", "csrfmiddlewaretoken": token}, follow=True)
    assert b"Unknown status" in bad.content
    page = strict.get(reverse("admin:post_mortem_tradeanalysis_change", args=[analysis.pk])).content.decode()
    assert f"recommendation #{rec.pk}" in page
    other = strict.post(
        reverse("admin:post_mortem_tradeanalysis_opportunity_status", args=[analysis.pk, "no_such_code"]),
        {"status": "IGNORED", "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert b"has no opportunity" in other.content and Recommendation.objects.count() == 1


@pytest.mark.django_db
def test_auditor_reads_but_cannot_analyze_or_set_status(auditor_client, trades):
    analysis_run_sync(trade_ids=[trades[0].pk], engine="rules")
    analysis = TradeAnalysis.objects.get(trade=trades[0])
    code = analysis.analysis_data["improvement_opportunities"][0]["type_code"]
    report = auditor_client.get(reverse("admin:post_mortem_tradeanalysis_change", args=[analysis.pk]))
    assert report.status_code == 200 and b"status-form" not in report.content
    url = reverse("admin:post_mortem_tradeanalysis_opportunity_status", args=[analysis.pk, code])
    assert auditor_client.post(url, {"status": "IGNORED"}).status_code == 403
    assert not Recommendation.objects.exists()
    changelist = reverse("admin:post_mortem_trade_changelist")
    auditor_client.post(changelist, {"action": "analyze_selected_trades", "apply": "1", "engine": "rules",
                                     helpers.ACTION_CHECKBOX_NAME: [trades[0].pk]})  # fmt: skip
    assert JobRun.objects.count() == 1  # only the setup run
    assert auditor_client.get(reverse("admin:post_mortem_jobrun_changelist")).status_code == 200


@pytest.mark.django_db
def test_reanalyze_from_the_analysis_page_confirms_then_runs(ops_client, trades, django_capture_on_commit_callbacks):
    analysis_run_sync(trade_ids=[trades[1].pk], engine="rules")
    analysis = TradeAnalysis.objects.get(trade=trades[1])
    url = reverse("admin:post_mortem_tradeanalysis_reanalyze_analysis", args=[analysis.pk])
    assert ops_client.get(url).status_code == 200 and JobRun.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(url, {"engine": "rules"})
    assert response.status_code == 302
    assert JobRun.objects.count() == 2
    analysis.refresh_from_db()
    assert analysis.run_id == JobRun.objects.order_by("-id").first().pk


@pytest.mark.django_db
def test_lists_and_trade_reanalyze_page(superuser_client, trades):
    analysis_run_sync(trade_ids=[t.pk for t in trades], engine="rules")
    listing = superuser_client.get(reverse("admin:post_mortem_tradeanalysis_changelist"), {"engine__exact": "rules"})
    assert listing.status_code == 200 and str(trades[0]).encode() in listing.content
    runs = superuser_client.get(reverse("admin:post_mortem_jobrun_changelist"))
    assert runs.status_code == 200
    confirm = superuser_client.get(reverse("admin:post_mortem_trade_reanalyze_trade", args=[trades[0].pk]))
    assert confirm.status_code == 200 and b'id="reanalyze-form"' in confirm.content
    assert superuser_client.get(reverse("admin:post_mortem_jobrun_progress", args=[999999])).status_code == 404
