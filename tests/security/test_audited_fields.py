"""Pre-registered and measured fields stay as they were; other edits need a reason and leave history.

Recommendations: once implemented (or measured) their targeting, type and expected impact are
read-only in the admin and refused by the edit service. Experiments: every field is read-only
after creation, and creation is in the history. Experiments also get sane dates, results that
never fail on calendar-edge rows, and groups of different kinds refused when they share trades.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from post_mortem.models import Experiment, Recommendation
from post_mortem.selectors.feedback import experiment_results
from post_mortem.services.experiments import experiment_create
from post_mortem.services.recommendation_edits import recommendation_edit
from tests.factories import RecommendationFactory, TradeFactory

pytestmark = pytest.mark.django_db


def _rec_form(rec: Recommendation, **changes) -> dict:
    data = {
        "text": rec.text,
        "area": rec.area,
        "type_code": rec.type_code,
        "expected_impact": rec.expected_impact,
        "expected_impact_r": "" if rec.expected_impact_r is None else rec.expected_impact_r,
        "segment": json.dumps(rec.segment),
        "scope_accounts": ", ".join(rec.scope_accounts),  # typed as a comma-separated list
        "change_reason": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def implemented():
    return RecommendationFactory(
        implementation_status="IMPLEMENTED",
        implementation_date=dt.date(2026, 8, 1),
        scope_accounts=["DESK-BRAVO"],
        segment={"factor": "after_loss", "value": "true"},
        expected_impact_r=0.8,
    )


def test_implemented_recommendation_targeting_is_read_only_in_the_admin(ops_client, implemented):
    url = reverse("admin:post_mortem_recommendation_change", args=[implemented.pk])
    html = ops_client.get(url).content.decode()
    for field in ("scope_accounts", "segment", "type_code", "expected_impact_r"):
        assert f'name="{field}"' not in html, field
    ops_client.post(
        url,
        _rec_form(
            implemented,
            scope_accounts='["DESK-ALPHA"]',
            segment='{"factor": "setup", "value": "fade"}',
            type_code="oversized",
            expected_impact_r="9",
            change_reason="widen it",
        ),
    )
    implemented.refresh_from_db()
    assert implemented.scope_accounts == ["DESK-BRAVO"]
    assert implemented.segment == {"factor": "after_loss", "value": "true"}
    assert implemented.type_code == "honour_stop" and implemented.expected_impact_r == 0.8


def test_edit_service_refuses_preregistered_fields_once_implemented(implemented, ops_user):
    with pytest.raises(ValidationError) as exc:
        recommendation_edit(
            recommendation=implemented, changes={"scope_accounts": ["DESK-ALPHA"]}, reason="oops", user=ops_user
        )
    assert "scope_accounts" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        recommendation_edit(recommendation=implemented, changes={"text": "Clearer wording"}, reason="", user=ops_user)
    assert "reason" in exc.value.message_dict
    recommendation_edit(recommendation=implemented, changes={"text": "Clearer wording"}, reason="typo", user=ops_user)
    latest = implemented.history.first()
    assert (latest.text, latest.history_change_reason, latest.history_user) == ("Clearer wording", "typo", ops_user)


def test_pending_recommendation_edit_needs_a_reason_and_is_in_the_history(ops_client, ops_user):
    rec = RecommendationFactory(scope_accounts=["DESK-BRAVO"])
    url = reverse("admin:post_mortem_recommendation_change", args=[rec.pk])
    refused = ops_client.post(url, _rec_form(rec, scope_accounts="DESK-ALPHA"))
    assert refused.status_code == 200 and "Say why the recommendation changes" in refused.content.decode()
    assert Recommendation.objects.get(pk=rec.pk).scope_accounts == ["DESK-BRAVO"]

    saved = ops_client.post(url, _rec_form(rec, scope_accounts="DESK-ALPHA, DESK-BRAVO", change_reason="adopted"))
    assert saved.status_code == 302
    latest = Recommendation.objects.get(pk=rec.pk).history.first()
    assert latest.scope_accounts == ["DESK-ALPHA", "DESK-BRAVO"]
    assert (latest.history_change_reason, latest.history_user) == ("adopted", ops_user)


def test_plan_recommendation_keeps_its_pattern_targeting(ops_client):
    """Type, segment and expected R come from the pattern a plan item was built from: shown in words."""
    rec = RecommendationFactory(source="PLAN", segment={"factor": "after_loss", "value": "true"})
    url = reverse("admin:post_mortem_recommendation_change", args=[rec.pk])
    html = ops_client.get(url).content.decode()
    for field in ("segment", "type_code", "expected_impact_r"):
        assert f'name="{field}"' not in html, field
    assert "After a loss: yes" in html and '"factor"' not in html
    assert 'name="scope_accounts"' in html and "[]" not in html.split('name="scope_accounts"')[1][:200]


# --- experiments ------------------------------------------------------------------------------


def _experiment(user=None, **overrides) -> Experiment:
    args = {
        "name": "Half size after a loss",
        "hypothesis": "Smaller size after a loss lifts R",
        "metric": "r_multiple",
        "treatment": {"account": ["DESK-CHARLIE"]},
        "control": {"account": ["DESK-DELTA"]},
        "start": dt.date(2026, 9, 1),
        "end": dt.date(2026, 11, 15),
        "min_sample": 30,
        "user": user,
    }
    args.update(overrides)
    return experiment_create(**args)


def test_experiment_is_read_only_after_creation_and_has_history(ops_client, ops_user):
    rec = RecommendationFactory()
    exp = _experiment(ops_user, recommendation=rec)
    url = reverse("admin:post_mortem_experiment_change", args=[exp.pk])
    html = ops_client.get(url).content.decode()
    for field in ("name", "hypothesis", "recommendation", "metric", "treatment", "control", "start", "end"):
        assert f'name="{field}"' not in html, field
    ops_client.post(url, {"name": "Moved goalposts", "hypothesis": "other", "recommendation": ""})
    exp.refresh_from_db()
    assert (exp.name, exp.hypothesis, exp.recommendation_id) == ("Half size after a loss", exp.hypothesis, rec.pk)
    [created] = exp.history.all()
    assert created.history_type == "+" and created.history_user == ops_user
    assert ops_client.get(reverse("admin:post_mortem_experiment_history", args=[exp.pk])).status_code == 200


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (dt.date(1, 1, 1), dt.date(2026, 11, 15), "start"),
        (dt.date(2026, 9, 1), dt.date(9999, 12, 31), "end"),
        (dt.date(2001, 1, 1), dt.date(2026, 1, 1), "end"),  # 25 years
        (dt.date(2026, 9, 1), dt.date(2026, 9, 1), "end"),
    ],
)
def test_experiment_dates_are_bounded(start, end, field):
    with pytest.raises(ValidationError) as exc:
        _experiment(start=start, end=end)
    assert field in exc.value.message_dict


def test_api_refuses_calendar_edge_dates_as_a_business_rule(ops_user):
    """Well-formed dates outside the sane window: 422 naming the field (the API's rule refusal)."""
    api = APIClient()
    api.force_authenticate(ops_user)
    body = {
        "name": "edge",
        "metric": "r_multiple",
        "treatment": {"account": ["A"]},
        "control": {"account": ["B"]},
        "start": "0001-01-01",
        "end": "9999-12-31",
    }
    response = api.post("/api/post-mortem/experiments/", body, format="json")
    assert response.status_code == 422, response.content
    assert {"start", "end"} & set(response.json())
    assert not Experiment.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"), [(dt.date(1, 1, 1), dt.date(9999, 12, 31)), (dt.date(1, 1, 1), dt.date(1, 1, 2))]
)
def test_results_and_admin_page_survive_calendar_edge_rows(superuser_client, start, end):
    """A row written before the bounds existed (saved directly) still opens."""
    TradeFactory(account="DESK-CHARLIE")
    exp = Experiment.objects.create(
        name=f"edge {start}",
        treatment={"account": ["DESK-CHARLIE"]},
        control={"account": ["DESK-DELTA"]},
        start=start,
        end=end,
    )
    result = experiment_results(experiment=exp, n_boot=50)
    assert any("out of range" in w for w in result["warnings"])
    assert len(result["daily"]["days"]) <= 3 * 366 + 1
    assert superuser_client.get(reverse("admin:post_mortem_experiment_change", args=[exp.pk])).status_code == 200


