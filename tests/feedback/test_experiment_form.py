"""The experiment add form: groups picked from existing accounts and tags, checked like the API."""

from __future__ import annotations

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from post_mortem.models import Experiment
from tests.factories import RecommendationFactory, TradeFactory

pytestmark = pytest.mark.django_db

ADD = "admin:post_mortem_experiment_add"
VALUES = "admin:post_mortem_experiment_group_values"
NEW_ACCOUNTS = factory.Sequence(lambda n: f"ACC-{n:04d}")


def _form(**overrides) -> dict:
    data = {
        "name": "Half size after a loss",
        "hypothesis": "Halving size after a loss lifts the mean R.",
        "metric": "r_multiple",
        "treatment_kind": "account",
        "treatment_accounts": ["DESK-A"],
        "control_kind": "account",
        "control_accounts": ["DESK-B"],
        "start": "2026-09-01",
        "end": "2026-11-15",
        "min_sample": "30",
    }
    data.update(overrides)
    return data


def _errors(response) -> dict:
    assert response.status_code == 200, response
    return response.context["adminform"].form.errors


@pytest.fixture
def desk():
    """Accounts spelled two ways by two brokers, and ';'-separated tags."""
    TradeFactory(account="DESK-A", tags="half-size;momentum")
    TradeFactory(account="desk-a", tags="Half-Size")
    TradeFactory(account="DESK-B", tags="fade")
    TradeFactory(account="DESK-C", tags="")


def test_valid_form_stores_every_spelling_of_the_picked_account(ops_client, ops_user, desk):
    response = ops_client.post(reverse(ADD), _form())
    assert response.status_code == 302, _errors(response)
    experiment = Experiment.objects.get()
    assert experiment.treatment == {"account": ["DESK-A", "desk-a"]}
    assert experiment.control == {"account": ["DESK-B"]}
    assert experiment.created_by == ops_user
    page = ops_client.get(reverse("admin:post_mortem_experiment_change", args=[experiment.pk])).content.decode()
    assert "Accounts DESK-A, desk-a" in page and "Account DESK-B" in page
    assert '{"account"' not in page and "{&quot;account" not in page


def test_tag_groups_store_the_tags_as_the_resolver_reads_them(ops_client, desk):
    form = _form(treatment_kind="tag", treatment_tags=["half-size"], control_kind="tag", control_tags=["fade"])
    response = ops_client.post(reverse(ADD), form)
    assert response.status_code == 302, _errors(response)
    experiment = Experiment.objects.get()
    assert experiment.treatment == {"tag": ["Half-Size", "half-size"]}
    assert experiment.control == {"tag": ["fade"]}


def test_the_same_account_in_both_groups_is_refused_naming_it(ops_client, desk):
    errors = _errors(ops_client.post(reverse(ADD), _form(control_accounts=["desk-a", "DESK-B"])))
    assert "DESK-A" in errors["control_accounts"][0] or "desk-a" in errors["control_accounts"][0]
    assert "one group only" in errors["control_accounts"][0]
    assert not Experiment.objects.exists()


def test_groups_of_different_kinds_sharing_trades_are_refused(ops_client, desk):
    form = _form(control_kind="tag", control_tags=["momentum"])
    errors = _errors(ops_client.post(reverse(ADD), form))
    assert "share 1 trade" in errors["control_tags"][0] and "DESK-A/" in errors["control_tags"][0]
    assert not Experiment.objects.exists()


def test_an_empty_group_is_refused(ops_client, desk):
    errors = _errors(ops_client.post(reverse(ADD), _form(treatment_accounts=[], treatment_tags=["fade"])))
    assert errors["treatment_accounts"] == ["Pick at least one account for the treatment group."]
    assert not Experiment.objects.exists()


def test_a_value_no_trade_has_is_refused(ops_client, desk):
    errors = _errors(ops_client.post(reverse(ADD), _form(control_accounts=["NOBODY"])))
    assert "NOBODY" in errors["control_accounts"][0]


def test_dates_keep_their_bounds(ops_client, desk):
    errors = _errors(ops_client.post(reverse(ADD), _form(start="1999-12-31")))
    assert "2000-01-01" in errors["start"][0]
    errors = _errors(ops_client.post(reverse(ADD), _form(start="2026-11-15", end="2026-11-01")))
    assert "end" in errors


def test_the_picker_offers_distinct_values_case_insensitively_a_page_at_a_time(ops_client, desk):
    accounts = ops_client.get(reverse(VALUES), {"kind": "account"}).json()
    assert [r["id"] for r in accounts["results"]] == ["DESK-A", "DESK-B", "DESK-C"]
    tags = ops_client.get(reverse(VALUES), {"kind": "tag", "term": "SIZE"}).json()
    assert [r["text"] for r in tags["results"]] == ["Half-Size"] and tags["pagination"]["more"] is False
    TradeFactory.create_batch(25, account=NEW_ACCOUNTS)
    first = ops_client.get(reverse(VALUES), {"kind": "account", "page": "1"}).json()
    second = ops_client.get(reverse(VALUES), {"kind": "account", "page": "2"}).json()
    assert len(first["results"]) == 20 and first["pagination"]["more"] is True
    assert len(second["results"]) == 8 and second["pagination"]["more"] is False
    assert ops_client.get(reverse(VALUES), {"kind": "setup"}).status_code == 400


def test_auditor_cannot_add_an_experiment(auditor_client, desk):
    assert auditor_client.get(reverse(ADD)).status_code == 403
    assert auditor_client.post(reverse(ADD), _form()).status_code == 403
    assert auditor_client.get(reverse(VALUES), {"kind": "account"}).status_code == 403
    assert not Experiment.objects.exists()


def _add_form_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(ADD))
    assert response.status_code == 200
    return len(queries)


def test_add_form_queries_do_not_grow_with_recommendations_or_trades(ops_client, desk):
    RecommendationFactory.create_batch(2)
    few = _add_form_queries(ops_client)
    RecommendationFactory.create_batch(200)
    TradeFactory.create_batch(50, account=NEW_ACCOUNTS)
    many = _add_form_queries(ops_client)
    assert many == few
    body = ops_client.get(reverse(ADD)).content.decode()
    assert body.count("<option") < 10  # neither recommendations nor accounts are listed in the page


@pytest.mark.parametrize(("metric", "mean_text"), [("r_multiple", "R<"), ("net_pnl", "$"), ("win_rate", "%<")])
def test_registered_experiment_page_reads_in_words_and_units_without_save_buttons(ops_client, metric, mean_text):
    import datetime as dt

    from post_mortem.services.experiments import experiment_create
    from tests.feedback.helpers import plant_trades

    start = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    plant_trades(account="DESK-A", start=start, days=10, per_day=2, mean_r=0.4, seed=1)
    plant_trades(account="DESK-B", start=start, days=10, per_day=2, mean_r=0.0, seed=2)
    experiment = experiment_create(
        name="Half size",
        metric=metric,
        treatment={"account": ["DESK-A"]},
        control={"account": ["DESK-B"]},
        start=dt.date(2026, 9, 1),
        end=dt.date(2026, 9, 20),
        min_sample=5,
    )
    page = ops_client.get(reverse("admin:post_mortem_experiment_change", args=[experiment.pk])).content.decode()
    results = page[page.index('id="experiment-results"') :]
    assert "Treatment: account DESK-A" in results and "Control: account DESK-B" in results
    assert mean_text in results
    assert ("pts" in results) == (metric == "win_rate")
    assert 'name="_save"' not in page and "Minimum trades per group" in page
