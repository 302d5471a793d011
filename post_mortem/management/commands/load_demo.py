"""Load the demo desk (fixtures/demo/*.csv) and run the whole loop over it, once.

Why through `trades_import` / `bars_import` and not fixtures: the demo then exercises the real
validation, creates a real ImportBatch (so rollback and the batch list have something to show),
and re-running it is exactly the idempotency a user relies on: the second run reports every row
unchanged and writes no new batch.

Then, so a first-time user opens a complete desk rather than an empty feedback loop, it does what
an operator would do, through the same services the admin uses, each step only when its result is
missing: analyse every trade without an analysis (rules engine, inline), mine the whole period,
build an improvement plan, record the DESK-BRAVO story (a recommendation implemented on
2026-08-01, with a history reason), pre-register the A/B experiment, measure impact, and create
the daily impact schedule. A second run finds everything in place and changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import time
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

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
    RecommendationSource,
    Trade,
    TradeAnalysis,
)
from post_mortem.selectors.patterns import patterns_for_period
from post_mortem.services.analyses import analysis_run_sync
from post_mortem.services.experiments import experiment_create
from post_mortem.services.impact import impact_measure, impact_schedule_ensure
from post_mortem.services.imports import bars_import, trades_import
from post_mortem.services.patterns import patterns_mine
from post_mortem.services.plans import plan_build
from post_mortem.services.recommendations import recommendation_set_status

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"
TRADES_FILE = "trades.csv"
BARS_FILE = "bars.csv"

# The feedback-loop stories of fixtures/README.md (planted by fixtures/generate_demo.py).
BRAVO_ACCOUNT = "DESK-BRAVO"
BRAVO_SEGMENT = {"factor": "after_loss", "value": "true"}
BRAVO_TEXT = "DESK-BRAVO: no re-entry within 30 minutes of a losing exit"
BRAVO_DATE = dt.date(2026, 8, 1)
BRAVO_REASON = "Demo desk: DESK-BRAVO adopted the no-revenge-trade rule from the improvement plan on 2026-08-01."
AB_NAME = "Half size after a loss: DESK-CHARLIE vs DESK-DELTA"
AB_HYPOTHESIS = (
    "Trading the next position at half size after a loss (DESK-CHARLIE, trades tagged "
    "half-size-after-loss) raises expectancy against an unchanged desk (DESK-DELTA)."
)


class Command(BaseCommand):
    help = (
        "Load the demo desk (about 2,600 trades over a year, 4 accounts, bars), analyze, mine, plan, and set up "
        "the feedback-loop stories (DESK-BRAVO's rule, the A/B experiment, impact). Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", type=Path, default=DEMO_DIR, help="directory holding trades.csv and bars.csv")
        parser.add_argument("--no-bars", action="store_true", help="skip the OHLCV bars")
        parser.add_argument("--json", action="store_true", help="print one JSON summary as the last line")

        parser.add_argument(
            "--import-only", action="store_true", help="only import the files (no analysis, mining, plan, stories)"
        )

    def handle(self, *args, **options) -> None:
        directory: Path = options["dir"]
        started = time.monotonic()
        summary: dict = {"trades": self._load_trades(directory / TRADES_FILE)}
        if not options["no_bars"]:
            summary["bars"] = self._load_bars(directory / BARS_FILE)
        if not options["import_only"]:
            summary["loop"] = self._complete_the_desk()
        summary["totals"] = {
            "trades": Trade.objects.count(),
            "bars": MarketBar.objects.count(),
            "analyses": TradeAnalysis.objects.count(),
            "patterns": AnalysisPattern.objects.count(),
            "plans": ImprovementPlan.objects.count(),
            "recommendations": Recommendation.objects.count(),
            "assessments": ImpactAssessment.objects.count(),
            "experiments": Experiment.objects.count(),
        }
        summary["seconds"] = round(time.monotonic() - started, 2)
        self.stdout.write(
            "demo desk: " + ", ".join(f"{v:,} {k}" for k, v in summary["totals"].items()) + f" ({summary['seconds']} s)"
        )
        if options["json"]:
            self.stdout.write(json.dumps(summary))

    # --- the feedback loop over the demo desk -------------------------------------------------

    def _complete_the_desk(self) -> dict:
        """Each step runs only when what it produces is missing, so a second run writes nothing."""
        out: dict = {}
        missing = Trade.objects.filter(analysis__isnull=True)
        if missing.exists():
            run = analysis_run_sync(queryset=missing, engine="rules")
            out["analysed"] = run.succeeded
            self.stdout.write(self.style.SUCCESS(f"analyzed {run.succeeded} trades (rules engine, run #{run.pk})"))
        else:
            out["analysed"] = 0
        if not patterns_for_period(period_start=None, period_end=None).exists():
            mined = patterns_mine()
            significant = sum(1 for p in mined.patterns if p.significant)
            out["patterns_mined"] = len(mined.patterns)
            self.stdout.write(
                self.style.SUCCESS(f"mined {len(mined.patterns)} segments over all trades, {significant} significant")
            )
        else:
            out["patterns_mined"] = 0
        plan = ImprovementPlan.objects.order_by("-created_at", "-pk").first()
        out["plan_created"] = False
        if plan is None:
            try:
                plan = plan_build(period_start=None, period_end=None, use_latest_period=False)
            except ValidationError as exc:  # a cut-down desk (--dir) may have nothing significant
                self.stdout.write(self.style.WARNING(f"no improvement plan: {'; '.join(exc.messages)}"))
            else:
                self.stdout.write(self.style.SUCCESS(f"built improvement plan #{plan.pk}: {plan.title}"))
                out["plan_created"] = True
        out["plan"] = plan.pk if plan else None
        bravo, created = self._bravo_story(plan)
        out["bravo_recommendation"] = bravo.pk
        out["bravo_created"] = created
        experiment, created = self._ab_experiment()
        out["experiment"] = experiment.pk
        out["experiment_created"] = created
        implemented = list(
            Recommendation.objects.filter(
                implementation_status=ImplementationStatus.IMPLEMENTED, implementation_date__isnull=False
            ).order_by("pk")
        )
        unmeasured = [r for r in implemented if not r.assessments.exists()]
        if unmeasured:
            assessments = impact_measure(recommendations=implemented)
            out["assessments_created"] = len(assessments)
        else:
            out["assessments_created"] = 0
        latest = bravo.assessments.order_by("-measured_at", "-pk").first()
        if latest is not None:
            out["bravo_impact"] = {
                "effect": latest.effect,
                "ci": [latest.ci_low, latest.ci_high],
                "p_value": latest.p_value,
                "q_value": latest.q_value,
                "significant": latest.significant,
                "roi_per_month": latest.roi_per_month,
            }
            self.stdout.write(
                f"DESK-BRAVO rule impact: {latest.effect:+.2f}R per trade "
                f"[{latest.ci_low:+.2f}, {latest.ci_high:+.2f}], q={latest.q_value:.3g}, "
                f"{'significant' if latest.significant else 'not significant'}, "
                f"ROI {latest.roi_per_month:+,.0f} $/month"
                if latest.effect is not None
                else f"DESK-BRAVO rule impact: {latest.message}"
            )
        schedule, created = impact_schedule_ensure()
        out["schedule"] = schedule.pk
        out["schedule_created"] = created
        return out

    def _bravo_story(self, plan: ImprovementPlan | None) -> tuple[Recommendation, bool]:
        """The plan's after-loss rule, adopted by DESK-BRAVO alone on 2026-08-01 (audited change)."""
        rec = Recommendation.objects.filter(text=BRAVO_TEXT).order_by("pk").first()
        created = rec is None
        if created:
            template = plan.recommendations.filter(segment__factor="after_loss").first() if plan else None
            rec = Recommendation(
                text=BRAVO_TEXT,
                area=template.area if template else "Discipline",
                type_code=template.type_code if template else "avoid_after_loss",
                expected_impact=template.expected_impact if template else "",
                expected_impact_r=template.expected_impact_r if template else None,
                segment=dict(BRAVO_SEGMENT),
                scope_accounts=[BRAVO_ACCOUNT],
                evidence=template.evidence if template else {},
                source=RecommendationSource.PLAN if plan else RecommendationSource.MANUAL,
                plan=plan,
                pattern=template.pattern if template else None,
                implementation_status=ImplementationStatus.PENDING,
            )
            rec.full_clean()
            rec.save()
        if rec.implementation_status != ImplementationStatus.IMPLEMENTED or rec.implementation_date != BRAVO_DATE:
            admin = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
            rec = recommendation_set_status(
                recommendation=rec,
                status=ImplementationStatus.IMPLEMENTED,
                implementation_date=BRAVO_DATE,
                reason=BRAVO_REASON,
                user=admin,
            )
            done = f"recommendation #{rec.pk} ({BRAVO_TEXT}) implemented on {BRAVO_DATE}"
            self.stdout.write(self.style.SUCCESS(done))
        return rec, created

    def _ab_experiment(self) -> tuple[Experiment, bool]:
        """Pre-registered before it starts: metric, groups, dates and minimum sample are fixed."""
        experiment = Experiment.objects.filter(name=AB_NAME).order_by("pk").first()
        if experiment is not None:
            return experiment, False
        experiment = experiment_create(
            name=AB_NAME,
            hypothesis=AB_HYPOTHESIS,
            metric="r_multiple",
            treatment={"account": ["DESK-CHARLIE"]},
            control={"account": ["DESK-DELTA"]},
            start=dt.date(2026, 9, 1),
            end=dt.date(2026, 11, 15),
            min_sample=30,
        )
        self.stdout.write(self.style.SUCCESS(f"registered A/B experiment #{experiment.pk}: {AB_NAME}"))
        return experiment, True

    def _load_trades(self, path: Path) -> dict:
        data = _read(path)
        file_name = f"demo/{path.name}"
        # A file already imported whole (same bytes, batch not rolled back) whose trades are all
        # still there is skipped: re-importing it would change nothing but add an empty batch.
        loaded = ImportBatch.objects.filter(
            file_hash=hashlib.sha256(data).hexdigest(), status=BatchStatus.COMPLETED, rolled_back_at__isnull=True
        ).first()
        if loaded is not None and Trade.objects.filter(import_batch__file_hash=loaded.file_hash).count() >= loaded.rows:
            self.stdout.write(f"demo trades: unchanged ({loaded.rows} rows already imported by batch #{loaded.pk})")
            return {"rows": loaded.rows, "created": 0, "updated": 0, "unchanged": loaded.rows, "batch": loaded.pk}
        result = trades_import(source=data, file_name=file_name, tz_name=settings.DESK_TIMEZONE)
        if result.errors:
            lines = "\n".join(f"  line {e.line}, {e.field}: {e.message}" for e in result.errors[:20])
            raise CommandError(f"{file_name} was rejected ({len(result.errors)} bad rows):\n{lines}")
        self.stdout.write(
            self.style.SUCCESS(
                f"demo trades: {result.rows} rows, {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged (batch #{result.batch_id})"
            )
        )
        return {
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "batch": result.batch_id,
        }

    def _load_bars(self, path: Path) -> dict:
        data = _read(path)
        rows = _bars_unchanged(data)
        if rows is not None:
            self.stdout.write(f"demo bars: unchanged ({rows} rows already loaded)")
            return {"rows": rows, "created": 0, "updated": 0, "unchanged": rows}
        result = bars_import(source=data, file_name=f"demo/{path.name}")
        if result.errors:
            lines = "\n".join(f"  line {e.line}, {e.field}: {e.message}" for e in result.errors[:20])
            raise CommandError(f"demo/{path.name} was rejected ({len(result.errors)} bad rows):\n{lines}")
        self.stdout.write(
            self.style.SUCCESS(f"demo bars: {result.rows} rows, {result.created} created, {result.updated} updated")
        )
        return {"rows": result.rows, "created": result.created, "updated": result.updated}


