"""Mixed test data: a home desk whose bars are its market, plus a foreign desk's own file.

The foreign desk trades the same tickers at other price levels (another venue's contract, a
split-adjusted history, another instrument under the ticker), so the home bars are *not* its
market; it also has a bad tick inside one trade and a stop typed one cent from the entry. Setup
and tag spellings vary the way hand-typed exports do. Nothing here comes from fixtures/demo.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from post_mortem.models import MarketBar, Trade

UTC = dt.UTC
BAR = dt.timedelta(minutes=5)
HOME_ACCOUNTS = ("HOME-1", "HOME-2")
FOREIGN_ACCOUNT = "ab-T"  # mixed case on purpose: it must keep its case everywhere
SETUP_SPELLINGS = ("VWAP Reclaim", "vwap-reclaim", "vwap_reclaim", " Vwap  reclaim ")


@dataclass
class MixedDesk:
    home: list[Trade]
    foreign: list[Trade]  # priced far from the home bars of the same ticker
    bad_tick: Trade  # fills inside the bars, but one bar during it is a bad print
    tiny_stop: Trade  # stop one cent from the entry: an R far beyond anything plausible


def _bars(symbol: str, start: dt.datetime, n: int, price: float, rng: random.Random) -> list[MarketBar]:
    out = []
    for i in range(n):
        step = rng.gauss(0, price * 0.001)
        high = price + abs(rng.gauss(0, price * 0.0008)) + max(step, 0)
        low = price - abs(rng.gauss(0, price * 0.0008)) + min(step, 0)
        close = min(max(price + step, low), high)
        out.append(
            MarketBar(
                symbol=symbol, timestamp=start + i * BAR, open=round(price, 4), high=round(high, 4),
                low=round(low, 4), close=round(close, 4), volume=1000,
            )
        )  # fmt: skip
        price = close
    return out


def _inside(bar: MarketBar, rng: random.Random) -> Decimal:
    return Decimal(str(round(rng.uniform(float(bar.low), float(bar.high)), 2))).max(Decimal("0.01"))


def _trade(account: str, symbol: str, n: int, **fields) -> Trade:
    return Trade.objects.create(external_id=f"{account}-{n:04d}", account=account, symbol=symbol, **fields)


def build_mixed_desk(*, seed: int = 7, days: int = 6, home_per_day: int = 12, foreign_per_day: int = 6) -> MixedDesk:
    """Create the trades and bars in the test database and return them."""
    rng = random.Random(seed)
    levels = {"AAPL": 190.0, "MSFT": 410.0}
    bars_by_symbol: dict[str, list[MarketBar]] = {}
    first_day = dt.datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # a Monday, 09:30 New York
    for symbol, level in levels.items():
        series: list[MarketBar] = []
        for d in range(days):
            series += _bars(symbol, first_day + dt.timedelta(days=d), 78, level, rng)
            level = float(series[-1].close)
        bars_by_symbol[symbol] = series
    MarketBar.objects.bulk_create([b for s in bars_by_symbol.values() for b in s])

    home: list[Trade] = []
    foreign: list[Trade] = []
    count = 0
    for d in range(days):
        for k in range(home_per_day):
            symbol = rng.choice(list(levels))
            series = bars_by_symbol[symbol]
            i = d * 78 + rng.randint(3, 60)
            j = i + rng.randint(1, 12)
            side = rng.choice(["LONG", "SHORT"])
            entry, exit_ = _inside(series[i], rng), _inside(series[j], rng)
            risk = (entry * Decimal("0.004")).quantize(Decimal("0.01"))
            stop = entry - risk if side == "LONG" else entry + risk
            count += 1
            home.append(
                _trade(
                    HOME_ACCOUNTS[k % 2], symbol, count, side=side, quantity=Decimal(rng.choice([50, 100, 100, 300])),
                    entry_time=series[i].timestamp + dt.timedelta(minutes=rng.randint(0, 4), seconds=17),
                    exit_time=series[j].timestamp + dt.timedelta(minutes=rng.randint(0, 4)),
                    entry_price=entry, exit_price=exit_, fees=Decimal("1"), stop_price=stop,
                    setup=rng.choice((*SETUP_SPELLINGS, "breakout")), tags=rng.choice(["Gap Up", "gap-up", ""]),
                )
            )  # fmt: skip
        for _k in range(foreign_per_day):
            # Same ticker and time as the home bars, but a quarter of the price: another market.
            symbol = rng.choice(list(levels))
            series = bars_by_symbol[symbol]
            i = d * 78 + rng.randint(3, 60)
            j = i + rng.randint(1, 12)
            scale = Decimal("0.25")
            entry = (_inside(series[i], rng) * scale).quantize(Decimal("0.01"))
            exit_ = (_inside(series[j], rng) * scale).quantize(Decimal("0.01"))
            count += 1
            foreign.append(
                _trade(
                    FOREIGN_ACCOUNT, symbol, count, side="LONG", quantity=Decimal(2000),
                    entry_time=series[i].timestamp + dt.timedelta(minutes=2), exit_time=series[j].timestamp,
                    entry_price=entry, exit_price=exit_, fees=Decimal("2"),
                    stop_price=(entry - Decimal("0.30")), setup="vwap_reclaim",
                )
            )  # fmt: skip

    # A bad print inside a home-like trade on its own symbol.
    tick_series = _bars("BADT", first_day + dt.timedelta(days=1), 60, 50.0, rng)
    spike = tick_series[25]
    spike.high = float(spike.high) * 8  # a print 700% above the market
    MarketBar.objects.bulk_create(tick_series)
    count += 1
    bad_tick = _trade(
        "HOME-1", "BADT", count, side="SHORT", quantity=Decimal(100),
        entry_time=tick_series[20].timestamp + dt.timedelta(minutes=1), exit_time=tick_series[30].timestamp,
        entry_price=_inside(tick_series[20], rng), exit_price=_inside(tick_series[30], rng), fees=Decimal("1"),
        stop_price=Decimal("51.50"),
    )  # fmt: skip
    # A stop typed one cent from the entry: R is huge and says nothing about the trade.
    series = bars_by_symbol["MSFT"]
    entry = _inside(series[100], rng)
    count += 1
    tiny_stop = _trade(
        "HOME-2", "MSFT", count, side="LONG", quantity=Decimal(100),
        entry_time=series[100].timestamp + dt.timedelta(minutes=1), exit_time=series[104].timestamp,
        entry_price=entry, exit_price=entry - Decimal("2.50"), fees=Decimal("1"), stop_price=entry - Decimal("0.01"),
    )  # fmt: skip
    return MixedDesk(home=home, foreign=foreign, bad_tick=bad_tick, tiny_stop=tiny_stop)
