"""Pages say what stored codes mean: segments, areas and recommendation types read as words."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from admin_ext.labels import area_label, segment_label, type_label
from tests.factories import RecommendationFactory

# A snake_case token outside markup: what a stored code looks like when it leaks onto a page.
CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _visible_text(html: str) -> str:
    """The page's text without scripts, styles, form options and icon ligatures."""
    html = re.sub(r"<(script|style|select|code)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<span class="[^"]*material-symbols-outlined[^"]*"[^>]*>[^<]*</span>', " ", html)
    return strip_tags(html)


@pytest.mark.parametrize(
    ("factor", "value", "words"),
    [
        ("after_loss", "true", "After a loss: yes"),
        ("after_loss", "false", "After a loss: no"),
        ("position_size", "1.5x+", "Size vs usual: 1.5x+"),
        ("primary_factor", "stop_not_honoured", "Post-mortem finding: Stop not honored"),
        ("primary_factor", "after_loss_reentry", "Post-mortem finding: Re-entry soon after a loss"),
        ("hour", "09", "Entry hour: 09:00–09:59"),
        ("trade_of_day", "4+", "Trade of the day: 4th or later"),
        ("trend", "counter_trend", "Trend: counter trend"),
        ("setup", "fade", "Setup: fade"),
    ],
)
def test_segment_label_reads_as_words(factor, value, words):
    from post_mortem.engines.vocabulary import FACTOR_BY_CODE

    if factor == "primary_factor" and value in FACTOR_BY_CODE:
        words = f"Post-mortem finding: {FACTOR_BY_CODE[value].title}"
    assert segment_label(factor, value) == words
    assert not CODE.search(words)


def test_area_and_type_labels():
    assert area_label("risk_management") == "Risk management"
    assert area_label("market_context") == "Market context"
    assert area_label("behavioral") == "Behavioral"
    assert type_label("avoid_after_loss_reentry") == "Avoid re-entering after a loss"
    assert type_label("avoid_hour_09") == "Avoid: entry hour 09:00–09:59"
    assert type_label("more_setup_pullback") == "More: setup pullback"
    assert type_label("avoid_position_size_1_5x_plus") == "Avoid: size vs usual 1.5x+"
    assert type_label("avoid_holding_time_under_5_min") == "Avoid: holding time <5 min"
    assert type_label("avoid_holding_time_5_15_min") == "Avoid: holding time 5-15 min"
    assert type_label("stop_not_honoured") == "Stop not honored"
    for code in ("avoid_after_loss_reentry", "avoid_hour_09", "stop_not_honoured"):
        assert not CODE.search(type_label(code))


@pytest.mark.django_db
def test_prioritization_page_names_areas_and_types_in_words(auditor_client):
    RecommendationFactory(
        text="No re-entry within 30 minutes of a losing exit",
        area="behavioral",
        type_code="avoid_after_loss_reentry",
        expected_impact_r=0.3,
    )
    RecommendationFactory(text="Trim size", area="risk_management", type_code="avoid_position_size_1_5x_plus")
    response = auditor_client.get(reverse("admin:post_mortem_recommendation_prioritisation"))
    assert response.status_code == 200
    text = _visible_text(response.content.decode())
    assert "Behavioral / Avoid re-entering after a loss" in text
    assert "Risk management / Avoid: size vs usual 1.5x+" in text
    assert "avoid_after_loss_reentry" not in text and "risk_management" not in text
    assert CODE.findall(text) == []


@pytest.mark.django_db
def test_implemented_recommendation_page_reads_as_words(ops_client):
    rec = RecommendationFactory(
        text="No re-entry within 30 minutes of a losing exit",
        area="behavioral",
        type_code="avoid_after_loss_reentry",
        expected_impact_r=0.8874,
        segment={"factor": "after_loss", "value": "true"},
        evidence={"n": 605, "effect": -0.8874, "q_value": 4.73e-17, "comparison": "within_day", "reference": "false"},
        implementation_status="IMPLEMENTED",
        implementation_date=dt.date(2026, 8, 1),
    )
    response = ops_client.get(reverse("admin:post_mortem_recommendation_change", args=[rec.pk]))
    assert response.status_code == 200
    text = _visible_text(response.content.decode())
    for words in ("Behavioral", "Avoid re-entering after a loss", "+0.89R", "After a loss: yes", "-0.89R", "4.7e-17"):
        assert words in text
    assert "0.8874" not in text and '"factor"' not in text
    assert CODE.findall(text) == []


@pytest.mark.django_db
def test_pending_recommendation_offers_areas_by_name(ops_client):
    rec = RecommendationFactory(area="risk_management", type_code="avoid_position_size_1_5x_plus")
    html = ops_client.get(reverse("admin:post_mortem_recommendation_change", args=[rec.pk])).content.decode()
    assert re.search(r'<option value="risk_management" selected>Risk management</option>', html)
    assert "entry, exit, risk_management" not in html  # the model's list of codes is not the help text


@pytest.mark.django_db
def test_recommendation_filters_and_audit_page_use_words(ops_client):
    rec = RecommendationFactory(area="market_context", type_code="avoid_hour_09")
    listing = ops_client.get(reverse("admin:post_mortem_recommendation_changelist")).content.decode()
    assert "Market context" in listing and "Avoid: entry hour 09:00–09:59" in listing
    rec.implementation_status = "IGNORED"
    rec._change_reason = "not for us"
    rec.save()
    audit = ops_client.get(reverse("admin:post_mortem_recommendation_audit"), follow=True)
    text = _visible_text(audit.content.decode())
    assert "Implementation status" in text and "Ignored" in text
    assert "implementation_status" not in text and "IGNORED" not in text


@pytest.mark.django_db
def test_auditor_reads_a_pending_recommendation_in_words(auditor_client):
    """View-only users get every field read-only, codes included: those read as words too."""
    rec = RecommendationFactory(
        area="entry", type_code="more_setup_pullback", segment={"factor": "setup", "value": "x"}
    )
    response = auditor_client.get(reverse("admin:post_mortem_recommendation_change", args=[rec.pk]))
    assert response.status_code == 200
    text = _visible_text(response.content.decode())
    assert "More: setup pullback" in text and "Setup: x" in text
    assert CODE.findall(text) == []


def test_pattern_title_is_words():
    from post_mortem.models import AnalysisPattern

    title = str(AnalysisPattern(factor="after_loss", segment="true", effect=-0.88))
    assert title.startswith("Trades entered within 30 minutes of a losing exit") and title.endswith("(-0.88R)")
    assert not CODE.search(title)


@pytest.mark.django_db
def test_import_batch_page_title_and_counts(ops_client):
    from post_mortem.models import ImportBatch

    batch = ImportBatch.objects.create(file_name="big_async.csv", rows=12345, created=12000, unchanged=345)
    response = ops_client.get(reverse("admin:post_mortem_importbatch_change", args=[batch.pk]))
    assert response.status_code == 200
    text = _visible_text(response.content.decode())
    assert f"Batch {batch.pk}: big_async.csv (" in text and "Big_async.csv" not in text
    assert re.search(r"\(\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]{3}\)", str(batch))  # desk time, zone named
    assert "12,345" in text and "12,000" in text and "12345" not in text


@pytest.mark.django_db
def test_impact_assessment_page_reads_as_words(auditor_client):
    from post_mortem.models import ImpactAssessment

    rec = RecommendationFactory(text="No re-entry after a loss")
    start = dt.datetime(2026, 7, 2, 4, tzinfo=dt.UTC)
    assessment = ImpactAssessment.objects.create(
        recommendation=rec,
        status="MEASURED",
        window_days=30,
        before_start=start,
        before_end=start + dt.timedelta(days=30),
        after_start=start + dt.timedelta(days=30),
        after_end=start + dt.timedelta(days=60),
        n_before=80,
        n_after=79,
        mean_before=-0.3817389,
        mean_after=0.4930380253164557,
        effect=0.8747769253164557,
        ci_low=0.4934974038027211,
        ci_high=1.2395634235890651,
        p_value=0.00019440818057779106,
        p_mannwhitney=5.05e-5,
        q_value=0.00019440818057779106,
        significant=True,
        roi_per_month=40491.52396676406,
        roi_ci_low=22842.9,
        roi_ci_high=57376.7,
        details={"segment_definition": {"factor": "after_loss", "value": "true"}, "inference": {"method": "bootstrap"}},
    )
    response = auditor_client.get(reverse("admin:post_mortem_impactassessment_change", args=[assessment.pk]))
    assert response.status_code == 200
    text = _visible_text(response.content.decode())
    for words in ("+0.87R [+0.49R, +1.24R]", "1.9e-4", "+$40,492", "After a loss: yes", "80 trades, mean -0.38R"):
        assert words in text
    assert "40491.5" not in text and "0.8747" not in text and "('MEASURED'" not in text
    assert CODE.findall(text) == []


@pytest.mark.django_db
def test_help_texts_show_typed_values_as_code(ops_client):
    """Values a person types (a segment's value, a layout's name) are set as code, not escaped tags."""
    for url in (
        reverse("admin:post_mortem_jobrun_what_if"),
        reverse("admin:post_mortem_importlayout_new_from_sample"),
    ):
        html = ops_client.get(url).content.decode()
        assert "&lt;code&gt;" not in html, url
        assert "<code>" in html, url


@pytest.mark.django_db
def test_factor_pickers_name_factors_in_words(ops_client):
    """The ask and what-if forms list mining factors by name; the option's value stays the code."""
    ask = ops_client.get(reverse("admin:post_mortem_question_ask")).content.decode()
    assert '<option value="after_loss">After a loss</option>' in ask
    what_if = ops_client.get(reverse("admin:post_mortem_jobrun_what_if")).content.decode()
    assert '<option value="trade_of_day">Trade of the day</option>' in what_if
