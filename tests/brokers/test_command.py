"""`import_trades PATH --format auto|<layout>` with the broker options, as ops staff run it."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from post_mortem.models import ImportBatch, Trade

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"
pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, dict]:
    out = StringIO()
    code = 0
    try:
        call_command("import_trades", *args, "--json", stdout=out, stderr=StringIO())
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(out.getvalue().strip().splitlines()[-1])


def test_statement_auto_detected_and_reimport_is_a_no_op() -> None:
    path = str(FIXTURES / "thinkorswim_statement.csv")
    code, first = run(path, "--format", "auto", "--timezone", "America/New_York")
    assert code == 0
    assert (first["rows"], first["created"], first["file_format"]) == (5, 5, "thinkorswim")
    assert [(n["line"], n["field"]) for n in first["notes"]] == [(35, "position"), (48, "position")]
    code, again = run(path, "--format", "auto", "--timezone", "America/New_York")
    assert (code, again["created"], again["updated"], again["unchanged"]) == (0, 0, 0, 5)
    assert Trade.objects.count() == 5
    batch = ImportBatch.objects.get(pk=first["batch_id"])
    assert (batch.file_format, batch.timezone) == ("thinkorswim", "America/New_York")


def test_grouping_fifo_pairs_lot_by_lot() -> None:
    path = str(FIXTURES / "thinkorswim_statement.csv")
    code, fifo = run(path, "--format", "auto", "--timezone", "America/New_York", "--grouping", "fifo")
    assert (code, fifo["created"]) == (0, 8)
    assert ImportBatch.objects.get(pk=fifo["batch_id"]).options == {"grouping": "fifo"}


def test_account_and_session_date_options() -> None:
    code, result = run(str(FIXTURES / "tradervue.csv"), "--format", "auto", "--account", "TV-9")
    assert code == 0 and result["created"] == 2
    assert set(Trade.objects.values_list("account", flat=True)) == {"TV-9"}
    code, result = run(str(FIXTURES / "das_trades.csv"), "--format", "das", "--session-date", "2026-07-03")
    assert code == 0 and result["created"] == 2
    assert ImportBatch.objects.get(pk=result["batch_id"]).options == {"session_date": "2026-07-03"}


def test_missing_option_and_unknown_file_exit_1_with_the_reason() -> None:
    code, result = run(str(FIXTURES / "topstepx.csv"), "--format", "auto")
    assert code == 1
    assert result["errors"][0]["field"] == "account" and "--account" in result["errors"][0]["message"]
    code, result = run(str(FIXTURES / "unknown_renamed_columns.csv"), "--format", "auto")
    assert code == 1
    assert "Closest known layouts" in result["errors"][0]["message"]
    code, result = run(str(FIXTURES / "mt5.csv"), "--format", "no_such_layout")
    assert code == 1 and "known formats" in result["errors"][0]["message"]
    assert Trade.objects.count() == 0


def test_the_other_grouping_of_imported_fills_is_refused_until_rolled_back() -> None:
    """Flat to flat then FIFO of the same statement would count its scaled positions twice."""
    from post_mortem.services.imports import import_batch_rollback

    path = str(FIXTURES / "thinkorswim_statement.csv")
    code, flat = run(path, "--format", "auto", "--timezone", "America/New_York")
    assert (code, flat["created"]) == (0, 5)
    code, fifo = run(path, "--format", "auto", "--timezone", "America/New_York", "--grouping", "fifo")
    assert code == 1 and fifo["created"] == 0
    clash = [e for e in fifo["errors"] if e["field"] == "grouping"]
    assert clash, fifo["errors"]
    assert f"import batch #{flat['batch_id']}" in clash[0]["message"] and "Roll back" in clash[0]["message"]
    assert Trade.objects.count() == 5  # nothing of the refused file was written
    # The same grouping again is still a no-op (the trades are matched by id, no clash).
    code, again = run(path, "--format", "auto", "--timezone", "America/New_York")
    assert (code, again["unchanged"]) == (0, 5)
    # After rolling the flat batch back, FIFO imports.
    import_batch_rollback(batch=ImportBatch.objects.get(pk=flat["batch_id"]), user=None)
    code, fifo = run(path, "--format", "auto", "--timezone", "America/New_York", "--grouping", "fifo")
    assert (code, fifo["created"]) == (0, 8)
