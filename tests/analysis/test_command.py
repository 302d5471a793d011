"""`manage.py analyze_trades`: selection, --sync, --json last line, exit code."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from post_mortem.models import TradeAnalysis
from tests.factories import TradeFactory
from tests.llm.loopback import Loopback, error

UTC = dt.UTC


def _run(*args):
    out = io.StringIO()
    code = 0
    try:
        call_command("analyze_trades", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue().strip().splitlines()


@pytest.mark.django_db
def test_sync_json_limit_takes_first_trades_by_entry_time():
    late = TradeFactory(entry_time=dt.datetime(2026, 5, 1, 15, tzinfo=UTC))
    early = [TradeFactory(account="B", entry_time=dt.datetime(2026, 4, d, 15, tzinfo=UTC)) for d in (1, 2)]
    code, lines = _run("--all", "--limit", "2", "--sync", "--json", "--engine", "rules")
    result = json.loads(lines[-1])
    assert code == 0
    assert result["analyzed"] == 2 and result["failed"] == 0 and result["run"]
    assert set(TradeAnalysis.objects.values_list("trade_id", flat=True)) == {t.pk for t in early}
    assert not TradeAnalysis.objects.filter(trade=late).exists()


@pytest.mark.django_db
def test_account_filter_and_selection_errors():
    TradeFactory(account="A")
    TradeFactory(account="B")
    code, lines = _run("--account", "B", "--sync", "--json")
    assert code == 0 and json.loads(lines[-1])["analyzed"] == 1
    with pytest.raises(CommandError, match="--all or --account"):
        call_command("analyze_trades", "--sync")
    with pytest.raises(CommandError, match="No trades"):
        call_command("analyze_trades", "--account", "nobody", "--sync")


@pytest.mark.django_db
def test_failures_exit_1(monkeypatch):
    TradeFactory(exit_price=Decimal("98"))
    loop = Loopback().start()
    loop.default = (400, error("invalid_request_error", "bad"), {})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", loop.base_url)
    try:
        code, lines = _run("--all", "--sync", "--json", "--engine", "claude")
    finally:
        loop.stop()
    assert code == 1
    assert json.loads(lines[-1])["failed"] == 1
