"""Message Batches (half price): submit per chunk, poll from the schedule's task, collect with the
same validation as direct replies; the real SDK against the loopback server."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django_q.models import Schedule

from post_mortem.models import RunStatus, TradeAnalysis
from post_mortem.services.analyses import BATCH_POLL_SCHEDULE, analysis_run_start
from post_mortem.tasks.analysis import poll_batches
from tests.factories import TradeFactory

from .loopback import Loopback, message
from .test_claude_engine import good_reply

UTC = dt.UTC


def batch(loop: Loopback, status: str, n: int) -> dict:
    ended = status == "ended"
    return {
        "id": "msgbatch_test",
        "type": "message_batch",
        "processing_status": status,
        "request_counts": {"processing": 0 if ended else n, "succeeded": n if ended else 0, "errored": 0,
                           "canceled": 0, "expired": 0},
        "created_at": "2026-03-02T15:00:00Z",
        "expires_at": "2026-03-03T15:00:00Z",
        "ended_at": "2026-03-02T15:05:00Z" if ended else None,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": f"{loop.base_url}/v1/messages/batches/msgbatch_test/results" if ended else None,
    }  # fmt: skip


@pytest.fixture
def loopback(monkeypatch):
    server = Loopback().start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    yield server
    server.stop()


@pytest.mark.django_db
def test_batch_submit_poll_collect(loopback, django_capture_on_commit_callbacks):
    trades = [
        TradeFactory(entry_time=dt.datetime(2026, 3, 2, 15, i, tzinfo=UTC), exit_price=Decimal("97")) for i in range(2)
    ]
    loopback.reply(200, batch(loopback, "in_progress", 2))  # create
    with django_capture_on_commit_callbacks(execute=True):
        run = analysis_run_start(trade_ids=[t.pk for t in trades], engine="claude", use_batches=True, chunk_size=10)
    created = loopback.requests[0]
    assert created.path == "/v1/messages/batches"
    requests = created.body["requests"]
    assert sorted(r["custom_id"] for r in requests) == sorted(str(t.pk) for t in trades)
    params = requests[0]["params"]
    assert params["tool_choice"]["type"] == "tool" and params["system"][0]["cache_control"]["type"] == "ephemeral"
    assert (
        Schedule.objects.filter(name=BATCH_POLL_SCHEDULE, func="post_mortem.tasks.analysis.poll_batches").count() == 1
    )

    loopback.reply(200, batch(loopback, "in_progress", 2))
    assert poll_batches() == "0 chunks collected"
    invalid = good_reply()
    invalid["primary_factors"] = ["not_a_code"]
    lines = [
        {"custom_id": str(trades[0].pk), "result": {"type": "succeeded", "message": message(good_reply())}},
        {"custom_id": str(trades[1].pk), "result": {"type": "succeeded", "message": message(invalid)}},
    ]
    loopback.reply(200, batch(loopback, "ended", 2))  # poll
    loopback.reply(200, batch(loopback, "ended", 2))  # results() retrieves first
    loopback.reply(200, "\n".join(json.dumps(line) for line in lines), {"content-type": "application/binary"})
    assert poll_batches() == "1 chunks collected"
    run.refresh_from_db()
    assert (run.status, run.succeeded, run.failed) == (RunStatus.PARTIAL, 1, 1)
    assert "failed validation" in run.failures[0]["reason"] and run.failures[0]["ref"] == trades[1].pk
    analysis = TradeAnalysis.objects.get(trade=trades[0])
    # batch price: half of (1200*3 + 2800*0.3 + 350*15) / 1e6
    assert analysis.cost_usd == Decimal("0.004845") and analysis.engine == "claude"
    assert not TradeAnalysis.objects.filter(trade=trades[1]).exists()
    assert poll_batches() == "0 chunks collected"  # finished runs are not polled again
