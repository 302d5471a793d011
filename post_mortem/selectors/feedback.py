"""Reads for the feedback loop: recommendations, their audit history, impact, ROI, experiments.

The admin pages (prioritisation, audit, experiment results) and the REST API share these, so the
numbers a desk head sees on the dashboard are the numbers a script reads.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..context import local_hour_and_weekday
from ..impact.ab import compare_groups, cumulative_series
from ..models import (
    AssessmentStatus,
    Experiment,
    ExperimentMetric,
    ImpactAssessment,
    ImplementationStatus,
    Recommendation,
    Trade,
)

TRACKED_FIELDS = ("implementation_status", "implementation_date", "notes", "text", "area", "type_code")
HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
Z95 = 1.959963984540054


# --- recommendations -----------------------------------------------------------------------


def recommendation_list() -> QuerySet[Recommendation]:
    """Recommendations with their latest assessment's numbers annotated (one query, no N+1)."""
    latest = ImpactAssessment.objects.filter(recommendation=OuterRef("pk")).order_by("-measured_at", "-id")
    return Recommendation.objects.select_related("plan", "pattern").annotate(
        latest_effect=Subquery(latest.filter(status=AssessmentStatus.MEASURED).values("effect")[:1]),
        latest_ci_low=Subquery(latest.filter(status=AssessmentStatus.MEASURED).values("ci_low")[:1]),
        latest_ci_high=Subquery(latest.filter(status=AssessmentStatus.MEASURED).values("ci_high")[:1]),
        latest_significant=Subquery(latest.filter(status=AssessmentStatus.MEASURED).values("significant")[:1]),
        latest_roi=Subquery(latest.filter(status=AssessmentStatus.MEASURED).values("roi_per_month")[:1]),
        latest_status=Subquery(latest.values("status")[:1]),
    )


def history_queryset() -> QuerySet:
    """Every recorded change of every recommendation, newest first, with the user joined."""
    return Recommendation.history.select_related("history_user").order_by("-history_date", "-history_id")


def history_entries(records: list) -> list[dict[str, Any]]:
    """Who changed what from what to what, for a page of history records.

    Previous versions are fetched in one query for the whole page (simple-history's prev_record
    would cost one query per row).
    """
    records = list(records)
    if not records:
        return []
    ids = {r.id for r in records}
    latest = max(r.history_date for r in records)
    versions: dict[int, list] = defaultdict(list)
    for v in Recommendation.history.filter(id__in=ids, history_date__lte=latest).order_by("history_date", "history_id"):
        versions[v.id].append(v)
    out = []
    for r in records:
        chain = versions[r.id]
        pos = next((i for i, v in enumerate(chain) if v.history_id == r.history_id), None)
        prev = chain[pos - 1] if pos else None
        changes = []
        for field in TRACKED_FIELDS:
            new = getattr(r, field)
            old = getattr(prev, field) if prev is not None else None
            if prev is None and r.history_type == "+":
                if field in ("implementation_status", "implementation_date", "notes") and new not in (None, ""):
                    changes.append({"field": field, "old": None, "new": _jsonable(new)})
                continue
            if old != new:
                changes.append({"field": field, "old": _jsonable(old), "new": _jsonable(new)})
        out.append(
            {
                "history_id": r.history_id,
                "recommendation": r.id,
                "recommendation_text": r.text,
                "date": r.history_date,
                "user": r.history_user.get_username() if r.history_user else None,
                "user_id": r.history_user_id,
                "type": HISTORY_TYPES.get(r.history_type, r.history_type),
                "reason": r.history_change_reason or "",
                "changes": changes,
            }
        )
    return out


