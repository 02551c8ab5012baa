"""Anthropic non-stream bodies ↔ IR: messages, errors, token counts, models.

Response content keeps text, thinking (+signature), redacted_thinking and tool_use; server-tool
blocks (web search, code execution, MCP, …) and citations are dropped (no IR form, see
:mod:`.request_parse`). Usage follows the IR convention: ``input_tokens`` in the IR is
Anthropic's ``input_tokens + cache_read_input_tokens + cache_creation_input_tokens`` and the
emitter subtracts the cache counts again; ``output_tokens_details.thinking_tokens`` ↔
``reasoning_tokens``.

A reasoning part with no Anthropic signature (from another family) is shown to an Anthropic
client as a ``thinking`` block with an empty signature: the thinking stays visible, nothing is
fabricated, and the request emitter drops unsigned thinking if the client sends it back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import arguments, ir
from gatewayctl.protocols.anthropic._common import (
    ERROR_TYPE_TO_KIND,
    FAMILY,
    anthropic_data,
    error_object,
    kind_from_status,
    message_id,
    stop_from_wire,
    stop_to_wire,
    tool_id,
    usage_from_wire,
    usage_to_wire,
)
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.errorkinds import status_for_kind
from gatewayctl.protocols.fields import count_or_none, require_dict

# --------------------------------------------------------------------------------------
# messages
# --------------------------------------------------------------------------------------


def parse_response(body: Any) -> ir.Response:
    """A Messages response body → IR. Raises InvalidInput for anything else."""
    body = require_dict(body, "response body")
    if body.get("type") == "error":
        raise InvalidInput("response body is an Anthropic error, not a message")
    content = body.get("content")
    if not isinstance(content, list):
        raise InvalidInput("content: a message response needs a content array")
    parts: list[ir.Part] = []
    for i, block in enumerate(content):
        part = content_block_to_part(require_dict(block, f"content[{i}]"))
        if part is not None:
            parts.append(part)
    usage = body.get("usage")
    stop_sequence = body.get("stop_sequence")
    response = ir.Response(
        id=str(body.get("id") or ""),
        model=str(body.get("model") or ""),
        content=parts,
        stop_reason=stop_from_wire(body.get("stop_reason")),
        stop_sequence=stop_sequence if isinstance(stop_sequence, str) else None,
        usage=usage_from_wire(usage) if isinstance(usage, dict) else ir.Usage(),
    )
    if isinstance(body.get("stop_details"), dict):
        response.provider_data[FAMILY] = {"stop_details": body["stop_details"]}
    return response


def content_block_to_part(block: dict[str, Any]) -> ir.Part | None:
    """One response content block → an IR part (None for blocks the IR cannot hold)."""
    btype = block.get("type")
    if btype == "text":
        text = block.get("text")
        return ir.TextPart(text if isinstance(text, str) else "")
    if btype == "thinking":
        text = block.get("thinking")
        signature = block.get("signature")
        pd: ir.ProviderData = {}
        if isinstance(signature, str) and signature:
            pd = {FAMILY: {"signature": signature}}
        return ir.ReasoningPart(text=text if isinstance(text, str) else "", provider_data=pd)
    if btype == "redacted_thinking":
        data = block.get("data")
        if isinstance(data, str):
            return ir.ReasoningPart(redacted=True, provider_data={FAMILY: {"redacted_data": data}})
        return None
    if btype == "tool_use":
        return ir.ToolCallPart(
            id=str(block.get("id") or ""),
            name=str(block.get("name") or ""),
            arguments=arguments.to_text(block.get("input", {})),
        )
    return None


def emit_response(response: ir.Response, options: EncoderOptions) -> dict[str, Any]:
    """IR → a Messages response body (validates as ``anthropic.types.Message``)."""
    content: list[dict[str, Any]] = []
    has_calls = False
    for part in response.content:
        block = part_to_content_block(part)
        if block is None:
            continue
        has_calls = has_calls or block["type"] == "tool_use"
        content.append(block)
    stop = stop_to_wire(response.stop_reason, has_calls)
    body: dict[str, Any] = {
        "id": message_id(response.id),
        "type": "message",
        "role": "assistant",
        "model": options.model or response.model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": response.stop_sequence if stop == "stop_sequence" else None,
        "usage": usage_to_wire(response.usage),
    }
    details = anthropic_data(response.provider_data).get("stop_details")
    if isinstance(details, dict) and stop == "refusal":
        body["stop_details"] = details
    return body


def part_to_content_block(part: ir.Part) -> dict[str, Any] | None:
    """An IR output part → a response content block (None when it has no Anthropic form)."""
    if isinstance(part, ir.TextPart):
        return {"type": "text", "text": part.text} if part.text else None
    if isinstance(part, ir.ToolCallPart):
        return {
            "type": "tool_use",
            "id": tool_id(part.id),
            "name": part.name,
            "input": arguments.to_object(part.arguments, part.kind),
        }
    if isinstance(part, ir.ReasoningPart):
        pd = anthropic_data(part.provider_data)
        if isinstance(pd.get("redacted_data"), str):
            return {"type": "redacted_thinking", "data": pd["redacted_data"]}
        signature = pd.get("signature")
        if part.redacted or (not part.text and not signature):
            return None
        return {
            "type": "thinking",
            "thinking": part.text,
            "signature": signature if isinstance(signature, str) else "",
        }
    return None


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


def parse_error(status: int, body: bytes) -> ir.ErrorInfo:
    """Any upstream error body (Anthropic-shaped or not, maybe not JSON) → ErrorInfo."""
    text = body.decode("utf-8", "replace").strip()
    try:
        doc: Any = json.loads(text) if text else None
    except ValueError:
        doc = None
    message = ""
    etype: str | None = None
    if isinstance(doc, dict):
        inner = doc.get("error")
        if isinstance(inner, dict):
            message = str(inner.get("message") or "")
            etype = inner.get("type") if isinstance(inner.get("type"), str) else None
        elif isinstance(inner, str):
            message = inner
        elif isinstance(doc.get("message"), str):
            message = doc["message"]
    elif text:
        message = text[:2000]
    kind = ERROR_TYPE_TO_KIND.get(etype or "") or kind_from_status(status)
    code = etype if etype is not None and etype not in _CANONICAL_TYPES else None
    return ir.ErrorInfo(
        status=status, kind=kind, message=message or f"upstream returned HTTP {status}", code=code
    )


_CANONICAL_TYPES = {
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "timeout_error",
    "overloaded_error",
}


def emit_error(error: ir.ErrorInfo) -> tuple[int, dict[str, Any]]:
    """ErrorInfo → (status, Anthropic error body). Overloaded is 529 for Anthropic clients."""
    status = error.status
    if error.kind == "overloaded":
        status = 529
    elif not 400 <= status <= 599:
        status = 529 if error.kind == "overloaded" else status_for_kind(error.kind)
    return status, {"type": "error", "error": error_object(error)}


# --------------------------------------------------------------------------------------
# token counting
# --------------------------------------------------------------------------------------


def parse_count_response(body: Any) -> int:
    body = require_dict(body, "count_tokens response")
    count = count_or_none(body.get("input_tokens"))
    if count is None:
        raise InvalidInput("input_tokens: a count_tokens response needs an integer input_tokens")
    return count


def emit_count_response(input_tokens: int) -> dict[str, Any]:
    return {"input_tokens": input_tokens}


# --------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------


def parse_model(body: Any) -> ir.ModelInfo:
    body = require_dict(body, "model")
    model_id = body.get("id")
    if not isinstance(model_id, str) or not model_id:
        raise InvalidInput("id: a model needs a string id")
    name = body.get("display_name")
    return ir.ModelInfo(
        id=model_id,
        display_name=name if isinstance(name, str) else None,
        created=_parse_time(body.get("created_at")),
        input_token_limit=count_or_none(body.get("max_input_tokens")),
        output_token_limit=count_or_none(body.get("max_tokens")),
    )


def parse_model_list(body: Any) -> list[ir.ModelInfo]:
    body = require_dict(body, "model list")
    data = body.get("data")
    if not isinstance(data, list):
        raise InvalidInput("data: a model list needs a data array")
    return [parse_model(item) for item in data]


def emit_model(model: ir.ModelInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "model",
        "id": model.id,
        "display_name": model.display_name or model.id,
        "created_at": _format_time(model.created),
        "lifecycle": "active",
    }
    if model.input_token_limit is not None:
        out["max_input_tokens"] = model.input_token_limit
    if model.output_token_limit is not None:
        out["max_tokens"] = model.output_token_limit
    return out


def emit_model_list(models: list[ir.ModelInfo]) -> dict[str, Any]:
    data = [emit_model(m) for m in models]
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def _parse_time(value: Any) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _format_time(created: int | None) -> str:
    moment = datetime.fromtimestamp(created or 0, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
