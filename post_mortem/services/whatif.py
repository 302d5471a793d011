"""What-if runs: validate a scenario, replay it in the background, keep the report on the run row.

The replay itself is post_mortem.whatif (plain data); this module reads the selection, its bars
and post-mortems, decides whether the rule came from mining the same trades (then the report
adds a walk-forward, out-of-sample figure), and stores the report as the run's result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from ..context import load_trade_frame
from ..models import AnalysisPattern, JobRun, Recommendation, RunKind, RunStatus, Trade
from ..selectors.patterns import desk_day_start
from ..whatif.engine import replay_frame, walk_forward
from ..whatif.rules import RuleError, Scenario, parse_rules, rules_for_segment
from .runs import RunOutcome, enqueue_after_commit, run_create, run_execute

TASK = "post_mortem.tasks.whatif.what_if_run_task"
MAX_RULES = 10


def _parse(rules: Any) -> Scenario:
    if isinstance(rules, list) and len(rules) > MAX_RULES:
        raise ValidationError(f"at most {MAX_RULES} rules per scenario")
    try:
        return parse_rules(rules)
    except RuleError as exc:
        raise ValidationError(str(exc)) from None


def what_if_params(
    *,
    rules: list[dict[str, Any]],
    account: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    source: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Validate a scenario and its selection into run params (ValidationError naming the field)."""
    _parse(rules)
    if since and until and since > until:
        raise ValidationError("since must be on or before until")
    selection = _selection(account=account, since=since, until=until)
    if not selection.exists():
        raise ValidationError("No trades in the selection: widen the period or check the account.")
    return {
        "rules": rules,
        "account": account or None,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "source": source or None,
    }


def what_if_start(
    *,
    rules: list[dict[str, Any]],
    account: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    source: dict[str, int] | None = None,
    created_by: AbstractBaseUser | None = None,
) -> JobRun:
    """Validate, create the run row, and enqueue the replay after commit."""
    params = what_if_params(rules=rules, account=account, since=since, until=until, source=source)
    with transaction.atomic():
        run = run_create(kind=RunKind.WHATIF, params=params, created_by=created_by)
        enqueue_after_commit(TASK, run.pk, task_name=f"what-if run {run.pk}")
    return run


def what_if_run_execute(*, run_id: int) -> JobRun:
    """Replay a run's scenario through the shared runner (idempotent: the report is recomputed)."""
    return run_execute(run_id=run_id, work=_what_if_work)


def _selection(*, account: str | None, since: dt.date | None, until: dt.date | None) -> QuerySet[Trade]:
    qs = Trade.objects.order_by()
    if account:
        qs = qs.filter(account=account)
    if since:
        qs = qs.filter(entry_time__gte=desk_day_start(since))
    if until:
        qs = qs.filter(entry_time__lt=desk_day_start(until + dt.timedelta(days=1)))
    return qs


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _mined_segment(scenario: Scenario, params: dict[str, Any]) -> tuple[tuple[str, str], str] | None:
    """The mined segment behind the scenario, when it came from mining trades of this selection.

    A scenario from a pattern or a recommendation names it in `source`; a skip rule matching a
    pattern whose mined period overlaps the selection counts too (it was chosen by looking at
    these trades). Returns the segment and a sentence saying where it came from.
    """
    source = params.get("source") or {}
    since, until = _date(params.get("since")), _date(params.get("until"))
    overlap = Q()
    if until:
        overlap &= Q(period_start__isnull=True) | Q(period_start__lte=until)
    if since:
        overlap &= Q(period_end__isnull=True) | Q(period_end__gte=since)
    if source.get("pattern"):
        pattern = AnalysisPattern.objects.filter(overlap, pk=source["pattern"]).first()
        if pattern is not None:
            return (pattern.factor, pattern.segment), f"pattern #{pattern.pk} was mined from these trades"
    if source.get("recommendation"):
        rec = Recommendation.objects.filter(pk=source["recommendation"]).first()
        segment = (rec.segment or {}) if rec else {}
        if segment.get("factor") and segment.get("value") is not None:
            key = (segment["factor"], str(segment["value"]))
            if AnalysisPattern.objects.filter(overlap, factor=key[0], segment=key[1]).exists():
                return key, f"recommendation #{rec.pk} targets a segment mined from these trades"
    for factor, value in [*scenario.skip_segments, *_behavior_segments(scenario)]:
        pattern = AnalysisPattern.objects.filter(overlap, factor=factor, segment=value).order_by("-created_at").first()
        if pattern is not None:
            return (factor, value), f"pattern #{pattern.pk} was mined from these trades"
    return None


