"""Small pieces every part of the Responses codec uses: ids, usage, stop ↔ status, and the
IR ↔ item conversions for the items that appear both in requests (``input``) and responses
(``output``): reasoning, function calls, custom tool calls.

Provider data written by this codec (``provider_data["openai_responses"]``):

* TextPart: ``id`` / ``phase`` of its assistant message item, ``refusal: True`` for a refusal
  part, ``annotations`` (output_text annotations), ``role`` (``"system"``/``"developer"``) for
  instructions that came as input messages.
* ReasoningPart: ``id``, ``encrypted_content``, ``summary`` (True when ``text`` is the summary,
  False when it is raw ``reasoning_text`` content), ``content`` (raw reasoning texts kept when
  the text is the summary); or ``item``: an opaque Responses input item (``compaction``,
  hosted-tool calls…) that only this family can replay — other emitters see an empty
  reasoning part without their own signature and drop it.
* ToolCallPart: ``id`` (the ``fc_…``/``ctc_…`` item id; ``ToolCallPart.id`` is the
  ``call_id``). A call's ``namespace`` is the IR's :attr:`ir.ToolCallPart.namespace`.
* Tool: ``namespace_tool``: the other fields (``description``…) of the ``namespace`` tool a
  function/custom tool was declared in (its name is :attr:`ir.Tool.namespace`).
* FilePart: ``image: True`` + ``detail`` for an ``input_image`` given by ``file_id``.
* ToolResultPart: ``id`` of its output item.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.fields import get_dict, get_int, get_str, require_dict

FAMILY: str = "openai_responses"  # an ir.Family; typed str to key ProviderData dicts


def own(data: ir.ProviderData | None) -> dict[str, Any]:
    """This family's entry of a provider_data dict ({} when absent)."""
    if not data:
        return {}
    entry = data.get(FAMILY)
    return entry if isinstance(entry, dict) else {}


def with_own(values: dict[str, Any]) -> ir.ProviderData:
    """A provider_data dict holding ``values`` for this family ({} when there is nothing)."""
    cleaned = {k: v for k, v in values.items() if v is not None}
    return {FAMILY: cleaned} if cleaned else {}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def response_id(upstream_id: str | None) -> str:
    """A ``resp_…`` id: the upstream's if it already is one, else derived from it."""
    if upstream_id and upstream_id.startswith("resp_"):
        return upstream_id
    if upstream_id:
        return "resp_" + _UNSAFE.sub("", upstream_id)
    return new_id("resp")


def now() -> int:
    return int(time.time())


# --------------------------------------------------------------------------------------
# Usage
# --------------------------------------------------------------------------------------


def parse_usage(raw: Any) -> ir.Usage | None:
    """Responses ``usage`` → IR (same semantics: input includes cached, output reasoning)."""
    if not isinstance(raw, dict):
        return None
    inp = get_dict(raw, "input_tokens_details", "usage") or {}
    out = get_dict(raw, "output_tokens_details", "usage") or {}
    return ir.Usage(
        input_tokens=get_int(raw, "input_tokens", "usage"),
        output_tokens=get_int(raw, "output_tokens", "usage"),
        cache_read_tokens=get_int(inp, "cached_tokens", "usage.input_tokens_details"),
        cache_creation_tokens=get_int(inp, "cache_write_tokens", "usage.input_tokens_details"),
        reasoning_tokens=get_int(out, "reasoning_tokens", "usage.output_tokens_details"),
    )


def usage_object(usage: ir.Usage | None) -> dict[str, Any]:
    """IR usage → the Responses ``usage`` object (every field present; unknown counts 0)."""
    u = usage or ir.Usage()
    inp = u.input_tokens or 0
    out = u.output_tokens or 0
    return {
        "input_tokens": inp,
        "input_tokens_details": {
            "cached_tokens": u.cache_read_tokens or 0,
            "cache_write_tokens": u.cache_creation_tokens or 0,
        },
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens or 0},
        "total_tokens": inp + out,
    }


# --------------------------------------------------------------------------------------
# Stop reason ⇄ status
# --------------------------------------------------------------------------------------


def stop_reason_for(
    status: str | None, incomplete_reason: str | None, *, tool_calls: bool, refusal: bool
) -> ir.StopReason | None:
    """A response ``status`` (+ ``incomplete_details.reason``) → canonical stop reason."""
    if status == "failed":
        return "error"
    if status == "incomplete":
        return "content_filter" if incomplete_reason == "content_filter" else "max_tokens"
    if status in ("completed", None):
        if tool_calls:
            return "tool_use"
        if refusal:
            return "refusal"
        return "end_turn"
    return None  # queued / in_progress / cancelled: no stop reason yet


