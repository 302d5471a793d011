"""Trade import through the service (what the command, the admin task and the demo loader call)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from post_mortem.importing.canonical import CANONICAL_COLUMNS, validate_canonical_rows
from post_mortem.models import BatchStatus, ImportBatch, Trade
from post_mortem.services.imports import import_batch_rollback, trades_import

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
HEADER = ",".join(CANONICAL_COLUMNS)
GOOD_ROW = "X-1,ACC-1,AAPL,LONG,100,2026-01-05T09:35:00-05:00,2026-01-05T10:20:00-05:00,185.20,187.10,1.00,184.00,,s,,"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def run(data: bytes, **kwargs):
    return trades_import(source=data, file_name="t.csv", **kwargs)


@pytest.mark.django_db
def test_good_file_imports_every_row_with_derived_numbers_matching_the_model():
    result = trades_import(source=SAMPLES / "trades_good.csv", file_name="trades_good.csv")
    assert result.ok, result.errors
    assert (result.rows, result.created, result.updated, result.unchanged) == (6, 6, 0, 0)
    assert Trade.objects.count() == 6
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert batch.status == BatchStatus.COMPLETED and batch.created == 6 and len(batch.file_hash) == 64
    for trade in Trade.objects.all():
        stored = (trade.gross_pnl, trade.net_pnl, trade.risk_amount, trade.r_multiple, trade.holding_minutes)
        trade.refresh_derived()  # the model's own computation
        assert stored == (trade.gross_pnl, trade.net_pnl, trade.risk_amount, trade.r_multiple, trade.holding_minutes)
        assert trade.import_batch_id == batch.pk and trade.source_hash
    g1 = Trade.objects.get(external_id="G-001")
    assert g1.entry_time == dt.datetime(2026, 1, 5, 14, 35, tzinfo=dt.UTC)
    assert g1.net_pnl == Decimal("189.0000") and g1.r_multiple == pytest.approx(189 / 120)
    assert g1.tags == "momentum;open"
    assert Trade.objects.get(external_id="G-003").side == "LONG"  # "buy"
    assert Trade.objects.get(external_id="G-004").side == "SHORT"  # "SELL"
    assert Trade.objects.get(external_id="G-005").r_multiple is None  # no stop


# (line, field) of every bad row in fixtures/samples/trades_bad_rows.csv
BAD_SAMPLE_EXPECTED = [
    (3, "entry_time"),  # unparseable date
    (4, "entry_price"),  # unparseable number
    (5, "quantity"),  # negative
    (6, "quantity"),  # zero
    (7, "exit_time"),  # exit before entry
    (8, "side"),  # unknown side
    (9, "external_id"),  # duplicate inside the file
    (10, "stop_price"),  # stop above entry on a long
    (11, "stop_price"),  # stop below entry on a short
]


@pytest.mark.django_db
def test_bad_rows_file_writes_nothing_and_names_every_bad_line():
    result = trades_import(source=SAMPLES / "trades_bad_rows.csv", file_name="bad.csv")
    assert [(e.line, e.field) for e in result.errors] == BAD_SAMPLE_EXPECTED
    assert all(e.message for e in result.errors)
    assert Trade.objects.count() == 0
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert batch.status == BatchStatus.FAILED and batch.error_count == 9 and batch.errors[0]["line"] == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (GOOD_ROW.replace("2026-01-05T09:35:00-05:00", "yesterday"), "entry_time", "ISO 8601"),
        (GOOD_ROW.replace("185.20", "1.8.5"), "entry_price", "not a number"),
        (GOOD_ROW.replace(",100,", ",-3,"), "quantity", "greater than zero"),
        (GOOD_ROW.replace(",100,", ",0,"), "quantity", "greater than zero"),
        (GOOD_ROW.replace("10:20:00", "08:20:00"), "exit_time", "before entry"),
        (GOOD_ROW.replace("LONG", "sideways"), "side", "unknown side"),
        (GOOD_ROW.replace("184.00", "190"), "stop_price", "below the entry"),
        (GOOD_ROW.replace(",1.00,", ",abc,"), "fees", "not a number"),
        (GOOD_ROW.replace("ACC-1", ""), "account", "required"),
        (GOOD_ROW.replace(",100,", ",1.1234567,"), "quantity", "decimal places"),
    ],
)
def test_each_bad_value_is_reported_on_its_line_and_field(row, field, words):
    result = run(csv_bytes(GOOD_ROW.replace("X-1", "X-0"), row))
    assert [(e.line, e.field) for e in result.errors] == [(3, field)]
    assert words in result.errors[0].message
    assert Trade.objects.count() == 0


@pytest.mark.django_db
def test_missing_required_column_is_reported_on_the_header():
    header = HEADER.replace("exit_price,", "")
    result = run(csv_bytes(GOOD_ROW, header=header))
    assert [(e.line, e.field) for e in result.errors] == [(1, "exit_price")]
    assert "missing" in result.errors[0].message and Trade.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", HEADER.encode() + b"\r\n"])
def test_empty_file_or_header_only_is_an_error(data):
    result = run(data)
    assert result.errors and result.errors[0].field == "file"
    assert "empty" in result.errors[0].message or "no data rows" in result.errors[0].message


@pytest.mark.django_db
def test_not_utf8_is_a_clear_error():
    result = run(csv_bytes(GOOD_ROW.replace("s,", "caf\xe9,")).replace("café".encode(), b"caf\xe9"))
    assert result.errors[0].field == "file" and "UTF-8" in result.errors[0].message


@pytest.mark.django_db
def test_bom_crlf_non_ascii_and_formula_text_import_verbatim():
    result = trades_import(source=SAMPLES / "trades_bom_crlf_formula.csv", file_name="x.csv")
    assert result.ok, result.errors
    assert result.created == 3
    swiss = Trade.objects.get(external_id="U-001")
    # Labels get their one spelling (post_mortem.labels); the account and notes stay verbatim.
    assert swiss.account == "Désk-Zürich" and swiss.setup == "café-☕-setup" and swiss.tags == "été;日本"
    assert swiss.notes == 'Notes with a comma, a "quote" and €'
    formula = Trade.objects.get(external_id="U-002")
    assert formula.setup == '=hyperlink("http://evil.example")' and formula.tags == "@sum(a1)"
    assert formula.notes == "+1 looks like a formula"
    assert Trade.objects.get(external_id="U-003").notes == "multi\r\nline note"


@pytest.mark.django_db
def test_line_numbers_count_physical_lines_after_a_multiline_cell():
    data = csv_bytes(
        'X-0,ACC-1,AAPL,LONG,1,2026-01-05T09:35:00Z,2026-01-05T10:20:00Z,1,2,0,,,s,,"two\nlines"',
        GOOD_ROW.replace("LONG", "UP"),
    )
    result = run(data)
    assert [(e.line, e.field) for e in result.errors] == [(4, "side")]


@pytest.mark.django_db
def test_naive_times_are_read_in_the_given_timezone():
    row = GOOD_ROW.replace("2026-01-05T09:35:00-05:00", "2026-07-01 09:30").replace(
        "2026-01-05T10:20:00-05:00", "2026-07-01 10:00"
    )
    assert run(csv_bytes(row), tz_name="America/New_York").ok
    trade = Trade.objects.get()
    assert trade.entry_time == dt.datetime(2026, 7, 1, 13, 30, tzinfo=dt.UTC)  # EDT = UTC-4
    assert ImportBatch.objects.get().timezone == "America/New_York"


@pytest.mark.django_db
def test_unknown_timezone_is_an_error_not_a_crash():
    result = run(csv_bytes(GOOD_ROW), tz_name="Mars/Olympus")
    assert result.errors[0].field == "timezone"


@pytest.mark.django_db
def test_reimport_is_a_no_op_and_a_changed_row_updates_its_trade():
    first = trades_import(source=SAMPLES / "trades_good.csv", file_name="a.csv")
    stamps = dict(Trade.objects.values_list("external_id", "updated_at"))
    again = trades_import(source=SAMPLES / "trades_good.csv", file_name="a.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert dict(Trade.objects.values_list("external_id", "updated_at")) == stamps
    assert Trade.objects.count() == 6

    data = (SAMPLES / "trades_good.csv").read_bytes().replace(b"185.20,187.10", b"185.20,188.10")
    changed = run(data)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 5)
    g1 = Trade.objects.get(external_id="G-001")
    assert g1.exit_price == Decimal("188.10") and g1.net_pnl == Decimal("289.0000")
    assert g1.import_batch_id == changed.batch_id
    previous = ImportBatch.objects.get(pk=changed.batch_id).previous_values
    assert previous[str(g1.pk)]["exit_price"] == "187.10000000"
    assert previous[str(g1.pk)]["import_batch_id"] == first.batch_id


@pytest.mark.django_db
def test_dry_run_counts_but_writes_nothing():
    result = trades_import(source=SAMPLES / "trades_good.csv", file_name="a.csv", dry_run=True)
    assert (result.created, result.batch_id, result.dry_run) == (6, None, True)
    assert Trade.objects.count() == 0 and ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_rollback_deletes_created_and_restores_updated_trades(superuser):
    first = trades_import(source=SAMPLES / "trades_good.csv", file_name="a.csv")
    original = Trade.objects.get(external_id="G-001")
    data = (SAMPLES / "trades_good.csv").read_bytes().replace(b"185.20,187.10", b"185.20,188.10")
    data += b"G-007,ACC-2,IBM,LONG,5,2026-01-08T15:00:00Z,2026-01-08T16:00:00Z,150,151,0,,,new,,\n"
    second = run(data)
    assert (second.created, second.updated) == (1, 1)

    outcome = import_batch_rollback(batch=ImportBatch.objects.get(pk=second.batch_id), user=superuser)
    assert outcome == {"deleted": 1, "restored": 1}
    restored = Trade.objects.get(external_id="G-001")
    for name in ("exit_price", "net_pnl", "gross_pnl", "r_multiple", "source_hash", "import_batch_id", "entry_time"):
        assert getattr(restored, name) == getattr(original, name), name
    assert not Trade.objects.filter(external_id="G-007").exists()
    batch = ImportBatch.objects.get(pk=second.batch_id)
    assert batch.status == BatchStatus.ROLLED_BACK and batch.rolled_back_by == superuser
    # the restored file is recognised as unchanged again
    assert trades_import(source=SAMPLES / "trades_good.csv", file_name="a.csv").unchanged == 6

    with pytest.raises(ValueError, match="only a completed import"):
        import_batch_rollback(batch=batch, user=superuser)
    import_batch_rollback(batch=ImportBatch.objects.get(pk=first.batch_id), user=superuser)
    assert Trade.objects.count() == 0


def test_validator_takes_canonical_text_rows_from_any_door():
    """Broker parsers feed (line, {column: text}) pairs, with an optional multiplier column."""
    rows = [
        (7, dict(zip(CANONICAL_COLUMNS, GOOD_ROW.split(","), strict=True)) | {"multiplier": "50"}),
        (9, dict(zip(CANONICAL_COLUMNS, GOOD_ROW.replace("X-1", "X-2").replace("LONG", "?").split(","), strict=True))),
    ]
    valid, errors = validate_canonical_rows(rows, tz_name="UTC")
    assert [t.line for t in valid] == [7] and valid[0].multiplier == Decimal(50)
    assert [(e.line, e.field) for e in errors] == [(9, "side")]


@pytest.mark.django_db
def test_xlsx_with_typed_cells_imports_like_csv():
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(CANONICAL_COLUMNS))
    sheet.append(
        [
            "X-1",
            "ACC-1",
            "aapl",
            "Buy",
            100,
            dt.datetime(2026, 1, 5, 9, 35),
            "2026-01-05T10:20:00-05:00",
            185.2,
            187.1,
            1,
            184,
            None,
            "s",
            "a; b",
            None,
        ]
    )
    sheet.append([None] * len(CANONICAL_COLUMNS))  # empty row: ignored
    sheet.append(
        [
            "X-2",
            "ACC-1",
            "MSFT",
            "SELL",
            "abc",
            dt.datetime(2026, 1, 5, 9, 35),
            dt.datetime(2026, 1, 5, 9, 40),
            10,
            9,
            0,
            None,
            None,
            "",
            "",
            "",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = trades_import(source=buffer.getvalue(), file_name="t.xlsx", tz_name="America/New_York")
    assert [(e.line, e.field) for e in result.errors] == [(4, "quantity")]
    result = trades_import(source=_drop_last_row(buffer.getvalue()), file_name="t.xlsx", tz_name="America/New_York")
    assert result.ok, result.errors
    trade = Trade.objects.get()
    assert (trade.symbol, trade.side, trade.quantity, trade.tags) == ("AAPL", "LONG", Decimal(100), "a;b")
    assert trade.entry_time == dt.datetime(2026, 1, 5, 14, 35, tzinfo=dt.UTC)  # naive cell read in New York
    assert trade.entry_price == Decimal("185.2")


def _drop_last_row(data: bytes) -> bytes:
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    workbook.active.delete_rows(workbook.active.max_row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
