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
    if start is None or end is None or end <= start:
        raise ValidationError({"end": "The end date must be after the start date."})
    if min_sample is None or min_sample < 2:
        raise ValidationError({"min_sample": "Must be at least 2."})
    return t, c


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
    with transaction.atomic():
        experiment.full_clean()
        experiment.save()
    return experiment
