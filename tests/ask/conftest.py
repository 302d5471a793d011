"""A small desk that no generator of ours shaped: two accounts, stocks at 190 and 900 and a future
with a point value, trades with and without stops, tags, several weeks across a DST change."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from post_mortem.models import Side, Trade
from tests.llm.loopback import Loopback

UTC = dt.UTC
SYMBOLS = {
    "NVDA": (Decimal("912.40"), Decimal(1)),
    "AAPL": (Decimal("189.95"), Decimal(1)),
    "MNQ": (Decimal("18250"), Decimal(2)),
}


@pytest.fixture
def desk(db) -> list[Trade]:
    rng = random.Random(1604)
    trades = []
    start = dt.datetime(2026, 2, 23, 14, 35, tzinfo=UTC)  # a Monday, 09:35 New York
    for i in range(160):
        account = "BRAVO" if i % 3 else "ALPHA"
        symbol = ("NVDA", "AAPL", "MNQ")[i % 3 if i % 5 else 0]
        price, multiplier = SYMBOLS[symbol]
        side = Side.LONG if rng.random() < 0.6 else Side.SHORT
        setup = ("fade_gap", "breakout", "")[i % 4 % 3]
        entry = start + dt.timedelta(days=i // 4, minutes=37 * (i % 4) + rng.randint(0, 20))
        move = Decimal(str(round(rng.gauss(0.1, 1.0), 2))) * price / 100
        stop_dist = price / 100
        exit_price = price + move if side == Side.LONG else price - move
        t = Trade(
            external_id=f"X{i:04d}",
            account=account,
            symbol=symbol,
            side=side,
            quantity=Decimal("3") if symbol == "MNQ" else Decimal(rng.choice([50, 100, 150])),
            entry_time=entry,
            exit_time=entry + dt.timedelta(minutes=rng.choice([3, 12, 40, 95])),
            entry_price=price,
            exit_price=exit_price.quantize(Decimal("0.01")),
            fees=Decimal("1.25"),
            stop_price=None if i % 11 == 0 else (price - stop_dist if side == Side.LONG else price + stop_dist),
            multiplier=multiplier,
            setup=setup,
            tags="news;gap" if i % 7 == 0 else ("gap" if i % 5 == 0 else ""),
        )
        t.save()
        trades.append(t)
    return trades


@pytest.fixture
def loopback(monkeypatch):
    server = Loopback().start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    yield server
    server.stop()


USAGE = {"input_tokens": 900, "output_tokens": 120, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1500}


def tool_use(*calls: tuple[str, dict], model: str = "claude-sonnet-5-5") -> dict:
    """A reply whose content asks for the given tool calls."""
    return {
        "id": "msg_tool",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [
            {"type": "tool_use", "id": f"toolu_{k}_{name}", "name": name, "input": tool_input}
            for k, (name, tool_input) in enumerate(calls)
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": USAGE,
    }


def text(answer: str, model: str = "claude-sonnet-5-5") -> dict:
    return {
        "id": "msg_text",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": answer}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": USAGE,
    }
