"""Chat wire pieces shared by the request, response and stream modules: the family key,
the marks this codec leaves in ``provider_data``, and tool-call / reasoning field helpers."""

from __future__ import annotations

import json
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.fields import get_str, require_dict

FAMILY = "openai_chat"

# Chat-only top-level fields carried opaquely for Chat → IR → Chat.
EXTRA_FIELDS = (
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "service_tier",
    "store",
    "prompt_cache_key",
    "safety_identifier",
    "verbosity",
    "modalities",
    "audio",
    "prediction",
    "web_search_options",
)

AUDIO_MEDIA = {"wav": "audio/wav", "mp3": "audio/mpeg"}
AUDIO_FORMAT = {v: k for k, v in AUDIO_MEDIA.items()} | {"audio/mp3": "mp3", "audio/x-wav": "wav"}


def mark(part_pd: ir.ProviderData, **values: Any) -> None:
    part_pd.setdefault(FAMILY, {}).update(values)


def chat_pd(pd: ir.ProviderData) -> dict[str, Any]:
    return pd.get(FAMILY) or {}


def parse_tool_call(raw: Any, where: str) -> ir.ToolCallPart:
    """One assistant ``tool_calls[]`` entry (function or custom)."""
    call = require_dict(raw, where)
    call_id = get_str(call, "id", where) or ""
    kind = call.get("type") or "function"
    if kind == "custom":
        spec = require_dict(call.get("custom"), f"{where}.custom")
        part = ir.ToolCallPart(
            id=call_id,
            name=get_str(spec, "name", f"{where}.custom") or "",
            arguments=get_str(spec, "input", f"{where}.custom") or "",
            kind="custom",
        )
    else:
        spec = require_dict(call.get("function"), f"{where}.function")
        args = spec.get("arguments")
        if args is not None and not isinstance(args, str):
            args = json.dumps(args, ensure_ascii=False)  # lenient: some clients send objects
        part = ir.ToolCallPart(
            id=call_id, name=get_str(spec, "name", f"{where}.function") or "", arguments=args or ""
        )
    if not part.name:
        raise InvalidInput(f"{where}: tool call name is required")
    sig = thought_signature_of(call)
    if sig:
        part.provider_data["gemini"] = {"thoughtSignature": sig}
    return part


def thought_signature_of(call: dict[str, Any]) -> str | None:
    """Gemini's ``extra_content.google.thought_signature`` on a Chat tool call, if any."""
    extra = call.get("extra_content")
    if isinstance(extra, dict) and isinstance(extra.get("google"), dict):
        sig = extra["google"].get("thought_signature")
        return sig if isinstance(sig, str) and sig else None
    return None


def reasoning_of(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(field name, text) of a non-standard reasoning field on a message or delta."""
    for name in ("reasoning_content", "reasoning"):
        value = obj.get(name)
        if isinstance(value, str) and value:
            return name, value
    return None


def emit_tool_call(call: ir.ToolCallPart, *, with_signature: bool) -> dict[str, Any]:
    """An IR tool call as a Chat ``tool_calls[]`` entry."""
    if call.kind == "custom":
        out: dict[str, Any] = {
            "id": call.id,
            "type": "custom",
            "custom": {"name": call.name, "input": call.arguments},
        }
    else:
        out = {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments or "{}"},
        }
    sig = (call.provider_data.get("gemini") or {}).get("thoughtSignature")
    if with_signature and isinstance(sig, str) and sig:
        out["extra_content"] = {"google": {"thought_signature": sig}}
    return out
