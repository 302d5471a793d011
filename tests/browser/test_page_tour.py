"""Every page ops staff and auditors use, at 1280 and 1440 px, over the demo desk.

Fails on a 4xx/5xx, a horizontal scrollbar (the page's or any scroll container's), a console
error, a chart whose axes show no values, or a stored code (snake_case) in the text people read.
Screenshots go to $PAGE_TOUR_SCREENSHOTS (a folder) when it is set, so a person can look at every
page after a change.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from post_mortem.models import (
    AnalysisPattern,
    Experiment,
    ImpactAssessment,
    ImportBatch,
    ImprovementPlan,
    JobRun,
    Recommendation,
    Trade,
    TradeAnalysis,
)
from post_mortem.services.impact import impact_run_start
from post_mortem.services.patterns import mining_run_start
from post_mortem.services.plans import plan_run_start

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (1280, 1440)
PASSWORD = "tour-pw-1234567"

# Scroll containers wider than their box, the document included; hidden ones do not count.
OVERFLOW_JS = """() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) out.push(`page ${doc.scrollWidth}px > ${doc.clientWidth}px`);
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX)) continue;
    if (!el.offsetParent && style.position !== 'fixed') continue;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
      out.push(`${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].slice(0, 3).join('.')} `
               + `${el.scrollWidth}px > ${el.clientWidth}px`);
    }
  }
  return out;
}"""

# A chart must have drawn x and y axes with tick values.
CHARTS_JS = """() => [...document.querySelectorAll('canvas.chart')].map((canvas, i) => {
  const chart = window.Chart && Chart.getChart(canvas);
  if (!chart) return `chart ${i}: not drawn`;
  if (['pie', 'doughnut'].includes(chart.config.type)) return '';
  for (const axis of ['x', 'y']) {
    const scale = chart.scales[axis];
    if (!scale || scale.options.display === false || scale.options.ticks.display === false || !scale.ticks.length)
      return `chart ${i}: no ${axis} axis values`;
  }
  return '';
}).filter(Boolean)"""


# Stored codes where people read: snake_case tokens in visible text. Code the reader types or
# copies (code/pre/kbd, form inputs, a select's options) and icon ligatures
# (`<span class="material-symbols-outlined">arrow_back</span>`) do not count; nor does an element
# marked `data-raw-code` (a field's stored value shown on purpose).
RAW_CODES_JS = """() => {
  const skip = 'script, style, code, pre, kbd, samp, textarea, select, input, '
             + '.material-symbols-outlined, [data-raw-code]';
  const found = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip)) continue;
    if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
    for (const m of node.textContent.matchAll(/\\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\\b/g)) {
      if (!found.has(m[0])) found.set(m[0], node.textContent.trim().slice(0, 80));
    }
  }
  return [...found.entries()].map(([code, where]) => `${code} in "${where}"`);
}"""
# Words that look like codes but are what people read (none yet: add one only with a reason).
RAW_CODE_ALLOWED: frozenset[str] = frozenset()

OPS_ONLY_URL_NAMES = (
    "trade_import",
    "experiment_add",
    "jobrun_what_if",
    "question_ask",
    "importlayout_import_file",
    "importlayout_propose_from_sample",
    "importlayout_new_from_sample",
)


def _tour_paths() -> list[str]:
    """Lists, detail pages and custom pages, each for the first (or a meaningful) object."""

    def change(model, obj) -> list[str]:
        if obj is None:
            return []
        return [reverse(f"admin:post_mortem_{model}_change", args=[obj.pk])]

    def changelist(model) -> str:
        return reverse(f"admin:post_mortem_{model}_changelist")

    trade = Trade.objects.order_by("-entry_time").first()
    charted = TradeAnalysis.objects.filter(facts__has_bars=True).order_by("-id").first()
    run_kinds = JobRun.objects.order_by("kind", "-id").distinct()
    runs: dict[str, JobRun] = {}
    for run in run_kinds:
        runs.setdefault(run.kind, run)
    paths = [
        reverse("admin:index"),
        changelist("trade"),
        changelist("trade") + f"?account__exact={trade.account}",
        *change("trade", trade),
        changelist("importbatch"),
        *change("importbatch", ImportBatch.objects.order_by("id").first()),
        changelist("marketbar"),
        changelist("tradeanalysis"),
        *change("tradeanalysis", charted or TradeAnalysis.objects.first()),
        changelist("analysispattern"),
        *change("analysispattern", AnalysisPattern.objects.filter(significant=True).first()),
        changelist("improvementplan"),
        *change("improvementplan", ImprovementPlan.objects.first()),
        changelist("recommendation"),
        *change("recommendation", Recommendation.objects.order_by("-id").first()),
        reverse("admin:post_mortem_recommendation_prioritisation"),
        changelist("historicalrecommendation"),
        changelist("impactassessment"),
        *change("impactassessment", ImpactAssessment.objects.first()),
        changelist("experiment"),
        *change("experiment", Experiment.objects.first()),
        changelist("jobrun"),
        *[path for run in runs.values() for path in change("jobrun", run)],
        changelist("importlayout"),
    ]
    # Ops only (import needs add_trade, a new experiment add_experiment; what-if and ask start runs).
    paths += [reverse(f"admin:post_mortem_{name}") for name in OPS_ONLY_URL_NAMES]
    rec = Recommendation.objects.order_by("-id").first()
    if rec is not None:
        paths.append(reverse("admin:post_mortem_recommendation_history", args=[rec.pk]))
    return paths


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    form = page.locator("form#login-form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")


def test_every_ops_and_auditor_page_at_1280_and_1440(browser, live_server):
    call_command("load_demo", verbosity=0)
    # Runs of every kind, so each run page (and its links to what it produced) is walked too.
    mining_run_start()
    plan_run_start()
    impact_run_start()
    for name, group in (("tour-ops", "Ops"), ("tour-auditor", "Auditor")):
        user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
    paths = _tour_paths()
    ops_only = {reverse(f"admin:post_mortem_{name}") for name in OPS_ONLY_URL_NAMES}
    shots = Path(os.environ["PAGE_TOUR_SCREENSHOTS"]) if os.environ.get("PAGE_TOUR_SCREENSHOTS") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    charts_seen = 0
    for username in ("tour-ops", "tour-auditor"):
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
            context.set_default_timeout(30_000)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda msg, errors=errors: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            _login(page, live_server.url, username)
            for path in paths:
                if username != "tour-ops" and path in ops_only:
                    continue
                errors.clear()
                response = page.goto(live_server.url + path)
                page.wait_for_load_state("networkidle")
                where = f"{username} {width}px {path}"
                if response is None or response.status >= 400:
                    problems.append(f"{where}: HTTP {response.status if response else 'no response'}")
                    continue
                problems += [f"{where}: overflow {o}" for o in page.evaluate(OVERFLOW_JS)]
                problems += [f"{where}: {c}" for c in page.evaluate(CHARTS_JS)]
                problems += [
                    f"{where}: raw code {code}"
                    for code in page.evaluate(RAW_CODES_JS)
                    if code.split(" ", 1)[0] not in RAW_CODE_ALLOWED
                ]
                charts_seen += page.locator("canvas.chart").count()
                problems += [f"{where}: console error {e}" for e in errors]
                if shots:
                    name = re.sub(r"[^a-z0-9]+", "_", f"{username}_{width}_{path}".lower()).strip("_")[:120]
                    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            context.close()
    assert charts_seen > 0  # the tour really looked at charts (dashboard, post-mortem, patterns ...)
    assert not problems, "\n".join(problems)
