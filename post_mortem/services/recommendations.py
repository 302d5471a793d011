"""Recommendation status changes: the one write path for Pending / Implemented / Ignored.

The admin (row action, bulk action, change page), the analysis page's status select and the REST
``recommendations/track/`` endpoint all call these functions (``track_recommendation`` first turns a
post-mortem's opportunity into a tracked Recommendation, the first time a person acts on it), so
every change is validated the same way and leaves one django-simple-history row with the user and
the reason (the audit trail risk reads).

Date rules (decided here, documented in the README):

- IMPLEMENTED without a date defaults to *today in the desk's timezone* (``settings.DESK_TIMEZONE``):
  a desk in New York marking a change at 21:00 local time means that day, not tomorrow in UTC.
- An implementation date in the future (desk timezone) is rejected: impact is measured from that
  date, and a date that has not happened would measure nothing yet mislead the dashboard.
- A date given together with PENDING or IGNORED is rejected (it would be silently meaningless);
  switching away from IMPLEMENTED clears the stored date. The old date stays in the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..engines.vocabulary import segment_for
from ..models import ImplementationStatus, Recommendation, RecommendationSource, TradeAnalysis

MAX_REASON_LENGTH = 100  # simple-history's history_change_reason column


def desk_today() -> dt.date:
    """Today's date on the desk's clock, which is the date traders mean when they say "today"."""
    return timezone.localdate(timezone=ZoneInfo(settings.DESK_TIMEZONE))


def _normalise_status(status: str) -> str:
    value = (status or "").strip().upper()
    if value not in ImplementationStatus.values:
        allowed = ", ".join(ImplementationStatus.values)
        raise ValidationError({"status": f"Unknown status {status!r}; expected one of: {allowed}."})
    return value


def _resolve_date(status: str, implementation_date: dt.date | None) -> dt.date | None:
    if implementation_date is not None and not isinstance(implementation_date, dt.date):
        raise ValidationError({"implementation_date": "Must be a date (YYYY-MM-DD)."})
    if isinstance(implementation_date, dt.datetime):
        implementation_date = implementation_date.date()
    if status != ImplementationStatus.IMPLEMENTED:
        if implementation_date is not None:
            raise ValidationError(
                {"implementation_date": f"An implementation date only goes with status IMPLEMENTED, not {status}."}
            )
        return None
    today = desk_today()
    if implementation_date is None:
        return today
    if implementation_date > today:
        raise ValidationError(
            {"implementation_date": f"{implementation_date.isoformat()} is in the future (desk date is {today})."}
        )
    return implementation_date


def _history_user(user: AbstractBaseUser | AnonymousUser | None) -> AbstractBaseUser | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def _apply(
    rec: Recommendation,
    *,
    status: str,
    implementation_date: dt.date | None,
    notes: str | None,
    reason: str,
    user: AbstractBaseUser | AnonymousUser | None,
    now: dt.datetime,
) -> Recommendation:
    new_notes = rec.notes if notes is None else notes
    unchanged = (
        rec.implementation_status == status
        and rec.implementation_date == implementation_date
        and rec.notes == new_notes
    )
    if unchanged:
        return rec
    rec.implementation_status = status
    rec.implementation_date = implementation_date
    rec.notes = new_notes
    rec.status_changed_at = now
    rec.full_clean()
    rec._history_user = _history_user(user)
    rec._change_reason = reason
    rec.save()
    return rec


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": f"At most {MAX_REASON_LENGTH} characters (got {len(reason)})."})
    return reason


def recommendation_set_status(
    *,
    recommendation: Recommendation,
    status: str,
    implementation_date: dt.date | None = None,
    notes: str | None = None,
    reason: str = "",
    user: AbstractBaseUser | AnonymousUser | None,
) -> Recommendation:
    """Set one recommendation's status (and date / notes) with an audited history row.

    ``notes=None`` keeps the current notes; a string replaces them. A call that changes nothing
    writes nothing (no empty history rows). The row is locked for the update so two people
    changing it at once cannot lose each other's change. Raises ValidationError naming the field.
    """
    status = _normalise_status(status)
    resolved_date = _resolve_date(status, implementation_date)
    reason = _clean_reason(reason)
    with transaction.atomic():
        rec = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
        _apply(
            rec,
            status=status,
            implementation_date=resolved_date,
            notes=notes,
            reason=reason,
            user=user,
            now=timezone.now(),
        )
    recommendation.refresh_from_db()
    return recommendation


def recommendation_bulk_set_status(
    *,
    recommendations: Iterable[Recommendation],
    status: str,
    implementation_date: dt.date | None = None,
    notes: str | None = None,
    reason: str = "",
    user: AbstractBaseUser | AnonymousUser | None,
) -> list[Recommendation]:
    """Set the same status on many recommendations: all of them or none (one transaction).

    Each row is saved individually so each gets its own history row with the user and reason;
    the admin's bulk action works on a page of rows, so this stays cheap.
    """
    status = _normalise_status(status)
    resolved_date = _resolve_date(status, implementation_date)
    reason = _clean_reason(reason)
    ids = [r.pk for r in recommendations]
    now = timezone.now()
    with transaction.atomic():
        rows = list(Recommendation.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        for rec in rows:
            _apply(
                rec,
                status=status,
                implementation_date=resolved_date,
                notes=notes,
                reason=reason,
                user=user,
                now=now,
            )
    return rows


TRACKED_REASON = "Tracked from its post-mortem"


def _opportunity(analysis: TradeAnalysis, code: str) -> dict:
    for opp in (analysis.analysis_data or {}).get("improvement_opportunities", []):
        if opp.get("type_code") == code:
            return opp
    known = [o.get("type_code") for o in (analysis.analysis_data or {}).get("improvement_opportunities", [])]
    raise ValidationError(
        {"opportunity": f"Post-mortem {analysis.pk} has no opportunity {code!r}; it has: {', '.join(known) or 'none'}."}
    )


def track_recommendation(
    *,
    analysis_id: int,
    recommendation_id: str,
    status: str,
    implementation_date: dt.date | None = None,
    notes: str | None = None,
    reason: str = "",
    user: AbstractBaseUser | AnonymousUser | None,
) -> Recommendation:
    """Act on one opportunity of a post-mortem: create its tracked Recommendation if needed, set the status.

    Why: analysis writes no Recommendation (thousands of untouched single-trade notes drowned the
    decisions); a row exists once a person acts. ``recommendation_id`` is the opportunity's id
    within its post-mortem, i.e. its ``type_code`` (one opportunity per code and trade). The row
    is created with the person as its history user and ``status_changed_at`` set (a person acted),
    then the status goes through ``recommendation_set_status``; all in one transaction, so a bad
    status or date leaves nothing behind. Raises TradeAnalysis.DoesNotExist for an unknown analysis
    and ValidationError naming the field otherwise.
    """
    status = _normalise_status(status)
    resolved_date = _resolve_date(status, implementation_date)
    reason = _clean_reason(reason)
    code = (recommendation_id or "").strip()
    with transaction.atomic():
        analysis = TradeAnalysis.objects.select_for_update().select_related("trade").get(pk=analysis_id)
        rec = Recommendation.objects.filter(analysis=analysis, type_code=code).order_by("pk").first()
        if rec is None:
            opp = _opportunity(analysis, code)
            account = analysis.trade.account
            rec = Recommendation(
                text=opp.get("suggestion", ""),
                area=opp.get("area", ""),
                type_code=code,
                expected_impact=opp.get("expected_impact", ""),
                expected_impact_r=opp.get("expected_impact_r"),
                segment=segment_for(code),
                scope_accounts=[account] if account else [],
                evidence={**(opp.get("evidence") or {}), "trade_id": analysis.trade_id},
                source=RecommendationSource.ANALYSIS,
                analysis=analysis,
                implementation_status=ImplementationStatus.PENDING,
                status_changed_at=timezone.now(),
            )
            rec.full_clean()
            rec._history_user = _history_user(user)
            rec._change_reason = (reason or TRACKED_REASON)[:MAX_REASON_LENGTH]
            rec.save()
        return recommendation_set_status(
            recommendation=rec,
            status=status,
            implementation_date=resolved_date,
            notes=notes,
            reason=reason,
            user=user,
        )
