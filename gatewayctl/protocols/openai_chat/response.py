"""Chat Completions response body ↔ IR response, plus the finish-reason and usage maps the
stream codec shares.

* **One choice.** The IR holds one assistant turn, so ``choices`` other than index 0 are
  ignored when parsing (``n > 1`` is not translatable; protocols.md §7.11.7).
* **Refusal.** ``message.refusal`` becomes a TextPart marked
  ``provider_data["openai_chat"] = {"refusal": True}`` and the stop reason ``refusal`` (when
  the finish reason was a plain ``stop``), so an Anthropic client sees ``stop_reason:
  "refusal"``. Emitting, a marked part goes back to ``message.refusal`` with ``finish_reason
  "stop"`` (what OpenAI sends); a ``refusal`` stop reason without marked parts (Anthropic's)
  becomes ``content_filter`` (protocols.md §7.7).
* **Finish reasons.** ``stop``→end_turn, ``length``→max_tokens, ``tool_calls``/
  ``function_call``→tool_use, ``content_filter``→content_filter; an unknown value (vendor
  spellings such as ``eos``) → end_turn, DeepSeek's ``insufficient_system_resource`` →
  ``error``. Emitting, a turn that holds
  tool calls always reports ``tool_calls`` (clients loop on it), whatever the source said.
* **reasoning_content** is emitted on the message for any reasoning text (a non-standard
  field SDKs keep as an extra); Gemini thought signatures ride on tool calls as
  ``extra_content.google.thought_signature``.
* **Text** parts are concatenated without separator — exactly what the streamed form gives.
"""

from __future__ import annotations

import time
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.fields import get_dict, get_int, get_list, get_str, require_dict
from gatewayctl.protocols.openai_chat.wire import (
    FAMILY,
    emit_tool_call,
    parse_tool_call,
    reasoning_of,
)

_STOP_FROM_FINISH: dict[str, ir.StopReason] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "content_filter",
    # spellings of OpenAI-compatible servers
    "eos": "end_turn",
    "end_turn": "end_turn",
    "stop_sequence": "stop_sequence",
    "max_tokens": "max_tokens",
    "tool_use": "tool_use",
    "insufficient_system_resource": "error",  # DeepSeek: generation interrupted
}

_FINISH_FROM_STOP: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filter": "content_filter",
    "refusal": "content_filter",
    "error": "stop",
}


def stop_reason_from_finish(finish: str | None, *, refused: bool = False) -> ir.StopReason | None:
    """Chat ``finish_reason`` → canonical stop reason (None stays None)."""
    if finish is None:
        return None
    reason = _STOP_FROM_FINISH.get(finish, "end_turn")
    if refused and reason == "end_turn":
        return "refusal"
    return reason


def finish_from_stop(
    stop: ir.StopReason | None, *, has_tool_calls: bool = False, has_refusal: bool = False
) -> str:
    """Canonical stop reason → Chat ``finish_reason`` (always a valid literal)."""
    if has_tool_calls and stop in (None, "end_turn", "stop_sequence", "tool_use", "pause_turn"):
        return "tool_calls"
    if stop == "refusal" and has_refusal:
        return "stop"
    return _FINISH_FROM_STOP.get(stop or "end_turn", "stop")


def parse_usage(raw: dict[str, Any] | None) -> ir.Usage:
    """Chat ``usage`` → IR usage (same semantics; DeepSeek's cache-hit field understood)."""
    if not raw:
        return ir.Usage()
    prompt_details = get_dict(raw, "prompt_tokens_details", "usage") or {}
    completion_details = get_dict(raw, "completion_tokens_details", "usage") or {}
    cached = get_int(prompt_details, "cached_tokens", "usage.prompt_tokens_details")
    if cached is None:
        cached = get_int(raw, "prompt_cache_hit_tokens", "usage")
    return ir.Usage(
        input_tokens=get_int(raw, "prompt_tokens", "usage"),
        output_tokens=get_int(raw, "completion_tokens", "usage"),
        cache_read_tokens=cached,
        cache_creation_tokens=get_int(
            prompt_details, "cache_write_tokens", "usage.prompt_tokens_details"
        ),
        reasoning_tokens=get_int(
            completion_details, "reasoning_tokens", "usage.completion_tokens_details"
        ),
    )


