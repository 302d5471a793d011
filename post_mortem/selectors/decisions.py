"""What a desk decides on: plan items, and per-trade opportunities rolled up by type and account.

Single-trade opportunities are too many and too noisy to rank one by one (one trade's "+3R" says
little); a desk decides on a *type* of mistake on an account. So opportunities are grouped by
(type, account) and by type across accounts, each with:

- ``trades``: distinct trades affected (a post-mortem names each type at most once, so no trade
  is counted twice in a row); ``with_r``: those with an expected R (a stop, plausible numbers);
- ``mean_r`` with a 95% CI (normal approximation, ``mean ± 1.96·sd/√n``) and ``median_r``: the R at
  stake per affected trade (each already bounded by what its trade could have made or saved);
- ``dollars``: a robust dollar figure, ``with_r * mean_r * median 1R ($)`` of the affected trades,
  with the R interval scaled the same way; the median keeps one oversized trade from dominating.

The footer counts each trade once across all rows (its largest opportunity), so nothing on the page
adds up the same trade twice. Results are cached like the dashboard's aggregates.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max

from ..engines.vocabulary import FACTOR_BY_CODE
from ..models import ImplementationStatus, Recommendation, RecommendationSource, TradeAnalysis

Z95 = 1.959963984540054
ALL_ACCOUNTS = ""


def _summary(impacts: list[float | None], risks: list[float | None]) -> dict[str, Any]:
    known = np.array([v for v in impacts if v is not None], dtype=float)
    risk = np.array([r for r in risks if r is not None and r > 0], dtype=float)
    out: dict[str, Any] = {"trades": len(impacts), "with_r": len(known)}
    if len(known) == 0:
        return {**out, "mean_r": None, "ci_low": None, "ci_high": None, "median_r": None, "dollars": None,
                "dollars_low": None, "dollars_high": None, "median_risk": None}  # fmt: skip
    mean = float(known.mean())
    half = Z95 * float(known.std(ddof=1)) / math.sqrt(len(known)) if len(known) > 1 else math.nan
    median_risk = float(np.median(risk)) if len(risk) else None
    scale = len(known) * median_risk if median_risk is not None else None
    return {
        **out,
        "mean_r": mean,
        "ci_low": mean - half if half == half else None,
        "ci_high": mean + half if half == half else None,
        "median_r": float(np.median(known)),
        "median_risk": median_risk,
        "dollars": mean * scale if scale is not None else None,
        "dollars_low": (mean - half) * scale if scale is not None and half == half else None,
        "dollars_high": (mean + half) * scale if scale is not None and half == half else None,
    }


def _compute(account: str | None, type_code: str | None) -> dict[str, Any]:
    rows = TradeAnalysis.objects.exclude(opportunity_impacts={}).order_by()
    if account:
        rows = rows.filter(trade__account=account)
    if type_code:
        rows = rows.filter(opportunity_impacts__has_key=type_code)
    impacts: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    risks: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    best: list[float] = []  # each trade's largest expected R, for the once-per-trade total
    best_risk: list[float | None] = []
    trades = 0
    tracked = dict(
        Recommendation.objects.filter(source=RecommendationSource.ANALYSIS, analysis__isnull=False)
        .values_list("type_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    for trade_account, risk, opportunities in rows.values_list(
        "trade__account", "trade__risk_amount", "opportunity_impacts"
    ).iterator(chunk_size=5000):
        trades += 1
        risk = float(risk) if risk is not None else None
        known = []
        for code, value in opportunities.items():
            if type_code and code != type_code:
                continue
            for key in ((code, trade_account), (code, ALL_ACCOUNTS)):
                impacts[key].append(value)
                risks[key].append(risk)
            if value is not None:
                known.append(value)
        if known:
            best.append(max(known))
            best_risk.append(risk)
    groups: dict[str, dict[str, Any]] = {}
    for (code, acct), values in impacts.items():
        factor = FACTOR_BY_CODE.get(code)
        entry = groups.setdefault(
            code,
            {"type_code": code, "title": factor.title if factor else code, "area": factor.area if factor else "",
             "tracked": tracked.get(code, 0), "accounts": []},
        )  # fmt: skip
        summary = {"account": acct, **_summary(values, risks[(code, acct)])}
        if acct == ALL_ACCOUNTS:
            entry.update(summary)
        else:
            entry["accounts"].append(summary)
    ordered = sorted(groups.values(), key=lambda g: (g["dollars"] is None, -(g["dollars"] or 0), -g["trades"]))
    for g in ordered:
        g["accounts"].sort(key=lambda a: (a["dollars"] is None, -(a["dollars"] or 0), -a["trades"]))
    total = _summary(best, best_risk)
    return {"types": ordered, "trades_with_opportunities": trades, "once_per_trade": total}


def opportunity_rollup_uncached(*, account: str | None = None, type_code: str | None = None) -> dict[str, Any]:
    """The rollup computed now (what the cache holds); benchmarks and tests time this."""
    return _compute(account, type_code)


def opportunity_rollup(*, account: str | None = None, type_code: str | None = None) -> dict[str, Any]:
    """Per-trade opportunities rolled up by type and by (type, account); see the module docstring."""
    stamp = TradeAnalysis.objects.aggregate(last=Max("updated_at"), n=Count("id"))
    tracked = Recommendation.objects.aggregate(last=Max("updated_at"), n=Count("id"))
    raw = f"{stamp['last']}|{stamp['n']}|{tracked['last']}|{tracked['n']}|{account or ''}|{type_code or ''}"
    key = "decisions:rollup:" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
    seconds = int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 60))
    return cache.get_or_set(key, lambda: _compute(account, type_code), seconds)


def plan_items(*, limit: int = 20) -> list[Recommendation]:
    """Pending recommendations from improvement plans, biggest dollars at stake first."""
    items = (
        Recommendation.objects.filter(
            source=RecommendationSource.PLAN, implementation_status=ImplementationStatus.PENDING
        )
        .select_related("pattern", "plan")
        .order_by("-created_at", "-id")[: limit * 5]
    )
    ranked = sorted(items, key=lambda r: -abs(r.pattern.dollars_at_stake) if r.pattern else 0.0)[:limit]
    for rec in ranked:  # dollars at stake as a size, whichever way the segment differs from the rest
        rec.dollars_at_stake = abs(rec.pattern.dollars_at_stake) if rec.pattern else None
    return ranked
