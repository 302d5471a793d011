"""What-if pages: compose a scenario (rules + selection), then read its replay.

The scenario page is prefilled by the "What if" buttons of patterns and recommendations (their
segment's natural rule, tagged with where it came from); submitting it queues a what-if run and
opens the result page, which draws both equity curves and the difference with its CI, and the
out-of-sample (walk-forward) figure when the rule was mined from the same trades.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.safestring import mark_safe
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextInputWidget,
)

from admin_ext.formatting import fmt_money, fmt_percent, fmt_r
from admin_ext.labels import SEGMENT_FACTORS, humanize_code, segment_label
from admin_ext.views import AdminPage
from post_mortem.mining.segments import FACTORS
from post_mortem.models import AnalysisPattern, JobRun, Recommendation, RunKind
from post_mortem.services.whatif import rules_for_pattern, rules_for_recommendation, what_if_start

NUMBER = UnfoldAdminDecimalFieldWidget
RULE_FIELDS = {  # form field -> (rule type, parameter)
    "no_reentry_minutes": ("no_reentry_after_loss", "minutes"),
    "max_trades_per_day": ("max_trades_per_day", "n"),
    "daily_loss_r": ("daily_loss_limit", "r"),
    "daily_loss_usd": ("daily_loss_limit", "usd"),
    "max_size_multiple": ("max_size", "multiple"),
    "stop_r": ("stop_r", "r"),
    "target_r": ("target_r", "r"),
}


def can_run_what_if(user) -> bool:
    return user.has_perm("post_mortem.add_jobrun")


class WhatIfForm(forms.Form):
    skip_factor = forms.ChoiceField(
        required=False,
        choices=[("", "—")] + [(f, SEGMENT_FACTORS.get(f, humanize_code(f))) for f in FACTORS],
        widget=UnfoldAdminSelectWidget,
        label="Skip the trades of a segment: factor",
    )
    skip_value = forms.CharField(
        required=False,
        max_length=80,
        widget=UnfoldAdminTextInputWidget,
        label="… with value",
        help_text=mark_safe(
            "The value as the miner writes it, e.g. <code>fade</code> for a setup, <code>09</code> for an entry hour, "
            "<code>true</code> after a loss, <code>4+</code> for the trade of the day"
        ),
    )
    no_reentry_minutes = forms.FloatField(
        required=False, min_value=1, widget=NUMBER, label="No re-entry within N minutes of a losing exit"
    )
    max_trades_per_day = forms.IntegerField(
        required=False, min_value=1, widget=UnfoldAdminIntegerFieldWidget, label="At most N trades per day and account"
    )
    daily_loss_r = forms.FloatField(
        required=False, min_value=0.01, widget=NUMBER, label="Stop for the day after a loss of X R"
    )
    daily_loss_usd = forms.FloatField(required=False, min_value=0.01, widget=NUMBER, label="… or after a loss of $X")
    max_size_multiple = forms.FloatField(
        required=False, min_value=0.01, widget=NUMBER, label="Cap size at k × the account's usual size"
    )
    stop_r = forms.FloatField(required=False, min_value=0.01, widget=NUMBER, label="Stop at k R (on the trade's bars)")
    target_r = forms.FloatField(
        required=False, min_value=0.01, widget=NUMBER, label="Target at k R (on the trade's bars)"
    )
    account = forms.CharField(
        required=False, max_length=64, widget=UnfoldAdminTextInputWidget, help_text="Empty = every account"
    )
    since = forms.DateField(required=False, widget=UnfoldAdminSingleDateWidget, help_text="First entry date")
    until = forms.DateField(required=False, widget=UnfoldAdminSingleDateWidget, help_text="Last entry date")
    source = forms.CharField(required=False, widget=forms.HiddenInput)

    def rules(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        source = self.source_dict()
        rules: list[dict[str, Any]] = []
        if data.get("skip_factor") or data.get("skip_value"):
            rules.append({"type": "skip_segment", "factor": data.get("skip_factor"), "value": data.get("skip_value")})
        for name, (kind, key) in RULE_FIELDS.items():
            value = data.get(name)
            if value is not None:
                rules.append({"type": kind, key: int(value) if float(value).is_integer() else value})
        return [{**rule, "source": source} for rule in rules] if source else rules

    def source_dict(self) -> dict[str, int] | None:
        raw = (self.cleaned_data.get("source") or "").split(":")
        if len(raw) == 2 and raw[0] in {"pattern", "recommendation"} and raw[1].isdigit():
            return {raw[0]: int(raw[1])}
        return None

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "Until must be on or after since.")
        if not self.errors and not self.rules():
            raise ValidationError("Give at least one rule.")
        return data


def initial_from_rules(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """Form values for a list of rules (the buttons' prefill)."""
    initial: dict[str, Any] = {}
    for rule in rules:
        if rule.get("type") == "skip_segment":
            initial["skip_factor"], initial["skip_value"] = rule.get("factor"), rule.get("value")
        for name, (kind, key) in RULE_FIELDS.items():
            if rule.get("type") == kind and key in rule:
                initial[name] = rule[key]
        source = rule.get("source") or {}
        for kind in ("pattern", "recommendation"):
            if source.get(kind):
                initial["source"] = f"{kind}:{source[kind]}"
    return initial


def scenario_url(rules: list[dict[str, Any]] | None = None) -> str:
    base = reverse("admin:post_mortem_jobrun_what_if")
    return f"{base}?{urlencode({'rules': json.dumps(rules)})}" if rules else base


def pattern_scenario_url(pattern: AnalysisPattern) -> str:
    return scenario_url(rules_for_pattern(pattern))


def recommendation_scenario_url(rec: Recommendation) -> str:
    return scenario_url(rules_for_recommendation(rec) or None)


class ScenarioPage(AdminPage):
    """Compose a scenario; POST queues the replay and opens its result page."""

    permission_required = ("post_mortem.add_jobrun",)
    template_name = "admin_ext/whatif/scenario.html"
    title = "What if: replay rules on the actual trades"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        initial: dict[str, Any] = {}
        prefilled = False
        if request.GET.get("rules"):
            try:
                rules = json.loads(request.GET["rules"])
                initial = initial_from_rules(rules if isinstance(rules, list) else [])
                prefilled = bool(initial)
            except (json.JSONDecodeError, AttributeError, TypeError):
                messages.warning(request, "The proposed rules could not be read; compose them below.")
        form = WhatIfForm(initial=initial)
        return self.render_to_response(
            self.get_context_data(form=form, prefilled=prefilled, source=initial.get("source") or "")
        )

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = WhatIfForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = what_if_start(
                    rules=form.rules(),
                    account=data.get("account") or None,
                    since=data.get("since"),
                    until=data.get("until"),
                    source=form.source_dict(),
                    created_by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, "; ".join(exc.messages))
            else:
                return HttpResponseRedirect(reverse("admin:post_mortem_jobrun_what_if_result", args=[run.pk]))
        return self.render_to_response(
            self.get_context_data(form=form, prefilled=False, source=form.data.get("source") or "")
        )

    def get_context_data(self, *, source: str = "", **kwargs) -> dict[str, Any]:
        return super().get_context_data(
            **kwargs,
            source_link=_source_link(source),
            recent=JobRun.objects.filter(kind=RunKind.WHATIF).order_by("-created_at", "-id")[:10],
        )


def _source_link(source: str | None) -> dict[str, str] | None:
    kind, _, pk = (source or "").partition(":")
    if not pk.isdigit():
        return None
    if kind == "pattern" and (p := AnalysisPattern.objects.filter(pk=pk).first()):
        return {
            "label": f"pattern “{segment_label(p.factor, p.segment)}”",
            "url": reverse("admin:post_mortem_analysispattern_change", args=[p.pk]),
        }
    if kind == "recommendation" and (r := Recommendation.objects.filter(pk=pk).first()):
        return {
            "label": f"recommendation “{r.text[:70]}”",
            "url": reverse("admin:post_mortem_recommendation_change", args=[r.pk]),
        }
    return None


CURVE_OPTIONS = json.dumps(
    {
        "animation": False,
        "responsive": True,
        "maintainAspectRatio": False,
        "elements": {"point": {"radius": 0}, "line": {"borderWidth": 2, "tension": 0.1}},
        "plugins": {
            "legend": {"display": True, "position": "bottom"},
            "tooltip": {"mode": "index", "intersect": False},
        },
        "interaction": {"mode": "index", "intersect": False},
        "scales": {
            "x": {"grid": {"display": False}, "ticks": {"maxTicksLimit": 12, "maxRotation": 0}},
            "y": {
                "grid": {"color": "rgba(128,128,128,0.15)"},
                "ticks": {"maxTicksLimit": 6},
                "title": {"display": True, "text": "Cumulative net P&L ($)"},
            },
        },
    }
)


def _curve_chart(curves: dict[str, list]) -> str:
    return json.dumps(
        {
            "labels": curves.get("day", []),
            "datasets": [
                {
                    "label": "Actual",
                    "data": curves.get("actual", []),
                    "borderColor": "#64748b",
                    "backgroundColor": "#64748b",
                },
                {
                    "label": "What if",
                    "data": curves.get("what_if", []),
                    "borderColor": "var(--color-primary-600)",
                    "backgroundColor": "var(--color-primary-600)",
                },
            ],
        }
    )


def _difference_plot(rows: list[tuple[str, dict[str, Any] | None]]) -> dict[str, Any] | None:
    """An SVG forest plot of expectancy differences (replayed - actual) with 95% CIs, and 0 R dashed."""
    rows = [(label, d) for label, d in rows if d and d.get("expectancy_r") is not None]
    if not rows:
        return None
    values = [v for _, d in rows for v in (d["ci_low"], d["ci_high"], d["expectancy_r"])] + [0.0]
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.1, 0.02)
    lo, hi = lo - pad, hi + pad
    left, right, width = 215.0, 215.0, 760.0
    plot_w = width - left - right

    def x(v: float) -> float:
        return round(left + (v - lo) / (hi - lo) * plot_w, 1)

    span = hi - lo
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0) if span / s <= 6) if span < 30 else 10.0
    first = (int(lo / step) + (1 if lo > 0 else 0)) * step
    ticks = []
    t = first
    while t < hi:
        ticks.append({"x": x(t), "label": f"{t:+.2f}R".replace("+0.00", "0")})
        t += step
    drawn = []
    for i, (label, d) in enumerate(rows):
        colour = ("#16a34a" if d["expectancy_r"] > 0 else "#dc2626") if d.get("significant") else "#64748b"
        p = d.get("p_value")
        drawn.append(
            {
                "label": label,
                "y": 30 + 40 * i,
                "x_mean": x(d["expectancy_r"]),
                "x_lo": x(d["ci_low"]),
                "x_hi": x(d["ci_high"]),
                "colour": colour,
                "text": f"{d['expectancy_r']:+.3f}R [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}]"
                + (f", p {_p_text(p)}" if p is not None else ""),
            }
        )
    axis_y = 30 + 40 * len(rows) - 10
    return {
        "rows": drawn,
        "ticks": ticks,
        "zero_x": x(0.0),
        "axis_y": axis_y,
        "height": axis_y + 30,
        "width": width,
        "left": left,
        "value_x": width - right + 12,
    }


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _usd(v: float) -> str:
    return f"-${-v:,.0f}" if v < 0 else f"+${v:,.0f}"


