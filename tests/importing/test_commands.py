"""`import_trades` / `import_bars` as a user runs them: JSON on the last stdout line, exit code."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from post_mortem.models import MarketBar, Trade

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"


def call(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_trades_json_and_exit_code_zero():
    code, out, _ = call("import_trades", str(SAMPLES / "trades_good.csv"), "--json")
    payload = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    assert {k: payload[k] for k in ("rows", "created", "updated", "unchanged", "errors")} == {
        "rows": 6,
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }
    code, out, _ = call("import_trades", str(SAMPLES / "trades_good.csv"), "--json")
    assert json.loads(out.strip().splitlines()[-1])["unchanged"] == 6


@pytest.mark.django_db
def test_import_trades_errors_exit_one_and_list_every_line():
    code, out, _ = call("import_trades", str(SAMPLES / "trades_bad_rows.csv"), "--json")
    payload = json.loads(out.strip().splitlines()[-1])
    assert code == 1
    assert [e["line"] for e in payload["errors"]] == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert set(payload["errors"][0]) == {"line", "field", "message"}
    assert Trade.objects.count() == 0


@pytest.mark.django_db
def test_import_trades_human_output_and_dry_run():
    code, out, err = call("import_trades", str(SAMPLES / "trades_good.csv"), "--dry-run")
    assert code == 0 and "Would import 6 rows: 6 created" in out and Trade.objects.count() == 0
    code, out, err = call("import_trades", str(SAMPLES / "trades_bad_rows.csv"))
    assert code == 1 and "line 8, side: unknown side 'FLAT'" in err and "nothing was imported" in err


@pytest.mark.django_db
def test_import_trades_auto_format_and_timezone(tmp_path):
    path = tmp_path / "naive.csv"
    path.write_text(
        "external_id,account,symbol,side,quantity,entry_time,exit_time,entry_price,exit_price\n"
        "N-1,ACC,SPY,SELL,3,2026-01-05 09:30,2026-01-05 09:45,480,479\n"
    )
    code, out, _ = call("import_trades", str(path), "--json", "--format", "auto", "--timezone", "America/New_York")
    assert code == 0, out
    assert Trade.objects.get().entry_time.hour == 14


@pytest.mark.django_db
def test_import_trades_auto_with_unknown_layout_is_a_header_error(tmp_path):
    path = tmp_path / "weird.csv"
    path.write_text("Ticker,Qty\nAAPL,1\n")
    code, out, _ = call("import_trades", str(path), "--json", "--format", "auto")
    assert code == 1
    errors = json.loads(out.strip().splitlines()[-1])["errors"]
    assert errors and errors[0]["line"] == 1 and errors[0]["message"]
    assert Trade.objects.count() == 0


@pytest.mark.django_db
def test_import_bars_upserts_on_symbol_and_timestamp(tmp_path):
    code, out, _ = call("import_bars", str(SAMPLES / "bars_good.csv"), "--json")
    assert code == 0 and json.loads(out)["created"] == 5
    assert MarketBar.objects.count() == 5
    changed = tmp_path / "bars.csv"
    changed.write_text(
        (SAMPLES / "bars_good.csv").read_text().replace("185.8,98000", "185.7,99000")
        + "AAPL,2026-01-05T14:45:00Z,186.2,186.5,186.0,186.1,5000\n"
    )
    code, out, _ = call("import_bars", str(changed), "--json")
    payload = json.loads(out)
    assert code == 0 and (payload["created"], payload["updated"]) == (1, 5)
    assert MarketBar.objects.count() == 6
    assert MarketBar.objects.get(symbol="AAPL", timestamp__minute=35).close == 185.7


@pytest.mark.django_db
def test_import_bars_bad_rows_write_nothing():
    code, out, _ = call("import_bars", str(SAMPLES / "bars_bad_rows.csv"), "--json")
    payload = json.loads(out)
    assert code == 1 and [(e["line"], e["field"]) for e in payload["errors"]] == [
        (3, "timestamp"),
        (4, "high"),
        (5, "timestamp"),
    ]
    assert MarketBar.objects.count() == 0
