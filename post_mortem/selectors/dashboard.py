"""Reads behind the admin dashboard: headline KPIs, the equity curve, per-account figures, runs.

Each function is one or two aggregate queries, so the landing page stays fast at 1M trades: the
database sums and counts, and only per-hour (equity curve) or per-account rows reach Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncHour

from ..models import JobRun, Trade


@dataclass(frozen=True, slots=True)
class TradeKpis:
    trades: int
    net_pnl: float
    win_rate: float | None  # share of trades with net P&L > 0
    expectancy_r: float | None  # mean R over trades with a stop
    trades_with_r: int
    avg_win: float | None
    avg_loss: float | None


@dataclass(frozen=True, slots=True)
class EquityCurve:
    days: list[date]
    daily_net_pnl: list[float]
    cumulative_net_pnl: list[float]


def _whole_table_cached(name: str, compute):
    """Cache a whole-table aggregate for DASHBOARD_CACHE_SECONDS (scale, issue 7).

    Why: at 1M trades each aggregate is a full scan (~0.3-1 s on PostgreSQL), and the landing
    page runs three of them for every visitor. The key carries the newest trade id and exit time
    (two index look-ups), so an import shows at once; edits of existing trades show within the
    timeout. 0 turns caching off (the test settings do, so tests always see fresh numbers).
    """
    seconds = int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 60))
    if seconds <= 0:
        return compute()
    # Two single-column look-ups, each served by an index (SQLite answers a lone MAX() from an
    # index, but scans the table when one query asks for two).
    last_id = Trade.objects.order_by("-id").values_list("id", flat=True).first()
    last_exit = Trade.objects.order_by("-exit_time").values_list("exit_time", flat=True).first()
    key = f"dashboard:{name}:{last_id}:{last_exit.isoformat() if last_exit else ''}"
    return cache.get_or_set(key, compute, seconds)


def trade_kpis(*, trades: QuerySet[Trade] | None = None) -> TradeKpis:
    """The four numbers a desk head looks at first, in one aggregate query."""
    if trades is None:
        return _whole_table_cached("kpis", lambda: trade_kpis(trades=Trade.objects.all()))
    qs = trades
    row = qs.aggregate(
        n=Count("id"),
        net=Sum("net_pnl"),
        wins=Count("id", filter=Q(net_pnl__gt=0)),
        expectancy=Avg("r_multiple"),
        with_r=Count("r_multiple"),
        avg_win=Avg("net_pnl", filter=Q(net_pnl__gt=0)),
        avg_loss=Avg("net_pnl", filter=Q(net_pnl__lt=0)),
    )
    n = row["n"] or 0
    return TradeKpis(
        trades=n,
        net_pnl=float(row["net"] or 0),
        win_rate=(row["wins"] / n) if n else None,
        expectancy_r=float(row["expectancy"]) if row["expectancy"] is not None else None,
        trades_with_r=row["with_r"] or 0,
        avg_win=float(row["avg_win"]) if row["avg_win"] is not None else None,
        avg_loss=float(row["avg_loss"]) if row["avg_loss"] is not None else None,
    )


def _utc_hour_key(qs: QuerySet[Trade]) -> QuerySet:
    """Net P&L summed per UTC exit hour, grouped in the database.

    SQLite stores datetimes as 'YYYY-MM-DD HH:MM:SS' text, so the hour is a substring (native,
    no per-row Python function as TruncHour would use there); PostgreSQL truncates natively.
    """
    hour = Substr("exit_time", 1, 13) if connection.vendor == "sqlite" else TruncHour("exit_time", tzinfo=UTC)
    return qs.order_by().annotate(hour=hour).values("hour").annotate(net=Sum("net_pnl")).values_list("hour", "net")


def equity_curve(*, trades: QuerySet[Trade] | None = None, tz_name: str | None = None) -> EquityCurve:
    """Daily and cumulative net P&L by exit day in the desk's timezone.

    The database sums per UTC hour (a few thousand rows even at 1M trades); each hour is then
    placed on its local day, which keeps DST right without converting every trade.
    """
    tz_name = tz_name or settings.DESK_TIMEZONE
    if trades is None:
        return _whole_table_cached(
            f"equity:{tz_name}", lambda: equity_curve(trades=Trade.objects.all(), tz_name=tz_name)
        )
    qs = trades
    tz = ZoneInfo(tz_name)
    per_day: dict[date, float] = defaultdict(float)
    for hour, net in _utc_hour_key(qs):
        if isinstance(hour, str):
            moment = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
        else:
            moment = hour if hour.tzinfo else hour.replace(tzinfo=UTC)
        per_day[moment.astimezone(tz).date()] += float(net or 0)
    days = sorted(per_day)
    daily = [round(per_day[d], 2) for d in days]
    cumulative, running = [], 0.0
    for value in daily:
        running += value
        cumulative.append(round(running, 2))
    return EquityCurve(days=days, daily_net_pnl=daily, cumulative_net_pnl=cumulative)


def account_breakdown(*, trades: QuerySet[Trade] | None = None) -> list[dict]:
    """Per account: trades, net P&L, win rate, expectancy in R; one GROUP BY query."""
    if trades is None:
        return _whole_table_cached("accounts", lambda: account_breakdown(trades=Trade.objects.all()))
    qs = trades
    rows = (
        qs.order_by()
        .values("account")
        .annotate(
            n=Count("id"),
            net=Sum("net_pnl"),
            wins=Count("id", filter=Q(net_pnl__gt=0)),
            expectancy=Avg("r_multiple"),
        )
        .order_by("account")
    )
    return [
        {
            "account": row["account"],
            "trades": row["n"],
            "net_pnl": float(row["net"] or 0),
            "win_rate": row["wins"] / row["n"] if row["n"] else None,
            "expectancy_r": float(row["expectancy"]) if row["expectancy"] is not None else None,
        }
        for row in rows
    ]


def latest_runs(*, limit: int = 8) -> list[JobRun]:
    """The newest background runs, so an operator sees what is running or failed right away."""
    return list(JobRun.objects.select_related("created_by").order_by("-created_at", "-id")[:limit])
