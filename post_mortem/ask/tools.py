"""The read-only tools Claude (and the offline form) may call, with their inputs validated.

Each tool takes a pydantic-validated input (bad input comes back to the model as an error naming
the field, like an API 400) and returns a compact JSON-able dict. No SQL from the model: a
selection is a set of filters over our own columns and the miner's segment definitions, and the
statistics are the ones the miner and impact measurement use.

Result conventions the number tracing relies on: a dict with a "selection" key describes the
trades its numbers came from; a dict with a "group" key narrows the enclosing selection to one
factor value; "pattern_id", "recommendation_id" and "plan_id" name the row a number came from.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from .. import stats
from ..mining import fast_stats, inference
from ..mining.segments import FACTORS, NO_SETUP, factor_column, segment_mask
from ..mining.significance import is_significant
from ..models import RunKind
from ..selectors import ask as selectors
from ..selectors.patterns import desk_day_start
from ..services.runs import run_create
from ..services.whatif import what_if_params, what_if_run_execute, what_if_summary

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Names = Annotated[list[Name], Field(max_length=50)]
MAX_GROUPS = 25
N_BOOT = 2000
SMALL_SAMPLE_NOTE = "n = {n}: too few to conclude"


def min_sample() -> int:
    return int(getattr(settings, "ASK_MIN_SAMPLE", 30))


class ToolInputError(ValueError):
    """The model (or the form) sent input a tool cannot take; the message names the field."""


class Segment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    factor: str = Field(description=f"One of: {', '.join(FACTORS)}")
    value: str = Field(min_length=1, max_length=80, description="e.g. Monday, 09, true, <5 min, 1.5x+, fade")

    @field_validator("factor")
    @classmethod
    def _known_factor(cls, value: str) -> str:
        if value not in FACTORS:
            raise ValueError(f"unknown factor {value!r}; known: {', '.join(FACTORS)}")
        return value


class Selection(BaseModel):
    """Trades matching every given filter (an empty selection is every trade)."""

    model_config = ConfigDict(extra="forbid")

    accounts: Names = []
    symbols: Names = []
    setups: Names = []
    tags: Names = []
    sides: list[Literal["LONG", "SHORT"]] = Field(default=[], max_length=2)
    exclude_accounts: Names = []
    exclude_symbols: Names = []
    exclude_setups: Names = []
    since: dt.date | None = Field(default=None, description="First entry date, desk-local, inclusive")
    until: dt.date | None = Field(default=None, description="Last entry date, desk-local, inclusive")
    time_from: dt.time | None = Field(default=None, description="Entry at or after this desk-local time, e.g. 09:30")
    time_to: dt.time | None = Field(default=None, description="Entry before this desk-local time, e.g. 10:00")
    segments: list[Segment] = Field(default=[], max_length=3, description="Mining segments, all must hold")

    @field_validator("sides", mode="before")
    @classmethod
    def _upper_sides(cls, value: Any) -> Any:
        return [v.upper() if isinstance(v, str) else v for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _ordered_period(self) -> Selection:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        if self.time_from and self.time_to and self.time_from >= self.time_to:
            raise ValueError(f"time_from ({self.time_from}) is not before time_to ({self.time_to})")
        return self

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)


class TradeStatsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selection: Selection = Field(default_factory=Selection)
    group_by: str | None = Field(default=None, description=f"Split by a factor: {', '.join(FACTORS)}")

    @field_validator("group_by")
    @classmethod
    def _known_factor(cls, value: str | None) -> str | None:
        if value is not None and value not in FACTORS:
            raise ValueError(f"unknown factor {value!r}; known: {', '.join(FACTORS)}")
        return value


class CompareInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    a: Selection
    b: Selection


class ListPatternsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    factor: str | None = None
    significant_only: bool = True
    limit: int = Field(default=10, ge=1, le=25)


class ListRecommendationsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["PENDING", "IMPLEMENTED", "IGNORED"] | None = None
    limit: int = Field(default=10, ge=1, le=25)


class WhatIfInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=10,
        description=(
            'Rules, e.g. {"type": "no_reentry_after_loss", "minutes": 30}, {"type": "skip_segment", "factor": '
            '"setup", "value": "fade_gap"}, {"type": "max_trades_per_day", "count": 3}, {"type": "daily_loss_limit", '
            '"r": 2}, {"type": "max_size", "multiple": 1.5}, {"type": "stop_r", "r": 1}, {"type": "target_r", "r": 2}'
        ),
    )
    account: Name | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class ListPlansInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=5, ge=1, le=10)


TOOL_INPUTS: dict[str, type[BaseModel]] = {
    "trade_stats": TradeStatsInput,
    "compare_selections": CompareInput,
    "list_patterns": ListPatternsInput,
    "list_recommendations": ListRecommendationsInput,
    "list_plans": ListPlansInput,
    "what_if": WhatIfInput,
}
TOOL_DESCRIPTIONS = {
    "trade_stats": (
        "Statistics of a selection of closed trades: n, expectancy (mean R) with its bootstrap 95% CI, "
        "win rate, net P&L. Optionally split by a factor (rows sorted by net P&L, worst first). "
        "Factors: setup, symbol, side, account, weekday (Monday..Sunday), hour (00..23 desk time), "
        "holding_time (<5 min, 5-15 min, 15-60 min, 60-240 min, 240+ min), after_loss (true/false), "
        "loss_streak (0, 1, 2+), position_size (<0.75x, 0.75-1.5x, 1.5x+), trade_of_day (1, 2, 3, 4+), "
        "primary_factor, trend, volatility."
    ),
    "compare_selections": (
        "Compare two selections with the pattern miner's test: the difference in mean R (a - b) "
        "estimated within days (day fixed effects, day-clustered errors; days as the unit when A and B "
        "never trade on the same day) with its 95% CI and p, the plain difference in means, win rates "
        "with Fisher's exact p, and a Bonferroni p over every comparison made in this conversation. "
        "Trades in both selections count in A only."
    ),
    "list_patterns": "Mined patterns of the latest period: segment, n, effect in R with CI, q, dollars at stake.",
    "list_recommendations": (
        "Recommendations with status, implementation date, expected impact and the latest measured impact "
        "(effect in R per trade with CI, ROI per month)."
    ),
    "list_plans": "Improvement plans: title, period, focus areas and their recommendations.",
    "what_if": (
        "Replay the actual trades under rules (context recomputed on the replayed sequence): actual vs what-if "
        "expectancy and P&L, the difference with a block-bootstrap CI over days/weeks, and an out-of-sample "
        "(walk-forward) figure when the rule came from mining the same trades. Stored as a what-if run."
    ),
}


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """pydantic's JSON schema with every $ref replaced by its definition (one self-contained object)."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: resolve(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def tool_specs() -> list[dict[str, Any]]:
    """The tools as the Messages API takes them (name, description, input_schema)."""
    return [
        {"name": name, "description": TOOL_DESCRIPTIONS[name], "input_schema": _inline_refs(model.model_json_schema())}
        for name, model in TOOL_INPUTS.items()
    ]


