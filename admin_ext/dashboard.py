"""The admin landing page: KPIs, the equity curve, accounts and latest runs, from selectors.

The numbers come from `post_mortem.selectors.dashboard` (tested on their own); this module only
formats them for unfold's components and checks what the user may see.

Adding a card (top patterns, recommendations, ...) from another area's admin module::

    from admin_ext.dashboard import DashboardCard, dashboard_card

    @dashboard_card(order=20)
    def top_patterns_card(request) -> DashboardCard | None:
        if not request.user.has_perm("post_mortem.view_analysispattern"):
            return None  # hidden for this user
        return DashboardCard(
            title="Top patterns",
            template="admin_ext/dashboard/cards/table.html",  # or your own template
            context={"table": {"headers": [...], "rows": [[...], ...]}},
        )

The module defining the card must be imported at startup (every module in admin_ext/admin.py's
import list is). Cards render in `order`, below the built-in blocks, each inside an unfold card
with its title; `template` is included with `card` (the DashboardCard) and `data` (its context)
in scope. Text in `context` is auto-escaped: build links with `format_html`. A card function that
raises is logged and skipped, so one broken card never takes the landing page down.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html

from admin_ext import formatting as fmt
from post_mortem.models.choices import RUN_STATUS_COLORS
from post_mortem.selectors.dashboard import account_breakdown, equity_curve, latest_runs, trade_kpis

logger = logging.getLogger(__name__)

admin.site.index_template = "admin_ext/dashboard/index.html"
admin.site.index_title = "Dashboard"

# Chart.js options for the equity curve (they replace unfold's defaults, which hide the axes).
EQUITY_CHART_OPTIONS = json.dumps(
    {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "elements": {"point": {"radius": 0}, "line": {"borderWidth": 2, "tension": 0.1}},
        "plugins": {"legend": {"display": False}, "tooltip": {"mode": "index", "intersect": False}},
        "interaction": {"mode": "index", "intersect": False},
        "scales": {
            "x": {"grid": {"display": False}, "ticks": {"maxTicksLimit": 12, "maxRotation": 0}},
            "y": {"grid": {"color": "rgba(128,128,128,0.15)"}, "ticks": {"maxTicksLimit": 6}},
        },
    }
)


@dataclass
class DashboardCard:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50
    wide: bool = False  # span the full width instead of half


CardProvider = Callable[[HttpRequest], DashboardCard | None]
_CARD_PROVIDERS: list[tuple[int, CardProvider]] = []


def dashboard_card(order: int = 50) -> Callable[[CardProvider], CardProvider]:
    """Register a function that returns a card for the landing page (or None to hide it)."""

    def register(provider: CardProvider) -> CardProvider:
        if all(existing is not provider for _, existing in _CARD_PROVIDERS):
            _CARD_PROVIDERS.append((order, provider))
        return provider

    return register


def extra_cards(request: HttpRequest) -> list[DashboardCard]:
    cards: list[DashboardCard] = []
    for order, provider in sorted(_CARD_PROVIDERS, key=lambda item: item[0]):
        try:
            card = provider(request)
        except Exception:
            logger.exception("dashboard card %s failed", getattr(provider, "__name__", provider))
            continue
        if card is not None:
            card.order = order
            cards.append(card)
    return cards


def _money(value: float | None) -> str:
    return fmt.fmt_money(value)


def _pct(value: float | None) -> str:
    return fmt.fmt_percent(value)


def _r(value: float | None) -> str:
    return fmt.fmt_r(value)


def _kpi_cards(request: HttpRequest) -> list[dict[str, str]]:
    kpis = trade_kpis()
    with_r = number_format(kpis.trades_with_r, force_grouping=True)
    return [
        {"title": "Trades", "value": number_format(kpis.trades, force_grouping=True),
         "footer": f"{with_r} with a stop (R known)"},
        {"title": "Net P&L", "value": _money(kpis.net_pnl),
         "footer": f"avg win {_money(kpis.avg_win)} · avg loss {_money(kpis.avg_loss)}"},
        {"title": "Win rate", "value": _pct(kpis.win_rate), "footer": "trades with net P&L above zero"},
        {"title": "Expectancy", "value": _r(kpis.expectancy_r), "footer": "mean R-multiple per trade with a stop"},
    ]  # fmt: skip


def _equity_chart() -> str | None:
    curve = equity_curve()
    if not curve.days:
        return None
    return json.dumps(
        {
            "labels": [d.isoformat() for d in curve.days],
            "datasets": [
                {
                    "label": "Cumulative net P&L",
                    "data": curve.cumulative_net_pnl,
                    "borderColor": "var(--color-primary-600)",
                    "backgroundColor": "var(--color-primary-600)",
                }
            ],
        }
    )


def _accounts_table() -> dict[str, Any]:
    rows = [
        [row["account"], number_format(row["trades"], force_grouping=True), _money(row["net_pnl"]),
         _pct(row["win_rate"]), _r(row["expectancy_r"])]
        for row in account_breakdown()
    ]  # fmt: skip
    return {"headers": ["Account", "Trades", "Net P&L", "Win rate", "Expectancy"], "rows": rows}


def _runs_table(request: HttpRequest) -> dict[str, Any]:
    can_open = request.user.has_perm("post_mortem.view_jobrun")
    rows = []
    for run in latest_runs(limit=8):
        label = str(run)
        if can_open:
            label = format_html('<a href="{}" class="text-primary-600">{}</a>',
                                reverse("admin:post_mortem_jobrun_change", args=[run.pk]), label)  # fmt: skip
        rows.append(
            [
                label,
                render_to_string(
                    "unfold/helpers/label.html",
                    {"text": run.get_status_display(), "variant": RUN_STATUS_COLORS.get(run.status, "info")},
                ),
                f"{run.progress_pct}%",
                fmt.fmt_time(run.created_at),
            ]
        )
    return {"headers": ["Run", "Status", "Progress", "Created"], "rows": rows}


def dashboard_callback(request: HttpRequest, context: dict) -> dict:
    """unfold's DASHBOARD_CALLBACK: add the dashboard blocks the user may see to the context."""
    user = request.user
    if user.has_perm("post_mortem.view_trade"):
        context["kpis"] = _kpi_cards(request)
        context["equity_chart"] = _equity_chart()
        context["equity_chart_options"] = EQUITY_CHART_OPTIONS
        context["accounts_table"] = _accounts_table()
    if user.has_perm("post_mortem.view_jobrun"):
        context["runs_table"] = _runs_table(request)
    context["extra_cards"] = extra_cards(request)
    return context
