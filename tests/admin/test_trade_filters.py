"""The trade list's filters and search through the test client: choices that ignore case, search on
id prefixes and parts of accounts, the analyzed and import-batch filters, chips, and a pinned
query count whatever the filter."""

from __future__ import annotations

import pytest
from django.urls import reverse

from post_mortem.models import ImportBatch
from tests.factories import TradeAnalysisFactory, TradeFactory

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:post_mortem_trade_changelist")


def listed(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    return {trade.external_id for trade in response.context["cl"].result_list}


def filter_choices(response, title: str) -> list[tuple[str, str]]:
    """(value, label) of a list filter's dropdown/radio, without the "All" entry."""
    [spec] = [spec for spec in response.context["cl"].filter_specs if spec.title == title]
    [choice] = list(spec.choices(response.context["cl"]))
    field = next(iter(choice["form"].fields.values()))
    return [(str(value), str(label)) for value, label in field.choices if value != ""]


@pytest.mark.parametrize("field", ["account", "symbol", "setup"])
def test_value_choices_collapse_spellings_and_filtering_matches_every_spelling(superuser_client, field):
    TradeFactory(external_id="UPPER", **{field: "DESK-1"})
    TradeFactory(external_id="LOWER", **{field: "desk-1"})
    TradeFactory(external_id="OTHER", **{field: "DESK-2"})

    page = superuser_client.get(CHANGELIST_URL)
    assert [value for value, _label in filter_choices(page, field)] == ["DESK-1", "DESK-2"]

    for spelling in ("DESK-1", "desk-1", "Desk-1"):
        assert listed(superuser_client.get(f"{CHANGELIST_URL}?{field}__exact={spelling}")) == {"UPPER", "LOWER"}
    assert listed(superuser_client.get(f"{CHANGELIST_URL}?{field}__exact=desk-2")) == {"OTHER"}
    assert listed(superuser_client.get(f"{CHANGELIST_URL}?{field}__exact=NOBODY")) == set()


def test_setup_choices_leave_out_trades_without_a_setup(superuser_client):
    TradeFactory(setup="")
    TradeFactory(setup="breakout")
    assert filter_choices(superuser_client.get(CHANGELIST_URL), "setup") == [("breakout", "breakout")]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("IB-2026-00", {"IB-2026-001", "IB-2026-002"}),  # the start of an id
        ("ib-2026-001", {"IB-2026-001"}),  # typed in small letters
        ("IB-2026-001", {"IB-2026-001"}),  # a whole id
        ("desk", {"IB-2026-001", "IB-2026-002", "X-9"}),  # part of an account, any case
        ("bravo", {"X-9"}),
        ("NVD", {"IB-2026-002"}),  # part of a symbol
        ("zzz", set()),
    ],
)
def test_search_finds_id_prefixes_and_parts_of_accounts_and_symbols(superuser_client, term, expected):
    TradeFactory(external_id="IB-2026-001", account="DESK-ALPHA", symbol="AAPL")
    TradeFactory(external_id="IB-2026-002", account="desk-alpha", symbol="NVDA")
    TradeFactory(external_id="X-9", account="Desk-Bravo", symbol="MSFT")
    TradeFactory(external_id="OTHER", account="ACC-1", symbol="TSLA")
    assert listed(superuser_client.get(CHANGELIST_URL, {"q": term})) == expected


def test_search_help_says_ids_match_from_their_start(superuser_client):
    page = superuser_client.get(CHANGELIST_URL).content.decode()
    assert "Trade id (from its start), account, symbol" in page  # accounts and symbols match any part


@pytest.mark.parametrize(("value", "expected"), [("yes", {"DONE"}), ("no", {"TODO-1", "TODO-2"})])
def test_analyzed_filter_lists_and_counts_trades_with_or_without_a_post_mortem(superuser_client, value, expected):
    TradeAnalysisFactory(trade=TradeFactory(external_id="DONE"))
    TradeFactory(external_id="TODO-1")
    TradeFactory(external_id="TODO-2", account="ACC-2")
    response = superuser_client.get(f"{CHANGELIST_URL}?analyzed={value}")
    assert listed(response) == expected
    assert response.context["cl"].result_count == len(expected)
    combined = superuser_client.get(f"{CHANGELIST_URL}?analyzed={value}&account__exact=ACC-1")
    assert listed(combined) == expected - {"TODO-2"}
    assert combined.context["cl"].result_count == len(expected - {"TODO-2"})


