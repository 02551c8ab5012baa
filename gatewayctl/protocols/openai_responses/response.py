"""Responses ``response`` object ⇄ IR :class:`~gatewayctl.protocols.ir.Response`.

Parsing keeps what the IR can carry from ``output``: assistant text (``output_text``, with
annotations and the message id/phase in provider data; ``refusal`` parts as text marked
``refusal``), reasoning items (summary or raw reasoning text, id and ``encrypted_content``),
function and custom tool calls (``call_id`` is the IR id, the ``fc_…`` item id rides in
provider data). Hosted-tool items (web/file search, code interpreter, MCP…) have no IR form
and are skipped. The stop reason comes from ``status``: tool calls present → ``tool_use``.

Emitting builds the whole object the SDK's ``Response`` model validates, echoing the request
parameters when the caller's request is known (:class:`EncoderOptions.request`); the stream
encoder reuses :func:`response_object` for ``response.created`` / ``response.completed``.
"""

from __future__ import annotations

import copy
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.fields import get_dict, get_list, get_str, require_dict
from gatewayctl.protocols.openai_responses.request_emit import emit_request
from gatewayctl.protocols.openai_responses.shared import (
    new_id,
    now,
    own,
    parse_usage,
    reasoning_item,
    reasoning_part,
    response_id,
    status_for,
    stop_reason_for,
    tool_call_item,
    tool_call_part,
    usage_object,
    with_own,
)

# Request parameters a response object echoes, with the API's defaults.
_ECHO_DEFAULTS: dict[str, Any] = {
    "instructions": None,
    "max_output_tokens": None,
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": None, "summary": None},
    "store": False,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "truncation": "disabled",
    "user": None,
    "metadata": {},
}
# ``response.error.code`` values the API (and the SDK's ResponseError enum) knows.
_FAILURE_CODES = frozenset(
    {
        "server_error",
        "rate_limit_exceeded",
        "invalid_prompt",
        "vector_store_timeout",
        "invalid_image",
        "invalid_image_format",
        "invalid_base64_image",
        "invalid_image_url",
        "image_too_large",
        "image_too_small",
        "image_parse_error",
        "image_content_policy_violation",
        "invalid_image_mode",
        "image_file_too_large",
        "unsupported_image_media_type",
        "empty_image_file",
        "failed_to_download_image",
        "image_file_not_found",
    }
)
_ECHO_EXTRA = ("prompt_cache_key", "safety_identifier", "service_tier", "max_tool_calls")


# --------------------------------------------------------------------------------------
# Parse
# --------------------------------------------------------------------------------------


def parse_output_item(item: dict[str, Any], where: str) -> list[ir.Part]:
    """One ``output`` item → IR parts (none for hosted-tool items)."""
    typ = item.get("type")
    if typ == "message":
        base = {"id": get_str(item, "id", where), "phase": get_str(item, "phase", where)}
        parts: list[ir.Part] = []
        for j, raw in enumerate(get_list(item, "content", where) or []):
            pw = f"{where}.content[{j}]"
            part = require_dict(raw, pw)
            if part.get("type") == "output_text":
                text = get_str(part, "text", pw) or ""
                notes = part.get("annotations")
                data = {**base, "annotations": notes if isinstance(notes, list) and notes else None}
                parts.append(ir.TextPart(text, provider_data=with_own(data)))
            elif part.get("type") == "refusal":
                text = get_str(part, "refusal", pw) or ""
                parts.append(ir.TextPart(text, provider_data=with_own({**base, "refusal": True})))
        return parts
    if typ == "reasoning":
        return [reasoning_part(item, where)]
    if typ in ("function_call", "custom_tool_call"):
        return [tool_call_part(item, where)]
    return []


def parse_response(body: Any) -> ir.Response:
    """A Responses ``response`` object → IR."""
    body = require_dict(body, "response")
    content: list[ir.Part] = []
    for i, raw in enumerate(get_list(body, "output", "response") or []):
        content.extend(parse_output_item(require_dict(raw, f"output[{i}]"), f"output[{i}]"))
    status = get_str(body, "status", "response")
    details = get_dict(body, "incomplete_details", "response") or {}
    reason = details.get("reason") if isinstance(details.get("reason"), str) else None
    stop = stop_reason_for(
        status,
        reason,
        tool_calls=any(isinstance(p, ir.ToolCallPart) for p in content),
        refusal=any(
            isinstance(p, ir.TextPart) and own(p.provider_data).get("refusal") for p in content
        ),
    )
    created = body.get("created_at")
    error = body.get("error")
    return ir.Response(
        id=get_str(body, "id", "response") or "",
        model=get_str(body, "model", "response") or "",
        content=content,
        stop_reason=stop,
        usage=parse_usage(body.get("usage")) or ir.Usage(),
        created=int(created)
        if isinstance(created, int | float) and not isinstance(created, bool)
        else None,
        provider_data=with_own({"error": error if isinstance(error, dict) else None}),
    )


