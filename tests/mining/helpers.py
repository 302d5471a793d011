"""Store a synthetic frame as real Trade rows (bulk, derived numbers from the model's own code)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from post_mortem.mining.synthetic import synthetic_frame
from post_mortem.models import Trade


def store_synthetic_trades(n: int, *, seed: int, effects=(), **kwargs) -> list[Trade]:
    """Trades whose stored R equals the synthetic R (entry 100, stop 1 away, no fees)."""
    frame, _ = synthetic_frame(n, seed=seed, effects=effects, **kwargs)
    trades = []
    for i in range(len(frame)):
        r = float(frame.r_multiple[i])
        long = frame.side[i] == "LONG"
        has_stop = not np.isnan(r)
        r_eff = r if has_stop else 0.3
        exit_price = Decimal("100") + (Decimal(str(round(r_eff, 4))) if long else -Decimal(str(round(r_eff, 4))))
        t = Trade(
            external_id=f"S{seed}-{i:06d}",
            account=frame.account[i],
            symbol=frame.symbol[i],
            side=frame.side[i],
            quantity=Decimal(str(frame.quantity[i])),
            entry_time=dt.datetime.fromtimestamp(frame.entry_ts[i], tz=dt.UTC),
            exit_time=dt.datetime.fromtimestamp(frame.exit_ts[i], tz=dt.UTC),
            entry_price=Decimal("100"),
            exit_price=exit_price,
            fees=Decimal("0"),
            stop_price=(Decimal("99") if long else Decimal("101")) if has_stop else None,
            setup=frame.setup[i],
        )
        t.refresh_derived()
        trades.append(t)
    return Trade.objects.bulk_create(trades, batch_size=1000)
