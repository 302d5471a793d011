"""How Ask results look in the admin: numbers formatted, each linked to the trades or row it came from.

Links: a selection becomes the trade changelist filtered by what the list can express (accounts,
symbols, setups, side, period); the rest (exclusions, tags, mining segments) becomes an id list
when the selection is small enough for a URL, otherwise the link says the segment is not applied.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from post_mortem.ask import links, tracing
from post_mortem.ask.tools import Selection, ToolBox
from post_mortem.mining.segments import NO_SETUP
from post_mortem.models import Question
from post_mortem.selectors.ask import question_thread
from post_mortem.selectors.patterns import desk_day_start

ROW_LINKS = {
    "pattern": "analysispattern",
    "recommendation": "recommendation",
    "plan": "improvementplan",
    "run": "jobrun",
}


class Linker:
    """Builds links for one page. Id lists come from those stored with the tool calls, else from
    `box` (the page's own ToolBox, when it already read the desk), else the desk is read once."""

    def __init__(self, *, box: ToolBox | None = None, stored: dict[str, list[int] | None] | None = None) -> None:
        self._box = box
        self._stored = stored or {}

    def _ids(self, parsed: Selection, sel: dict[str, Any], minus: dict[str, Any] | None) -> list[int] | None:
        key = links.key_of(sel, minus)
        if key in self._stored:
            return self._stored[key]
        if self._box is None:
            self._box = ToolBox()
        return links.selection_ids(self._box, parsed, minus)

    def selection_url(
        self, selection: dict[str, Any], group: dict[str, Any] | None = None, minus: dict[str, Any] | None = None
    ) -> tuple[str, bool]:
        """(changelist URL, complete?) for a selection as echoed in a tool result, narrowed to a group,
        less the trades of `minus` (a comparison counts shared trades in A only)."""
        sel = links.narrowed(selection, group)
        parsed = Selection.model_validate(sel)
        params: dict[str, str] = {}
        needs_ids = links.needs_ids(parsed, minus)
        for field, column in (("accounts", "account"), ("symbols", "symbol"), ("setups", "setup"), ("sides", "side")):
            values = getattr(parsed, field)
            if NO_SETUP in values:
                continue
            if len(values) == 1:
                params[f"{column}__exact"] = values[0]
            elif values:
                params[f"{column}__in"] = ",".join(values)
        if parsed.since:
            params["entry_time__gte"] = desk_day_start(parsed.since).isoformat()
        if parsed.until:
            params["entry_time__lt"] = desk_day_start(parsed.until + dt.timedelta(days=1)).isoformat()
        complete = True
        if needs_ids:
            ids = self._ids(parsed, sel, minus)
            if ids is None:
                complete = False
            else:
                params = {"id__in": ",".join(map(str, ids)) or "0"}
        return f"{reverse('admin:post_mortem_trade_changelist')}?{urlencode(params)}", complete

    def anchor_url(self, anchor: dict[str, Any] | None) -> str | None:
        if not anchor:
            return None
        if anchor.get("kind") == "selection":
            return self.selection_url(anchor["selection"], anchor.get("group"), anchor.get("minus"))[0]
        model = ROW_LINKS.get(anchor.get("kind", ""))
        return reverse(f"admin:post_mortem_{model}_change", args=[anchor["id"]]) if model else None


def linked_answer(question: Question, linker: Linker) -> SafeString:
    """The answer, escaped, with every traced number a link to the trades or row it came from."""
    text = question.answer
    if not text:
        return mark_safe("")
    sources = tracing.sources_of(question.tool_calls, question_texts=(question.text,))
    for earlier in question_thread(question)[:-1]:
        sources.extend(tracing.sources_of(earlier.tool_calls, question_id=earlier.pk))
    traced = tracing.trace(text, sources)
    parts: list[str] = []
    pos = 0
    for number in traced.numbers:
        parts.append(escape(text[pos : number.start]))
        url = linker.anchor_url(number.anchor)
        call = f"tool call {number.tool_call + 1}" + (
            f" of question #{number.question_id}" if number.question_id else ""
        )
        if url:
            parts.append(format_html('<a href="{}" class="ask-number" title="From {}">{}</a>', url, call, number.value))
        else:
            parts.append(format_html('<span class="ask-number" title="From {}">{}</span>', call, number.value))
        pos = number.end
    parts.append(escape(text[pos:]))
    return mark_safe("".join(str(p) for p in parts).replace("\n", "<br>"))  # every part escaped above


# --- tool results as cards ------------------------------------------------------------------------


def money(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def r_value(value: float | None) -> str:
    return "–" if value is None else f"{value:+.3f} R"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def ci(pair: list | None) -> str:
    if not pair or pair[0] is None or pair[1] is None:
        return "–"
    return f"[{pair[0]:+.3f}, {pair[1]:+.3f}]"


def p_value(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def _selection_label(selection: dict[str, Any]) -> str:
    if not selection:
        return "All trades"
    parts = []
    for key, value in selection.items():
        if key == "segments":
            parts.extend(f"{s['factor']}={s['value']}" for s in value)
        elif key in ("time_from", "time_to"):
            parts.append(f"{'entered from' if key == 'time_from' else 'entered before'} {str(value)[:5]}")
        elif isinstance(value, list):
            parts.append(f"{key.replace('_', ' ')}: {', '.join(value)}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _stats_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Trades", f"{result['n']:,}"),
        ("With a stop (R known)", f"{result['n_with_r']:,}"),
        ("Expectancy", r_value(result.get("expectancy_r"))),
        *([("95% CI", ci(result["expectancy_ci_95"]))] if "expectancy_ci_95" in result else []),
        ("Win rate", pct(result.get("win_rate"))),
        ("Net P&L", money(result.get("net_pnl"))),
        ("Avg P&L per trade", money(result.get("avg_pnl"))),
    ]


def result_card(name: str, call_input: Any, result: dict[str, Any], linker: Linker) -> dict[str, Any]:
    """A display structure for one tool result (the template renders any of them the same way)."""
    card: dict[str, Any] = {"name": name, "input_json": json.dumps(call_input, indent=1), "sections": []}
    if "error" in result:
        card["error"] = result["error"]
        return card
    if name == "trade_stats":
        url, complete = linker.selection_url(result["selection"])
        section = {
            "title": _selection_label(result["selection"]),
            "url": url,
            "complete": complete,
            "stats": _stats_rows(result),
            "note": result.get("note"),
        }
        card["sections"].append(section)
        if result.get("groups"):
            rows = []
            for g in result["groups"]:
                g_url, _ = linker.selection_url(result["selection"], g["group"])
                rows.append(
                    {
                        "label": g["group"]["value"],
                        "url": g_url,
                        "cells": [f"{g['n']:,}", r_value(g["expectancy_r"]), pct(g["win_rate"]), money(g["net_pnl"])],
                        "note": g.get("note"),
                    }
                )
            card["table"] = {
                "title": f"By {result['group_by']} ({result['groups_total']} groups, worst net P&L first)",
                "headers": [result["group_by"], "Trades", "Expectancy", "Win rate", "Net P&L"],
                "rows": rows,
            }
    elif name == "compare_selections":
        for key in ("a", "b"):
            side = result[key]
            url, complete = linker.selection_url(side["selection"], minus=side.get("minus_selection"))
            card["sections"].append(
                {
                    "title": f"{key.upper()}: {_selection_label(side['selection'])}"
                    + (" (without A's trades)" if side.get("minus_selection") else ""),
                    "url": url,
                    "complete": complete,
                    "stats": _stats_rows(side),
                    "note": side.get("note"),
                }
            )
        if "difference_r" in result:
            card["sections"].append(
                {
                    "title": "A - B (the miner's test)",
                    "stats": [
                        ("Difference, same-day basis", r_value(result["difference_r"])),
                        ("95% CI", ci(result["difference_ci_95"])),
                        ("p", p_value(result["p_value"])),
                        ("Method", result["method"]),
                        ("Plain difference in means", r_value(result["difference_in_means_r"])),
                        ("Fisher p (win rate)", p_value(result["fisher_p_win_rate"])),
                        (
                            f"Bonferroni p ({result['comparisons_in_conversation']} comparisons)",
                            p_value(result["p_bonferroni"]),
                        ),
                        ("Significant", "yes" if result["significant"] else "no"),
                    ],
                    "note": ". ".join(filter(None, [result.get("note"), result.get("overlap_note")])) or None,
                }
            )
        elif result.get("note"):
            card["sections"].append({"title": "A - B", "stats": [], "note": result["note"]})
    elif name == "what_if":
        run_url = linker.anchor_url({"kind": "run", "id": result["run_id"]})
        for title, side in (("Actual", result.get("actual")), ("What-if", result.get("what_if"))):
            if side:
                card["sections"].append(
                    {
                        "title": f"{title} (what-if run #{result['run_id']})",
                        "url": run_url,
                        "complete": True,
                        "stats": [
                            ("Trades kept", f"{side['trades']:,}"),
                            ("Expectancy", r_value(side.get("expectancy_r"))),
                            ("Win rate", pct(side.get("win_rate"))),
                            ("Net P&L", money(side.get("net_pnl"))),
                            ("Max drawdown", money(side.get("max_drawdown"))),
                        ],
                    }
                )
        diff = result.get("difference") or {}
        if diff:
            card["sections"].append(
                {
                    "title": f"What-if - actual (bootstrap over {diff.get('resampled', 'day')}s)",
                    "stats": [
                        ("Expectancy", r_value(diff.get("expectancy_r"))),
                        ("95% CI", ci([diff.get("ci_low"), diff.get("ci_high")])),
                        ("p", p_value(diff.get("p_value"))),
                        ("Net P&L per month", money(diff.get("net_pnl_per_month"))),
                        ("Significant", "yes" if diff.get("significant") else "no"),
                    ],
                }
            )
        if result.get("run_error"):
            card["error"] = result["run_error"]
    else:
        key, columns = {
            "list_patterns": ("patterns", ["segment", "n", "effect_r", "effect_ci_95", "q_value", "dollars_at_stake"]),
            "list_recommendations": (
                "recommendations",
                ["text", "status", "implementation_date", "expected_impact_r", "measured_effect_r", "roi_per_month"],
            ),
            "list_plans": ("plans", ["title", "period", "focus_areas", "recommendation_ids"]),
        }[name]
        kind = {"patterns": "pattern", "recommendations": "recommendation", "plans": "plan"}[key]
        rows = []
        for row in result.get(key, []):
            rows.append(
                {
                    "label": f"#{row[f'{kind}_id']}" + (f" {row['factor']}" if kind == "pattern" else ""),
                    "url": linker.anchor_url({"kind": kind, "id": row[f"{kind}_id"]}),
                    "cells": [_cell(column, row.get(column)) for column in columns],
                }
            )
        card["table"] = {
            "title": key.capitalize(),
            "headers": ["", *[c.replace("_", " ") for c in columns]],
            "rows": rows,
        }
    return card


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "–"
    if column in {"dollars_at_stake", "roi_per_month"}:
        return money(value)
    if column.endswith("_ci_95"):
        return ci(value)
    if column.endswith("_r"):
        return r_value(value)
    if column == "q_value":
        return p_value(value)
    if isinstance(value, list):
        return ", ".join("–" if v is None else str(v) for v in value)
    return str(value)[:120]
