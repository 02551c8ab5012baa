"""Helpers shared by the Anthropic request, response and stream halves.

Everything that has one Anthropic-specific answer lives here once: usage arithmetic (Anthropic
``input_tokens`` *excludes* cache reads and writes, the IR's includes them), the stop-reason and
error-type tables, and the id rules Anthropic enforces on ``tool_use`` ids. (Tool arguments ↔
``input`` are :mod:`gatewayctl.protocols.arguments`'s, shared with Gemini.)
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping
from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.protocols.errorkinds import kind_for_status
from gatewayctl.protocols.fields import count_or_none

FAMILY = "anthropic"

# --------------------------------------------------------------------------------------
# small readers
# --------------------------------------------------------------------------------------


def anthropic_data(obj: ir.ProviderData) -> dict[str, Any]:
    """This family's entry of a provider_data dict (empty if absent)."""
    entry = obj.get(FAMILY)
    return entry if isinstance(entry, dict) else {}


def cache_control_pd(block: Mapping[str, Any]) -> ir.ProviderData:
    """provider_data carrying a block's ``cache_control`` (the only per-block extra kept)."""
    cc = block.get("cache_control")
    return {FAMILY: {"cache_control": cc}} if cc is not None else {}


def with_cache_control(block: dict[str, Any], pd: ir.ProviderData) -> dict[str, Any]:
    """Put back the ``cache_control`` a part carried, if any."""
    cc = anthropic_data(pd).get("cache_control")
    if cc is not None:
        block["cache_control"] = cc
    return block


# --------------------------------------------------------------------------------------
# usage
# --------------------------------------------------------------------------------------


def usage_from_wire(u: Mapping[str, Any]) -> ir.Usage:
    """Anthropic usage → IR usage (input = input + cache reads + cache writes)."""
    inp = count_or_none(u.get("input_tokens"))
    cache_read = count_or_none(u.get("cache_read_input_tokens"))
    cache_write = count_or_none(u.get("cache_creation_input_tokens"))
    total_in: int | None = None
    if inp is not None or cache_read is not None or cache_write is not None:
        total_in = (inp or 0) + (cache_read or 0) + (cache_write or 0)
    details = u.get("output_tokens_details")
    reasoning = count_or_none(details.get("thinking_tokens")) if isinstance(details, dict) else None
    return ir.Usage(
        input_tokens=total_in,
        output_tokens=count_or_none(u.get("output_tokens")),
        cache_read_tokens=cache_read,
        cache_creation_tokens=cache_write,
        reasoning_tokens=reasoning,
    )


def uncached_input(u: ir.Usage) -> int | None:
    """Anthropic's ``input_tokens``: the IR total minus cache reads and writes."""
    if u.input_tokens is None:
        return None
    return max(0, u.input_tokens - (u.cache_read_tokens or 0) - (u.cache_creation_tokens or 0))


def usage_to_wire(u: ir.Usage) -> dict[str, Any]:
    """IR usage → a complete Anthropic ``usage`` object (unknown counts as 0)."""
    out: dict[str, Any] = {
        "input_tokens": uncached_input(u) or 0,
        "cache_creation_input_tokens": u.cache_creation_tokens or 0,
        "cache_read_input_tokens": u.cache_read_tokens or 0,
        "output_tokens": u.output_tokens or 0,
    }
    if u.reasoning_tokens is not None:
        out["output_tokens_details"] = {"thinking_tokens": u.reasoning_tokens}
    return out


# --------------------------------------------------------------------------------------
# stop reasons
# --------------------------------------------------------------------------------------

_STOP_FROM_WIRE: dict[str, ir.StopReason] = {
    "end_turn": "end_turn",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_use": "tool_use",
    "pause_turn": "pause_turn",
    "refusal": "refusal",
    # the context window filled up: for every other protocol this is "ran out of room"
    "model_context_window_exceeded": "max_tokens",
}

_STOP_TO_WIRE: dict[str, str] = {
    "end_turn": "end_turn",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_use": "tool_use",
    "pause_turn": "pause_turn",
    "refusal": "refusal",
    "content_filter": "refusal",
    "error": "end_turn",
}


def stop_from_wire(value: Any) -> ir.StopReason | None:
    """Anthropic ``stop_reason`` → canonical (unknown future values read as end_turn)."""
    if not isinstance(value, str) or not value:
        return None
    return _STOP_FROM_WIRE.get(value, "end_turn")


def stop_to_wire(reason: ir.StopReason | None, has_tool_calls: bool) -> str:
    """Canonical → Anthropic; a turn that called tools and ended normally is ``tool_use``."""
    if reason is None or (reason == "end_turn" and has_tool_calls):
        return "tool_use" if has_tool_calls else "end_turn"
    return _STOP_TO_WIRE.get(reason, "end_turn")


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------

ERROR_TYPE_TO_KIND: dict[str, ir.ErrorKind] = {
    "invalid_request_error": "invalid_request",
    "authentication_error": "authentication",
    "billing_error": "permission",
    "permission_error": "permission",
    "not_found_error": "not_found",
    "request_too_large": "request_too_large",
    "rate_limit_error": "rate_limit",
    "api_error": "api_error",
    "timeout_error": "timeout",
    "overloaded_error": "overloaded",
}

KIND_TO_ERROR_TYPE: dict[str, str] = {
    "invalid_request": "invalid_request_error",
    "authentication": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "request_too_large": "request_too_large",
    "rate_limit": "rate_limit_error",
    "api_error": "api_error",
    "overloaded": "overloaded_error",
    "timeout": "timeout_error",
}


def kind_from_status(status: int) -> ir.ErrorKind:
    """The canonical kind for an HTTP status when the body does not say."""
    return kind_for_status(status) or "api_error"


def error_object(error: ir.ErrorInfo) -> dict[str, str]:
    """The inner ``{"type", "message"}`` object of an Anthropic error."""
    etype = KIND_TO_ERROR_TYPE.get(error.kind, "api_error")
    if error.code in ERROR_TYPE_TO_KIND and ERROR_TYPE_TO_KIND[error.code] == error.kind:
        etype = error.code  # e.g. billing_error survives an Anthropic → Anthropic trip
    return {"type": etype, "message": error.message}


# --------------------------------------------------------------------------------------
# ids, arguments, media
# --------------------------------------------------------------------------------------

_ID_BAD = re.compile(r"[^a-zA-Z0-9_-]")


def tool_id(raw: str) -> str:
    """A ``tool_use`` id Anthropic accepts (``^[a-zA-Z0-9_-]+$``), derived deterministically,
    so a call and its result stay paired after the rewrite."""
    cleaned = _ID_BAD.sub("_", raw)
    return cleaned or "toolu_unknown"


def message_id(raw: str) -> str:
    """A ``msg_…`` id for a response: kept when already one, prefixed otherwise."""
    if raw.startswith("msg_"):
        return raw
    if not raw:
        return "msg_" + uuid.uuid4().hex[:24]
    return "msg_" + _ID_BAD.sub("_", raw)


def b64encode_text(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def b64decode_text(data: str) -> str | None:
    """Base64 → UTF-8 text, or None if it is not valid base64 UTF-8."""
    try:
        return base64.b64decode(data, validate=False).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
