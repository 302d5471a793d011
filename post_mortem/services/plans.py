"""Turn significant patterns into an improvement plan with trackable recommendations.

Ranking is by dollars at stake (effect x trades x typical risk): the weakness that cost the most
comes first. Only patterns the miner called significant (`significance.is_significant`: q < 0.05,
CI excludes zero, at least the minimum practical size) enter a plan. Totals count each trade once:
an item's `dollars_new` counts only trades not already in an earlier item (the miner computes it in
this same order), so overlapping segments never add the same trade's money twice.

Each improvement is a Recommendation carrying the segment it targets
(`{"factor", "value"}`, the miner's own definition), so the feedback loop can later measure
whether the desk's change actually moved that segment.

Strengths become "do more of" items only for factors where a trader can choose more of a segment
(setup, symbol, side, hour, weekday, account, holding time, regime, positive post-mortem codes).
For behavioural factors (after a loss, streaks, size, trade of day) the "strength" is just the
absence of the weakness, which the weakness's own recommendation already covers.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from ..mining import describe
from ..mining.miner import plan_order
from ..models import (
    AnalysisPattern,
    ImplementationStatus,
    ImprovementPlan,
    JobRun,
    Recommendation,
    RecommendationSource,
    RunKind,
)
from ..selectors.patterns import latest_mined_period, pattern_segment_facts, patterns_for_period
from .runs import RunOutcome, enqueue_after_commit, run_create, run_execute

logger = logging.getLogger(__name__)

MAX_WEAKNESSES = 8
MAX_STRENGTHS = 3


def _scope_accounts(p: AnalysisPattern) -> list[str]:
    """Accounts the improvement applies to: the segment's accounts, or [] when it is desk-wide."""
    if p.factor == "account":
        return [p.segment]
    details = p.details or {}
    accounts = list(details.get("accounts") or [])
    total = int(details.get("accounts_total") or 0)
    return [] if not accounts or len(accounts) >= total else sorted(accounts)


def select_plan_patterns(patterns: list[AnalysisPattern]) -> tuple[list[AnalysisPattern], list[AnalysisPattern]]:
    """Weaknesses worst first and strengths best first, by dollars at stake (significant only)."""
    weaknesses, strengths = plan_order(patterns)
    return weaknesses[:MAX_WEAKNESSES], strengths[:MAX_STRENGTHS]


def _dollars_once(p: AnalysisPattern) -> float:
    """The item's dollars counting only trades no earlier item holds (older patterns: all of them)."""
    details = p.details or {}
    return float(details["dollars_new"]) if "dollars_new" in details else p.dollars_at_stake


def plan_build(
    *,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    use_latest_period: bool = True,
    created_by: AbstractBaseUser | None = None,
    run: JobRun | None = None,
) -> ImprovementPlan:
    """Build a plan from one mined period's significant patterns (by default the latest mined).

    Creates the plan and one PENDING Recommendation (source PLAN) per improvement, in one
    transaction. Raises ValidationError when there is nothing to plan from.
    """
    if use_latest_period and period_start is None and period_end is None:
        latest = latest_mined_period()
        if latest is None:
            raise ValidationError("No patterns have been mined yet: run 'Mine patterns' first.")
        period_start, period_end = latest
    patterns = list(patterns_for_period(period_start=period_start, period_end=period_end))
    weaknesses, strengths = select_plan_patterns(patterns)
    if not weaknesses and not strengths:
        raise ValidationError(
            f"No significant pattern in the mined period ({period_start or 'start'} to {period_end or 'now'}): "
            "nothing to build a plan from."
        )
    after_loss_minutes = float((patterns[0].details or {}).get("after_loss_minutes", 30))
    user = created_by if created_by is not None and created_by.is_authenticated else None
    if period_start or period_end:
        period_text = f"{period_start or 'first trade'} to {period_end or 'last trade'}"
    else:
        period_text = "all trades"

    with transaction.atomic():
        plan = ImprovementPlan.objects.create(
            title=f"Improvement plan ({period_text})",
            period_start=period_start,
            period_end=period_end,
            run=run,
            created_by=user,
        )
        improvements: list[dict[str, Any]] = []
        for rank, p in enumerate([*weaknesses, *strengths], start=1):
            weakness = p.effect < 0
            facts = pattern_segment_facts(p)
            rule = describe.rule_text(p.factor, p.segment, weakness=weakness, after_loss_minutes=after_loss_minutes)
            target = describe.target_text(facts)
            scope = _scope_accounts(p)
            rec = Recommendation(
                text=rule,
                area=p.category or describe.category_for(p.factor, p.segment),
                type_code=describe.type_code(p.factor, p.segment, weakness=weakness),
                expected_impact=target,
                expected_impact_r=round(abs(p.effect), 4),
                segment={"factor": p.factor, "value": p.segment},
                scope_accounts=scope,
                evidence={
                    "pattern": p.pk,
                    "n": p.n,
                    "effect": p.effect,
                    "ci_low": p.ci_low,
                    "ci_high": p.ci_high,
                    "q_value": p.q_value,
                    "dollars_at_stake": p.dollars_at_stake,
                    "share": facts.share,
                    "comparison": (p.details or {}).get("comparison", ""),
                    "reference": (p.details or {}).get("reference", ""),
                },
                source=RecommendationSource.PLAN,
                plan=plan,
                pattern=p,
                implementation_status=ImplementationStatus.PENDING,
            )
            rec.full_clean()
            rec.save()
            improvements.append(
                {
                    "rank": rank,
                    "kind": "avoid" if weakness else "do_more",
                    "rule": rule,
                    "target": target,
                    "factor": p.factor,
                    "value": p.segment,
                    "area": rec.area,
                    "type_code": rec.type_code,
                    "expected_impact_r": rec.expected_impact_r,
                    "share": facts.share,
                    "n": p.n,
                    "new_trades": int((p.details or {}).get("new_trades", p.n)),
                    "dollars_at_stake": p.dollars_at_stake,
                    "dollars_once": _dollars_once(p),
                    "effect": p.effect,
                    "ci_low": p.ci_low,
                    "ci_high": p.ci_high,
                    "q_value": p.q_value,
                    "same_trades_as": (p.details or {}).get("same_trades_as", []),
                    "scope_accounts": scope,
                    "pattern_id": p.pk,
                    "recommendation_id": rec.pk,
                    "evidence": p.description,
                }
            )
        plan.improvements = improvements
        plan.focus_areas = _focus_areas(improvements)
        plan.summary = _summary(improvements, period_text, after_loss_minutes=after_loss_minutes)
        plan.full_clean()
        plan.save()
        plan.patterns.set([*weaknesses, *strengths])
    return plan