def test_groups_of_different_kinds_sharing_trades_are_refused():
    TradeFactory(account="DESK-CHARLIE", tags="half-size-after-loss;morning")
    with pytest.raises(ValidationError) as exc:
        _experiment(treatment={"account": ["DESK-CHARLIE"]}, control={"tag": ["half-size-after-loss"]})
    assert "share 1 trade" in exc.value.message_dict["control"][0]
    # A tag nobody on the treatment account uses is fine.
    exp = _experiment(treatment={"account": ["DESK-CHARLIE"]}, control={"tag": ["other-desk"]})
    assert exp.pk


def test_results_leave_out_trades_in_both_groups():
    exp = _experiment(treatment={"account": ["DESK-CHARLIE"]}, control={"tag": ["other-desk"]})
    # Later a CHARLIE trade gets the control tag: it is counted in neither group.
    TradeFactory(
        account="DESK-CHARLIE",
        tags="other-desk",
        entry_time=dt.datetime(2026, 9, 2, 15, tzinfo=dt.UTC),
        exit_time=dt.datetime(2026, 9, 2, 16, tzinfo=dt.UTC),
    )
    result = experiment_results(experiment=exp, n_boot=50)
    assert result["treatment"]["n"] == 0 and result["control"]["n"] == 0
    assert any("both groups" in w for w in result["warnings"])
