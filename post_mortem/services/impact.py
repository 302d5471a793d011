"""Impact measurement of implemented recommendations: windows, scope, control, BH, ROI, persistence.

Reads the trades once as a columnar frame (post_mortem.context), computes every recommendation's
before/after statistics with the pure engine (post_mortem.impact.engine), applies
Benjamini-Hochberg across the recommendations measured together, and stores ImpactAssessment rows
plus the latest effect on Recommendation.impact_score, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..context import TradeFrame, compute_context, load_trade_frame, local_hour_and_weekday
from ..impact.engine import ImpactInput, ImpactResult, measure
from ..models import (
    AssessmentStatus,
    ImpactAssessment,
    ImplementationStatus,
    JobRun,
    Recommendation,
    RunKind,
    Trade,
)
from ..stats import benjamini_hochberg
from .runs import RunOutcome, enqueue_after_commit, run_create, run_execute

logger = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = int(getattr(settings, "IMPACT_WINDOW_DAYS", 30))
DEFAULT_MIN_SAMPLE = int(getattr(settings, "IMPACT_MIN_SAMPLE", 30))
ALPHA = 0.05
SCHEDULE_NAME = "post_mortem: daily impact measurement"


@dataclass(frozen=True, slots=True)
class Windows:
    before_start: dt.datetime
    after_start: dt.datetime  # = before_end
    after_end: dt.datetime
    days: float


def impact_windows(*, implementation_date: dt.date, window_days: int, as_of: dt.datetime) -> Windows:
    """Equal before/after windows around the implementation date (desk-local midnight).

    While the after window is still filling up (less than ``window_days`` since the change), both
    windows shrink to the elapsed time so they stay equal and the comparison stays fair.
    """
    tz = ZoneInfo(settings.DESK_TIMEZONE)
    after_start = dt.datetime.combine(implementation_date, dt.time(0, 0), tzinfo=tz).astimezone(dt.UTC)
    elapsed = max(0.0, (as_of - after_start).total_seconds() / 86400)
    days = min(float(window_days), elapsed)
    span = dt.timedelta(days=days)
    return Windows(before_start=after_start - span, after_start=after_start, after_end=after_start + span, days=days)


def local_day_numbers(epoch_seconds: np.ndarray) -> np.ndarray:
    """Desk-local day number of each entry: the cluster the day bootstrap resamples."""
    return local_hour_and_weekday(np.asarray(epoch_seconds, dtype=float), settings.DESK_TIMEZONE)[2]


def _segment_mask(frame: TradeFrame, context: Any, segment: dict) -> tuple[np.ndarray | None, str]:
    """Targeted trades via the pattern miner's segment definition (one definition, shared)."""
    if not segment or "factor" not in segment:
        return None, ""
    try:
        from ..mining.segments import segment_mask
    except ImportError:
        return None, "segment definitions are not available in this build"
    try:
        value = segment.get("value")
        if isinstance(value, bool):  # JSON true/false -> the segment labels "true"/"false"
            value = "true" if value else "false"
        mask = segment_mask(frame, context, factor=segment["factor"], value=str(value))
    except (KeyError, ValueError, TypeError) as exc:
        return None, f"segment {segment!r} could not be evaluated: {exc}"
    return np.asarray(mask, dtype=bool), ""


def _measure_one(
    rec: Recommendation,
    *,
    frame: TradeFrame,
    context: Any,
    window_days: int,
    min_sample: int,
    as_of: dt.datetime,
    n_boot: int,
) -> tuple[Windows, ImpactResult]:
    windows = impact_windows(implementation_date=rec.implementation_date, window_days=window_days, as_of=as_of)
    b0, a0, a1 = (w.timestamp() for w in (windows.before_start, windows.after_start, windows.after_end))
    has_r = ~np.isnan(frame.r_multiple)
    in_before = has_r & (frame.entry_ts >= b0) & (frame.entry_ts < a0)
    in_after = has_r & (frame.entry_ts >= a0) & (frame.entry_ts < a1)
    scope = list(rec.scope_accounts or [])
    in_scope = np.isin(frame.account, scope) if scope else np.ones(len(frame), dtype=bool)
    seg_mask, seg_note = (None, "")
    if rec.segment:
        seg_mask, seg_note = _segment_mask(frame, context, rec.segment)
    risk = frame.risk_amount[in_scope & in_after]
    risk = risk[np.isfinite(risk) & (risk > 0)]
    if not len(risk):
        risk = frame.risk_amount[in_scope & (in_before | in_after)]
        risk = risk[np.isfinite(risk) & (risk > 0)]
    day = local_day_numbers(frame.entry_ts)
    data = ImpactInput(
        before=frame.r_multiple[in_scope & in_before],
        after=frame.r_multiple[in_scope & in_after],
        after_days=windows.days,
        typical_risk=float(np.median(risk)) if len(risk) else None,
        segment_before=seg_mask[in_scope & in_before] if seg_mask is not None else None,
        segment_after=seg_mask[in_scope & in_after] if seg_mask is not None else None,
        control_before=frame.r_multiple[~in_scope & in_before] if scope else None,
        control_after=frame.r_multiple[~in_scope & in_after] if scope else None,
        before_day=day[in_scope & in_before],
        after_day=day[in_scope & in_after],
        control_before_day=day[~in_scope & in_before] if scope else None,
        control_after_day=day[~in_scope & in_after] if scope else None,
    )
    result = measure(data, min_sample=min_sample, n_boot=n_boot, seed=rec.pk or 0)
    result.details["segment_definition"] = rec.segment or None
    if seg_note:
        result.details["segment_note"] = seg_note
    result.details["scope_accounts"] = scope
    result.details["window_days_requested"] = window_days
    result.details["window_days_used"] = round(windows.days, 3)
    return windows, result


