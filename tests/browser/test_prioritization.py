"""The Prioritization page over the demo desk plus a foreign desk's file at other price levels.

The foreign file (generated here, imported through the real import command) trades the demo's
tickers at a quarter of their price, with its own setup spellings: its bars are not its market, so
no bar-based opportunity may rest on them, and its setups collapse to one spelling. The page must
show decisions (plan items, opportunities rolled up by type and account) with sane numbers, and
each row's trades one click away. Saved as docs/prioritization.png for the README.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from post_mortem.engines.vocabulary import MAX_PLAUSIBLE_R
from post_mortem.models import Recommendation, Trade, TradeAnalysis
from tests.mixed_desk import FOREIGN_ACCOUNT, SETUP_SPELLINGS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "prioritization.png"
NEW_YORK = ZoneInfo("America/New_York")
BAR_CODES = {"early_exit", "gave_back_winner", "counter_trend", "with_trend", "high_volatility_entry"}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def foreign_desk_csv(n: int = 240, seed: int = 3) -> str:
    """A desk's own export: demo tickers at a quarter of the demo's prices, hand-typed setups."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "account", "symbol", "side", "quantity", "entry_time", "exit_time",
                     "entry_price", "exit_price", "fees", "stop_price", "setup", "tags"])  # fmt: skip
    day = dt.date(2026, 2, 2)
    for i in range(n):
        if i % 6 == 0:
            day += dt.timedelta(days=1 if day.weekday() < 4 else 3)
        entry = dt.datetime.combine(day, dt.time(10, 0), NEW_YORK) + dt.timedelta(minutes=37 * (i % 6) + 3)
        price = round(rng.uniform(45, 60), 2)
        move = rng.gauss(0.02, 0.35)
        side = rng.choice(["LONG", "SHORT"])
        exit_price = round(price + (move if side == "LONG" else -move), 2)
        stop = round(price - 0.25 if side == "LONG" else price + 0.25, 2)
        qty = rng.choice([300, 500, 2000])
        writer.writerow([f"FX-{i:04d}", FOREIGN_ACCOUNT, rng.choice(["AAPL", "MSFT"]), side, qty,
                         entry.isoformat(), (entry + dt.timedelta(minutes=rng.randint(4, 30))).isoformat(),
                         price, exit_price, "1.50", stop, rng.choice(SETUP_SPELLINGS), "Gap Up"])  # fmt: skip
    return out.getvalue()


def test_prioritization_over_demo_plus_a_foreign_desk(admin_page, live_server, tmp_path):
    path = tmp_path / "foreign_desk.csv"
    path.write_text(foreign_desk_csv())
    call_command("import_trades", str(path), "--timezone", "America/New_York", verbosity=0)
    call_command("load_demo", verbosity=0)  # imports the demo, analyses every trade, mines, plans

    foreign = TradeAnalysis.objects.filter(trade__account=FOREIGN_ACCOUNT)
    assert foreign.count() == 240
    assert set(Trade.objects.filter(account=FOREIGN_ACCOUNT).values_list("setup", flat=True)) == {"vwap-reclaim"}
    for analysis in foreign:
        assert not analysis.facts["has_bars"] and not BAR_CODES & set(analysis.primary_factors)
    assert not Recommendation.objects.filter(source="ANALYSIS").exists()  # analysis tracked nothing

    page = admin_page
    page.goto(f"{live_server.url}/admin/post_mortem/recommendation/prioritisation/")
    rollup = page.locator("#prio-rollup")
    rollup.wait_for()
    assert page.locator("#prio-plan tbody tr").count() >= 1
    assert page.locator("#prio-plan").get_by_text("No pending plan items").count() == 0
    types = rollup.locator("tr.rollup-type")
    assert types.count() >= 3
    for cell in rollup.locator("tr.rollup-type td:nth-child(4)").all_inner_texts():
        if cell.strip() != "—":
            mean = float(re.match(r"[+-]?[\d.]+", cell.strip()).group())
            assert 0 <= mean <= MAX_PLAUSIBLE_R, cell
    foreign_row = rollup.locator(f"tr.rollup-account[data-account='{FOREIGN_ACCOUNT}']").first
    foreign_row.wait_for()
    count = int(foreign_row.locator("td:nth-child(3)").inner_text().replace(",", ""))
    page.wait_for_function("() => document.querySelector('canvas') && document.querySelector('canvas').width > 0")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 20_000

    foreign_row.locator("td:nth-child(3) a").click()  # the single trades, one click away
    page.wait_for_url(re.compile(r"/admin/post_mortem/tradeanalysis/\?"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == min(count, 50)
    assert all(FOREIGN_ACCOUNT in text for text in rows.all_inner_texts())