def _verdict_text(d: dict[str, Any] | None) -> str:
    """One sentence: the difference per trade with its CI and p, and per month in dollars."""
    if not d or d.get("expectancy_r") is None:
        return ""
    return (
        f"{d['expectancy_r']:+.3f} R per trade (95% CI {d['ci_low']:+.3f} to {d['ci_high']:+.3f}, "
        f"p {_p_text(d['p_value'])}), "
        f"{_usd(d['net_pnl_per_month'])} per month (CI {_usd(d['net_pnl_per_month_ci_low'])} to "
        f"{_usd(d['net_pnl_per_month_ci_high'])}); {d['blocks']} {d['resampled']}s resampled."
    )


class ResultPage(AdminPage):
    """The replay of one run: figures side by side, equity curves, the difference with its CI."""

    permission_required = ("post_mortem.view_jobrun",)
    template_name = "admin_ext/whatif/result.html"

    def get_title(self) -> str:
        return f"What-if run #{self.run.pk}"

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        run_id = kwargs.pop("run_id")
        run = get_object_or_404(JobRun.objects.filter(kind=RunKind.WHATIF).select_related("created_by"), pk=run_id)
        self.run = run
        result = run.result or {}
        oos = result.get("out_of_sample")
        rows = [("Whole selection (in-sample)" if oos else "Replayed − actual", result.get("difference"))]
        if oos:
            rows += [
                (f"Discovery part (before {oos.get('split_date')})", oos.get("in_sample")),
                (f"Out-of-sample (from {oos.get('split_date')})", oos.get("difference")),
            ]
        selection = result.get("selection") or {}
        trades_url = reverse("admin:post_mortem_trade_changelist")
        query = {}
        if selection.get("account"):
            query["account__exact"] = selection["account"]
        return super().get_context_data(
            **kwargs,
            run=run,
            result=result,
            rules=(run.params or {}).get("rules") or [],
            side_rows=_side_rows(result),
            difference=result.get("difference"),
            verdict_text=_verdict_text(result.get("difference")),
            oos=oos,
            oos_q_text=_p_text(oos["discovery_q_value"]) if oos and oos.get("discovery_q_value") is not None else "",
            curve_chart=_curve_chart(result.get("curves") or {}) if result.get("curves") else None,
            curve_options=CURVE_OPTIONS,
            diff_plot=_difference_plot(rows),
            source_link=_source_link(_source_string((run.params or {}).get("source"))),
            run_url=reverse("admin:post_mortem_jobrun_change", args=[run.pk]),
            trades_url=f"{trades_url}?{urlencode(query)}" if query else trades_url,
            again_url=scenario_url((run.params or {}).get("rules") or None),
            refresh=not run.is_finished,
        )