def recommendation_history(*, recommendation: Recommendation) -> list[dict[str, Any]]:
    return history_entries(list(history_queryset().filter(id=recommendation.pk)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- impact and ROI ------------------------------------------------------------------------


def latest_assessments(*, measured_only: bool = True) -> QuerySet[ImpactAssessment]:
    """The newest assessment per recommendation (the one the dashboard and ROI use)."""
    newest = ImpactAssessment.objects.filter(recommendation=OuterRef("recommendation")).order_by("-measured_at", "-id")
    qs = ImpactAssessment.objects.select_related("recommendation").filter(pk=Subquery(newest.values("pk")[:1]))
    if measured_only:
        qs = qs.filter(status=AssessmentStatus.MEASURED)
    return qs.filter(recommendation__implementation_status=ImplementationStatus.IMPLEMENTED)


def roi_per_type(*, area: str | None = None, type_code: str | None = None) -> list[dict[str, Any]]:
    """Dollars per month per (area, type), summed over its implemented recommendations.

    The CI of the sum treats recommendations as independent and each CI as normal
    (se = CI width / 3.92, added in quadrature): a summary for ranking types, not a new test.
    """
    qs = latest_assessments()
    if area:
        qs = qs.filter(recommendation__area=area)
    if type_code:
        qs = qs.filter(recommendation__type_code=type_code)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for a in qs:
        key = (a.recommendation.area, a.recommendation.type_code)
        g = groups.setdefault(
            key,
            {
                "area": key[0],
                "type_code": key[1],
                "recommendations": 0,
                "significant": 0,
                "roi": 0.0,
                "var": 0.0,
                "effects": [],
            },
        )
        g["recommendations"] += 1
        g["significant"] += int(a.significant)
        g["effects"].append(a.effect)
        if a.roi_per_month is not None:
            g["roi"] += a.roi_per_month
            if a.roi_ci_low is not None and a.roi_ci_high is not None:
                g["var"] += ((a.roi_ci_high - a.roi_ci_low) / (2 * Z95)) ** 2
    out = []
    for g in groups.values():
        se = math.sqrt(g.pop("var"))
        effects = [e for e in g.pop("effects") if e is not None]
        g["roi_per_month"] = g.pop("roi")
        g["roi_ci_low"] = g["roi_per_month"] - Z95 * se
        g["roi_ci_high"] = g["roi_per_month"] + Z95 * se
        g["mean_effect"] = float(np.mean(effects)) if effects else None
        out.append(g)
    return sorted(out, key=lambda g: g["roi_per_month"], reverse=True)


def prioritisation(
    *,
    area: str | None = None,
    type_code: str | None = None,
    status: str | None = None,
    sort: str = "impact",
    limit: int = 20,
) -> dict[str, Any]:
    """The prioritisation page: Pending by expected impact, Implemented by measured impact, ROI.

    ``sort`` = "impact" (expected R for Pending, measured effect for Implemented, highest first)
    or "roi" (measured dollars per month) or "recent".
    """
    base = recommendation_list()
    if area:
        base = base.filter(area=area)
    if type_code:
        base = base.filter(type_code=type_code)
    pending = base.filter(implementation_status=ImplementationStatus.PENDING)
    implemented = base.filter(implementation_status=ImplementationStatus.IMPLEMENTED)
    if status == ImplementationStatus.PENDING:
        implemented = implemented.none()
    elif status == ImplementationStatus.IMPLEMENTED:
        pending = pending.none()
    elif status == ImplementationStatus.IGNORED:
        pending = base.filter(implementation_status=ImplementationStatus.IGNORED)
        implemented = implemented.none()
    if sort == "recent":
        pending = pending.order_by("-created_at", "-id")
        implemented = implemented.order_by("-implementation_date", "-id")
    else:
        pending = pending.order_by(F("expected_impact_r").desc(nulls_last=True), "-created_at")
        key = "latest_roi" if sort == "roi" else "latest_effect"
        implemented = implemented.order_by(F(key).desc(nulls_last=True), "-implementation_date")
    choices = Recommendation.objects.order_by()
    return {
        "pending": list(pending[:limit]),
        "implemented": list(implemented[:limit]),
        "roi_by_type": roi_per_type(area=area, type_code=type_code),
        "areas": sorted(set(choices.values_list("area", flat=True))),
        "type_codes": sorted(set(choices.values_list("type_code", flat=True))),
        "counts": {
            row["implementation_status"]: row["n"]
            for row in choices.values("implementation_status").annotate(n=Count("id"))
        },
    }


def rolling_expectancy(*, days: int = 180, window_days: int = 30, accounts: list[str] | None = None) -> dict[str, Any]:
    """Rolling expectancy (trade-weighted mean R over the trailing window) per desk day, and the
    implementation dates on that line, as numbers: the admin draws them.
    Daily sums are computed by the database (one GROUP BY), so this stays fast on 100k+ trades.

    Returns ``days`` (ISO dates), ``expectancy`` (R or None per day), ``implementation_marks``
    (the expectancy on an implementation day, else None), ``implementations`` and ``window_days``.
    """
    tz = ZoneInfo(settings.DESK_TIMEZONE)
    trades = Trade.objects.filter(r_multiple__isnull=False)
    if accounts:
        trades = trades.filter(account__in=accounts)
    last = trades.order_by("-entry_time").values_list("entry_time", flat=True).first()
    if last is None:
        return {
            "days": [],
            "expectancy": [],
            "implementation_marks": [],
            "implementations": [],
            "window_days": window_days,
        }
    end_day = timezone.localtime(last, tz).date()
    first_day = end_day - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first_day - dt.timedelta(days=window_days), dt.time(0), tzinfo=tz)
    rows = (
        trades.filter(entry_time__gte=since)
        .annotate(day=TruncDate("entry_time", tzinfo=tz))
        .values("day")
        .annotate(total=Sum("r_multiple"), n=Count("id"))
        .order_by()
    )
    span = days + window_days
    sums, counts = np.zeros(span), np.zeros(span)
    origin = first_day - dt.timedelta(days=window_days)
    for row in rows:
        i = (row["day"] - origin).days
        if 0 <= i < span:
            sums[i] += row["total"] or 0.0
            counts[i] += row["n"]
    cs, cn = np.cumsum(sums), np.cumsum(counts)
    roll_s = cs[window_days:] - cs[:-window_days]
    roll_n = cn[window_days:] - cn[:-window_days]
    labels = [(first_day + dt.timedelta(days=i)).isoformat() for i in range(days)]
    series = [round(float(s / n), 4) if n else None for s, n in zip(roll_s, roll_n, strict=True)]
    impl = Recommendation.objects.filter(
        implementation_status=ImplementationStatus.IMPLEMENTED, implementation_date__range=(first_day, end_day)
    ).order_by("implementation_date")
    marks: list[float | None] = [None] * days
    implementations = []
    for rec in impl:
        i = (rec.implementation_date - first_day).days
        marks[i] = series[i] if series[i] is not None else 0.0
        implementations.append({"date": rec.implementation_date.isoformat(), "id": rec.pk, "text": rec.text[:80]})
    return {
        "days": labels,
        "expectancy": series,
        "implementation_marks": marks,
        "window_days": window_days,
        "implementations": implementations,
    }


# --- experiments ---------------------------------------------------------------------------


def group_q(group: dict[str, list[str]]) -> Q:
    """The trades of an experiment group (accounts, or whole ';'-separated tags)."""
    key, names = next(iter(group.items()))
    if key == "account":
        return Q(account__in=names)
    q = Q()
    for tag in names:  # tags are ';'-separated: match whole tags only
        q |= Q(tags=tag) | Q(tags__startswith=f"{tag};") | Q(tags__endswith=f";{tag}") | Q(tags__contains=f";{tag};")
    return q


def _metric_values(qs: QuerySet, metric: str) -> tuple[np.ndarray, np.ndarray]:
    field = "net_pnl" if metric in (ExperimentMetric.NET_PNL, ExperimentMetric.WIN_RATE) else "r_multiple"
    rows = list(qs.exclude(**{f"{field}__isnull": True}).order_by("entry_time").values_list("entry_time", field))
    if not rows:
        return np.zeros(0), np.zeros(0)
    times = np.array([t.timestamp() for t, _ in rows])
    values = np.array([float(v) for _, v in rows])
    if metric == ExperimentMetric.WIN_RATE:
        values = (values > 0).astype(float)
    return times, values


RESULTS_FIRST_DAY = dt.date(1900, 1, 1)
RESULTS_LAST_DAY = dt.date(2999, 12, 30)
MAX_CHART_DAYS = 3 * 366 + 1


def experiment_results(*, experiment: Experiment, as_of: dt.datetime | None = None, n_boot: int = 2000) -> dict:
    """Per-group n / mean / CI, treatment - control with CI and p, pre-period DiD, interim warning,
    and the cumulative (running-mean) metric per group per desk day (``daily``), drawn by the admin.

    The period is [start, end] in the desk's timezone; before `end` the result is interim and says
    so. The pre-period has the same length and ends where the experiment starts.
    """
    tz = ZoneInfo(settings.DESK_TIMEZONE)
    as_of = as_of or timezone.now()
    # Rows written before the date bounds existed may hold calendar-edge dates: clamp them so
    # the date arithmetic below stays inside the calendar (the chart is capped separately).
    first_day = min(max(experiment.start, RESULTS_FIRST_DAY), RESULTS_LAST_DAY)
    last_day = max(min(experiment.end, RESULTS_LAST_DAY), first_day)
    start_dt = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz)
    end_dt = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    pre_start = start_dt - (end_dt - start_dt)
    cutoff = min(end_dt, as_of)
    interim = as_of < end_dt
    binary = experiment.metric == ExperimentMetric.WIN_RATE

    series: dict[str, Any] = {}
    post: dict[str, np.ndarray] = {}
    pre: dict[str, np.ndarray] = {}
    days: dict[str, np.ndarray] = {}  # each trade's desk-local day: the A/B bootstrap resamples days
    n_days = max(1, (min(last_day, timezone.localtime(cutoff, tz).date()) - first_day).days + 1)
    n_days = min(n_days, MAX_CHART_DAYS)
    labels = [(first_day + dt.timedelta(days=i)).isoformat() for i in range(n_days)]
    both = group_q(experiment.treatment) & group_q(experiment.control)
    for name, group in (("treatment", experiment.treatment), ("control", experiment.control)):
        qs = Trade.objects.filter(group_q(group)).exclude(both)  # a trade in both groups counts in neither
        times, values = _metric_values(qs.filter(entry_time__gte=start_dt, entry_time__lt=cutoff), experiment.metric)
        post[name] = values
        pre_times, pre[name] = _metric_values(
            qs.filter(entry_time__gte=pre_start, entry_time__lt=start_dt), experiment.metric
        )
        days[name] = local_hour_and_weekday(times, settings.DESK_TIMEZONE)[2]
        days[f"{name}_pre"] = local_hour_and_weekday(pre_times, settings.DESK_TIMEZONE)[2]
        day_index = np.floor((times - start_dt.timestamp()) / 86400).astype(int) if len(times) else np.zeros(0, int)
        day_index = np.clip(day_index, 0, n_days - 1)
        series[name] = cumulative_series(day_index, values, labels)

    result = compare_groups(
        treatment=post["treatment"],
        control=post["control"],
        treatment_pre=pre["treatment"],
        control_pre=pre["control"],
        binary=binary,
        min_sample=experiment.min_sample,
        n_boot=n_boot,
        seed=experiment.pk or 0,
        days=days,
    )
    warnings = []
    shared = Trade.objects.filter(both, entry_time__gte=pre_start, entry_time__lt=cutoff).count()
    if shared:
        warnings.append(f"{shared} trade(s) belong to both groups and are left out of both.")
    if (first_day, last_day) != (experiment.start, experiment.end):
        warnings.append(f"The dates are out of range; results cover {first_day} to {last_day} only.")
    if interim:
        warnings.append(
            f"Interim result: the experiment runs until {experiment.end.isoformat()}. Reading results early "
            "(peeking) inflates false positives; do not stop or change it on this number."
        )
    if not result["sufficient"]:
        warnings.append(
            f"not enough data yet: each group needs {experiment.min_sample} trades "
            f"(treatment {result['treatment']['n']}, control {result['control']['n']})."
        )
    result.update(
        experiment=experiment.pk,
        metric=experiment.metric,
        start=experiment.start.isoformat(),
        end=experiment.end.isoformat(),
        as_of=as_of.isoformat(),
        interim=interim,
        warnings=warnings,
        daily={"days": labels, "treatment": series["treatment"], "control": series["control"]},
    )
    return result