def emit_usage(usage: ir.Usage) -> dict[str, Any]:
    """IR usage → Chat ``usage``. The three counts are always written (the SDK requires them;
    0 when unknown); the details only when known, so a round trip keeps "not reported"."""
    prompt = usage.input_tokens or 0
    completion = usage.output_tokens or 0
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    details: dict[str, int] = {}
    if usage.cache_read_tokens is not None:
        details["cached_tokens"] = usage.cache_read_tokens
    if usage.cache_creation_tokens is not None:
        details["cache_write_tokens"] = usage.cache_creation_tokens
    if details:
        out["prompt_tokens_details"] = details
    if usage.reasoning_tokens is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    return out


def parse_response(body: dict[str, Any]) -> ir.Response:
    """A ``chat.completion`` body → IR response (choice 0)."""
    body = require_dict(body, "response")
    if isinstance(body.get("error"), dict):
        raise InvalidInput("response is an error body, not a chat.completion")
    choices = get_list(body, "choices", "response") or []
    choice: dict[str, Any] = {}
    for i, raw in enumerate(choices):
        c = require_dict(raw, f"choices[{i}]")
        if c.get("index", i) == 0:
            choice = c
            break
    message = get_dict(choice, "message", "choices[0]") or {}
    content: list[ir.Part] = []
    reasoning = reasoning_of(message)
    if reasoning is not None:
        content.append(
            ir.ReasoningPart(reasoning[1], provider_data={FAMILY: {"field": reasoning[0]}})
        )
    text = message.get("content")
    if isinstance(text, str) and text:
        content.append(ir.TextPart(text))
    elif isinstance(text, list):  # some compatible servers send parts
        for part in text:
            if isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"]:
                content.append(ir.TextPart(part["text"]))
    refusal = get_str(message, "refusal", "message")
    if refusal:
        content.append(ir.TextPart(refusal, provider_data={FAMILY: {"refusal": True}}))
    for j, raw in enumerate(get_list(message, "tool_calls", "message") or []):
        call = parse_tool_call(raw, f"message.tool_calls[{j}]")
        call.id = call.id or f"call_{j}"  # some compatible servers omit ids
        content.append(call)
    legacy = get_dict(message, "function_call", "message")
    if legacy is not None:
        content.append(
            ir.ToolCallPart(
                id="call_fn_1",
                name=get_str(legacy, "name", "message.function_call") or "",
                arguments=get_str(legacy, "arguments", "message.function_call") or "",
            )
        )
    pd = {k: body[k] for k in ("system_fingerprint", "service_tier") if body.get(k) is not None}
    created = body.get("created")
    return ir.Response(
        id=get_str(body, "id", "response") or "",
        model=get_str(body, "model", "response") or "",
        content=content,
        stop_reason=stop_reason_from_finish(
            get_str(choice, "finish_reason", "choices[0]"), refused=bool(refusal)
        ),
        usage=parse_usage(get_dict(body, "usage", "response")),
        created=created if isinstance(created, int) and not isinstance(created, bool) else None,
        provider_data={FAMILY: pd} if pd else {},
    )


def emit_response(response: ir.Response, options: EncoderOptions) -> dict[str, Any]:
    """IR response → ``chat.completion`` body."""
    texts: list[str] = []
    refusals: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in response.content:
        if isinstance(part, ir.TextPart):
            if (part.provider_data.get(FAMILY) or {}).get("refusal"):
                refusals.append(part.text)
            else:
                texts.append(part.text)
        elif isinstance(part, ir.ReasoningPart) and part.text:
            reasoning.append(part.text)
        elif isinstance(part, ir.ToolCallPart):
            calls.append(emit_tool_call(part, with_signature=True))
    text = "".join(texts)
    refusal = "".join(refusals)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text if text or not (calls or refusal) else None,
        "refusal": refusal or None,
    }
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    pd = response.provider_data.get(FAMILY) or {}
    body: dict[str, Any] = {
        "id": response.id or "chatcmpl-gatewayctl",
        "object": "chat.completion",
        "created": response.created if response.created is not None else int(time.time()),
        "model": options.model or response.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_from_stop(
                    response.stop_reason, has_tool_calls=bool(calls), has_refusal=bool(refusal)
                ),
            }
        ],
        "usage": emit_usage(response.usage),
    }
    for key in ("system_fingerprint", "service_tier"):
        if pd.get(key) is not None:
            body[key] = pd[key]
    return body
