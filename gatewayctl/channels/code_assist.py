"""The Code Assist envelope (``cloudcode-pa`` ``v1internal:*``) used by geminicli and antigravity.

Both OAuth channels send standard Gemini requests wrapped in an envelope and get every answer
(and every stream event) back wrapped in ``{"response": {...}, "traceId": ...}``
(protocols.md §8.3–§8.4). These pure helpers do the wrapping and unwrapping so the two
channel adapters (a later issue) only add auth, onboarding and paths:

* Gemini CLI: ``{"model", "project", "user_prompt_id", "request": {..., "session_id"?}}``;
* Antigravity: ``{"model", "project", "requestId": "agent-<uuid>", "requestType": "agent",
  "userAgent": "antigravity", "request": {..., "sessionId"?}}`` with ``safetySettings``
  removed; image models use ``requestType: "image_gen"`` and an ``image_gen/<ms>/<uuid>/12``
  request id;
* countTokens: ``{"request": {"model": "models/<id>", "contents": [...]}}`` (no project).

Model names in the envelope carry no ``models/`` prefix. Ids come from an injectable factory
so tests are deterministic.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from gatewayctl.channels.base import JsonObject

IdFactory = Callable[[], str]


def _uuid() -> str:
    return str(uuid.uuid4())


def bare_model(model: str) -> str:
    """``models/gemini-2.5-pro`` → ``gemini-2.5-pro``."""
    name = model.strip().lstrip("/")
    return name[len("models/") :] if name.startswith("models/") else name


def wrap_geminicli(
    body: JsonObject,
    model: str,
    project: str,
    *,
    session_id: str | None = None,
    new_id: IdFactory = _uuid,
) -> JsonObject:
    """A Gemini generate body in the Gemini CLI envelope."""
    request = {k: v for k, v in body.items() if k != "model"}
    if session_id:
        request["session_id"] = session_id
    return {
        "model": bare_model(model),
        "project": project,
        "user_prompt_id": new_id(),
        "request": request,
    }


def wrap_antigravity(
    body: JsonObject,
    model: str,
    project: str,
    *,
    session_id: str | None = None,
    new_id: IdFactory = _uuid,
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
) -> JsonObject:
    """A Gemini generate body in the Antigravity "agent" envelope."""
    name = bare_model(model)
    request = {
        k: v for k, v in body.items() if k not in ("model", "safetySettings", "safety_settings")
    }
    if session_id:
        request["sessionId"] = session_id
    if "image" in name.lower():
        request_type, request_id = "image_gen", f"image_gen/{now_ms()}/{new_id()}/12"
    else:
        request_type, request_id = "agent", f"agent-{new_id()}"
    return {
        "model": name,
        "project": project,
        "requestId": request_id,
        "requestType": request_type,
        "userAgent": "antigravity",
        "request": request,
    }


def wrap_count_tokens(body: JsonObject, model: str) -> JsonObject:
    """A Gemini countTokens body for ``v1internal:countTokens`` (contents only, no project)."""
    nested = body.get("generateContentRequest")
    source = nested if isinstance(nested, dict) else body
    return {
        "request": {"model": f"models/{bare_model(model)}", "contents": source.get("contents", [])}
    }


def unwrap(payload: Any) -> Any:
    """The standard Gemini object inside a Code Assist answer or stream event.

    Anything without a ``response`` object (an error body, an already plain answer) is
    returned unchanged.
    """
    if isinstance(payload, dict) and isinstance(payload.get("response"), dict):
        return payload["response"]
    return payload
