"""A loopback HTTP server that plays the Messages API, so tests drive the real anthropic SDK.

Each test queues replies (status, JSON body, headers); the server records every request it got
(path, headers, parsed JSON) so tests can assert what the SDK actually sent.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Loopback:
    replies: list[tuple[int, Any, dict[str, str]]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    default: tuple[int, Any, dict[str, str]] | None = None
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.replies.append((status, body, headers or {}))

    def start(self) -> Loopback:
        loop = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                loop.requests.append(
                    Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                if loop.replies:
                    status, payload, headers = loop.replies.pop(0)
                elif loop.default is not None:
                    status, payload, headers = loop.default
                else:
                    status, payload, headers = (
                        500,
                        {"type": "error", "error": {"type": "api_error", "message": "no reply queued"}},
                        {},
                    )
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", headers.pop("content-type", "application/json"))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = _serve
            do_GET = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def message(
    tool_input: dict[str, Any],
    *,
    model: str = "claude-sonnet-5-5",
    name: str = "record_post_mortem",
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A Messages API reply whose only content block is a call of the forced tool."""
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "tool_use", "id": "toolu_test", "name": name, "input": tool_input}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": usage
        or {
            "input_tokens": 1200,
            "output_tokens": 350,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 2800,
        },
    }


def error(status_type: str, text: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": status_type, "message": text}}
