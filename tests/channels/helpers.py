"""Helpers for the channel adapter tests: route keys, calls and credential secrets."""

from __future__ import annotations

from typing import Any

from gatewayctl.channels.base import UpstreamCall
from gatewayctl.dispatch import RouteKey


def route(operation: str, protocol: str) -> RouteKey:
    return RouteKey(operation, protocol)  # type: ignore[arg-type]


def call(
    operation: str,
    protocol: str,
    model: str | None = "m-1",
    body: dict[str, Any] | None = None,
    **kw: Any,
) -> UpstreamCall:
    """A call with a body for POST-ish operations unless given."""
    if body is None and operation not in ("ModelList", "ModelGet"):
        body = {"model": model} if model and protocol not in ("Gemini", "GeminiNDJson") else {}
    return UpstreamCall(route(operation, protocol), model=model, body=body, **kw)


def api_secret(variant: str, key: str = "sk-test-0123456789") -> dict[str, Any]:
    if variant == "Custom":
        return {"Custom": {"api_key": key}}
    return {"Builtin": {variant: {"api_key": key}}}