def impact_measure(
    *,
    recommendations: list[Recommendation],
    window_days: int = DEFAULT_WINDOW_DAYS,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    as_of: dt.datetime | None = None,
    run: JobRun | None = None,
    n_boot: int = 2000,
) -> list[ImpactAssessment]:
    """Measure the given implemented recommendations together and store one assessment each.

    Benjamini-Hochberg runs across the recommendations measured together (the ones with enough
    data), so measuring twenty changes at once does not hand out a "significant" by luck.
    Saving is one transaction; with a run, earlier assessments of the same run are replaced so a
    retried task never leaves duplicates. impact_score is written with a queryset update: it is a
    measurement, not a person's change, and must not flood the audit history.
    """
    if window_days < 1:
        raise ValidationError({"window_days": "Must be at least 1 day."})
    if min_sample < 2:
        raise ValidationError({"min_sample": "Must be at least 2 trades."})
    as_of = as_of or timezone.now()
    recs = [
        r
        for r in recommendations
        if r.implementation_status == ImplementationStatus.IMPLEMENTED and r.implementation_date
    ]
    if not recs:
        return []
    latest_end = max(
        impact_windows(implementation_date=r.implementation_date, window_days=window_days, as_of=as_of).after_end
        for r in recs
    )
    frame = load_trade_frame(Trade.objects.filter(entry_time__lt=latest_end))
    needs_context = any(r.segment for r in recs)
    context = compute_context(frame, desk_tz=settings.DESK_TIMEZONE) if needs_context and len(frame) else None

    measured = [
        (
            r,
            *_measure_one(
                r,
                frame=frame,
                context=context,
                window_days=window_days,
                min_sample=min_sample,
                as_of=as_of,
                n_boot=n_boot,
            ),
        )
        for r in recs
    ]
    p_values = [res.p_value if res.sufficient and res.p_value is not None else np.nan for _, _, res in measured]
    q_values = benjamini_hochberg(p_values)

    rows = []
    for (rec, windows, res), q in zip(measured, q_values, strict=True):
        q_val = None if np.isnan(q) else float(q)
        significant = bool(res.sufficient and q_val is not None and q_val < ALPHA and res.ci_excludes_zero)
        rows.append(
            ImpactAssessment(
                recommendation=rec,
                status=AssessmentStatus.MEASURED if res.sufficient else AssessmentStatus.INSUFFICIENT,
                message=res.message[:255],
                window_days=window_days,
                before_start=windows.before_start,
                before_end=windows.after_start,
                after_start=windows.after_start,
                after_end=windows.after_end,
                n_before=res.n_before,
                n_after=res.n_after,
                mean_before=res.mean_before,
                mean_after=res.mean_after,
                effect=res.effect,
                ci_low=res.ci_low,
                ci_high=res.ci_high,
                p_value=res.p_value,
                p_mannwhitney=res.p_mannwhitney,
                q_value=q_val,
                significant=significant,
                did_effect=res.did_effect,
                did_ci_low=res.did_ci_low,
                did_ci_high=res.did_ci_high,
                roi_per_month=res.roi_per_month,
                roi_ci_low=res.roi_ci_low,
                roi_ci_high=res.roi_ci_high,
                details={
                    **res.details,
                    "trades_per_month_after": res.trades_per_month_after,
                    "as_of": as_of.isoformat(),
                },
                run=run,
            )
        )
    with transaction.atomic():
        if run is not None:
            ImpactAssessment.objects.filter(run=run).delete()
        for row in rows:
            row.full_clean(exclude=["recommendation", "run"])
        created = ImpactAssessment.objects.bulk_create(rows)
        for row in created:
            if row.status == AssessmentStatus.MEASURED:
                Recommendation.objects.filter(pk=row.recommendation_id).update(impact_score=row.effect)
    return created


