"""Context from prior trades only: hand-built cases plus a brute-force cross-check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from post_mortem.context import compute_context, load_trade_frame, local_hour_and_weekday
from post_mortem.models import Trade
from tests.factories import TradeFactory

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # Monday 09:30 New York (EST)


def _trade(minutes_in: int, minutes_held: int, exit_price: str, account: str = "A", qty: str = "100", setup="s"):
    entry = T0 + dt.timedelta(minutes=minutes_in)
    return TradeFactory(
        account=account,
        entry_time=entry,
        exit_time=entry + dt.timedelta(minutes=minutes_held),
        entry_price=Decimal("100"),
        exit_price=Decimal(exit_price),
        stop_price=Decimal("99"),
        fees=Decimal("0"),
        quantity=Decimal(qty),
        setup=setup,
    )


@pytest.mark.django_db
def test_re_entry_after_loss_and_streak():
    _trade(0, 10, "99")  # loss -1R, exits at +10
    _trade(15, 10, "98.5")  # loss -1.5R, enters 5 min after the first exit, exits +25
    third = _trade(40, 10, "101")  # enters 15 min after the second losing exit
    overlapping = _trade(20, 60, "102")  # entered while the second trade was open
    frame = load_trade_frame(Trade.objects.all())
    ctx = compute_context(frame, desk_tz="America/New_York", after_loss_minutes=30)
    pos = {int(i): k for k, i in enumerate(frame.id)}

    k3 = pos[third.id]
    assert ctx.prior_trades[k3] == 2
    assert ctx.minutes_since_loss_exit[k3] == pytest.approx(15)
    assert ctx.last_loss_r[k3] == pytest.approx(-1.5)
    assert ctx.loss_streak[k3] == 2
    assert ctx.after_loss[k3]
    assert ctx.account_expectancy_r[k3] == pytest.approx(-1.25)
    assert ctx.account_win_rate[k3] == 0

    # No look-ahead: the overlapping trade entered before the second trade exited.
    k4 = pos[overlapping.id]
    assert ctx.prior_trades[k4] == 1
    assert ctx.minutes_since_loss_exit[k4] == pytest.approx(10)
    assert ctx.trade_of_day[k4] == 3  # entries at 0, 15, 20, 40 minutes
    assert ctx.entry_hour[k4] == 9
    assert ctx.weekday[k4] == 0


@pytest.mark.django_db
def test_first_trade_knows_nothing():
    first = _trade(0, 10, "101")
    ctx = compute_context(load_trade_frame(Trade.objects.filter(pk=first.pk)), desk_tz="UTC")
    assert ctx.prior_trades[0] == 0
    assert np.isnan(ctx.account_expectancy_r[0])
    assert np.isnan(ctx.minutes_since_loss_exit[0])
    assert not ctx.after_loss[0]
    assert np.isnan(ctx.size_ratio[0])


def test_local_hour_follows_daylight_saving():
    winter = dt.datetime(2026, 1, 5, 14, 30, tzinfo=UTC).timestamp()  # 09:30 EST
    summer = dt.datetime(2026, 7, 6, 13, 30, tzinfo=UTC).timestamp()  # 09:30 EDT
    hour, weekday, _ = local_hour_and_weekday(np.array([winter, summer]), "America/New_York")
    assert list(hour) == [9, 9]
    assert list(weekday) == [0, 0]


@pytest.mark.django_db
def test_vectorised_context_matches_a_brute_force_loop():
    rng = np.random.default_rng(7)
    for i in range(120):
        entry = T0 + dt.timedelta(minutes=int(rng.integers(0, 60 * 24 * 5)))
        TradeFactory(
            account=f"A{rng.integers(0, 3)}",
            setup=f"s{rng.integers(0, 2)}",
            entry_time=entry,
            exit_time=entry + dt.timedelta(minutes=int(rng.integers(1, 240))),
            entry_price=Decimal("100"),
            exit_price=Decimal(str(round(100 + rng.normal(0, 1), 2))),
            stop_price=Decimal("99") if i % 7 else None,
            fees=Decimal("0"),
            quantity=Decimal(int(rng.integers(1, 500))),
        )
    frame = load_trade_frame(Trade.objects.all())
    ctx = compute_context(frame, desk_tz="America/New_York", after_loss_minutes=30)
    for k in range(len(frame)):
        prior = (frame.account == frame.account[k]) & (frame.exit_ts < frame.entry_ts[k])
        assert ctx.prior_trades[k] == prior.sum()
        r = frame.r_multiple[prior]
        r = r[~np.isnan(r)]
        if len(r):
            assert ctx.account_expectancy_r[k] == pytest.approx(r.mean())
        losses = prior & (frame.net_pnl < 0)
        if losses.any():
            last_exit = frame.exit_ts[losses].max()
            assert ctx.minutes_since_loss_exit[k] == pytest.approx((frame.entry_ts[k] - last_exit) / 60)
        order = np.argsort(frame.exit_ts[prior], kind="stable")
        outcomes = frame.net_pnl[prior][order] < 0
        streak = 0
        for lost in outcomes[::-1]:
            if not lost:
                break
            streak += 1
        assert ctx.loss_streak[k] == streak
