"""Inputs that used to end in a 500 or an HTML page: each is a clear JSON 4xx (or a normal answer)."""

from __future__ import annotations

import pytest

from post_mortem.models import ImpactAssessment
from tests.factories import RecommendationFactory, TradeAnalysisFactory, TradeFactory

API = "/api/post-mortem/"
HUGE = "14310154647367802880"


@pytest.fixture
def rows(db):
    TradeAnalysisFactory()
    TradeFactory()


@pytest.mark.parametrize(
    "url",
    [
        f"trades/?page={HUGE}",
        f"analyses/?page={HUGE}",
        f"patterns/?page={HUGE}",
        "trades/?page=18446744073709551&page_size=500",
        "analyses/?page=9223372036854775807&page_size=2",
        "runs/?page=9223372036854775807&page_size=500",
        "trades/?page=999",
    ],
)
def test_pages_past_any_row_are_json_404(ops_api, rows, url):
    response = ops_api.get(API + url)
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Invalid page."}


@pytest.mark.parametrize(
    "query",
    [
        "entry_after=0001-01-01T00:00:00%2B05:00",
        "entry_before=0001-01-01T00:00:00%2B05:00",
        "entry_after=9999-12-31T23:59:59-12:00",
        "entry_before=9999-12-31T23:59:59-12:00",
        "date_from=0001-01-01&date_to=9999-12-31",
    ],
)
def test_calendar_edge_datetimes_filter_without_error(ops_api, rows, query):
    response = ops_api.get(f"{API}trades/?{query}")
    assert response.status_code == 200, response.content


def test_calendar_edges_select_the_right_rows(ops_api, rows):
    everything = ops_api.get(f"{API}trades/?entry_after=0001-01-01T00:00:00%2B05:00").json()
    assert everything["count"] == 2
    nothing = ops_api.get(f"{API}trades/?entry_after=9999-12-31T23:59:59-12:00").json()
    assert nothing["count"] == 0
    updated = ops_api.get(f"{API}analyses/?updated_before=9999-12-31T23:59:59-12:00").json()
    assert updated["count"] == 1


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("trades/?entry_after=2026-01-01", "entry_after"),  # a date is not a date-time
        ("trades/?entry_after=2026-01-01T10:00:00", "entry_after"),  # no offset
        ("trades/?date_from=01/02/2026", "date_from"),
        ("improvement-plans/?created_after=yesterday", "created_after"),
        ("trades/?side=", "side"),
        ("trades/?analyzed=yes", "analyzed"),
        ("patterns/?significant=2", "significant"),
        ("impact-assessments/?significant=2", "significant"),
        ("recommendations/?implemented_from=2026-13-01", "implemented_from"),
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(ops_api, rows, url, param):
    response = ops_api.get(API + url)
    assert response.status_code == 400, response.content
    assert param in response.json()


def test_significant_filter_still_filters(ops_api, db):
    recommendation = RecommendationFactory()
    ImpactAssessment.objects.create(recommendation=recommendation, significant=True)
    ImpactAssessment.objects.create(recommendation=recommendation, significant=False)
    assert ops_api.get(f"{API}impact-assessments/?significant=true").json()["count"] == 1


@pytest.mark.parametrize("depth", [40, 5000, 100_000])
def test_deeply_nested_json_is_a_400(ops_api, rows, depth):
    body = "[" * depth + "]" * depth
    for url in ("analyses/batch/", "experiments/", "impact-assessments/measure/"):
        response = ops_api.post(API + url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content[:200])
        assert "nested deeper" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "trades/abc/",
        "trades/99999999999999999999999/",
        "analyses/abc/",
        "nothing-here/",
        "runs/1/unknown/",
    ],
)
def test_unknown_routes_and_ids_are_json_404(ops_api, rows, url):
    response = ops_api.get(API + url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_unknown_api_root_paths_are_json_404(ops_api):
    response = ops_api.get("/api/nothing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unknown_admin_paths_keep_html_404(admin_client):
    response = admin_client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_options_on_the_docs_page(auditor_api):
    response = auditor_api.options("/api/docs/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "query",
    [
        "created_before=%C2%9B%25%F3%AE%85%99",
        "created_before=100%25",
        "pattern=%25d",
        "pattern=1.0",
    ],
)
def test_percent_signs_in_bad_values_are_400_not_500(ops_api, rows, query):
    response = ops_api.get(f"{API}improvement-plans/?{query}")
    assert response.status_code == 400, response.content