def _focus_areas(improvements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Areas ordered by the money their weaknesses cost (strength-only areas last)."""
    areas: dict[str, dict[str, Any]] = {}
    for item in improvements:
        area = areas.setdefault(
            item["area"], {"area": item["area"], "dollars_at_stake": 0.0, "improvements": [], "kinds": set()}
        )
        if item["kind"] == "avoid":
            area["dollars_at_stake"] += item.get("dollars_once", item["dollars_at_stake"])
        area["improvements"].append(item["rank"])
        area["kinds"].add(item["kind"])
    out = []
    for area in sorted(areas.values(), key=lambda a: a["dollars_at_stake"]):
        out.append(
            {
                "area": area["area"],
                "dollars_at_stake": round(area["dollars_at_stake"], 2),
                "improvements": area["improvements"],
                "focus": "fix" if "avoid" in area["kinds"] else "build on",
            }
        )
    return out


def _summary(improvements: list[dict[str, Any]], period_text: str, *, after_loss_minutes: float) -> str:
    weak = [i for i in improvements if i["kind"] == "avoid"]
    strong = [i for i in improvements if i["kind"] == "do_more"]
    lost = -sum(i.get("dollars_once", i["dollars_at_stake"]) for i in weak)
    trades = sum(i.get("new_trades", i["n"]) for i in weak)
    parts = [
        f"Mined period {period_text}: {len(weak)} significant weakness{'es' if len(weak) != 1 else ''}, "
        f"{len(strong)} strength{'s' if len(strong) != 1 else ''} to build on."
    ]
    if weak:
        top = weak[0]
        who = describe.subject(top["factor"], top["value"], after_loss_minutes=after_loss_minutes)
        parts.append(
            f"Together the weaknesses cost about ${lost:,.0f} over {trades:,} trades, each trade counted once "
            f"(at its costliest item); "
            f"the largest: {who[:1].lower()}{who[1:]} ({top['target'].rstrip('.')})."
        )
    return " ".join(parts)


def plan_run_start(*, created_by: AbstractBaseUser | None = None) -> JobRun:
    """Validate that there is something to plan from, then enqueue the build after commit."""
    if latest_mined_period() is None:
        raise ValidationError("No patterns have been mined yet: run 'Mine patterns' first.")
    with transaction.atomic():
        run = run_create(kind=RunKind.PLAN, params={}, total=1, created_by=created_by)
        enqueue_after_commit("post_mortem.tasks.mining.plan_run_task", run.pk, task_name=f"plan run {run.pk}")
    return run


def plan_run_execute(*, run_id: int) -> JobRun:
    """Build the plan for a run through the shared runner (a finished run is left alone)."""
    return run_execute(run_id=run_id, work=_plan_work)


def _plan_work(run: JobRun) -> RunOutcome:
    # A run that already made its plan (worker died after commit) finishes without a second one.
    plan = ImprovementPlan.objects.filter(run=run).first() or plan_build(created_by=run.created_by, run=run)
    rec_ids = list(plan.recommendations.order_by("pk").values_list("pk", flat=True))
    return RunOutcome(result={"plan": plan.pk, "recommendations": rec_ids}, units=1)
