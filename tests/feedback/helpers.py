"""Planted trade data for impact and A/B tests: R-multiples drawn from a known distribution."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from post_mortem.models import Side, Trade

UTC = dt.UTC


def plant_trades(
    *,
    account: str,
    start: dt.datetime,
    days: int,
    per_day: int,
    mean_r: float,
    sd_r: float = 1.0,
    seed: int = 0,
    tags: str = "",
    prefix: str = "",
    risk_dollars: int = 100,
) -> list[Trade]:
    """Long trades, 1R = risk_dollars (stop 1.00 below entry), R ~ Normal(mean_r, sd_r), fee-free.

    Trades are spread over the trading hours of each day, so windows by entry time are exact.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(days):
        day = start + dt.timedelta(days=d)
        for k in range(per_day):
            r = float(rng.normal(mean_r, sd_r))
            entry_time = day + dt.timedelta(hours=14, minutes=(k * 300) // max(per_day, 1))
            t = Trade(
                external_id=f"{prefix or account}-{d:04d}-{k:03d}-{seed}",
                account=account,
                symbol="ES",
                side=Side.LONG,
                quantity=Decimal(risk_dollars),
                entry_time=entry_time,
                exit_time=entry_time + dt.timedelta(minutes=5),
                entry_price=Decimal("100"),
                exit_price=Decimal("100") + Decimal(str(round(r, 4))),
                fees=Decimal("0"),
                stop_price=Decimal("99"),
                tags=tags,
            )
            t.refresh_derived()
            rows.append(t)
    return Trade.objects.bulk_create(rows, batch_size=1000)
