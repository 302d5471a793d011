"""The trade admin through the test client: import (preview + confirm, and the background path),
export neutralisation, rollback with confirmation, permissions, and a pinned changelist query count."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from post_mortem.models import BatchStatus, ImportBatch, JobRun, RunStatus, Trade
from post_mortem.services.imports import trades_import
from tests.factories import TradeFactory

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
IMPORT_URL = reverse("admin:post_mortem_trade_import")
PROCESS_URL = reverse("admin:post_mortem_trade_process_import")
CHANGELIST_URL = reverse("admin:post_mortem_trade_changelist")


def upload(client, path: Path, *, name: str | None = None, data: bytes | None = None, tz: str = "UTC"):
    content = data if data is not None else path.read_bytes()
    return client.post(
        IMPORT_URL,
        {
            "resource": "0",
            "format": "0",  # CSV
            "timezone": tz,
            "file_format": "auto",
            "import_file": SimpleUploadedFile(name or path.name, content, content_type="text/csv"),
        },
    )


@pytest.mark.django_db
def test_small_import_previews_a_summary_then_confirms(ops_client, ops_user):
    response = upload(ops_client, SAMPLES / "trades_good.csv")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="import-summary"' in page and "Confirm import" in page
    assert Trade.objects.count() == 0  # the preview writes nothing
    confirm = response.context["confirm_form"]
    assert confirm.initial["timezone"] == "UTC"

    response = ops_client.post(PROCESS_URL, {**confirm.initial, "resource": "0"})
    assert response.status_code == 302
    assert Trade.objects.count() == 6
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.COMPLETED and batch.created == 6 and batch.created_by == ops_user
    assert batch.file_name == "trades_good.csv"


@pytest.mark.django_db
def test_preview_sample_is_capped_for_a_large_file(superuser_client, settings):
    settings.IMPORT_ASYNC_THRESHOLD_ROWS = 10_000
    header = (SAMPLES / "trades_good.csv").read_text().splitlines()[0]
    rows = [
        f"P-{i},ACC-1,AAPL,LONG,1,2026-01-05T14:{i % 60:02d}:00Z,2026-01-05T15:00:00Z,100,101,0,,,s,,"
        for i in range(1500)
    ]
    response = upload(
        superuser_client, SAMPLES / "x.csv", name="many.csv", data=("\n".join([header, *rows]) + "\n").encode()
    )
    assert response.status_code == 200
    assert len(response.context["result"].rows) == 50
    assert response.context["result"].summary.created == 1500
    assert len(response.content) < 400_000


@pytest.mark.django_db
def test_import_with_bad_rows_lists_every_line_and_writes_nothing(superuser_client):
    response = upload(superuser_client, SAMPLES / "trades_bad_rows.csv")
    assert response.status_code == 200
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    invalid = response.context["result"].invalid_rows
    assert [row.number for row in invalid] == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    page = response.content.decode()
    assert "unknown side &#x27;FLAT&#x27;" in page or "unknown side 'FLAT'" in page
    assert Trade.objects.count() == 0


@pytest.mark.django_db
def test_import_escapes_user_text_in_the_preview(superuser_client):
    data = (
        (SAMPLES / "trades_good.csv")
        .read_bytes()
        .replace(b"clean break of premarket high", b"<script>alert(1)</script>")
    )
    response = upload(superuser_client, SAMPLES / "x.csv", name="x.csv", data=data)
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


@pytest.mark.django_db
def test_large_import_runs_as_a_background_task(ops_client, tmp_path, django_capture_on_commit_callbacks):
    with (
        override_settings(IMPORT_ASYNC_THRESHOLD_ROWS=3, IMPORT_UPLOAD_DIR=tmp_path),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = upload(ops_client, SAMPLES / "trades_good.csv")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:post_mortem_importbatch_change", args=[batch.pk]
    )
    assert len(callbacks) == 1  # enqueued after commit; sync mode ran it inline
    assert batch.status == BatchStatus.COMPLETED and batch.created == 6 and batch.run_id
    assert JobRun.objects.get(pk=batch.run_id).status == RunStatus.SUCCEEDED
    assert Trade.objects.count() == 6
    assert not list(tmp_path.iterdir())  # the stored upload is removed after success

    page = ops_client.get(reverse("admin:post_mortem_importbatch_change", args=[batch.pk]))
    assert page.status_code == 200 and b"6 trades owned by this batch" in page.content


@pytest.mark.django_db
def test_large_import_with_bad_rows_fails_the_batch_and_writes_nothing(
    superuser_client, tmp_path, django_capture_on_commit_callbacks
):
    with (
        override_settings(IMPORT_ASYNC_THRESHOLD_ROWS=3, IMPORT_UPLOAD_DIR=tmp_path),
        django_capture_on_commit_callbacks(execute=True),
    ):
        upload(superuser_client, SAMPLES / "trades_bad_rows.csv")
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.FAILED and batch.error_count == 9
    assert JobRun.objects.get(pk=batch.run_id).status == RunStatus.FAILED
    assert Trade.objects.count() == 0
    page = superuser_client.get(reverse("admin:post_mortem_importbatch_change", args=[batch.pk]))
    assert b"unknown side" in page.content


@pytest.mark.django_db
def test_export_csv_neutralises_formulas(superuser_client):
    TradeFactory(setup='=HYPERLINK("http://evil")', notes="@SUM(A1)")
    response = superuser_client.post(
        reverse("admin:post_mortem_trade_export"),
        {"format": "0", "resource": "0", **{f"traderesource_{f}": "on" for f in ("external_id", "setup", "notes")}},
    )
    assert response.status_code == 200, response.content[:500]
    body = response.content.decode()
    assert "'=HYPERLINK" in body and "'@SUM(A1)" in body


@pytest.mark.django_db
def test_rollback_needs_confirmation_and_permission(superuser, auditor_user):
    superuser_client, auditor_client = Client(), Client()
    superuser_client.force_login(superuser)
    auditor_client.force_login(auditor_user)
    result = trades_import(source=SAMPLES / "trades_good.csv", file_name="a.csv")
    url = reverse("admin:post_mortem_importbatch_rollback", args=[result.batch_id])
    assert auditor_client.get(url).status_code == 403
    assert auditor_client.post(url, {"confirm": "yes"}).status_code == 403

    page = superuser_client.get(url)
    assert page.status_code == 200 and "6 trades it created will be deleted" in re.sub(
        r"\s+", " ", page.content.decode()
    )
    assert Trade.objects.count() == 6  # GET changes nothing
    response = superuser_client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    assert Trade.objects.count() == 0
    assert ImportBatch.objects.get().status == BatchStatus.ROLLED_BACK


@pytest.mark.django_db
def test_auditor_sees_trades_and_batches_but_cannot_import(auditor_client):
    trades_import(source=SAMPLES / "trades_good.csv", file_name="a.csv")
    assert auditor_client.get(CHANGELIST_URL).status_code == 200
    assert auditor_client.get(reverse("admin:post_mortem_importbatch_changelist")).status_code == 200
    assert auditor_client.get(IMPORT_URL).status_code == 403
    assert upload(auditor_client, SAMPLES / "trades_good.csv").status_code == 403


@pytest.mark.django_db
def test_trade_change_page_shows_derived_metrics_read_only(superuser_client):
    trade = TradeFactory()
    page = superuser_client.get(reverse("admin:post_mortem_trade_change", args=[trade.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "net_pnl" not in form.fields and "r_multiple" not in form.fields  # read-only, not inputs
    assert "$99.00" in page.content.decode()  # net P&L shown, formatted as money


# session, user, the account/symbol/setup choice lists, the latest batches (filters), count (paginator),
# page of trades with the EXISTS column
CHANGELIST_QUERIES = 8


@pytest.mark.django_db
@pytest.mark.parametrize("n_trades", [5, 60])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?side__exact=LONG",
        "?account__exact=ACC-1",
        "?entry_time_from=2026-01-01&entry_time_to=2026-12-31",
        "?net_pnl_from=-5&net_pnl_to=500",
    ],
)
def test_trade_changelist_query_count_is_pinned(superuser_client, django_assert_num_queries, n_trades, query):
    TradeFactory.create_batch(n_trades)
    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = superuser_client.get(CHANGELIST_URL + query)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(n_trades, 50)


@pytest.mark.django_db
def test_cached_column_headers_render_the_same_page(superuser_client, monkeypatch):
    from admin_ext.trades import TradeAdmin

    TradeFactory.create_batch(3)
    cached = superuser_client.get(CHANGELIST_URL + "?o=6").content

    def uncached(self, request):
        changelist = super(TradeAdmin, self).get_changelist_instance(request)
        changelist.cache_result_headers = False
        return changelist

    monkeypatch.setattr(TradeAdmin, "get_changelist_instance", uncached)
    plain = superuser_client.get(CHANGELIST_URL + "?o=6").content

    def strip(html: bytes) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html.decode())

    assert strip(cached) == strip(plain)
    assert "Net P&amp;L" in strip(cached)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("net_pnl_from=0", {"WIN", "FLAT"}),
        ("net_pnl_to=-0.5", {"LOSS"}),
        ("net_pnl_from=-101&net_pnl_to=0", {"LOSS", "FLAT"}),
        ("net_pnl_from=-100.99&net_pnl_to=0", {"FLAT"}),
        ("net_pnl_from=50.5&net_pnl_to=99", {"WIN"}),
        ("net_pnl_from=99.01", set()),
    ],
)
def test_net_pnl_range_filter_selects_the_same_trades_as_a_plain_range(superuser_client, query, expected):
    TradeFactory(external_id="WIN", entry_price=100, exit_price=101, fees=1)  # +99
    TradeFactory(external_id="LOSS", entry_price=100, exit_price=99, fees=1)  # -101
    TradeFactory(external_id="FLAT", entry_price=100, exit_price=100, fees=0)  # 0
    response = superuser_client.get(f"{CHANGELIST_URL}?{query}")
    assert {t.external_id for t in response.context["cl"].result_list} == expected


@pytest.mark.django_db
def test_row_checkbox_is_unfolds_own_markup():
    from django.contrib.admin import helpers
    from unfold.admin import checkbox

    from admin_ext.trades import TradeAdmin

    trade = TradeFactory()
    from django.contrib import admin as django_admin

    model_admin = django_admin.site._registry[Trade]
    assert isinstance(model_admin, TradeAdmin)
    assert model_admin.action_checkbox(trade) == checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(trade.pk))
    assert model_admin.action_checkbox(trade) == model_admin.action_checkbox(trade)  # cached template reused


@pytest.mark.django_db
def test_xlsx_import_through_the_admin(superuser_client):
    import csv
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    with (SAMPLES / "trades_good.csv").open(newline="") as fh:
        for row in csv.reader(fh):
            workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = superuser_client.post(
        IMPORT_URL,
        {
            "resource": "0",
            "format": "1",  # XLSX
            "timezone": "UTC",
            "file_format": "auto",
            "import_file": SimpleUploadedFile("trades.xlsx", buffer.getvalue()),
        },
    )
    assert response.status_code == 200
    assert response.context["result"].summary.created == 6, response.context["result"].summary.errors
    confirm = response.context["confirm_form"]
    assert superuser_client.post(PROCESS_URL, {**confirm.initial, "resource": "0"}).status_code == 302
    assert Trade.objects.count() == 6


@pytest.mark.django_db
def test_import_page_lists_only_the_columns_a_file_can_carry(ops_client):
    from post_mortem.importing.canonical import CANONICAL_COLUMNS, DERIVED_COLUMNS, EXTRA_COLUMNS

    response = ops_client.get(IMPORT_URL)
    assert response.status_code == 200
    [(_resource, listed)] = response.context["fields_list"]
    assert listed == [*CANONICAL_COLUMNS, *EXTRA_COLUMNS]  # multiplier and the option columns
    assert not set(listed) & {*DERIVED_COLUMNS, "source_hash", "import_batch", "created_at", "updated_at"}
    page = response.content.decode()
    assert "Required columns: <code>external_id, account, symbol, side, quantity" in page  # typed names, as code
    export = ops_client.get(reverse("admin:post_mortem_trade_export"))
    [(_resource, exported)] = export.context["fields_list"]
    assert exported[: len(listed)] == listed and "net_pnl" in exported  # the export adds the computed numbers


def test_trade_history_without_admin_edits_leads_to_its_import_batch(auditor_client):
    result = trades_import(source=SAMPLES / "trades_good.csv", file_name="good.csv")
    trade = Trade.objects.filter(import_batch_id=result.batch_id).first()
    html = auditor_client.get(reverse("admin:post_mortem_trade_history", args=[trade.pk])).content.decode()
    assert "It probably wasn" not in html
    assert reverse("admin:post_mortem_importbatch_change", args=[result.batch_id]) in html
    assert reverse("admin:post_mortem_trade_change", args=[trade.pk]) in html


def test_market_bar_list_formats_prices_and_volume(auditor_client):
    import datetime as dt

    from post_mortem.models import MarketBar

    MarketBar.objects.create(
        symbol="AAPL", timestamp=dt.datetime(2026, 7, 2, 14, 0, tzinfo=dt.UTC), open=254.5, high=255.125,
        low=254.0, close=254.75, volume=11542.0,
    )  # fmt: skip
    html = auditor_client.get(reverse("admin:post_mortem_marketbar_changelist")).content.decode()
    assert "11,542" in html and "11542.0" not in html and "255.125" in html and "254.50" in html


def test_view_only_trade_page_shows_numbers_as_the_desk_reads_them(auditor_client, ops_user):
    from decimal import Decimal

    trade = TradeFactory(quantity=Decimal("280"), fees=Decimal("1.4"))
    trade.refresh_from_db()
    url = reverse("admin:post_mortem_trade_change", args=[trade.pk])
    html = re.sub(r"\s+", " ", auditor_client.get(url).content.decode()).replace("> ", ">").replace(" <", "<")
    assert "280.000000" not in html and "1.4000" not in html and f"{trade.entry_price:f}" not in html
    assert 'rounded-default">280</div>' in html and 'rounded-default">$1.40</div>' in html
    ops = Client()
    ops.force_login(ops_user)
    assert 'name="quantity"' in ops.get(url).content.decode()  # Ops still edit the fields


def test_contract_multipliers_read_as_numbers_for_auditors(auditor_client):
    from post_mortem.models import ContractMultiplier

    ContractMultiplier.objects.update_or_create(root="ZZQ", defaults={"multiplier": "12.5"})
    html = auditor_client.get(reverse("admin:post_mortem_contractmultiplier_changelist"), {"q": "ZZQ"}).content
    assert b"12.5" in html and b"12.5000" not in html
