"""Edits to a recommendation's content, with a required reason and a history row.

Impact measurement reads a recommendation's targeting (``segment``, ``scope_accounts``) and ROI
per type reads its ``type_code``; the prioritisation ranks by ``expected_impact_r``. Once a
recommendation is implemented (or has been measured) those values are what was pre-registered:
changing them would silently change what the measurement measures. So they are fixed from
then on, and every other edit still needs a reason that lands in the audit history.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import ImplementationStatus, Recommendation
from .recommendations import _clean_reason, _history_user

# What a person may type in; status, dates and notes change through recommendation_set_status.
CONTENT_FIELDS = ("text", "area", "type_code", "expected_impact", "expected_impact_r", "segment", "scope_accounts")
# What measurement and prioritisation read: fixed once the recommendation is implemented or measured.
PREREGISTERED_FIELDS = ("type_code", "area", "expected_impact", "expected_impact_r", "segment", "scope_accounts")


def recommendation_is_locked(recommendation: Recommendation) -> bool:
    """Implemented, or measured at least once: its pre-registered fields no longer change."""
    return (
        recommendation.implementation_status == ImplementationStatus.IMPLEMENTED or recommendation.assessments.exists()
    )


def recommendation_edit_check(*, recommendation: Recommendation, changes: dict[str, Any]) -> None:
    """Raise ValidationError naming each field that may not change (unknown or pre-registered)."""
    errors: dict[str, str] = {}
    for field in changes:
        if field not in CONTENT_FIELDS:
            errors[field] = "Not editable here (status, date and notes change through “Set status”)."
    if recommendation_is_locked(recommendation):
        for field in changes:
            if field in PREREGISTERED_FIELDS:
                errors[field] = (
                    "Fixed once the recommendation is implemented or measured: impact is measured against it."
                )
    if errors:
        raise ValidationError(errors)


def recommendation_edit(
    *,
    recommendation: Recommendation,
    changes: dict[str, Any],
    reason: str,
    user: AbstractBaseUser | AnonymousUser | None,
) -> Recommendation:
    """Apply content edits with a required reason; one history row with the user and the reason.

    Raises ValidationError naming the field: an unknown or pre-registered field, an empty reason.
    Changes equal to the stored values write nothing.
    """
    reason = _clean_reason(reason)
    if not reason:
        raise ValidationError({"reason": "Say why the recommendation changes; it is kept in the audit history."})
    with transaction.atomic():
        rec = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        real = {field: value for field, value in changes.items() if getattr(rec, field, object()) != value}
        if not real:
            return rec
        recommendation_edit_check(recommendation=rec, changes=real)
        for field, value in real.items():
            setattr(rec, field, value)
        rec.full_clean()
        rec._history_user = _history_user(user)
        rec._change_reason = reason
        rec.save()
    recommendation.refresh_from_db()
    return recommendation
