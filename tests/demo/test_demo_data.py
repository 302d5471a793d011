"""The committed demo desk is what its generator makes, and its planted effects are findable.

The pattern miner, impact measurement and A/B engineers rely on the effects documented in
fixtures/README.md; these tests fail if a change to the generator (or a hand edit of the CSVs)
breaks one of them, or makes a neutral factor look significant.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy import stats

from post_mortem.stats import benjamini_hochberg
from post_mortem.trade_math import derive_trade_numbers

ROOT = Path(__file__).resolve().parents[2]
NY = ZoneInfo("America/New_York")


def _generator():
    spec = importlib.util.spec_from_file_location("generate_demo", ROOT / "fixtures" / "generate_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trades() -> list[dict]:
    from decimal import Decimal

    rows = list(csv.DictReader((ROOT / "fixtures" / "demo" / "trades.csv").open(encoding="utf-8")))
    for row in rows:
        derived = derive_trade_numbers(
            side=row["side"],
            quantity=Decimal(row["quantity"]),
            entry_price=Decimal(row["entry_price"]),
            exit_price=Decimal(row["exit_price"]),
            fees=Decimal(row["fees"]),
            stop_price=Decimal(row["stop_price"]) if row["stop_price"] else None,
            multiplier=Decimal(1),
            entry_time=datetime.fromisoformat(row["entry_time"]),
            exit_time=datetime.fromisoformat(row["exit_time"]),
        )
        row["r"] = derived.r_multiple
        row["net"] = float(derived.net_pnl)
        row["entry"] = datetime.fromisoformat(row["entry_time"]).astimezone(NY)
        row["exit"] = datetime.fromisoformat(row["exit_time"]).astimezone(NY)
    return rows


def test_committed_files_match_the_generator():
    trades_csv, bars_csv, _ = _generator().build()
    assert (ROOT / "fixtures/demo/trades.csv").read_text(encoding="utf-8") == trades_csv
    assert (ROOT / "fixtures/demo/bars.csv").read_text(encoding="utf-8") == bars_csv


def test_desk_shape(trades):
    assert 2000 <= len(trades) <= 2600
    assert {t["account"] for t in trades} == {"DESK-ALPHA", "DESK-BRAVO", "DESK-CHARLIE", "DESK-DELTA"}
    with_stop = sum(1 for t in trades if t["stop_price"])
    assert 0.85 <= with_stop / len(trades) <= 0.95
    assert all(datetime(2025, 11, 20, tzinfo=NY) < t["entry"] < datetime(2026, 11, 21, tzinfo=NY) for t in trades)
    assert all((t["entry"].hour, t["entry"].minute) >= (9, 30) and t["exit"].hour < 16 for t in trades)
    assert sum(1 for t in trades if t["notes"].startswith("=")) == 1
    assert any(not t["notes"].isascii() for t in trades)
    # (account, external_id) is unique
    assert len({(t["account"], t["external_id"]) for t in trades}) == len(trades)


def _after_loss(trades: list[dict]) -> np.ndarray:
    """The context module's rule: minutes from the account's last losing exit to this entry <= 30."""
    flags = {}
    for account in {t["account"] for t in trades}:
        own = [t for t in trades if t["account"] == account]
        by_exit = sorted(own, key=lambda t: t["exit"])
        for t in own:
            losses = [p["exit"] for p in by_exit if p["exit"] < t["entry"] and p["net"] < 0]
            flags[id(t)] = bool(losses) and (t["entry"] - losses[-1]).total_seconds() <= 30 * 60
    return np.array([flags[id(t)] for t in trades])


def _oversized(trades: list[dict]) -> np.ndarray:
    """quantity > 1.5x the mean quantity of the account's earlier trades (>= 5 of them)."""
    out = []
    for t in trades:
        prior = [float(p["quantity"]) for p in trades if p["account"] == t["account"] and p["exit"] < t["entry"]]
        out.append(len(prior) >= 5 and float(t["quantity"]) > 1.5 * (sum(prior) / len(prior)))
    return np.array(out)