def test_import_batch_filter_offers_the_latest_batches_and_lists_their_trades(superuser_client):
    batches = [
        ImportBatch.objects.create(file_name=f"desk-{i}.csv", file_hash=f"{i:064d}", status="COMPLETED")
        for i in range(22)
    ]
    oldest, newest = batches[0], batches[-1]
    TradeFactory.create_batch(2, import_batch=newest)
    TradeFactory(import_batch=oldest, external_id="OLD")
    TradeFactory(external_id="HAND-ENTERED")

    page = superuser_client.get(CHANGELIST_URL)
    choices = filter_choices(page, "import batch")
    assert len(choices) == 20
    assert choices[0][0] == str(newest.pk) and f"#{newest.pk} desk-21.csv" in choices[0][1]
    assert str(oldest.pk) not in [value for value, _label in choices]

    assert len(listed(superuser_client.get(f"{CHANGELIST_URL}?import_batch__id__exact={newest.pk}"))) == 2
    by_link = superuser_client.get(f"{CHANGELIST_URL}?import_batch__id__exact={oldest.pk}")
    assert listed(by_link) == {"OLD"}
    assert str(oldest.pk) in [value for value, _label in filter_choices(by_link, "import batch")]


def test_every_filter_shows_as_a_removable_chip(superuser_client):
    batch = ImportBatch.objects.create(file_name="desk.csv", file_hash="x" * 64, status="COMPLETED")
    TradeFactory(account="DESK-1", symbol="NVDA", import_batch=batch)
    query = f"?account__exact=desk-1&symbol__exact=NVDA&analyzed=no&import_batch__id__exact={batch.pk}&q=desk"
    body = superuser_client.get(CHANGELIST_URL + query).content.decode()
    assert 'id="filter-chips"' in body
    for text in ("account = desk-1", "symbol = NVDA", "not analyzed yet", f"import batch #{batch.pk}", "search “desk”"):
        assert text in body, text
    assert body.count('class="filter-chip ') == 5
    # Removing the account chip keeps the other four filters.
    assert "?analyzed=no&amp;import_batch__id__exact=" in body


# session, user, the account/symbol/setup choice lists, the latest batches, count, page of trades
FILTERED_CHANGELIST_QUERIES = 8


@pytest.mark.parametrize("n_trades", [5, 60])
@pytest.mark.parametrize(
    "query",
    [
        "?account__exact=acc-1",
        "?symbol__exact=AAPL&setup__exact=breakout",
        "?q=T00",
        "?q=acc",
        "?import_batch__id__exact=1",
        "?analyzed=no&side__exact=LONG",
    ],
)
def test_filtered_changelist_query_count_does_not_grow_with_the_trades(
    superuser_client, django_assert_num_queries, n_trades, query
):
    TradeFactory.create_batch(n_trades, setup="breakout")
    with django_assert_num_queries(FILTERED_CHANGELIST_QUERIES):
        response = superuser_client.get(CHANGELIST_URL + query)
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["yes", "no"])
def test_analyzed_filter_alone_is_counted_without_a_row_by_row_exists(
    superuser_client, django_assert_num_queries, value
):
    analyzed = TradeFactory.create_batch(3)
    for trade in analyzed:
        TradeAnalysisFactory(trade=trade)
    TradeFactory.create_batch(4)
    # as above, with the count from the post-mortem table (plus the trade count for "no")
    with django_assert_num_queries(FILTERED_CHANGELIST_QUERIES + (1 if value == "no" else 0)) as captured:
        response = superuser_client.get(f"{CHANGELIST_URL}?analyzed={value}")
    assert response.context["cl"].result_count == (3 if value == "yes" else 4)
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counts if "EXISTS" in sql.upper()], counts


def test_trade_list_offers_no_facet_counts(superuser_client):
    TradeFactory()
    page = superuser_client.get(CHANGELIST_URL + "?_facets=True")
    assert page.status_code == 200 and "Show counts" not in page.content.decode()