# --------------------------------------------------------------------------------------
# Emit
# --------------------------------------------------------------------------------------


def message_item(item_id: str, phase: str | None = None) -> dict[str, Any]:
    """An empty assistant ``message`` output item."""
    item: dict[str, Any] = {
        "id": item_id,
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [],
    }
    if phase:
        item["phase"] = phase
    return item


def text_content(part: ir.TextPart, text: str | None = None) -> dict[str, Any]:
    """A TextPart → an ``output_text`` (or ``refusal``) content part."""
    data = own(part.provider_data)
    value = part.text if text is None else text
    if data.get("refusal"):
        return {"type": "refusal", "refusal": value}
    notes = data.get("annotations")
    return {
        "type": "output_text",
        "text": value,
        "annotations": list(notes) if isinstance(notes, list) else [],
        "logprobs": [],
    }


def reasoning_output_item(part: ir.ReasoningPart) -> dict[str, Any] | None:
    """A ReasoningPart → ``reasoning`` output item. Foreign thinking shows as the summary (its
    signature is not ours to carry); a redacted block with no text has nothing to show."""
    data = own(part.provider_data)
    if isinstance(data.get("item"), dict):
        return None  # opaque input carrier: not an output
    if part.redacted and not part.text and not data:
        return None
    return reasoning_item(part, keep_id=True, for_input=False)


def output_items(content: list[ir.Part]) -> list[dict[str, Any]]:
    """IR response content → ``output`` items (consecutive text parts share a message)."""
    items: list[dict[str, Any]] = []
    msg: dict[str, Any] | None = None
    for part in content:
        if isinstance(part, ir.TextPart):
            if not part.text:
                continue
            data = own(part.provider_data)
            mid = data.get("id")
            if msg is None or (mid and mid != msg["id"]):
                msg = message_item(mid or new_id("msg"), data.get("phase"))
                items.append(msg)
            msg["content"].append(text_content(part))
            continue
        msg = None
        if isinstance(part, ir.ReasoningPart):
            item = reasoning_output_item(part)
            if item is not None:
                items.append(item)
        elif isinstance(part, ir.ToolCallPart):
            items.append(tool_call_item(part, keep_id=True, for_input=False))
        # images / files / tool results have no output item form here: skipped
    return items


def request_echo(request: ir.Request | None) -> dict[str, Any]:
    """The request parameters a response object repeats (API defaults when unknown)."""
    echo = copy.deepcopy(_ECHO_DEFAULTS)
    if request is None:
        return echo
    try:
        body = emit_request(request)
    except InvalidInput:
        return echo
    for key in _ECHO_DEFAULTS:
        if key in body:
            echo[key] = body[key]
    for key in _ECHO_EXTRA:
        if key in body:
            echo[key] = body[key]
    reasoning = body.get("reasoning") or {}
    echo["reasoning"] = {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")}
    if "text" in body and "format" not in body["text"]:
        echo["text"] = {"format": {"type": "text"}, **body["text"]}
    return echo


def response_object(
    *,
    resp_id: str,
    created_at: int,
    model: str,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    echo: dict[str, Any],
    error: dict[str, Any] | None = None,
    incomplete_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete ``response`` object as the API writes it (``echo``: :func:`request_echo`)."""
    obj: dict[str, Any] = {
        "id": resp_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": error,
        "incomplete_details": incomplete_details,
        "model": model,
        "output": output,
    }
    obj.update(copy.deepcopy(echo))
    obj["usage"] = usage
    return obj


def failure_error(error: ir.ErrorInfo | None, message: str | None = None) -> dict[str, Any]:
    """The ``response.error`` object of a failed response. Its ``code`` is an enum in the
    SDK; other codes (``insufficient_quota``…) map by kind — the ``error`` event that precedes
    ``response.failed`` keeps the original code."""
    if error is not None:
        code = error.code if error.code in _FAILURE_CODES else None
        if code is None:
            code = "rate_limit_exceeded" if error.kind == "rate_limit" else "server_error"
        return {"code": code, "message": error.message}
    return {"code": "server_error", "message": message or "the upstream model failed"}


def emit_response(response: ir.Response, options: EncoderOptions) -> dict[str, Any]:
    """IR → a Responses ``response`` object."""
    status, details = status_for(response.stop_reason)
    error = None
    if status == "failed":
        upstream = own(response.provider_data).get("error")
        error = dict(upstream) if isinstance(upstream, dict) else failure_error(None)
    return response_object(
        resp_id=response_id(response.id),
        created_at=response.created if response.created is not None else now(),
        model=options.model or response.model,
        status=status,
        output=output_items(response.content),
        usage=usage_object(response.usage),
        echo=request_echo(options.request),
        error=error,
        incomplete_details=details,
    )
