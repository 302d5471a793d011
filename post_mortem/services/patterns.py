"""Mine patterns for a period and store them (replacing that period's previous patterns).

The miner itself is pure numpy (`post_mortem.mining`); this service reads the columns, runs it,
and writes AnalysisPattern rows in one transaction, so a reader sees either the old set or the new
one, never a mix. Runs are JobRun rows: `mining_run_start` enqueues, `mining_run_execute` works.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from ..context import compute_context
from ..mining import describe
from ..mining.miner import (
    DEFAULT_GROUP_OVERLAP,
    DEFAULT_MIN_TRADES,
    DEFAULT_N_BOOT,
    HIST_EDGES,
    SegmentResult,
    mine,
)
from ..mining.significance import DEFAULT_MIN_EFFECT_R
from ..models import AnalysisPattern, JobRun, RunKind
from ..selectors.patterns import analysis_columns_for, desk_day_start, patterns_for_period, trade_frame_for_mining
from .runs import (
    RunOutcome,
    enqueue_after_commit,
    run_add_progress,
    run_create,
    run_execute,
    run_set_progress,
)

logger = logging.getLogger(__name__)

# Trade ids stored per pattern for its page; the full segment is always recomputable with
# post_mortem.mining.segments.segment_mask (a 1M-trade desk would otherwise store 100 MB of ids).
MAX_STORED_TRADE_IDS = 1000


@dataclass(slots=True)
class MiningOutcome:
    patterns: list[AnalysisPattern]
    summary: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{len(self.patterns)} patterns: {self.summary}"


def _validate_period(since: dt.date | None, until: dt.date | None, min_trades: int) -> None:
    if since and until and since > until:
        raise ValidationError({"since": f"since ({since}) is after until ({until})"})
    if min_trades < 1:
        raise ValidationError({"min_trades": "min_trades must be at least 1"})


def _facts(seg: SegmentResult) -> describe.SegmentFacts:
    return describe.SegmentFacts(
        factor=seg.factor,
        segment=seg.segment,
        n=seg.n,
        share=seg.share,
        mean_r=seg.mean_r,
        mean_r_rest=seg.mean_r_rest,
        effect=seg.effect,
        ci_low=seg.ci_low,
        ci_high=seg.ci_high,
        p_value=seg.p_value,
        q_value=seg.q_value,
        win_rate=seg.win_rate,
        win_rate_rest=seg.win_rate_rest,
        fisher_p=seg.fisher_p,
        dollars_at_stake=seg.dollars_at_stake,
        significant=seg.significant,
        reference=seg.reference,
        comparison=seg.comparison,
        n_days=seg.n_days,
        n_days_ref=seg.n_days_ref,
    )


def min_effect_setting() -> float:
    """PATTERN_MIN_EFFECT_R: the smallest |effect| in R a significant pattern may have."""
    return float(getattr(settings, "PATTERN_MIN_EFFECT_R", DEFAULT_MIN_EFFECT_R))


def overlap_setting() -> float:
    """PATTERN_GROUP_OVERLAP: Jaccard overlap of trades above which two segments are one finding."""
    return float(getattr(settings, "PATTERN_GROUP_OVERLAP", DEFAULT_GROUP_OVERLAP))


def _finite(x: float, *, default: float = 0.0) -> float:
    return float(x) if x is not None and np.isfinite(x) else default


def patterns_mine(
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    min_trades: int = DEFAULT_MIN_TRADES,
    run: JobRun | None = None,
    n_boot: int = DEFAULT_N_BOOT,
) -> MiningOutcome:
    """Mine the trades entered between `since` and `until` (desk-local dates, inclusive).

    Context (after a loss, streaks, usual size) comes from all earlier trades, not only the
    period's. Every segment that met the support is stored, significant or not, so the run's JSON
    and the admin show what was tested; mining the same period again replaces its patterns.
    """
    _validate_period(since, until, min_trades)
    after_loss_minutes = float(getattr(settings, "AFTER_LOSS_MINUTES", 30))
    desk_tz = settings.DESK_TIMEZONE
    frame = trade_frame_for_mining(until=until)
    context = compute_context(frame, desk_tz=desk_tz, after_loss_minutes=after_loss_minutes)
    period_mask = np.ones(len(frame), dtype=bool)
    if since is not None:
        period_mask &= frame.entry_ts >= desk_day_start(since).timestamp()
    analyses = analysis_columns_for(frame)
    result = mine(
        frame,
        context,
        period_mask=period_mask,
        analyses=analyses,
        min_trades=min_trades,
        n_boot=n_boot,
        min_effect=min_effect_setting(),
        overlap_threshold=overlap_setting(),
    )
    if run is not None:
        run_set_progress(run_id=run.pk, done=0, total=result.segments_tested)

    rows: list[AnalysisPattern] = []
    for seg in result.segments:
        facts = _facts(seg)
        ids = np.sort(seg.trade_ids)
        rows.append(
            AnalysisPattern(
                pattern_type="weakness" if seg.effect < 0 else "strength",
                description=describe.describe(facts, after_loss_minutes=after_loss_minutes, desk_tz=desk_tz),
                confidence=max(0.0, 1.0 - seg.q_value) if np.isfinite(seg.q_value) else 0.0,
                category=describe.category_for(seg.factor, seg.segment),
                action_items=describe.action_items(facts, after_loss_minutes=after_loss_minutes),
                affected_trades=seg.n,
                affected_trade_ids=ids[:MAX_STORED_TRADE_IDS].tolist(),
                factor=seg.factor,
                segment=seg.segment,
                n=seg.n,
                n_rest=seg.n_rest,
                mean_r=seg.mean_r,
                mean_r_rest=seg.mean_r_rest,
                effect=_finite(seg.effect),
                ci_low=_finite(seg.ci_low),
                ci_high=_finite(seg.ci_high),
                p_value=_finite(seg.p_value, default=1.0),
                q_value=_finite(seg.q_value, default=1.0),
                win_rate=seg.win_rate,
                win_rate_rest=seg.win_rate_rest,
                fisher_p=seg.fisher_p,
                dollars_at_stake=_finite(seg.dollars_at_stake),
                significant=seg.significant,
                details={
                    "share": seg.share,
                    "reference": seg.reference,
                    "comparison": seg.comparison,
                    "se": _finite(seg.se),
                    "df": _finite(seg.df),
                    "n_days": seg.n_days,
                    "n_days_ref": seg.n_days_ref,
                    "days_in_period": result.days,
                    "tests_in_run": result.segments_tested,
                    "same_trades_as": seg.same_trades_as,
                    "not_significant_because": seg.reasons,
                    "new_trades": seg.new_trades,
                    "dollars_new": _finite(seg.dollars_new),
                    "alpha": result.alpha,
                    "min_effect_r": result.min_effect,
                    "overlap_threshold": result.overlap_threshold,
                    "accounts": seg.accounts,
                    "accounts_total": result.accounts_total,
                    "typical_risk": _finite(result.typical_risk),
                    "trade_ids_truncated": len(ids) > MAX_STORED_TRADE_IDS,
                    "hist_edges": HIST_EDGES.tolist(),
                    "hist_segment": seg.hist_segment,
                    "hist_rest": seg.hist_rest,
                    "mean_ci_segment": [_finite(x) for x in seg.mean_ci_segment],
                    "mean_ci_rest": [_finite(x) for x in seg.mean_ci_rest],
                    "after_loss_minutes": after_loss_minutes,
                    "desk_timezone": desk_tz,
                    "min_trades": min_trades,
                    "phrased_by": "template",
                },
                period_start=since,
                period_end=until,
                run=run,
            )
        )
    phrasing = _phrase(rows, result, after_loss_minutes=after_loss_minutes, run=run)
    with transaction.atomic():
        patterns_for_period(period_start=since, period_end=until).delete()
        AnalysisPattern.objects.bulk_create(rows, batch_size=200)
    summary = {
        **result.summary(),
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "after_loss_minutes": after_loss_minutes,
        "desk_timezone": desk_tz,
        "patterns": len(rows),
        "phrasing": phrasing,
    }
    return MiningOutcome(patterns=rows, summary=summary)


def _phrase(rows: list[AnalysisPattern], result, *, after_loss_minutes: float, run: JobRun | None) -> dict[str, Any]:
    """With a key, let Claude phrase the significant patterns' texts (numbers checked); else templates.

    A failed or invalid call never fails the mining run: the template texts stay and the reason
    is recorded in the run result. Token usage and cost go on the run.
    """
    from ..llm import claude as llm

    significant = [r for r in rows if r.significant]
    if not significant or not getattr(settings, "PATTERN_PHRASING", True) or not llm.is_configured():
        return {"by": "template", "reason": "no significant pattern" if not significant else "no Claude key"}
    from ..mining import phrasing

    significant.sort(key=lambda r: r.dollars_at_stake)
    chosen = significant[: phrasing.MAX_PATTERNS_PER_CALL]
    facts = [describe.SegmentFacts(**_facts_kwargs(r)) for r in chosen]
    extra = {"after_loss_minutes": after_loss_minutes, "typical_risk": _finite(result.typical_risk)}
    try:
        outcome = phrasing.phrase_patterns(facts, extra=extra)
    except llm.LLMError as exc:
        logger.warning("pattern phrasing failed: %s", exc.reason)
        return {"by": "template", "reason": f"Claude call failed: {exc.reason}"}
    for row in chosen:
        key = phrasing.pattern_key(row.factor, row.segment)
        text = outcome.texts.get(key)
        if text is not None:
            row.description = text.description
            row.action_items = text.action_items
            row.details["phrased_by"] = f"claude:{outcome.model}"
        else:
            row.details["phrased_by"] = f"template ({outcome.rejected.get(key, 'not phrased')})"
    if run is not None:
        run_add_progress(
            run_id=run.pk,
            input_tokens=outcome.input_tokens,
            output_tokens=outcome.output_tokens,
            cost_usd=outcome.cost_usd,
        )
    return {
        "by": f"claude:{outcome.model}",
        "prompt_version": phrasing.PROMPT_VERSION,
        "phrased": len(outcome.texts),
        "rejected": outcome.rejected,
        "cost_usd": str(outcome.cost_usd),
    }


def _facts_kwargs(row: AnalysisPattern) -> dict[str, Any]:
    return {
        "factor": row.factor,
        "segment": row.segment,
        "n": row.n,
        "share": float(row.details.get("share", 0.0)),
        "mean_r": row.mean_r,
        "mean_r_rest": row.mean_r_rest,
        "effect": row.effect,
        "ci_low": row.ci_low,
        "ci_high": row.ci_high,
        "p_value": row.p_value,
        "q_value": row.q_value,
        "win_rate": row.win_rate,
        "win_rate_rest": row.win_rate_rest,
        "fisher_p": row.fisher_p,
        "dollars_at_stake": row.dollars_at_stake,
        "significant": row.significant,
        "reference": (row.details or {}).get("reference", ""),
        "comparison": (row.details or {}).get("comparison", ""),
        "n_days": int((row.details or {}).get("n_days") or 0),
        "n_days_ref": int((row.details or {}).get("n_days_ref") or 0),
    }


def pattern_as_dict(p: AnalysisPattern) -> dict[str, Any]:
    """The shape `mine_patterns --json` prints for each tested segment."""
    return {
        "id": p.pk,
        "factor": p.factor,
        "segment": p.segment,
        "n": p.n,
        "effect": p.effect,
        "ci_low": p.ci_low,
        "ci_high": p.ci_high,
        "p_value": p.p_value,
        "q_value": p.q_value,
        "confidence": p.confidence,
        "description": p.description,
    }


def mining_run_start(
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    min_trades: int = DEFAULT_MIN_TRADES,
    created_by: AbstractBaseUser | None = None,
) -> JobRun:
    """Validate, create the run row, and enqueue the mining task after commit."""
    _validate_period(since, until, min_trades)
    params = {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "min_trades": min_trades,
    }
    with transaction.atomic():
        run = run_create(kind=RunKind.MINING, params=params, created_by=created_by)
        enqueue_after_commit("post_mortem.tasks.mining.mining_run_task", run.pk, task_name=f"mining run {run.pk}")
    return run


def mining_run_execute(*, run_id: int) -> JobRun:
    """Do a run's work through the shared runner (a finished run is left alone).

    Mining is idempotent (it replaces the period's patterns), so a retry after a crash is safe.
    """
    return run_execute(run_id=run_id, work=_mining_work)


def _mining_work(run: JobRun) -> RunOutcome:
    params = run.params or {}
    since = dt.date.fromisoformat(params["since"]) if params.get("since") else None
    until = dt.date.fromisoformat(params["until"]) if params.get("until") else None
    outcome = patterns_mine(
        since=since,
        until=until,
        min_trades=int(params.get("min_trades", DEFAULT_MIN_TRADES)),
        run=run,
    )
    return RunOutcome(result=outcome.summary, units=len(outcome.patterns))
