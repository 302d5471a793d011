"""Admin pages for broker imports, through the real admin with the real groups."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client

from post_mortem.models import ContractMultiplier, ImportBatch, ImportLayout, Trade
from post_mortem.services.imports import trades_import

pytestmark = pytest.mark.django_db

FROM_SAMPLE = "/admin/post_mortem/importlayout/from-sample/"
SAMPLE = (
    b"ACME Securities - fills report\n"
    b"\n"
    b"Acct,Ticker,B/S,Shares,Px,When,Fee\n"
    b"AC-1,IBM,B,10,200.00,2026-07-02 09:30:00,0.50\n"
    b"AC-1,IBM,S,10,201.50,2026-07-02 10:00:00,0.50\n"
)


def test_multiplier_table_is_listed_and_editable_by_ops(ops_client) -> None:
    page = ops_client.get("/admin/post_mortem/contractmultiplier/")
    assert page.status_code == 200
    assert b"MNQ" in page.content
    mnq = ContractMultiplier.objects.get(root="MNQ")
    response = ops_client.post(
        f"/admin/post_mortem/contractmultiplier/{mnq.pk}/change/",
        {"root": "MNQ", "multiplier": "2.5", "description": "edited"},
    )
    assert response.status_code == 302
    mnq.refresh_from_db()
    assert mnq.multiplier == Decimal("2.5")


def test_auditor_reads_but_cannot_save_layouts_or_multipliers(auditor_client) -> None:
    assert auditor_client.get("/admin/post_mortem/contractmultiplier/").status_code == 200
    assert auditor_client.get("/admin/post_mortem/importlayout/").status_code == 200
    assert auditor_client.get(FROM_SAMPLE).status_code == 403
    mnq = ContractMultiplier.objects.get(root="MNQ")
    auditor_client.post(f"/admin/post_mortem/contractmultiplier/{mnq.pk}/change/", {"root": "MNQ", "multiplier": "99"})
    mnq.refresh_from_db()
    assert mnq.multiplier == Decimal(2)


def _mapping_post(**overrides) -> dict[str, str]:
    data = {
        "name": "acme_fills",
        "kind": "executions",
        "date_order": "MDY",
        "sample_text": SAMPLE.decode(),
        "map_account": "Acct",
        "map_symbol": "Ticker",
        "map_side": "B/S",
        "map_quantity": "Shares",
        "map_price": "Px",
        "map_time": "When",
        "map_fees": "Fee",
        "map_exec_id": "",
    }
    data.update(overrides)
    return data


def test_ops_saves_a_layout_from_a_sample_and_it_is_then_detected(ops_client) -> None:
    assert ops_client.get(FROM_SAMPLE).status_code == 200
    upload = ops_client.post(
        FROM_SAMPLE,
        {
            "name": "acme_fills",
            "kind": "executions",
            "date_order": "MDY",
            "sample": SimpleUploadedFile("acme.csv", SAMPLE, content_type="text/csv"),
        },
    )
    assert upload.status_code == 200
    assert b"Columns found: Acct, Ticker, B/S, Shares, Px, When, Fee" in upload.content

    # a missing required field is named, nothing saved
    bad = ops_client.post(FROM_SAMPLE, {**_mapping_post(map_price=""), "check": "1"})
    assert b"price must be mapped to a column" in bad.content
    assert not ImportLayout.objects.exists()

    checked = ops_client.post(FROM_SAMPLE, {**_mapping_post(), "check": "1"})
    assert b"The sample gives 1 round trip(s)" in checked.content
    assert not ImportLayout.objects.exists()

    saved = ops_client.post(FROM_SAMPLE, {**_mapping_post(), "save": "1"})
    assert saved.status_code == 302
    layout = ImportLayout.objects.get(name="acme_fills")
    assert sorted(layout.signature) == sorted(["Acct", "Ticker", "B/S", "Shares", "Px", "When", "Fee"])
    assert layout.options["kind"] == "executions"
    assert layout.created_by.username == "opsy"

    result = trades_import(source=SAMPLE, file_name="acme-2.csv", file_format="auto")
    assert result.errors == [] and result.file_format == "acme_fills"
    trade = Trade.objects.get()
    assert (trade.symbol, trade.side, trade.quantity, trade.net_pnl) == ("IBM", "LONG", 10, Decimal("14.0000"))


def test_a_sample_a_built_in_layout_reads_is_not_saved_twice(ops_client) -> None:
    sample = open("fixtures/brokers/tradenote.csv").read()  # noqa: SIM115
    response = ops_client.post(
        FROM_SAMPLE,
        {
            **_mapping_post(sample_text=sample),
            "map_account": "Account",
            "map_symbol": "Symbol",
            "map_side": "Side",
            "map_quantity": "Qty",
            "map_price": "Price",
            "map_time": "Exec Time",
            "map_fees": "Comm",
            "check": "1",
        },
    )
    assert b"already read by the" in response.content
    assert not ImportLayout.objects.exists()


IMPORT_FILE = "/admin/post_mortem/importlayout/import-file/"


def _upload(client, name: str, **fields):
    from pathlib import Path

    data = (Path("fixtures/brokers") / name).read_bytes()
    return client.post(
        IMPORT_FILE,
        {
            "import_file": SimpleUploadedFile(name, data, content_type="text/csv"),
            "file_format": fields.pop("file_format", "auto"),
            "timezone": fields.pop("timezone", "America/New_York"),
            "date_order": "MDY",
            "account": fields.pop("account", ""),
            "session_date": fields.pop("session_date", ""),
            "grouping": fields.pop("grouping", "flat"),
            "preview": "1",
        },
    )


def test_broker_file_import_page_previews_then_imports(ops_client) -> None:
    assert ops_client.get(IMPORT_FILE).status_code == 200
    fifo = _upload(ops_client, "thinkorswim_statement.csv", grouping="fifo")
    assert "8 round trip(s): 8 new" in fifo.content.decode()  # FIFO lot pairs, on request
    preview = _upload(ops_client, "thinkorswim_statement.csv")
    html = preview.content.decode()
    assert "Ready to import" in html and "5 round trip(s): 5 new" in html
    assert "SPY 16 JAN 26 450 CALL" in html
    assert "line 35: 5 NVDA still open at the end of the file" in html
    assert Trade.objects.count() == 0  # a preview writes nothing
    token = re.search(r'name="token" value="([0-9a-f]{64})"', html).group(1)
    done = ops_client.post(
        IMPORT_FILE,
        {
            "confirm": "1",
            "token": token,
            "file_name": "statement.csv",
            "file_format": "auto",
            "timezone": "America/New_York",
        },
    )
    assert done.status_code == 302 and "/importbatch/" in done["Location"]
    assert Trade.objects.count() == 5
    assert Trade.objects.aggregate(s=Sum("gross_pnl"))["s"] == Decimal("477.5")
    again = _upload(ops_client, "thinkorswim_statement.csv")
    assert "5 round trip(s): 0 new, 0 changed, 5 unchanged" in again.content.decode()


def test_broker_file_errors_are_listed_and_nothing_written(ops_client) -> None:
    page = _upload(ops_client, "topstepx.csv")
    html = page.content.decode()
    assert "Nothing can be imported" in html and "--account" in html
    assert 'name="confirm"' not in html
    ok = _upload(ops_client, "topstepx.csv", account="TSX-1")
    assert "3 round trip(s): 3 new" in ok.content.decode()
    assert Trade.objects.count() == 0


def test_large_broker_file_goes_to_the_background_with_its_options(
    ops_client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.IMPORT_ASYNC_THRESHOLD_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(ops_client, "das_trades.csv", session_date="2026-07-02")
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.options["session_date"] == "2026-07-02"
    # tests run django-q2 in sync mode: the task has run
    batch.refresh_from_db()
    assert (batch.status, batch.file_format, batch.created) == ("COMPLETED", "das", 2)


def test_auditor_cannot_import_broker_files(auditor_client) -> None:
    assert auditor_client.get(IMPORT_FILE).status_code == 403


def test_multiplier_changes_are_kept_with_who_made_them(ops_client, auditor_user) -> None:
    mnq = ContractMultiplier.objects.get(root="MNQ")
    ops_client.post(
        f"/admin/post_mortem/contractmultiplier/{mnq.pk}/change/",
        {"root": "MNQ", "multiplier": "2.5", "description": "typo"},
    )
    ops_client.post(
        f"/admin/post_mortem/contractmultiplier/{mnq.pk}/change/",
        {"root": "MNQ", "multiplier": "2", "description": "fixed"},
    )
    history = list(mnq.history.order_by("history_date").values_list("multiplier", "history_user__username"))
    assert history == [(Decimal("2.5"), "opsy"), (Decimal("2"), "opsy")]
    auditor = Client()
    auditor.force_login(auditor_user)
    page = auditor.get(f"/admin/post_mortem/contractmultiplier/{mnq.pk}/history/")
    assert page.status_code == 200 and b"2.5" in page.content
