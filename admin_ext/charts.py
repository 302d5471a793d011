"""Chart.js payloads for the admin pages: the domain's selectors return numbers, this module
draws them (labels in desk time, colors, point styles, axes with values and titles, legends).

unfold's default chart options hide the y axis values and the legend and give line datasets
`pointStyle: false` (no point markers at all), so every chart here passes its own options.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from admin_ext.formatting import desk_zone

PRIMARY = "#9333ea"
TREATMENT = "#9333ea"
CONTROL = "#64748b"
GAIN = "#16a34a"
LOSS = "#dc2626"
GRID = "rgba(128,128,128,0.15)"


def line_options(*, y_title: str, x_title: str = "", legend: bool = True, max_x_ticks: int = 10) -> str:
    """Options with both axes showing values (and titles), a legend, and tooltips per x."""
    return json.dumps(
        {
            "animation": False,
            "responsive": True,
            "maintainAspectRatio": False,
            "interaction": {"mode": "nearest", "axis": "x", "intersect": False},
            "plugins": {
                "legend": {
                    "display": legend,
                    "position": "top",
                    "align": "end",
                    "labels": {"usePointStyle": True, "boxWidth": 8, "boxHeight": 8},
                },
                "tooltip": {"enabled": True},
            },
            "scales": {
                "x": {
                    "display": True,
                    "grid": {"display": False},
                    "ticks": {"display": True, "maxTicksLimit": max_x_ticks, "maxRotation": 0, "autoSkip": True},
                    "title": {"display": bool(x_title), "text": x_title},
                },
                "y": {
                    "display": True,
                    "grid": {"color": GRID},
                    "ticks": {"display": True, "maxTicksLimit": 7},
                    "title": {"display": True, "text": y_title},
                },
            },
        }
    )


def _desk_label(iso: str, with_date: bool) -> str:
    moment = dt.datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(desk_zone())
    return local.strftime("%m-%d %H:%M" if with_date else "%H:%M")


def price_chart(bars: dict[str, Any] | None) -> dict[str, str] | None:
    """Close price around a trade with the entry (green dot) and exit (red diamond) marked, and
    the stop/target as dashed lines when the trade had them. x labels are desk time."""
    if not bars:
        return None
    n = len(bars["times"])
    days = {dt.datetime.fromisoformat(moment).astimezone(desk_zone()).date() for moment in bars["times"]}
    labels = [_desk_label(moment, with_date=len(days) > 1) for moment in bars["times"]]
    entries: list[float | None] = [None] * n
    entries[bars["entry_index"]] = bars["entry_price"]
    exits: list[float | None] = [None] * n
    exits[bars["exit_index"]] = bars["exit_price"]
    marker = {"showLine": False, "pointRadius": 7, "pointHoverRadius": 9, "pointBorderWidth": 1}
    datasets: list[dict[str, Any]] = [
        {"label": "Close", "data": bars["close"], "borderColor": PRIMARY, "pointRadius": 0, "pointStyle": "circle",
         "borderWidth": 2},
        {"label": "Entry", "data": entries, "borderColor": GAIN, "backgroundColor": GAIN, "pointStyle": "circle",
         **marker},
        {"label": "Exit", "data": exits, "borderColor": LOSS, "backgroundColor": LOSS, "pointStyle": "rectRot",
         **marker},
    ]  # fmt: skip
    for key, label, color in (("stop_price", "Stop", LOSS), ("target_price", "Target", GAIN)):
        if bars.get(key) is not None:
            datasets.append(
                {"label": label, "data": [bars[key]] * n, "borderColor": color, "borderDash": [6, 4],
                 "borderWidth": 1, "pointRadius": 0, "pointStyle": "line"}
            )  # fmt: skip
    return {
        "data": json.dumps({"labels": labels, "datasets": datasets}),
        "options": line_options(y_title="Price", x_title=f"Time ({desk_zone().key})", max_x_ticks=12),
    }


def expectancy_chart(data: dict[str, Any]) -> dict[str, str] | None:
    """Rolling expectancy per day with implementation dates marked (desk-wide), from the numbers
    of ``selectors.feedback.rolling_expectancy``."""
    if not data.get("days"):
        return None
    datasets = [
        {"label": f"Expectancy, trailing {data['window_days']} days (R)", "data": data["expectancy"],
         "borderColor": PRIMARY, "backgroundColor": PRIMARY, "pointStyle": "circle", "pointRadius": 0,
         "spanGaps": True},
        {"label": "Implementation date", "data": data["implementation_marks"], "showLine": False,
         "pointStyle": "triangle", "pointRadius": 8, "borderColor": GAIN, "backgroundColor": GAIN},
    ]  # fmt: skip
    return {
        "data": json.dumps({"labels": data["days"], "datasets": datasets}),
        "options": line_options(y_title="Mean R per trade", x_title="Day"),
    }


def experiment_chart(daily: dict[str, Any], metric_label: str) -> dict[str, str] | None:
    """Running mean of the experiment's metric, treatment vs control, each its own color, from
    the ``daily`` numbers of ``selectors.feedback.experiment_results``."""
    if not daily or not daily.get("days"):
        return None
    datasets = [
        {"label": f"{name} (running mean)", "data": daily[key], "borderColor": color, "backgroundColor": color,
         "pointStyle": "circle", "pointRadius": 0, "borderWidth": 2, "spanGaps": True}
        for name, key, color in (("Treatment", "treatment", TREATMENT), ("Control", "control", CONTROL))
    ]  # fmt: skip
    return {
        "data": json.dumps({"labels": daily["days"], "datasets": datasets}),
        "options": line_options(y_title=metric_label, x_title="Day"),
    }