def test_planted_effects_are_found_and_nothing_else(trades):
    rows = [t for t in trades if t["r"] is not None]
    r = np.array([t["r"] for t in rows])
    segments = {"after_loss": _after_loss(rows), "oversized": _oversized(rows)}
    for field in ("account", "symbol", "side", "setup"):
        for value in sorted({t[field] for t in rows}):
            segments[f"{field}={value}"] = np.array([t[field] == value for t in rows])
    for hour in range(9, 16):
        segments[f"hour={hour:02d}"] = np.array([t["entry"].hour == hour for t in rows])
    for weekday in range(5):
        segments[f"weekday={weekday}"] = np.array([t["entry"].weekday() == weekday for t in rows])
    for tag in sorted({tag for t in rows for tag in t["tags"].split(";") if tag}):
        segments[f"tag={tag}"] = np.array([tag in t["tags"].split(";") for t in rows])
    names = [n for n, m in segments.items() if 20 <= m.sum() <= len(r) - 20]
    p = [stats.mannwhitneyu(r[segments[n]], r[~segments[n]]).pvalue for n in names]
    q = dict(zip(names, benjamini_hochberg(p), strict=True))
    effect = {n: r[segments[n]].mean() - r[~segments[n]].mean() for n in names}

    planted = {"after_loss": -1, "setup=fade": -1, "setup=pullback": 1, "hour=09": -1, "oversized": -1}
    for name, sign in planted.items():
        assert segments[name].sum() >= 120, name
        assert q[name] < 0.01, (name, q[name])
        assert sign * effect[name] >= 0.3, (name, effect[name])
    neutral = [n for n in names if n not in planted and n != "tag=half-size-after-loss"]
    assert len(neutral) >= 30
    assert min(q[n] for n in neutral) > 0.05, sorted((q[n], n) for n in neutral)[:3]


def _mean_r(rows) -> float:
    return float(np.mean([t["r"] for t in rows if t["r"] is not None]))


def test_bravo_rule_and_ab_story(trades):
    rule = datetime(2026, 8, 1, tzinfo=NY)
    bravo = [t for t in trades if t["account"] == "DESK-BRAVO"]
    flags = dict(zip(map(id, bravo), _after_loss(bravo), strict=True))
    assert not any(flags[id(t)] for t in bravo if t["entry"] >= rule)
    assert sum(flags[id(t)] for t in bravo if t["entry"] < rule) >= 40
    assert _mean_r([t for t in bravo if t["entry"] >= rule]) - _mean_r([t for t in bravo if t["entry"] < rule]) > 0.2

    start, end = datetime(2026, 9, 1, tzinfo=NY), datetime(2026, 11, 16, tzinfo=NY)

    def window(account, inside):
        return [t for t in trades if t["account"] == account and (start <= t["entry"] < end) == inside]

    assert all("half-size-after-loss" in t["tags"] for t in window("DESK-CHARLIE", True))
    assert not any("half-size-after-loss" in t["tags"] for t in window("DESK-CHARLIE", False))
    assert 0.5 <= _mean_r(window("DESK-CHARLIE", True)) - _mean_r(window("DESK-DELTA", True)) <= 0.9
    assert abs(_mean_r(window("DESK-CHARLIE", False)) - _mean_r(window("DESK-DELTA", False))) < 0.1


def test_bars_contain_every_entry_and_exit(trades):
    bars = {}
    for row in csv.DictReader((ROOT / "fixtures" / "demo" / "bars.csv").open(encoding="utf-8")):
        bars[(row["symbol"], row["timestamp"])] = (float(row["low"]), float(row["high"]))
    for t in trades:
        for moment, price in ((t["entry"], t["entry_price"]), (t["exit"], t["exit_price"])):
            start = moment.replace(minute=moment.minute - moment.minute % 5).astimezone(ZoneInfo("UTC"))
            low, high = bars[(t["symbol"], start.strftime("%Y-%m-%dT%H:%M:%SZ"))]
            assert low <= float(price) <= high, (t["external_id"], moment, price, low, high)