def validate_input(name: str, raw: Any) -> BaseModel:
    """The tool's validated input, or ToolInputError naming each bad field."""
    model = TOOL_INPUTS.get(name)
    if model is None:
        raise ToolInputError(f"unknown tool {name!r}; tools: {', '.join(TOOL_INPUTS)}")
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()[:5]]
        raise ToolInputError("; ".join(problems)) from exc


# --- numbers --------------------------------------------------------------------------------


def _round(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _p(value: float | None) -> float | None:
    """p-values to three significant figures (what a reader quotes)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.3g}")


def _day_aware_difference(r: np.ndarray, local_day: np.ndarray, in_a: np.ndarray, in_b: np.ndarray) -> dict[str, Any]:
    """A - B in mean R with the miner's estimators (trades of one day share the market).

    When A and B trade on the same days: a regression of R on "in A" with day fixed effects and
    day-clustered errors (each A trade compared with B trades of its own day). When they never
    share a day (Mondays vs Tuesdays): each day is one observation (its mean R) and Welch's t
    compares A's days with B's days.
    """
    rows = np.flatnonzero(in_a | in_b)
    y = r[rows]
    day, n_days = inference.day_codes(local_day[rows])
    a_pos = np.flatnonzero(in_a[rows])
    fit = inference.fit_within_day(y, [a_pos], day, n_days)
    shared = np.intersect1d(day[a_pos], day[~in_a[rows]]).size
    if fit.estimable[0] and shared >= 2:
        est, se, df = float(fit.beta[0]), float(np.sqrt(fit.cov[0, 0])), float(fit.df)
        method = "within-day regression, day-clustered errors (the miner's test)"
        days = {"days_with_both": int(shared)}
    else:
        is_a = in_a[rows]
        mean_a = np.bincount(day[is_a], weights=y[is_a], minlength=n_days)
        mean_b = np.bincount(day[~is_a], weights=y[~is_a], minlength=n_days)
        cnt_a = np.bincount(day[is_a], minlength=n_days)
        cnt_b = np.bincount(day[~is_a], minlength=n_days)
        values = np.r_[mean_a[cnt_a > 0] / cnt_a[cnt_a > 0], mean_b[cnt_b > 0] / cnt_b[cnt_b > 0]]
        group = np.r_[np.ones(int((cnt_a > 0).sum()), bool), np.zeros(int((cnt_b > 0).sum()), bool)]
        cmp = inference.compare_day_groups(values, group, ~group)
        est, se, df = cmp.effect, cmp.se, cmp.df
        method = "days as the unit: Welch's t on each day's mean R (the miner's test for day-level factors)"
        days = {"days_a": cmp.n_days, "days_b": cmp.n_days_ref}
    low, high, p = inference.t_intervals(np.array([est]), np.array([se]), np.array([df]))
    return {
        "method": method,
        **days,
        "difference_r": _round(est, 3),
        "difference_ci_95": [_round(float(low[0]), 3), _round(float(high[0]), 3)],
        "p_value": _p(float(p[0])),
    }


def _summary(r: np.ndarray, pnl: np.ndarray, *, with_ci: bool) -> dict[str, Any]:
    """n, expectancy (mean R of the trades with a stop), its CI, win rate and P&L of one group."""
    has_r = ~np.isnan(r)
    r_known = r[has_r]
    n = len(pnl)
    out: dict[str, Any] = {
        "n": n,
        "n_with_r": len(r_known),
        "expectancy_r": _round(float(r_known.mean()), 3) if len(r_known) else None,
    }
    if with_ci:
        low, high = stats.bootstrap_mean_ci(r_known, n_boot=N_BOOT, seed=0) if len(r_known) > 1 else (None, None)
        out["expectancy_ci_95"] = [_round(low, 3), _round(high, 3)]
    out["win_rate"] = _round(float((pnl > 0).mean()), 3) if n else None
    out["net_pnl"] = _round(float(pnl.sum()), 2)
    out["avg_pnl"] = _round(float(pnl.mean()), 2) if n else None
    small = len(r_known) < min_sample()
    out["small_sample"] = small
    if small:
        out["note"] = SMALL_SAMPLE_NOTE.format(n=len(r_known))
    return out


class ToolBox:
    """Runs tools for one conversation: the desk's columns are read once, comparisons are counted."""

    def __init__(self) -> None:
        self._data: selectors.DeskData | None = None
        self.comparisons = 0

    @property
    def data(self) -> selectors.DeskData:
        if self._data is None:
            self._data = selectors.desk_data()
        return self._data

    def run(self, name: str, raw: Any) -> dict[str, Any]:
        """The tool's result; ToolInputError when the input does not validate (nothing was run)."""
        parsed = validate_input(name, raw)
        return getattr(self, f"_{name}")(parsed)

    # --- selections ---

    def mask(self, selection: Selection) -> np.ndarray:
        data = self.data
        frame = data.frame
        mask = np.ones(len(frame), dtype=bool)
        for values, column, keep in (
            (selection.accounts, frame.account, True),
            (selection.symbols, frame.symbol, True),
            (selection.setups, frame.setup, True),
            (selection.sides, frame.side, True),
            (selection.exclude_accounts, frame.account, False),
            (selection.exclude_symbols, frame.symbol, False),
            (selection.exclude_setups, frame.setup, False),
        ):
            if values:
                wanted = ["" if v == NO_SETUP else v for v in values] if column is frame.setup else list(values)
                hit = np.isin(column, wanted)
                mask &= hit if keep else ~hit
        if selection.since:
            mask &= frame.entry_ts >= desk_day_start(selection.since).timestamp()
        if selection.until:
            mask &= frame.entry_ts < desk_day_start(selection.until + dt.timedelta(days=1)).timestamp()
        if selection.time_from or selection.time_to:
            minute = np.asarray(data.context.entry_hour) * 60 + np.asarray(data.context.entry_minute)
            if selection.time_from:
                mask &= minute >= selection.time_from.hour * 60 + selection.time_from.minute
            if selection.time_to:
                mask &= minute < selection.time_to.hour * 60 + selection.time_to.minute
        if selection.tags:
            mask &= np.isin(frame.id, selectors.trade_ids_with_tags(list(selection.tags)))
        for seg in selection.segments:
            mask &= segment_mask(
                frame, data.context, factor=seg.factor, value=seg.value, analyses=self._analyses(seg.factor)
            )
        return mask

    def _analyses(self, factor: str):
        return self.data.analyses if factor in {"primary_factor", "trend", "volatility"} else None

    def _trade_stats(self, inp: TradeStatsInput) -> dict[str, Any]:
        frame = self.data.frame
        mask = self.mask(inp.selection)
        r, pnl = frame.r_multiple[mask], frame.net_pnl[mask]
        out = {"selection": inp.selection.as_json(), **_summary(r, pnl, with_ci=True)}
        if inp.group_by:
            column = factor_column(frame, self.data.context, factor=inp.group_by, analyses=self._analyses(inp.group_by))
            in_sel = mask[column.rows]
            rows, codes = column.rows[in_sel], column.codes[in_sel]
            groups = []
            for label_index in np.unique(codes):
                members = rows[codes == label_index]
                groups.append(
                    {
                        "group": {"factor": inp.group_by, "value": column.labels[label_index]},
                        **_summary(frame.r_multiple[members], frame.net_pnl[members], with_ci=False),
                    }
                )
            groups.sort(key=lambda g: g["net_pnl"] if g["net_pnl"] is not None else 0.0)
            out["group_by"] = inp.group_by
            out["groups_total"] = len(groups)
            out["groups"] = groups[:MAX_GROUPS]
        return out

    def _compare_selections(self, inp: CompareInput) -> dict[str, Any]:
        data = self.data
        frame = data.frame
        self.comparisons += 1
        mask_a, mask_b = self.mask(inp.a), self.mask(inp.b)
        overlap = int((mask_a & mask_b).sum())
        mask_b &= ~mask_a  # a trade in both is compared as A's ("NVDA vs everything" = NVDA vs the rest)
        side_a = {
            "selection": inp.a.as_json(),
            **_summary(frame.r_multiple[mask_a], frame.net_pnl[mask_a], with_ci=False),
        }
        side_b = {
            "selection": inp.b.as_json(),
            **_summary(frame.r_multiple[mask_b], frame.net_pnl[mask_b], with_ci=False),
        }
        out: dict[str, Any] = {"a": side_a, "b": side_b}
        if overlap:
            out["overlap_note"] = f"{overlap} trades are in both selections; they are counted in A only"
            side_b["minus_selection"] = inp.a.as_json()
        has_r = ~np.isnan(frame.r_multiple)
        in_a, in_b = mask_a & has_r, mask_b & has_r
        n_a, n_b = int(in_a.sum()), int(in_b.sum())
        if n_a < 2 or n_b < 2:
            out["note"] = "each side needs at least 2 trades with R to compare"
            return out
        out.update(_day_aware_difference(frame.r_multiple, np.asarray(data.context.local_day), in_a, in_b))
        r_a, r_b = frame.r_multiple[in_a], frame.r_multiple[in_b]
        wins_a, wins_b = int((r_a > 0).sum()), int((r_b > 0).sum())
        p = out.get("p_value")
        p_bonf = min(1.0, p * self.comparisons) if p is not None else None
        out.update(
            {
                "difference_in_means_r": _round(float(r_a.mean() - r_b.mean()), 3),
                "win_rate_r_a": _round(wins_a / n_a, 3),
                "win_rate_r_b": _round(wins_b / n_b, 3),
                "fisher_p_win_rate": _p(fast_stats.fisher_p(wins_a, n_a, wins_b, n_b)),
                "comparisons_in_conversation": self.comparisons,
                "p_bonferroni": _p(p_bonf),
                "significant": bool(
                    p_bonf is not None
                    and out.get("difference_r") is not None
                    and is_significant(
                        q_value=p_bonf,
                        ci_low=out["difference_ci_95"][0],
                        ci_high=out["difference_ci_95"][1],
                        effect=out["difference_r"],
                        alpha=0.05,
                        min_effect=float(getattr(settings, "PATTERN_MIN_EFFECT_R", 0.15)),
                    )
                ),
            }
        )
        if min(n_a, n_b) < min_sample():
            out["note"] = SMALL_SAMPLE_NOTE.format(n=min(n_a, n_b))
        return out

    # --- stored results ---

    def _list_patterns(self, inp: ListPatternsInput) -> dict[str, Any]:
        patterns = selectors.mined_patterns(factor=inp.factor, significant_only=inp.significant_only)
        rows = [
            {
                "pattern_id": p.pk,
                "factor": p.factor,
                "segment": p.segment,
                "pattern_type": p.pattern_type,
                "n": p.n,
                "effect_r": _round(p.effect, 3),
                "effect_ci_95": [_round(p.ci_low, 3), _round(p.ci_high, 3)],
                "q_value": _p(p.q_value),
                "significant": bool(p.significant),
                "dollars_at_stake": _round(p.dollars_at_stake, 2),
                "period": [
                    p.period_start.isoformat() if p.period_start else None,
                    p.period_end.isoformat() if p.period_end else None,
                ],
            }
            for p in patterns[: inp.limit]
        ]
        return {"patterns_total": len(patterns), "patterns": rows}

    def _list_recommendations(self, inp: ListRecommendationsInput) -> dict[str, Any]:
        rows = []
        for rec in selectors.recommendations_for_ask(status=inp.status, limit=inp.limit):
            rows.append(
                {
                    "recommendation_id": rec.pk,
                    "text": rec.text[:300],
                    "area": rec.area,
                    "type_code": rec.type_code,
                    "status": rec.implementation_status,
                    "implementation_date": rec.implementation_date.isoformat() if rec.implementation_date else None,
                    "segment": rec.segment or None,
                    "scope_accounts": rec.scope_accounts or [],
                    "expected_impact_r": _round(rec.expected_impact_r, 3),
                    "measured_effect_r": _round(rec.latest_effect, 3),
                    "measured_ci_95": [_round(rec.latest_ci_low, 3), _round(rec.latest_ci_high, 3)],
                    "measured_significant": rec.latest_significant,
                    "roi_per_month": _round(rec.latest_roi, 2),
                }
            )
        return {"recommendations": rows}

    def _what_if(self, inp: WhatIfInput) -> dict[str, Any]:
        try:
            params = what_if_params(rules=inp.rules, account=inp.account, since=inp.since, until=inp.until)
        except DjangoValidationError as exc:
            raise ToolInputError("; ".join(exc.messages)) from exc
        run = run_create(kind=RunKind.WHATIF, params=params)
        run = what_if_run_execute(run_id=run.pk)
        summary = what_if_summary(run)
        return {
            "run_id": run.pk,
            "status": summary["status"],
            "run_error": summary["error"] or None,
            "actual": summary["actual"],
            "what_if": summary["what_if"],
            "difference": summary["difference"],
            "out_of_sample": summary["out_of_sample"],
        }

    def _list_plans(self, inp: ListPlansInput) -> dict[str, Any]:
        rows = []
        for plan in selectors.plans_for_ask(limit=inp.limit):
            recs = list(plan.recommendations.all())
            rows.append(
                {
                    "plan_id": plan.pk,
                    "title": plan.title,
                    "period": [
                        plan.period_start.isoformat() if plan.period_start else None,
                        plan.period_end.isoformat() if plan.period_end else None,
                    ],
                    "focus_areas": plan.focus_areas,
                    "recommendation_ids": [r.pk for r in recs],
                }
            )
        return {"plans": rows}
