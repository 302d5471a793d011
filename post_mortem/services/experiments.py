"""A/B experiments: creation with a pre-registered metric, groups and horizon.

Metric, groups, dates and minimum sample are fixed at creation (there is no update service for
them, and the admin and API show them read-only): reading interim results and then moving the
goalposts is exactly what pre-registration prevents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Experiment, ExperimentMetric, Recommendation

GROUP_KEYS = ("account", "tag")
# Sane dates: trades of this desk are not older, an experiment is not planned decades ahead, and
# its pre-period (as long as the experiment) stays within the calendar.
EARLIEST_START = dt.date(2000, 1, 1)
MAX_YEARS_AHEAD = 5
MAX_HORIZON_DAYS = 3 * 366


def clean_group(value: Any, *, field: str) -> dict[str, list[str]]:
    """A group is ``{"account": [...]}`` or ``{"tag": [...]}``: one key, a non-empty list of names."""
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in GROUP_KEYS:
        raise ValidationError({field: 'Must be {"account": [...]} or {"tag": [...]} (exactly one key).'})
    key, names = next(iter(value.items()))
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ValidationError({field: f'"{key}" must be a non-empty list of non-empty strings.'})
    return {key: sorted({n.strip() for n in names})}


def experiment_validate(
    *,
    metric: str,
    treatment: Any,
    control: Any,
    start: dt.date | None,
    end: dt.date | None,
    min_sample: int | None,
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Check the pre-registered fields; return the normalised groups. Errors name the field.

    Treatment and control must not share an account or tag of the same kind: a trade counted in
    both groups would shrink the difference towards zero.
    """
    if metric not in ExperimentMetric.values:
        raise ValidationError(
            {"metric": f"Unknown metric {metric!r}; expected one of: {', '.join(ExperimentMetric.values)}."}
        )
    t = clean_group(treatment, field="treatment")
    c = clean_group(control, field="control")
    key_t, key_c = next(iter(t)), next(iter(c))
    if key_t == key_c and set(t[key_t]) & set(c[key_c]):
        overlap = ", ".join(sorted(set(t[key_t]) & set(c[key_c])))
        raise ValidationError({"control": f"Treatment and control overlap on {key_t}: {overlap}."})
    experiment_check_dates(start=start, end=end)
    if key_t != key_c:
        _refuse_shared_trades(t, c)
    if min_sample is None or min_sample < 2:
        raise ValidationError({"min_sample": "Must be at least 2."})
    return t, c


def experiment_check_dates(*, start: dt.date | None, end: dt.date | None) -> None:
    """Start and end within sane bounds (errors name the field)."""
    from .recommendations import desk_today

    if start is None or end is None or end <= start:
        raise ValidationError({"end": "The end date must be after the start date."})
    if start < EARLIEST_START:
        raise ValidationError({"start": f"Must be on or after {EARLIEST_START.isoformat()}."})
    today = desk_today()
    latest = today.replace(year=today.year + MAX_YEARS_AHEAD, day=min(today.day, 28))
    if end > latest:
        raise ValidationError({"end": f"Must be on or before {latest.isoformat()} ({MAX_YEARS_AHEAD} years ahead)."})
    if (end - start).days > MAX_HORIZON_DAYS:
        raise ValidationError(
            {"end": f"An experiment runs at most {MAX_HORIZON_DAYS} days (got {(end - start).days}); split it."}
        )


def _refuse_shared_trades(treatment: dict[str, list[str]], control: dict[str, list[str]]) -> None:
    """Groups of different kinds (accounts vs tags) may hold the same trades: resolve and refuse.

    A trade of a treatment account that carries a control tag would be counted on both sides.
    """
    from ..models import Trade
    from ..selectors.feedback import group_q

    shared = Trade.objects.filter(group_q(treatment)).filter(group_q(control))
    count = shared.count()
    if count:
        examples = ", ".join(
            f"{account}/{external_id}" for account, external_id in shared.values_list("account", "external_id")[:3]
        )
        raise ValidationError(
            {
                "control": f"Treatment and control share {count} trade(s) (e.g. {examples}): a trade may be in one "
                "group only. Pick groups that do not overlap."
            }
        )


def experiment_create(
    *,
    name: str,
    metric: str,
    treatment: dict[str, Any],
    control: dict[str, Any],
    start: dt.date,
    end: dt.date,
    hypothesis: str = "",
    min_sample: int = 30,
    recommendation: Recommendation | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> Experiment:
    """Register an experiment. Raises ValidationError naming the field on bad input.

    Treatment and control must not share an account or tag of the same kind: a trade counted in
    both groups would shrink the difference towards zero.
    """
    t, c = experiment_validate(
        metric=metric, treatment=treatment, control=control, start=start, end=end, min_sample=min_sample
    )
    experiment = Experiment(
        name=(name or "").strip(),
        hypothesis=hypothesis or "",
        metric=metric,
        treatment=t,
        control=c,
        start=start,
        end=end,
        min_sample=min_sample,
        recommendation=recommendation,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    experiment._history_user = experiment.created_by
    experiment._change_reason = "Registered"
    with transaction.atomic():
        experiment.full_clean()
        experiment.save()
    return experiment
