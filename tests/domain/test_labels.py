"""One spelling per setup and tag (import, save, migration); account names keep their case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from post_mortem.importing.canonical import validate_canonical_rows
from post_mortem.labels import normalize_label, normalize_tags
from post_mortem.mining.describe import rule_text
from tests.mixed_desk import FOREIGN_ACCOUNT, SETUP_SPELLINGS


@pytest.mark.parametrize("spelling", [*SETUP_SPELLINGS, "VWAP_RECLAIM", "vwap--reclaim", "Vwap - Reclaim"])
def test_spellings_collapse_to_one_value(spelling):
    assert normalize_label(spelling) == "vwap-reclaim"


def test_tags_normalised_deduplicated_in_order():
    assert normalize_tags("Gap Up; gap-up;;News ; gap_up;A+") == "gap-up;news;a+"
    assert normalize_tags("") == normalize_label(None) == ""


def test_import_validation_gives_one_spelling_per_setup_and_tag():
    base = {
        "account": FOREIGN_ACCOUNT, "symbol": "MSFT", "side": "long", "quantity": "10",
        "entry_time": "2026-03-02T10:00:00-05:00", "exit_time": "2026-03-02T10:20:00-05:00",
        "entry_price": "101.5", "exit_price": "102", "stop_price": "100.9",
    }  # fmt: skip
    rows = [
        (i + 2, {**base, "external_id": f"X{i}", "setup": spelling, "tags": tags})
        for i, (spelling, tags) in enumerate(zip(SETUP_SPELLINGS, ["Gap Up", "gap-up", "gap_up;News", ""], strict=True))
    ]
    valid, errors = validate_canonical_rows(rows, tz_name="America/New_York")
    assert errors == []
    assert {t.setup for t in valid} == {"vwap-reclaim"}
    assert [t.tags for t in valid] == ["gap-up", "gap-up", "gap-up;news", ""]
    assert {t.account for t in valid} == {FOREIGN_ACCOUNT}  # the account keeps its case


@pytest.mark.django_db(transaction=True)
def test_migration_normalises_existing_rows():
    executor = MigrationExecutor(connection)
    before = [("post_mortem", "0009_run_lease_heartbeat")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Trade = apps.get_model("post_mortem", "Trade")
    start = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    for i, spelling in enumerate(SETUP_SPELLINGS):
        Trade.objects.create(
            external_id=f"M{i}", account="Desk-A", symbol="AAPL", side="LONG", quantity=Decimal(1),
            entry_time=start, exit_time=start + dt.timedelta(minutes=5), entry_price=Decimal(1),
            exit_price=Decimal(1), setup=spelling, tags="Gap Up;News",
        )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate([("post_mortem", "0010_normalize_setup_and_tag_spellings")])
    Trade = executor.loader.project_state([("post_mortem", "0010_normalize_setup_and_tag_spellings")]).apps.get_model(
        "post_mortem", "Trade"
    )
    assert set(Trade.objects.values_list("setup", flat=True)) == {"vwap-reclaim"}
    assert set(Trade.objects.values_list("tags", flat=True)) == {"gap-up;news"}
    assert set(Trade.objects.values_list("account", flat=True)) == {"Desk-A"}
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())  # leave the schema as the other tests expect


def test_plan_rules_keep_account_case():
    assert FOREIGN_ACCOUNT in rule_text("account", FOREIGN_ACCOUNT, weakness=False)
    assert FOREIGN_ACCOUNT in rule_text("account", FOREIGN_ACCOUNT, weakness=True)
    assert "'VWAP Reclaim'" in rule_text("setup", "VWAP Reclaim", weakness=False)
