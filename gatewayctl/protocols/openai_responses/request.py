"""``POST /v1/responses`` request body ⇄ IR :class:`~gatewayctl.protocols.ir.Request`.

Parsing (protocols.md §2.1, §7.1–§7.6):

* ``instructions`` is the first system part; ``system``/``developer`` input messages before
  the first conversation item follow it in :attr:`Request.system` (marked with their role so
  they replay as the same kind of item); later ones become ``Message(role="system")`` in place.
* Items are grouped into IR messages by role: assistant-side items (assistant ``message``,
  ``reasoning``, ``function_call``, ``custom_tool_call``) form one assistant message; user
  messages and ``*_output`` items form one user message (tool results first, as sent).
* ``item_reference`` items are dropped: they name server-stored items this gateway cannot
  resolve. Other item types the IR has no part for (``compaction``, hosted-tool calls such as
  ``web_search_call``, ``local_shell_call`` …) are kept verbatim as opaque carriers (see
  :mod:`.shared`) so a Responses upstream still gets them; other families drop them.
* Unknown content part types are skipped (forward compatibility); malformed ones raise.
* A ``namespace`` tool (Codex's ``multi_agent_v1``) becomes its member tools, each with
  :attr:`ir.Tool.namespace`; calls carry ``namespace`` in :attr:`ir.ToolCallPart.namespace`.
  Other protocols have no namespaces: :mod:`gatewayctl.translate.toolnames` offers the members
  under Codex's flat name ``<namespace>__<name>`` and maps calls back.
* Fields with no cross-protocol meaning (``store``, ``include``, ``previous_response_id``,
  ``prompt_cache_key``, ``truncation`` …) ride in ``provider_data["openai_responses"]``.

Emitting lives in :mod:`.request_emit`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.fields import (
    content_parts,
    get_bool,
    get_dict,
    get_float,
    get_int,
    get_list,
    get_str,
    require_dict,
    require_str,
)
from gatewayctl.protocols.openai_common import file_from_fields, image_from_url
from gatewayctl.protocols.openai_responses.shared import (
    FAMILY,
    own,
    reasoning_part,
    tool_call_part,
    with_own,
)

# Top-level request fields carried opaquely for the same family.
OPAQUE_FIELDS = (
    "store",
    "include",
    "previous_response_id",
    "conversation",
    "prompt",
    "prompt_cache_key",
    "prompt_cache_retention",
    "prompt_cache_options",
    "truncation",
    "service_tier",
    "background",
    "safety_identifier",
    "top_logprobs",
    "max_tool_calls",
    "client_metadata",
    "stream_options",
    "context_management",
)

# What ``/v1/responses/input_tokens`` accepts (protocols.md §2.4).
COUNT_FIELDS = (
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning",
    "text",
    "previous_response_id",
    "conversation",
    "truncation",
)

_CALL_ITEMS = ("function_call", "custom_tool_call")
_OUTPUT_ITEMS = ("function_call_output", "custom_tool_call_output")

Content = ir.TextPart | ir.ImagePart | ir.FilePart


# --------------------------------------------------------------------------------------
# Parse
# --------------------------------------------------------------------------------------


def parse_request(body: Any, *, require_model: bool = True) -> ir.Request:
    """A Responses request body → IR. Raises InvalidInput naming the bad field."""
    body = require_dict(body, "request")
    model = get_str(body, "model")
    if not model:
        if require_model:
            raise InvalidInput("missing `model` in OpenAI responses request body")
        model = ""
    req = ir.Request(model=model)
    _parse_instructions(body.get("instructions"), req)
    raw = body.get("input")
    if isinstance(raw, str):
        if raw:
            req.messages.append(ir.Message("user", [ir.TextPart(raw)]))
    elif isinstance(raw, list):
        _parse_input(raw, req)
    elif raw is not None:
        raise InvalidInput("input must be a string or an array of items")

    opaque: dict[str, Any] = {k: body[k] for k in OPAQUE_FIELDS if body.get(k) is not None}
    req.tools = [
        tool
        for i, raw in enumerate(get_list(body, "tools") or [])
        for tool in _parse_tool_entry(raw, f"tools[{i}]")
    ]
    req.tool_choice = _parse_tool_choice(body.get("tool_choice"), opaque)
    req.parallel_tool_calls = get_bool(body, "parallel_tool_calls")
    req.stream = bool(get_bool(body, "stream"))
    req.max_output_tokens = get_int(body, "max_output_tokens")
    req.temperature = get_float(body, "temperature")
    req.top_p = get_float(body, "top_p")
    req.user = get_str(body, "user")
    req.metadata = get_dict(body, "metadata")
    text = get_dict(body, "text")
    if text:
        req.response_format = _parse_format(get_dict(text, "format", "text"))
        if text.get("verbosity") is not None:
            opaque["verbosity"] = text["verbosity"]
    req.reasoning = _parse_reasoning(get_dict(body, "reasoning"))
    if opaque:
        req.provider_data = {FAMILY: opaque}
    return req


def _parse_instructions(raw: Any, req: ir.Request) -> None:
    if raw is None:
        return
    if isinstance(raw, str):
        if raw:
            req.system.append(ir.TextPart(raw))
        return
    if isinstance(raw, list):  # input items, as response objects echo prompt templates
        for i, item in enumerate(raw):
            item = require_dict(item, f"instructions[{i}]")
            for text in _message_texts(item.get("content"), f"instructions[{i}].content"):
                req.system.append(ir.TextPart(text))
        return
    raise InvalidInput("instructions must be a string")


def _append(req: ir.Request, role: ir.Role, parts: Sequence[ir.Part]) -> None:
    """Add parts to the conversation, merging into the last message when the role matches."""
    if not parts:
        return
    if req.messages and req.messages[-1].role == role:
        req.messages[-1].parts.extend(parts)
    else:
        req.messages.append(ir.Message(role, list(parts)))


def _parse_input(items: list[Any], req: ir.Request) -> None:
    calls: dict[str, ir.ToolCallPart] = {}
    leading = True  # still before the first conversation item
    for i, raw in enumerate(items):
        where = f"input[{i}]"
        item = require_dict(raw, where)
        typ = get_str(item, "type", where)
        if typ is None:
            if "role" not in item:
                raise InvalidInput(f"{where}.type is required")
            typ = "message"
        if typ == "message":
            role = get_str(item, "role", where)
            if role in ("system", "developer"):
                texts = _message_texts(item.get("content"), f"{where}.content")
                parts: list[ir.Part] = [
                    ir.TextPart(t, provider_data=with_own({"role": role})) for t in texts
                ]
                if leading:
                    req.system.extend(p for p in parts if isinstance(p, ir.TextPart))
                else:
                    _append(req, "system", parts)
                continue
            leading = False
            if role == "user":
                _append(req, "user", list(_parse_content(item.get("content"), f"{where}.content")))
            elif role == "assistant":
                extra = {"id": get_str(item, "id", where), "phase": get_str(item, "phase", where)}
                content = list(_parse_content(item.get("content"), f"{where}.content"))
                for part in content:
                    if isinstance(part, ir.TextPart):
                        part.provider_data = with_own({**own(part.provider_data), **extra})
                _append(req, "assistant", content)
            else:
                raise InvalidInput(
                    f"{where}.role must be user, assistant, system or developer, not {role!r}"
                )
            continue
        leading = False
        if typ in _CALL_ITEMS:
            call = tool_call_part(item, where)
            calls[call.id] = call
            _append(req, "assistant", [call])
        elif typ in _OUTPUT_ITEMS:
            _append(req, "user", [_parse_tool_output(item, where, calls)])
        elif typ == "reasoning":
            _append(req, "assistant", [reasoning_part(item, where)])
        elif typ == "item_reference":
            continue  # refers to server-stored state we cannot resolve: dropped
        else:
            carrier = ir.ReasoningPart(provider_data={FAMILY: {"item": dict(item)}})
            _append(req, "assistant", [carrier])


def _message_texts(content: Any, where: str) -> list[str]:
    """The text of a system/developer message (non-text parts are ignored)."""
    return [p.text for p in _parse_content(content, where) if isinstance(p, ir.TextPart)]


def _parse_content(content: Any, where: str) -> list[Content]:
    """A ``content`` value (string or parts; ``where`` names it) → IR parts. Empty text is
    dropped."""
    items = content_parts(content, where)
    if isinstance(items, str):
        return [ir.TextPart(items)] if items else []
    out: list[Content] = []
    for pw, part in items:
        typ = get_str(part, "type", pw)
        if typ in ("input_text", "output_text", "text"):
            text = get_str(part, "text", pw)
            if text is None:
                raise InvalidInput(f"{pw}.text is required")
            if text:
                out.append(ir.TextPart(text))
        elif typ == "refusal":
            text = get_str(part, "refusal", pw) or ""
            if text:
                out.append(ir.TextPart(text, provider_data=with_own({"refusal": True})))
        elif typ == "input_image":
            out.append(_parse_image(part, pw))
        elif typ == "input_file":
            out.append(
                file_from_fields(
                    file_data=get_str(part, "file_data", pw),
                    file_id=get_str(part, "file_id", pw),
                    filename=get_str(part, "filename", pw),
                    file_url=get_str(part, "file_url", pw),
                )
            )
        # any other part type (input_audio, future types) is skipped
    return out


def _parse_image(part: dict[str, Any], where: str) -> ir.ImagePart | ir.FilePart:
    detail = get_str(part, "detail", where)
    url = part.get("image_url")
    if isinstance(url, dict):  # lenient: Chat-style {"url": ...}
        url = url.get("url")
    if isinstance(url, str) and url:
        return image_from_url(url, detail)
    file_id = get_str(part, "file_id", where)
    if file_id:
        return ir.FilePart(
            file_id=file_id, provider_data=with_own({"image": True, "detail": detail})
        )
    raise InvalidInput(f"{where} needs image_url or file_id")


def _parse_tool_output(
    item: dict[str, Any], where: str, calls: dict[str, ir.ToolCallPart]
) -> ir.ToolResultPart:
    call_id = require_str(item, "call_id", where)
    output = item.get("output")
    content: list[Content]
    if output is None:
        content = []
    elif isinstance(output, str):
        content = [ir.TextPart(output)] if output else []
    elif isinstance(output, list):
        content = _parse_content(output, f"{where}.output")
    else:
        content = [ir.TextPart(json.dumps(output, ensure_ascii=False))]
    call = calls.get(call_id)
    return ir.ToolResultPart(
        call_id=call_id,
        content=content,
        name=call.name if call else None,
        provider_data=with_own({"id": get_str(item, "id", where)}),
    )


def _parse_tool_entry(raw: Any, where: str) -> list[ir.Tool]:
    """One ``tools[]`` entry → IR tools: a ``namespace`` tool is its function/custom tools, each
    with :attr:`ir.Tool.namespace` set (Codex's ``multi_agent_v1``…), so every protocol can offer
    them (under a flat name elsewhere); the Responses emitter puts the wrapper back."""
    tool = require_dict(raw, where)
    if tool.get("type") != "namespace":
        return [_parse_tool(tool, where)]
    name = require_str(tool, "name", where)
    inner = get_list(tool, "tools", where) or []
    if not inner:  # nothing callable: keep the wrapper for a Responses upstream only
        return [ir.Tool(name=name, kind="builtin", provider_data={FAMILY: dict(tool)})]
    rest = {k: v for k, v in tool.items() if k not in ("type", "name", "tools")}
    out: list[ir.Tool] = []
    for j, item in enumerate(inner):
        member = _parse_tool(item, f"{where}.tools[{j}]")
        if member.kind == "builtin":
            raise InvalidInput(f"{where}.tools[{j}]: a namespace holds function or custom tools")
        member.namespace = name
        if rest:
            member.provider_data[FAMILY] = {**own(member.provider_data), "namespace_tool": rest}
        out.append(member)
    return out


def _parse_tool(raw: Any, where: str) -> ir.Tool:
    tool = require_dict(raw, where)
    typ = get_str(tool, "type", where)
    if typ == "function":
        fn = tool
        if "name" not in tool and isinstance(tool.get("function"), dict):
            fn = tool["function"]  # lenient: Chat-style nesting
        name = require_str(fn, "name", where)
        return ir.Tool(
            name=name,
            description=get_str(fn, "description", where),
            parameters=get_dict(fn, "parameters", where),
            strict=get_bool(fn, "strict", where),
        )
    if typ == "custom":
        name = require_str(tool, "name", where)
        return ir.Tool(
            name=name,
            description=get_str(tool, "description", where),
            kind="custom",
            provider_data=with_own({"format": get_dict(tool, "format", where)}),
        )
    if not typ:
        raise InvalidInput(f"{where}.type is required")
    # built-in / hosted tools (web_search, file_search, mcp, namespace, …): Responses only
    label = tool.get("name") or tool.get("server_label") or typ
    return ir.Tool(name=str(label), kind="builtin", provider_data={FAMILY: dict(tool)})


def _parse_tool_choice(raw: Any, opaque: dict[str, Any]) -> ir.ToolChoice | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        if raw not in ("auto", "none", "required"):
            raise InvalidInput("tool_choice must be auto, none, required or an object")
        return ir.ToolChoice(raw)  # type: ignore[arg-type]
    choice = require_dict(raw, "tool_choice")
    typ = get_str(choice, "type", "tool_choice")
    if typ in ("function", "custom"):
        name = get_str(choice, "name", "tool_choice")
        if not name:
            raise InvalidInput("tool_choice.name is required")
        return ir.ToolChoice("tool", name)
    # allowed_tools / a hosted tool: the IR cannot say which subset; keep it for replay
    opaque["tool_choice"] = dict(choice)
    mode = choice.get("mode")
    return ir.ToolChoice("required" if mode == "required" else "auto")


def _parse_format(fmt: dict[str, Any] | None) -> ir.ResponseFormat | None:
    if fmt is None:
        return None
    typ = get_str(fmt, "type", "text.format")
    if typ == "json_schema":
        return ir.ResponseFormat(
            kind="json_schema",
            schema=get_dict(fmt, "schema", "text.format"),
            name=get_str(fmt, "name", "text.format"),
            strict=get_bool(fmt, "strict", "text.format"),
            description=get_str(fmt, "description", "text.format"),
        )
    if typ == "json_object":
        return ir.ResponseFormat(kind="json_object")
    if typ == "text":
        return ir.ResponseFormat(kind="text")
    raise InvalidInput("text.format.type must be text, json_object or json_schema")


def _parse_reasoning(raw: dict[str, Any] | None) -> ir.ReasoningConfig | None:
    if raw is None:
        return None
    effort = get_str(raw, "effort", "reasoning")
    summary = get_str(raw, "summary", "reasoning") or get_str(raw, "generate_summary", "reasoning")
    if effort is None and summary is None:
        return None
    return ir.ReasoningConfig(
        enabled=False if effort == "none" else None, effort=effort, summary=summary
    )