def assessment_as_dict(a: ImpactAssessment) -> dict[str, Any]:
    """The JSON shape the command, the run result and the API share."""
    return {
        "id": a.pk,
        "recommendation": a.recommendation_id,
        "status": a.status,
        "message": a.message,
        "effect": a.effect,
        "ci_low": a.ci_low,
        "ci_high": a.ci_high,
        "p_value": a.p_value,
        "p_mannwhitney": a.p_mannwhitney,
        "q_value": a.q_value,
        "significant": a.significant,
        "roi_per_month": a.roi_per_month,
        "roi_ci_low": a.roi_ci_low,
        "roi_ci_high": a.roi_ci_high,
        "n_before": a.n_before,
        "n_after": a.n_after,
        "mean_before": a.mean_before,
        "mean_after": a.mean_after,
        "did_effect": a.did_effect,
        "did_ci_low": a.did_ci_low,
        "did_ci_high": a.did_ci_high,
        "window_days": a.window_days,
        "segment": (a.details or {}).get("segment"),
    }


def _recommendations_for(recommendation_id: int | None) -> list[Recommendation]:
    qs = Recommendation.objects.filter(
        implementation_status=ImplementationStatus.IMPLEMENTED, implementation_date__isnull=False
    )
    if recommendation_id is not None:
        rec = Recommendation.objects.filter(pk=recommendation_id).first()
        if rec is None:
            raise ValidationError({"recommendation": f"Recommendation {recommendation_id} does not exist."})
        if rec.implementation_status != ImplementationStatus.IMPLEMENTED or not rec.implementation_date:
            raise ValidationError(
                {
                    "recommendation": f"Recommendation {recommendation_id} is not implemented with a date; "
                    "nothing to measure."
                }
            )
        qs = qs.filter(pk=recommendation_id)
    return list(qs.order_by("pk"))


def impact_run_start(
    *,
    recommendation_id: int | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    user: AbstractBaseUser | None = None,
) -> JobRun:
    """Create the run row and enqueue the measurement after commit (validation happens first)."""
    recs = _recommendations_for(recommendation_id)
    params = {"recommendation_id": recommendation_id, "window_days": window_days, "min_sample": min_sample}
    with transaction.atomic():
        run = run_create(kind=RunKind.IMPACT, params=params, total=len(recs), created_by=user)
        enqueue_after_commit("post_mortem.tasks.impact.impact_run_task", run.pk, task_name=f"impact run {run.pk}")
    return run


def impact_run_execute(*, run_id: int) -> JobRun:
    """Do a run's work through the shared runner (a duplicate delivery of the task is harmless)."""
    return run_execute(run_id=run_id, work=_impact_work)


def _impact_work(run: JobRun) -> RunOutcome:
    params = run.params or {}
    assessments = impact_measure(
        recommendations=_recommendations_for(params.get("recommendation_id")),
        window_days=int(params.get("window_days", DEFAULT_WINDOW_DAYS)),
        min_sample=int(params.get("min_sample", DEFAULT_MIN_SAMPLE)),
        run=run,
    )
    return RunOutcome(result={"assessments": [assessment_as_dict(a) for a in assessments]}, units=len(assessments))


def impact_schedule_ensure() -> tuple[Any, bool]:
    """Create (once) the daily django-q2 schedule that re-measures every implemented recommendation.

    Idempotent: called by start scripts on every boot; an existing schedule keeps its next_run.
    """
    from django_q.models import Schedule

    func = "post_mortem.tasks.impact.impact_daily_task"
    tz = ZoneInfo(settings.DESK_TIMEZONE)
    tomorrow = timezone.localdate(timezone=tz) + dt.timedelta(days=1)
    next_run = dt.datetime.combine(tomorrow, dt.time(6, 0), tzinfo=tz)
    schedule, created = Schedule.objects.get_or_create(
        name=SCHEDULE_NAME,
        defaults={"func": func, "schedule_type": Schedule.DAILY, "repeats": -1, "next_run": next_run},
    )
    if not created and (schedule.func != func or schedule.schedule_type != Schedule.DAILY):
        schedule.func = func
        schedule.schedule_type = Schedule.DAILY
        schedule.repeats = -1
        schedule.save(update_fields=["func", "schedule_type", "repeats"])
    return schedule, created
