"""The derived numbers stored on a Trade. Pure functions: the import path and the model share them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

MONEY = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class TradeDerived:
    gross_pnl: Decimal
    net_pnl: Decimal
    risk_amount: Decimal | None
    r_multiple: float | None
    return_pct: float
    holding_minutes: float


def derive_trade_numbers(
    *,
    side: str,
    quantity: Decimal,
    entry_price: Decimal,
    exit_price: Decimal,
    fees: Decimal,
    stop_price: Decimal | None,
    multiplier: Decimal,
    entry_time: datetime,
    exit_time: datetime,
) -> TradeDerived:
    """R is net P&L over the money at risk to the stop, so fees count against discipline too."""
    direction = Decimal(1) if side == "LONG" else Decimal(-1)
    gross = ((exit_price - entry_price) * direction * quantity * multiplier).quantize(MONEY)
    net = (gross - fees).quantize(MONEY)
    risk = None
    r_multiple = None
    if stop_price is not None:
        risk = (abs(entry_price - stop_price) * quantity * multiplier).quantize(MONEY)
        if risk > 0:
            r_multiple = round(float(net / risk), 6)
        else:
            risk = None
    notional = entry_price * quantity * multiplier
    return_pct = round(float(net / notional * 100), 6) if notional else 0.0
    holding = round((exit_time - entry_time).total_seconds() / 60.0, 4)
    return TradeDerived(
        gross_pnl=gross,
        net_pnl=net,
        risk_amount=risk,
        r_multiple=r_multiple,
        return_pct=return_pct,
        holding_minutes=holding,
    )