def _bars_unchanged(data: bytes) -> int | None:
    """Row count when every bar of the file is already stored with the same values, else None.

    The bar upsert cannot tell "rewritten with the same values" from "updated", so the command
    compares first: one indexed range query per symbol, no writes.
    """
    wanted: dict[tuple[str, str], tuple[float, ...]] = {}
    for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
        key = (row["symbol"].strip().upper(), row["timestamp"].strip())
        wanted[key] = tuple(float(row[c]) for c in ("open", "high", "low", "close", "volume"))
    if not wanted:
        return None
    stamps = sorted(parse_datetime(ts) for _, ts in wanted)
    stored = MarketBar.objects.filter(
        symbol__in={s for s, _ in wanted}, timestamp__gte=stamps[0], timestamp__lte=stamps[-1]
    ).values_list("symbol", "timestamp", "open", "high", "low", "close", "volume")
    have = {(s, ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")): tuple(v) for s, ts, *v in stored}
    for key, values in wanted.items():
        found = have.get(key)
        if found is None or any(abs(a - b) > 1e-9 for a, b in zip(found, values, strict=True)):
            return None
    return len(wanted)


def _read(path: Path) -> bytes:
    if not path.exists():
        raise CommandError(f"{path} is missing; regenerate it with: python fixtures/generate_demo.py")
    return path.read_bytes()
