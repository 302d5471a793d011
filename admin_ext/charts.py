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
    n = len(bars["labels"])
    days = {dt.datetime.fromisoformat(label).astimezone(desk_zone()).date() for label in bars["labels"]}
    labels = [_desk_label(label, with_date=len(days) > 1) for label in bars["labels"]]
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
    """Rolling expectancy per day with implementation dates marked (desk-wide)."""
    if not data.get("labels"):
        return None
    datasets = []
    for dataset in data["datasets"]:
        styled = dict(dataset)
        if dataset.get("showLine") is False:  # the implementation-date markers
            styled.update(pointStyle="triangle", pointRadius=8, borderColor=GAIN, backgroundColor=GAIN)
        else:
            styled.update(borderColor=PRIMARY, pointStyle="circle", pointRadius=0)
        datasets.append(styled)
    return {
        "data": json.dumps({"labels": data["labels"], "datasets": datasets}),
        "options": line_options(y_title="Mean R per trade", x_title="Day"),
    }


def experiment_chart(chart: dict[str, Any], metric_label: str) -> dict[str, str] | None:
    """Running mean of the experiment's metric, treatment vs control, each its own color."""
    if not chart or not chart.get("labels"):
        return None
    colors = {0: TREATMENT, 1: CONTROL}
    datasets = []
    for i, dataset in enumerate(chart["datasets"]):
        styled = dict(dataset)
        styled.update(borderColor=colors.get(i, CONTROL), backgroundColor=colors.get(i, CONTROL),
                      pointStyle="circle", pointRadius=0, borderWidth=2)  # fmt: skip
        datasets.append(styled)
    return {
        "data": json.dumps({"labels": chart["labels"], "datasets": datasets}),
        "options": line_options(y_title=metric_label, x_title="Day"),
    }
