"""What the gateway answers: a framework-free response the server turns into a Quart one.

A :class:`GatewayResponse` is either a complete body or a stream (an async iterator of byte
chunks, to be sent as they come, with no response timeout). Gateway-made errors use the
house shape ``{"error": "..."}`` (CONTRACT §5); errors that come from an upstream keep the
upstream's status and are answered in the caller's protocol (translated on TransformTo routes,
verbatim on passthrough).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from gatewayctl.channels.base import dumps_json as dumps
from gatewayctl.protocols.registry import Framing

JSON_TYPE = "application/json"
SSE_TYPE = "text/event-stream"
NDJSON_TYPE = "application/x-ndjson"

# Upstream response headers worth passing on to the client (ids for support tickets and the
# server's retry hint); hop-by-hop, length, encoding and rate-limit headers stay behind.
FORWARDED_RESPONSE_HEADERS = ("retry-after", "request-id", "x-request-id")

UPGRADE_BODY = {
    "error": {
        "message": "websocket upstream is not implemented; use /v1/responses (HTTP) for now",
        "type": "upgrade_required",
        "code": "websocket_upgrade_required",
    }
}


@dataclass(slots=True)
class GatewayResponse:
    """A status, headers, and either ``body`` or ``stream`` (never both)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


def json_response(
    status: int, obj: Any, headers: list[tuple[str, str]] | None = None
) -> GatewayResponse:
    return GatewayResponse(status, [("content-type", JSON_TYPE), *(headers or [])], dumps(obj))


def relayed_response(status: int, upstream_headers: Any, body: bytes) -> GatewayResponse:
    """An upstream body passed on as is: its status, its content type (JSON when it gave
    none) and the forwarded headers."""
    content_type = upstream_headers.get("content-type") or JSON_TYPE
    return GatewayResponse(
        status, [("content-type", content_type), *forwarded_headers(upstream_headers)], body
    )


def error_response(status: int, message: str) -> GatewayResponse:
    """The house error shape ``{"error": message}``."""
    return json_response(status, {"error": message})


def upgrade_response() -> GatewayResponse:
    """The 426 answer of the websocket/realtime entrances (spec §5.7)."""
    return json_response(426, UPGRADE_BODY, [("connection", "Upgrade"), ("upgrade", "websocket")])


def stream_headers(framing: Framing) -> list[tuple[str, str]]:
    """Headers of a relayed stream: the framing's content type, no caching, no proxy buffering."""
    return [
        ("content-type", NDJSON_TYPE if framing == "ndjson" else SSE_TYPE),
        ("cache-control", "no-cache"),
        ("x-accel-buffering", "no"),
    ]


def forwarded_headers(upstream: Any) -> list[tuple[str, str]]:
    """The upstream response headers the client gets (see FORWARDED_RESPONSE_HEADERS)."""
    out = []
    for name in FORWARDED_RESPONSE_HEADERS:
        value = upstream.get(name) if upstream is not None else None
        if value:
            out.append((name, value))
    return out
