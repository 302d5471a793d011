"""The API does what its OpenAPI schema says: schemathesis, every check, stateful links, 0 failures.

A live server (pytest-django's, on a random port) serves the API over a small desk: real post-mortems
from the rules engine, factory rows with the nullable fields left empty (scheduled runs and plans have
no `created_by`), an experiment, an impact assessment and a question. The schemathesis CLI then
fetches `/api/schema/` and runs every phase (examples, coverage, fuzzing, stateful with the links it
infers) with `--checks all` against every operation the schema lists, so endpoints added later are
covered without touching this test. Seeded, so a failure reproduces; bounded to finish in a few minutes.

The one convention configured (tests/api/contract/schemathesis.toml): a schema-valid request that a
business rule refuses is a 422, documented on every write.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from knox.models import AuthToken

from post_mortem.api.throttling import WriteRateThrottle
from post_mortem.models import ImpactAssessment, Question, QuestionStatus
from post_mortem.services.analyses import analysis_run_start
from post_mortem.services.experiments import experiment_create
from tests.factories import (
    AnalysisPatternFactory,
    ImprovementPlanFactory,
    JobRunFactory,
    RecommendationFactory,
    TradeAnalysisFactory,
    TradeFactory,
)

CONFIG = Path(__file__).parent / "contract" / "schemathesis.toml"
SEED = 20261130
MAX_EXAMPLES = 8


def _desk(user: User) -> None:
    """A few of every row the API lists, some with their optional fields empty."""
    trades = [
        TradeFactory(account=account, symbol=symbol, side=side, setup=setup, tags=tags)
        for account, symbol, side, setup, tags in [
            ("DESK-A", "AAPL", "LONG", "breakout", "gap;news"),
            ("DESK-A", "MSFT", "SHORT", "fade", ""),
            ("DESK-B", "ES", "LONG", "", "after_loss"),
            ("DESK-B", "NQ", "SHORT", "pullback", "news"),
        ]
    ]
    TradeFactory(account="DESK-C", stop_price=None, target_price=None, setup="", notes="no stop, no target")
    TradeFactory(
        account="DESK-C",
        symbol="SPY 261218C00450000",
        option_type="CALL",
        strike=450,
        expiry=dt.date(2026, 12, 18),
        underlying="SPY",
        multiplier=100,
    )
    analysis_run_start(trade_ids=[t.pk for t in trades[:3]], engine="rules", requested_by=user)  # sync in tests
    analysis = TradeAnalysisFactory()
    implemented = RecommendationFactory(
        analysis=analysis, implementation_status="IMPLEMENTED", implementation_date=dt.date(2026, 1, 6)
    )
    RecommendationFactory(plan=ImprovementPlanFactory(created_by=None))
    AnalysisPatternFactory(significant=False, q_value=0.4, ci_low=-0.2, ci_high=0.3)
    AnalysisPatternFactory()
    JobRunFactory(created_by=None)
    JobRunFactory(kind="MINING", status="FAILED", error="boom", created_by=user)
    ImpactAssessment.objects.create(recommendation=implemented, status="INSUFFICIENT", message="too few trades")
    experiment_create(
        name="half size after loss",
        metric="r_multiple",
        treatment={"account": ["DESK-A"]},
        control={"account": ["DESK-B"]},
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 3, 1),
        user=user,
    )
    Question.objects.create(text="Which setup costs most?", status=QuestionStatus.FAILED, reason="no key")


@pytest.mark.slow
def test_api_matches_its_schema(live_server, transactional_db, monkeypatch, settings, tmp_path):
    settings.ANTHROPIC_API_KEY = ""  # the claude engine and Ask refuse or fail cleanly, no network
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setattr(WriteRateThrottle, "THROTTLE_RATES", {"writes": "1000000/min"})
    user = User.objects.create_user(username="contract-ops", password="unused-contract-pw-9")
    user.groups.add(Group.objects.get(name="Ops"))
    _, token = AuthToken.objects.create(user=user)
    _desk(user)

    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{live_server.url}/api/schema/?format=json",
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "60",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "Selected: " in output and " failures" not in output.split("SUMMARY")[-1], output[-5000:]