def _behavior_segments(scenario: Scenario) -> list[tuple[str, str]]:
    """The mined segment each behavior rule acts on (the reverse of `rules_for_segment`)."""
    segments = []
    if scenario.no_reentry_minutes is not None:
        segments.append(("after_loss", "true"))
    if scenario.max_trades_per_day is not None:
        n = scenario.max_trades_per_day
        segments.append(("trade_of_day", "4+" if n >= 3 else str(n + 1)))
    if scenario.max_size_multiple is not None:
        segments.append(("position_size", "1.5x+"))
    return segments


def _what_if_work(run: JobRun) -> RunOutcome:
    params = run.params or {}
    scenario = _parse(params.get("rules"))
    selection = _selection(
        account=params.get("account"), since=_date(params.get("since")), until=_date(params.get("until"))
    )
    frame = load_trade_frame(selection.order_by("entry_time", "id"))
    if len(frame) == 0:
        raise ValidationError("No trades in the selection (were they deleted or rolled back?).")
    analyses = None
    if any(f in {"primary_factor", "trend", "volatility"} for f, _ in scenario.skip_segments):
        from ..selectors.patterns import analysis_columns_for

        analyses = analysis_columns_for(frame)
    bars = None
    if scenario.needs_bars:
        from ..selectors.analyses import bars_for_trades

        bars = bars_for_trades(selection)
    options = {
        "desk_tz": settings.DESK_TIMEZONE,
        "bars": bars,
        "analyses": analyses,
        "after_loss_minutes": getattr(settings, "AFTER_LOSS_MINUTES", 30),
        "seed": run.pk,
    }
    report = replay_frame(frame, scenario, **options)
    mined = _mined_segment(scenario, params)
    out_of_sample = None
    if mined is not None:
        out_of_sample = walk_forward(frame, scenario, segment=mined[0], **options)
        if out_of_sample is not None:
            out_of_sample["why"] = mined[1]
            out_of_sample["split_date"] = dt.date.fromordinal(
                dt.date(1970, 1, 1).toordinal() + out_of_sample.pop("split_day")
            ).isoformat()
    report["curves"]["day"] = [
        dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + d).isoformat() for d in report["curves"]["day"]
    ]
    result = {
        "rules": params.get("rules"),
        "selection": {
            "account": params.get("account"),
            "since": params.get("since"),
            "until": params.get("until"),
            "trades": len(frame),
        },
        "source": params.get("source"),
        **report,
        "out_of_sample": out_of_sample,
    }
    return RunOutcome(result=result, units=len(frame))


def what_if_summary(run: JobRun) -> dict[str, Any]:
    """The CLI/API shape: run, actual, what_if, difference, out_of_sample (plus status and error)."""
    result = run.result or {}
    return {
        "run": run.pk,
        "status": run.status,
        "error": run.error,
        "rules": (run.params or {}).get("rules"),
        "actual": result.get("actual"),
        "what_if": result.get("what_if"),
        "difference": result.get("difference"),
        "out_of_sample": result.get("out_of_sample"),
    }


def rules_for_pattern(pattern: AnalysisPattern) -> list[dict[str, Any]]:
    """The scenario a pattern's "What if" button proposes, tagged with its source."""
    return [{**rule, "source": {"pattern": pattern.pk}} for rule in rules_for_segment(pattern.factor, pattern.segment)]


def rules_for_recommendation(rec: Recommendation) -> list[dict[str, Any]]:
    """The scenario of a recommendation: its segment's natural rule (empty when it targets none)."""
    segment = rec.segment or {}
    if not segment.get("factor") or segment.get("value") in (None, ""):
        return []
    rules = rules_for_segment(str(segment["factor"]), str(segment["value"]))
    return [{**rule, "source": {"recommendation": rec.pk}} for rule in rules]


def latest_what_if_for(*, recommendation_id: int) -> JobRun | None:
    """The newest finished replay of a recommendation (for its page, next to the expected impact)."""
    return (
        JobRun.objects.filter(
            kind=RunKind.WHATIF, status=RunStatus.SUCCEEDED, params__source__recommendation=recommendation_id
        )
        .order_by("-created_at", "-id")
        .first()
    )
