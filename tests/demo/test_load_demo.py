"""load_demo goes through the real import path, completes the feedback loop, and is idempotent."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from post_mortem.management.commands.load_demo import BRAVO_TEXT
from post_mortem.models import (
    AnalysisPattern,
    BatchStatus,
    Experiment,
    ImpactAssessment,
    ImplementationStatus,
    ImportBatch,
    ImprovementPlan,
    MarketBar,
    Recommendation,
    Trade,
    TradeAnalysis,
)
from post_mortem.selectors.feedback import experiment_results
from post_mortem.services.impact import SCHEDULE_NAME

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _run(*args: str) -> dict:
    out = io.StringIO()
    call_command("load_demo", "--json", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def _small_demo(tmp_path: Path, trades: int = 60, bars: int = 300) -> Path:
    """The head of the real demo files, so the test is quick but reads the committed data."""
    for name, keep in (("trades.csv", trades), ("bars.csv", bars)):
        lines = (ROOT / "fixtures" / "demo" / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (tmp_path / name).write_text("".join(lines[: keep + 1]), encoding="utf-8")
    return tmp_path


def test_full_demo_loads_once_and_is_unchanged_the_second_time():
    first = _run()
    rows = sum(1 for _ in csv.DictReader((ROOT / "fixtures/demo/trades.csv").open(encoding="utf-8")))
    assert first["trades"]["created"] == rows == Trade.objects.count()
    assert first["bars"]["created"] == MarketBar.objects.count() > 40_000
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows, batch.created, batch.file_name) == (
        BatchStatus.COMPLETED,
        rows,
        rows,
        "demo/trades.csv",
    )
    assert set(Trade.objects.values_list("account", flat=True).distinct()) == {
        "DESK-ALPHA",
        "DESK-BRAVO",
        "DESK-CHARLIE",
        "DESK-DELTA",
    }

    # The loop is complete for a first-time user: every trade analysed, patterns, a plan, the stories.
    counts = _counts()
    assert counts["analyses"] == rows
    assert counts["patterns"] > 30 and counts["plans"] == 1 and counts["experiments"] == 1
    assert counts["assessments"] == 1 and counts["impact_schedules"] == 1
    assert first["totals"] == {k: v for k, v in counts.items() if k in first["totals"]}

    second = _run()
    assert second["trades"] == {"rows": rows, "created": 0, "updated": 0, "unchanged": rows, "batch": batch.pk}
    assert second["bars"]["unchanged"] == first["bars"]["rows"]
    assert ImportBatch.objects.count() == 1
    assert Trade.objects.count() == rows
    assert _counts() == counts  # nothing added, nothing duplicated
    assert second["loop"]["analysed"] == second["loop"]["patterns_mined"] == 0
    assert not any(second["loop"][k] for k in ("plan_created", "bravo_created", "experiment_created"))
    assert second["loop"]["assessments_created"] == 0


def _counts() -> dict[str, int]:
    from django_q.models import Schedule

    return {
        "trades": Trade.objects.count(),
        "bars": MarketBar.objects.count(),
        "analyses": TradeAnalysis.objects.count(),
        "patterns": AnalysisPattern.objects.count(),
        "plans": ImprovementPlan.objects.count(),
        "recommendations": Recommendation.objects.count(),
        "assessments": ImpactAssessment.objects.count(),
        "experiments": Experiment.objects.count(),
        "history": Recommendation.history.count(),
        "schedules": Schedule.objects.count(),
        "impact_schedules": Schedule.objects.filter(name=SCHEDULE_NAME).count(),
    }


def test_demo_feedback_loop_reads_out_the_planted_answers():
    """With the default window and minimum sample, DESK-BRAVO's rule paid and the A/B treatment won."""
    _run("--no-bars")
    # Post-mortems of BRAVO's re-entries carry the same segment and scope: find the adopted rule by its text.
    bravo = Recommendation.objects.get(text=BRAVO_TEXT)
    assert bravo.segment == {"factor": "after_loss", "value": "true"}
    assert bravo.scope_accounts == ["DESK-BRAVO"]
    assert (bravo.implementation_status, bravo.implementation_date.isoformat()) == (
        ImplementationStatus.IMPLEMENTED,
        "2026-08-01",
    )
    assert bravo.plan is not None
    change = bravo.history.filter(implementation_status=ImplementationStatus.IMPLEMENTED).get()
    assert "2026-08-01" in change.history_change_reason

    assessment = bravo.assessments.get()
    assert assessment.window_days == 30 and assessment.n_before >= 30 and assessment.n_after >= 30
    assert assessment.significant
    assert 0 < assessment.ci_low < assessment.effect < assessment.ci_high
    assert assessment.q_value < 0.05
    assert assessment.roi_per_month > 0 and assessment.roi_ci_low > 0
    segment = assessment.details["segment"]
    assert segment["before"]["n"] >= 30 and segment["after"]["n"] == 0  # the rule removed the re-entries

    experiment = Experiment.objects.get()
    result = experiment_results(experiment=experiment)
    assert not result["interim"] and result["sufficient"]
    assert result["significant"]
    assert 0 < result["ci_low"] < result["difference"] < result["ci_high"]
    assert result["treatment"]["mean"] > result["control"]["mean"]
    assert result["p_value"] < 0.05


def test_stored_r_is_the_planted_r(tmp_path):
    _run("--dir", str(_small_demo(tmp_path)), "--import-only")
    for row in csv.DictReader((tmp_path / "trades.csv").open(encoding="utf-8")):
        trade = Trade.objects.get(account=row["account"], external_id=row["external_id"])
        if row["stop_price"]:
            entry, stop = float(row["entry_price"]), float(row["stop_price"])
            direction = 1 if row["side"] == "LONG" else -1
            net = (float(row["exit_price"]) - entry) * direction * float(row["quantity"]) - float(row["fees"])
            assert trade.r_multiple == pytest.approx(net / (abs(entry - stop) * float(row["quantity"])), abs=1e-5)
        else:
            assert trade.r_multiple is None
        assert trade.notes == row["notes"]


def test_changed_demo_file_updates_only_the_changed_trade(tmp_path):
    directory = _small_demo(tmp_path)
    _run("--dir", str(directory), "--import-only")
    text = (directory / "trades.csv").read_text(encoding="utf-8")
    first_row = text.splitlines()[1]
    changed = first_row.replace(first_row.split(",")[9], "9.99", 1)  # fees column
    (directory / "trades.csv").write_text(text.replace(first_row, changed), encoding="utf-8")
    result = _run("--dir", str(directory), "--no-bars", "--import-only")
    assert result["trades"]["updated"] == 1
    assert result["trades"]["unchanged"] == 59


def test_bad_demo_file_is_a_clear_error(tmp_path):
    from django.core.management.base import CommandError

    directory = _small_demo(tmp_path, trades=3)
    text = (directory / "trades.csv").read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace("LONG", "UP").replace("SHORT", "UP")
    (directory / "trades.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 3, side"):
        _run("--dir", str(directory))
    assert Trade.objects.count() == 0