def status_for(stop: ir.StopReason | None) -> tuple[str, dict[str, Any] | None]:
    """Canonical stop reason → (``status``, ``incomplete_details``)."""
    if stop == "max_tokens":
        return "incomplete", {"reason": "max_output_tokens"}
    if stop == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    if stop == "error":
        return "failed", None
    return "completed", None


# --------------------------------------------------------------------------------------
# Items shared by input and output: reasoning, function calls, custom tool calls
# --------------------------------------------------------------------------------------


def _texts(value: Any, kind: str, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{where} must be an array")
    out: list[str] = []
    for j, entry in enumerate(value):
        entry = require_dict(entry, f"{where}[{j}]")
        if entry.get("type", kind) != kind:
            continue
        text = get_str(entry, "text", f"{where}[{j}]")
        if text is not None:
            out.append(text)
    return out


def reasoning_part(item: dict[str, Any], where: str) -> ir.ReasoningPart:
    """A ``reasoning`` item → ReasoningPart (summary parts joined with a blank line)."""
    summary = _texts(item.get("summary"), "summary_text", f"{where}.summary")
    content = _texts(item.get("content"), "reasoning_text", f"{where}.content")
    data: dict[str, Any] = {
        "id": get_str(item, "id", where),
        "encrypted_content": get_str(item, "encrypted_content", where),
    }
    if summary or not content:
        text = "\n\n".join(summary)
        data["summary"] = True
        if content:
            data["content"] = content
    else:
        text = "\n\n".join(content)
        data["summary"] = False
    return ir.ReasoningPart(text=text, provider_data=with_own(data))


def reasoning_item(part: ir.ReasoningPart, *, keep_id: bool, for_input: bool) -> dict[str, Any]:
    """ReasoningPart → a ``reasoning`` item (output form always has an id)."""
    data = own(part.provider_data)
    item: dict[str, Any] = {"type": "reasoning"}
    rid = data.get("id")
    if for_input:
        if keep_id and rid:
            item["id"] = rid
    else:
        item["id"] = rid or new_id("rs")
    item["summary"] = []
    if data.get("summary", True) is False:
        if part.text:
            item["content"] = [{"type": "reasoning_text", "text": part.text}]
    else:
        if part.text:
            item["summary"] = [{"type": "summary_text", "text": part.text}]
        extra = data.get("content")
        if isinstance(extra, list) and extra:
            item["content"] = [{"type": "reasoning_text", "text": str(t)} for t in extra]
    if data.get("encrypted_content"):
        item["encrypted_content"] = data["encrypted_content"]
    return item


def tool_call_part(item: dict[str, Any], where: str) -> ir.ToolCallPart:
    """A ``function_call`` / ``custom_tool_call`` item → ToolCallPart (id = ``call_id``)."""
    custom = item.get("type") == "custom_tool_call"
    call_id = get_str(item, "call_id", where)
    name = get_str(item, "name", where)
    if not call_id:
        raise InvalidInput(f"{where}.call_id is required")
    if not name:
        raise InvalidInput(f"{where}.name is required")
    args = get_str(item, "input" if custom else "arguments", where) or ""
    return ir.ToolCallPart(
        id=call_id,
        name=name,
        arguments=args,
        kind="custom" if custom else "function",
        provider_data=with_own({"id": get_str(item, "id", where)}),
        namespace=get_str(item, "namespace", where) or None,
    )


def tool_call_item(
    part: ir.ToolCallPart, *, keep_id: bool, for_input: bool, arguments: str | None = None
) -> dict[str, Any]:
    """ToolCallPart → a ``function_call`` / ``custom_tool_call`` item.

    Function arguments ``""`` are written as ``"{}"`` (the IR's "no arguments"); output items
    always carry an item id (``fc_…`` / ``ctc_…``) and ``status``.
    """
    data = own(part.provider_data)
    args = part.arguments if arguments is None else arguments
    item: dict[str, Any]
    if part.kind == "custom":
        item = {"type": "custom_tool_call", "call_id": part.id, "name": part.name, "input": args}
        prefix = "ctc"
    else:
        item = {
            "type": "function_call",
            "call_id": part.id,
            "name": part.name,
            "arguments": args or "{}",
        }
        prefix = "fc"
    if part.namespace:
        item["namespace"] = part.namespace
    if for_input:
        if keep_id and data.get("id"):
            item["id"] = data["id"]
    else:
        item["id"] = data.get("id") or new_id(prefix)
        if part.kind != "custom":
            item["status"] = "completed"
    return item