def _source_string(source: dict[str, int] | None) -> str:
    for kind in ("pattern", "recommendation"):
        if source and source.get(kind):
            return f"{kind}:{source[kind]}"
    return ""


def _side_rows(result: dict[str, Any]) -> list[dict[str, str]]:
    actual, what_if = result.get("actual") or {}, result.get("what_if") or {}
    if not actual:
        return []

    def count(v):
        return "—" if v is None else f"{v:,}"

    def money(v):
        return fmt_money(v, signed=True)

    def drawdown(v):
        return fmt_money(v)

    return [
        {"label": label, "actual": fmt(actual.get(key)), "what_if": fmt(what_if.get(key))}
        for label, key, fmt in (
            ("Trades", "trades", count),
            ("Net P&L", "net_pnl", money),
            ("Expectancy", "expectancy_r", fmt_r),
            ("Win rate", "win_rate", fmt_percent),
            ("Max drawdown", "max_drawdown", drawdown),
        )
    ]


def replayed_impact_html(rec: Recommendation) -> str:
    """The recommendation page's line: what the latest replay promised, and what was measured after.

    Both in $ per month (the replay's difference in net P&L, the assessment's ROI) so the promise
    and the outcome are read on one scale, each with its interval.
    """
    from django.utils.html import format_html, format_html_join

    from post_mortem.services.whatif import latest_what_if_for

    if rec.pk is None:
        return "—"
    run = latest_what_if_for(recommendation_id=rec.pk)
    if run is None:
        url = recommendation_scenario_url(rec)
        return format_html('Not replayed yet. <a class="text-primary-600 underline" href="{}">What if?</a>', url)
    diff = (run.result or {}).get("difference") or {}
    oos = (run.result or {}).get("out_of_sample")
    link = reverse("admin:post_mortem_jobrun_what_if_result", args=[run.pk])
    parts: list[tuple[str, ...]] = []
    if diff.get("expectancy_r") is None:
        parts.append(("Replay #{}: too few days to resample.", str(run.pk)))
    else:
        parts.append(
            (
                "Replay: {} R per trade (95% CI {} to {}), {} $/month (CI {} to {}), {}.",
                f"{diff['expectancy_r']:+.3f}",
                f"{diff['ci_low']:+.3f}",
                f"{diff['ci_high']:+.3f}",
                f"{diff['net_pnl_per_month']:+,.0f}",
                f"{diff['net_pnl_per_month_ci_low']:+,.0f}",
                f"{diff['net_pnl_per_month_ci_high']:+,.0f}",
                "significant" if diff.get("significant") else "not significant",
            )
        )
    if oos and (oos.get("difference") or {}).get("expectancy_r") is not None:
        d = oos["difference"]
        adopted = "adopted" if oos.get("adopted") else "not found in the earlier part"
        parts.append(
            ("Out-of-sample from {}: {} R per trade ({}).", oos.get("split_date"), f"{d['expectancy_r']:+.3f}", adopted)
        )
    assessment = rec.assessments.exclude(roi_per_month=None).order_by("-measured_at", "-id").first()
    if assessment is not None:
        parts.append(
            (
                "Measured after implementation: {} $/month (CI {} to {}), {} R per trade.",
                f"{assessment.roi_per_month:+,.0f}",
                f"{assessment.roi_ci_low:+,.0f}" if assessment.roi_ci_low is not None else "—",
                f"{assessment.roi_ci_high:+,.0f}" if assessment.roi_ci_high is not None else "—",
                f"{assessment.effect:+.3f}" if assessment.effect is not None else "—",
            )
        )
    lines = format_html_join(
        "", "<span class='block'>" + "{}" + "</span>", ((format_html(p[0], *p[1:]),) for p in parts)
    )
    return format_html(
        '<div id="replayed-impact">{}<a class="text-primary-600 underline" href="{}">Open replay #{}</a></div>',
        lines,
        link,
        run.pk,
    )
