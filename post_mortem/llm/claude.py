"""The one module that talks to Claude (the anthropic SDK). Everything else calls these functions.

Why one module: the key, base URL, model, timeouts, retries, prompt caching and the price table
are decided once, and tests point the real SDK at a loopback server through ``ANTHROPIC_BASE_URL``.

- ``structured_call``: one forced-tool call (``tool_choice`` = the tool), the system prompt cached
  with ``cache_control``, bounded ``max_tokens``; returns the tool input as a dict plus usage and
  cost. Validation of the dict is the caller's job (each use has its own pydantic model).
- ``tool_turn``: one turn of a tool-use conversation (``tool_choice`` auto): the caller runs the
  tools the reply asks for and calls again with the results; the reply comes back as plain dicts.
- ``batch_submit`` / ``batch_poll`` / ``batch_results``: the Message Batches API (half price) with the
  same request shape, so a batch result is validated exactly like a direct reply.

The SDK reads ``ANTHROPIC_API_KEY`` / ``ANTHROPIC_BASE_URL`` itself and retries 408/409/429/5xx/529
with backoff (``max_retries``); what is still failing after that becomes an ``LLMError``.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import anthropic
from django.conf import settings

DEFAULT_TIMEOUT_S = float(os.environ.get("ANTHROPIC_TIMEOUT_S", "60"))
DEFAULT_MAX_RETRIES = int(os.environ.get("ANTHROPIC_MAX_RETRIES", "3"))

# USD per million tokens: (input, output). Cache writes cost 1.25x input, cache reads 0.1x input,
# batches half of everything. Matched on the model id's prefix; unknown models use the Sonnet row
# (and the run page shows the model, so an operator can tell).
PRICES_PER_MTOK: dict[str, tuple[Decimal, Decimal]] = {
    "claude-opus-4-1": (Decimal("15"), Decimal("75")),
    "claude-opus-4-0": (Decimal("15"), Decimal("75")),
    "claude-opus": (Decimal("5"), Decimal("25")),
    "claude-sonnet": (Decimal("3"), Decimal("15")),
    "claude-haiku-3": (Decimal("0.25"), Decimal("1.25")),
    "claude-haiku": (Decimal("1"), Decimal("5")),
}
DEFAULT_PRICE = PRICES_PER_MTOK["claude-sonnet"]
CACHE_WRITE_FACTOR = Decimal("1.25")
CACHE_READ_FACTOR = Decimal("0.1")
BATCH_FACTOR = Decimal("0.5")
MTOK = Decimal(1_000_000)


class LLMError(Exception):
    """A call that failed after the SDK's own retries; ``reason`` is shown on the run page."""

    def __init__(self, reason: str, *, status_code: int | None = None, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retryable = retryable


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0


@dataclass(slots=True)
class StructuredReply:
    """The forced tool's input (unvalidated data) with what it cost."""

    data: dict[str, Any]
    model: str
    usage: Usage = field(default_factory=Usage)
    cost_usd: Decimal = Decimal(0)
    stop_reason: str | None = None


def default_model() -> str:
    return settings.POST_MORTEM_MODEL


def is_configured() -> bool:
    """True when an API key is available (the SDK's own variable)."""
    return bool(os.environ.get("ANTHROPIC_API_KEY") or getattr(settings, "ANTHROPIC_API_KEY", ""))


@functools.cache
def _client(api_key: str, base_url: str | None, timeout: float, max_retries: int) -> anthropic.Anthropic:
    kwargs: dict[str, Any] = {"api_key": api_key, "timeout": timeout, "max_retries": max_retries}
    if base_url:
        kwargs["base_url"] = base_url
    return anthropic.Anthropic(**kwargs)


def get_client(*, timeout: float | None = None, max_retries: int | None = None) -> anthropic.Anthropic:
    """A client per (key, base URL, timeout, retries), cached: connection pools are reused across calls.

    Keyed on the environment so a changed ``ANTHROPIC_BASE_URL`` (tests, a proxy) takes effect.
    """
    api_key = os.environ.get("ANTHROPIC_API_KEY") or getattr(settings, "ANTHROPIC_API_KEY", "")
    if not api_key:
        raise LLMError("ANTHROPIC_API_KEY is not set: the claude engine needs it (use --engine rules offline).")
    return _client(
        api_key,
        os.environ.get("ANTHROPIC_BASE_URL") or None,
        DEFAULT_TIMEOUT_S if timeout is None else timeout,
        DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
    )


def price_for(model: str) -> tuple[Decimal, Decimal]:
    for prefix in sorted(PRICES_PER_MTOK, key=len, reverse=True):
        if model.startswith(prefix):
            return PRICES_PER_MTOK[prefix]
    return DEFAULT_PRICE


def cost_of(model: str, usage: Usage, *, batch: bool = False) -> Decimal:
    """USD cost of one call from its usage (cache reads/writes priced separately)."""
    price_in, price_out = price_for(model)
    cost = (
        Decimal(usage.input_tokens) * price_in
        + Decimal(usage.cache_creation_tokens) * price_in * CACHE_WRITE_FACTOR
        + Decimal(usage.cache_read_tokens) * price_in * CACHE_READ_FACTOR
        + Decimal(usage.output_tokens) * price_out
    ) / MTOK
    if batch:
        cost *= BATCH_FACTOR
    return cost.quantize(Decimal("0.000001"))


def build_params(
    *,
    system: str,
    payload: Any,
    tool: dict[str, Any],
    model: str | None = None,
    max_tokens: int = 2048,
    preamble: str = "",
) -> dict[str, Any]:
    """The Messages API parameters of one structured call (shared by direct calls and batches).

    The system prompt carries ``cache_control`` so the shared instructions are billed once per
    cache window; the payload goes in the user turn as JSON (user text inside it stays data).
    """
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    user = f"{preamble}\n\n{text}" if preamble else text
    return {
        "model": model or default_model(),
        "max_tokens": max_tokens,
        "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
        "tools": [tool],
        "tool_choice": {"type": "tool", "name": tool["name"]},
        "messages": [{"role": "user", "content": user}],
    }


def _usage_of(message: Any) -> Usage:
    u = message.usage
    return Usage(
        input_tokens=u.input_tokens or 0,
        output_tokens=u.output_tokens or 0,
        cache_read_tokens=u.cache_read_input_tokens or 0,
        cache_creation_tokens=u.cache_creation_input_tokens or 0,
    )


def _reply_of(message: Any, tool_name: str, *, batch: bool = False) -> StructuredReply:
    usage = _usage_of(message)
    blocks = [b for b in message.content if getattr(b, "type", None) == "tool_use" and b.name == tool_name]
    reply = StructuredReply(
        data={},
        model=message.model,
        usage=usage,
        cost_usd=cost_of(message.model, usage, batch=batch),
        stop_reason=message.stop_reason,
    )
    if not blocks:
        raise LLMError(f"Reply had no {tool_name} tool call (stop_reason={message.stop_reason}).")
    if message.stop_reason == "max_tokens":
        raise LLMError("Reply was cut off at max_tokens.")
    data = blocks[0].input
    if not isinstance(data, dict):
        raise LLMError(f"Tool input is not an object: {type(data).__name__}.")
    reply.data = data
    return reply


def _error_from(exc: Exception) -> LLMError:
    if isinstance(exc, anthropic.APIStatusError):
        status = exc.status_code
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error")
        detail = error.get("message") if isinstance(error, dict) else None
        retryable = status in {408, 409, 429, 529} or status >= 500
        return LLMError(f"Claude API error {status}: {detail or exc.message}", status_code=status, retryable=retryable)
    if isinstance(exc, anthropic.APITimeoutError):
        return LLMError("Claude API timed out.", retryable=True)
    if isinstance(exc, anthropic.APIConnectionError):
        return LLMError(f"Could not reach the Claude API: {exc}", retryable=True)
    return LLMError(f"Claude call failed: {exc}")


def structured_call(
    *,
    system: str,
    payload: Any,
    tool: dict[str, Any],
    model: str | None = None,
    max_tokens: int = 2048,
    preamble: str = "",
    timeout: float | None = None,
    max_retries: int | None = None,
) -> StructuredReply:
    """One forced-tool call; returns the tool's input. Raises LLMError (never returns half a reply)."""
    params = build_params(
        system=system, payload=payload, tool=tool, model=model, max_tokens=max_tokens, preamble=preamble
    )
    client = get_client(timeout=timeout, max_retries=max_retries)
    try:
        message = client.messages.create(**params)
    except anthropic.AnthropicError as exc:
        raise _error_from(exc) from exc
    return _reply_of(message, tool["name"])


@dataclass(slots=True)
class ToolTurn:
    """One assistant turn of a tool-use conversation, as plain data.

    ``content`` is the assistant message to send back verbatim on the next call; ``tool_uses`` are
    its tool calls ({"id", "name", "input"}); ``text`` joins its text blocks.
    """

    text: str
    tool_uses: list[dict[str, Any]]
    content: list[dict[str, Any]]
    model: str
    stop_reason: str | None
    usage: Usage = field(default_factory=Usage)
    cost_usd: Decimal = Decimal(0)


def tool_turn(
    *,
    system: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    model: str | None = None,
    max_tokens: int = 1500,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> ToolTurn:
    """One Messages call in which Claude may answer or call any of ``tools``; raises LLMError.

    Why the loop is the caller's: which tools run, how many rounds are allowed and what a final
    answer must satisfy are the caller's rules. The system prompt is cached like ``structured_call``'s.
    """
    params = {
        "model": model or default_model(),
        "max_tokens": max_tokens,
        "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
        "tools": tools,
        "messages": messages,
    }
    client = get_client(timeout=timeout, max_retries=max_retries)
    try:
        message = client.messages.create(**params)
    except anthropic.AnthropicError as exc:
        raise _error_from(exc) from exc
    except ValueError as exc:  # a 200 whose body is not JSON (a proxy's error page)
        raise LLMError(f"Reply is not JSON: {exc}") from exc
    try:
        blocks = list(message.content or [])
        usage = _usage_of(message)
        model_id = str(message.model)
    except (AttributeError, TypeError) as exc:
        raise LLMError(f"Reply is not a Messages API message: {exc}") from exc
    content: list[dict[str, Any]] = []
    tool_uses: list[dict[str, Any]] = []
    texts: list[str] = []
    for block in blocks:
        kind = getattr(block, "type", None)
        if kind == "text":
            texts.append(block.text)
            content.append({"type": "text", "text": block.text})
        elif kind == "tool_use":
            use = {"id": block.id, "name": block.name, "input": block.input}
            tool_uses.append(use)
            content.append({"type": "tool_use", **use})
    if not content:
        raise LLMError(f"Reply had neither text nor a tool call (stop_reason={message.stop_reason}).")
    if message.stop_reason == "max_tokens":
        raise LLMError("Reply was cut off at max_tokens.")
    return ToolTurn(
        text="\n".join(texts).strip(),
        tool_uses=tool_uses,
        content=content,
        model=model_id,
        stop_reason=message.stop_reason,
        usage=usage,
        cost_usd=cost_of(model_id, usage),
    )


# --- Message Batches ------------------------------------------------------------------------


def batch_submit(requests: Iterable[tuple[str, dict[str, Any]]]) -> str:
    """Submit (custom_id, params from ``build_params``) pairs as one batch; returns the batch id."""
    body = [{"custom_id": custom_id, "params": params} for custom_id, params in requests]
    try:
        batch = get_client().messages.batches.create(requests=body)
    except anthropic.AnthropicError as exc:
        raise _error_from(exc) from exc
    return batch.id


def batch_poll(batch_id: str) -> tuple[str, dict[str, int]]:
    """(processing_status, request counts): "in_progress", "canceling" or "ended"."""
    try:
        batch = get_client().messages.batches.retrieve(batch_id)
    except anthropic.AnthropicError as exc:
        raise _error_from(exc) from exc
    counts = batch.request_counts
    return batch.processing_status, {
        "processing": counts.processing,
        "succeeded": counts.succeeded,
        "errored": counts.errored,
        "canceled": counts.canceled,
        "expired": counts.expired,
    }


def batch_results(batch_id: str, tool_name: str) -> Iterator[tuple[str, StructuredReply | LLMError]]:
    """Each request's reply (or its error), priced at the batch rate. Validate like a direct reply."""
    try:
        results = get_client().messages.batches.results(batch_id)
        for item in results:
            result = item.result
            if result.type == "succeeded":
                try:
                    yield item.custom_id, _reply_of(result.message, tool_name, batch=True)
                except LLMError as exc:
                    yield item.custom_id, exc
            elif result.type == "errored":
                err = getattr(result.error, "error", None)
                yield item.custom_id, LLMError(f"Batch request errored: {getattr(err, 'message', result.error)}")
            else:
                yield item.custom_id, LLMError(f"Batch request {result.type}.")
    except anthropic.AnthropicError as exc:
        raise _error_from(exc) from exc
