"""Property-based fuzzing of the whole API from its own OpenAPI schema: no input may cause a 5xx.

Schemathesis generates requests for every operation (valid and invalid values, both) and sends them
through the real WSGI application with an Ops token; the only check is `not_a_server_error`.
Bounded: a few dozen examples per operation, no shrinking of passing runs, one deterministic seed,
so the run stays well under two minutes in CI.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from post_mortem.api.throttling import WriteRateThrottle
from tests.factories import (
    AnalysisPatternFactory,
    ImprovementPlanFactory,
    JobRunFactory,
    RecommendationFactory,
    TradeAnalysisFactory,
)

MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES, deterministic=True
)


@pytest.fixture
def _keep_test_connection():
    """Requests go through the raw WSGI app: stop it closing the test transaction's connection after
    each request (what Django's own test client does too)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def ops_token(ops_api, monkeypatch, _keep_test_connection) -> str:
    """An Ops token, some rows so that low ids exist, and a write budget fuzzing cannot exhaust."""
    monkeypatch.setattr(WriteRateThrottle, "THROTTLE_RATES", {"writes": "100000/min"})
    for _ in range(3):
        analysis = TradeAnalysisFactory()
        RecommendationFactory(analysis=analysis)
        AnalysisPatternFactory()
        ImprovementPlanFactory()
        JobRunFactory()
    return ops_api._credentials["HTTP_AUTHORIZATION"]


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case, ops_token):
    case.call_and_validate(headers={"Authorization": ops_token}, checks=[not_a_server_error])
