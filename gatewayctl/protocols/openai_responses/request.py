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
* Fields with no cross-protocol meaning (``store``, ``include``, ``previous_response_id``,
  ``prompt_cache_key``, ``truncation`` …) ride in ``provider_data["openai_responses"]``.

Emitting follows what the API accepts: function tools always carry ``parameters`` and
``strict`` (Responses treats a missing ``strict`` as true, which foreign schemas fail), orphan
tool results become user text, calls without a result get a ``"(no result)"`` output, empty
text is never sent, and item ids are omitted when ``store`` is false (the server would look
them up and answer 404). Chat-only fields (``stop``, ``seed``, penalties) are dropped; ``n > 1``
is refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.openai_common import (
    file_data_uri,
    file_from_fields,
    get_bool,
    get_dict,
    get_float,
    get_int,
    get_list,
    get_str,
    image_from_url,
    image_to_url,
    require_dict,
)
from gatewayctl.protocols.openai_responses.shared import (
    FAMILY,
    own,
    reasoning_item,
    reasoning_part,
    tool_call_item,
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
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")

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
    req.tools = [_parse_tool(t, f"tools[{i}]") for i, t in enumerate(get_list(body, "tools") or [])]
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
    if content is None:
        return []
    if isinstance(content, str):
        return [ir.TextPart(content)] if content else []
    if not isinstance(content, list):
        raise InvalidInput(f"{where} must be a string or an array of parts")
    out: list[Content] = []
    for j, raw in enumerate(content):
        pw = f"{where}[{j}]"
        part = require_dict(raw, pw)
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
    call_id = get_str(item, "call_id", where)
    if not call_id:
        raise InvalidInput(f"{where}.call_id is required")
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


def _parse_tool(raw: Any, where: str) -> ir.Tool:
    tool = require_dict(raw, where)
    typ = get_str(tool, "type", where)
    if typ == "function":
        fn = tool
        if "name" not in tool and isinstance(tool.get("function"), dict):
            fn = tool["function"]  # lenient: Chat-style nesting
        name = get_str(fn, "name", where)
        if not name:
            raise InvalidInput(f"{where}.name is required")
        return ir.Tool(
            name=name,
            description=get_str(fn, "description", where),
            parameters=get_dict(fn, "parameters", where),
            strict=get_bool(fn, "strict", where),
        )
    if typ == "custom":
        name = get_str(tool, "name", where)
        if not name:
            raise InvalidInput(f"{where}.name is required")
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


# --------------------------------------------------------------------------------------
# Emit
# --------------------------------------------------------------------------------------


def emit_request(request: ir.Request) -> dict[str, Any]:
    """IR → a Responses request body."""
    if request.candidate_count is not None and request.candidate_count > 1:
        raise InvalidInput("the Responses API has no `n`: candidate_count > 1 cannot be served")
    opaque = own(request.provider_data)
    keep_ids = opaque.get("store") is not False
    body: dict[str, Any] = {"model": request.model}
    instructions, lead = _emit_system(request.system)
    if instructions is not None:
        body["instructions"] = instructions
    body["input"] = lead + _emit_messages(request.messages, keep_ids)
    tools = [t for t in (_emit_tool(tool) for tool in request.tools) if t is not None]
    if tools:
        body["tools"] = tools
        choice = opaque.get("tool_choice") or _emit_tool_choice(request)
        if choice is not None:
            body["tool_choice"] = choice
    if request.parallel_tool_calls is not None and tools:
        body["parallel_tool_calls"] = request.parallel_tool_calls
    if request.max_output_tokens is not None:
        body["max_output_tokens"] = request.max_output_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    text: dict[str, Any] = {}
    if request.response_format is not None:
        text["format"] = _emit_format(request.response_format)
    if opaque.get("verbosity") is not None:
        text["verbosity"] = opaque["verbosity"]
    if text:
        body["text"] = text
    reasoning = _emit_reasoning(request.reasoning)
    if reasoning:
        body["reasoning"] = reasoning
    if request.user is not None:
        body["user"] = request.user
    if request.metadata is not None:
        body["metadata"] = request.metadata
    if request.stream:
        body["stream"] = True
    for key in OPAQUE_FIELDS:
        if key in opaque:
            body[key] = opaque[key]
    return body


def emit_count_request(request: ir.Request) -> dict[str, Any]:
    """IR → a ``/v1/responses/input_tokens`` body (the context fields of a request)."""
    body = emit_request(request)
    return {k: v for k, v in body.items() if k in COUNT_FIELDS and (k != "model" or v)}


def _emit_system(system: list[ir.TextPart]) -> tuple[str | None, list[dict[str, Any]]]:
    """The first plain system part becomes ``instructions``; the others (and those that came
    as input messages) become leading ``developer``/``system`` messages."""
    instructions: str | None = None
    items: list[dict[str, Any]] = []
    for part in system:
        if not part.text:
            continue
        role = own(part.provider_data).get("role")
        if role is None and instructions is None and not items:
            instructions = part.text
            continue
        items.append(_instruction_message(role, part.text))
    return instructions, items


def _instruction_message(role: Any, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": role if role in ("system", "developer") else "developer",
        "content": [{"type": "input_text", "text": text}],
    }


def _emit_messages(messages: list[ir.Message], keep_ids: bool) -> list[dict[str, Any]]:
    answered = {p.call_id for m in messages for p in m.parts if isinstance(p, ir.ToolResultPart)}
    calls: dict[str, str] = {}  # call id → kind, for calls already emitted
    items: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "system":
            for part in msg.parts:
                if isinstance(part, ir.TextPart) and part.text:
                    items.append(
                        _instruction_message(own(part.provider_data).get("role"), part.text)
                    )
        elif msg.role == "user":
            _emit_user(msg, calls, keep_ids, items)
        else:
            _emit_assistant(msg, calls, answered, keep_ids, items)
    return items


def _emit_user(
    msg: ir.Message, calls: dict[str, str], keep_ids: bool, items: list[dict[str, Any]]
) -> None:
    content: list[dict[str, Any]] = []

    def flush() -> None:
        if content:
            items.append({"type": "message", "role": "user", "content": list(content)})
            content.clear()

    for part in msg.parts:
        if isinstance(part, ir.ToolResultPart):
            if part.call_id not in calls:  # orphan result: keep its text as user text
                text = _result_text(part)
                content.append(
                    {"type": "input_text", "text": f"[tool result for {part.call_id}]: {text}"}
                )
                continue
            flush()
            items.append(_emit_tool_output(part, calls[part.call_id], keep_ids))
        elif isinstance(part, ir.TextPart | ir.ImagePart | ir.FilePart):
            emitted = _emit_content(part)
            if emitted is not None:
                content.append(emitted)
    flush()


def _emit_assistant(
    msg: ir.Message,
    calls: dict[str, str],
    answered: set[str],
    keep_ids: bool,
    items: list[dict[str, Any]],
) -> None:
    texts: list[ir.TextPart] = []  # consecutive text parts of one assistant message item
    dangling: list[tuple[str, str]] = []

    def flush() -> None:
        if texts:
            items.append(_assistant_message(texts, keep_ids))
            texts.clear()

    for part in msg.parts:
        if isinstance(part, ir.TextPart):
            if part.text:
                if texts and _message_key(texts[-1]) != _message_key(part):
                    flush()
                texts.append(part)
            continue
        flush()
        if isinstance(part, ir.ReasoningPart):
            item = _emit_input_reasoning(part, keep_ids)
            if item is not None:
                items.append(item)
        elif isinstance(part, ir.ToolCallPart):
            items.append(tool_call_item(part, keep_id=keep_ids, for_input=True))
            calls[part.id] = part.kind
            if part.id not in answered:
                dangling.append((part.id, part.kind))
        # images/files/results inside an assistant turn have no Responses form: dropped
    flush()
    for call_id, kind in dangling:
        out = "custom_tool_call_output" if kind == "custom" else "function_call_output"
        items.append({"type": out, "call_id": call_id, "output": "(no result)"})


def _message_key(part: ir.TextPart) -> tuple[Any, Any]:
    data = own(part.provider_data)
    return data.get("id"), data.get("phase")


def _assistant_message(parts: list[ir.TextPart], keep_ids: bool) -> dict[str, Any]:
    """Assistant text as an input item. With a known id (``store`` not false) it replays as
    the stored output message; otherwise a single text is a plain string (accepted by every
    Responses implementation) and several parts an ``output_text`` list, as Codex sends."""
    msg_id, phase = _message_key(parts[0])
    item: dict[str, Any] = {"type": "message", "role": "assistant"}
    refusals = [bool(own(p.provider_data).get("refusal")) for p in parts]
    if keep_ids and msg_id:
        item["id"] = msg_id
        item["status"] = "completed"
        item["content"] = [
            {"type": "refusal", "refusal": p.text}
            if refused
            else {"type": "output_text", "text": p.text, "annotations": []}
            for p, refused in zip(parts, refusals, strict=True)
        ]
    elif len(parts) == 1 and not refusals[0]:
        item["content"] = parts[0].text
    else:
        item["content"] = [
            {"type": "refusal", "refusal": p.text}
            if refused
            else {"type": "output_text", "text": p.text}
            for p, refused in zip(parts, refusals, strict=True)
        ]
    if phase:
        item["phase"] = phase
    return item


def _emit_input_reasoning(part: ir.ReasoningPart, keep_ids: bool) -> dict[str, Any] | None:
    """Only this family's reasoning replays; foreign thinking is dropped (never sent to a
    provider that would reject it). Without encrypted content a reasoning item is just a
    reference to stored state, so it is sent only when ids are (``store`` not false)."""
    data = own(part.provider_data)
    if not data:
        return None
    if isinstance(data.get("item"), dict):
        return dict(data["item"])
    if not data.get("encrypted_content") and not (keep_ids and data.get("id")):
        return None
    return reasoning_item(part, keep_id=keep_ids, for_input=True)


def _emit_content(part: Content) -> dict[str, Any] | None:
    if isinstance(part, ir.TextPart):
        return {"type": "input_text", "text": part.text} if part.text else None
    if isinstance(part, ir.ImagePart):
        return {
            "type": "input_image",
            "image_url": image_to_url(part),
            "detail": part.detail or "auto",
        }
    data = own(part.provider_data)
    if data.get("image") and part.file_id:
        return {
            "type": "input_image",
            "file_id": part.file_id,
            "detail": data.get("detail") or "auto",
        }
    out: dict[str, Any] = {"type": "input_file"}
    if part.data is not None:
        out["file_data"] = file_data_uri(part)
        out["filename"] = part.filename or _default_filename(part.media_type)
    elif part.file_id:
        out["file_id"] = part.file_id
    elif part.url:
        out["file_url"] = part.url
    else:
        return None
    if part.filename and "filename" not in out:
        out["filename"] = part.filename
    return out


def _default_filename(media_type: str | None) -> str:
    ext = (media_type or "").rsplit("/", 1)[-1] if media_type else ""
    return f"file.{ext}" if ext and ext.isalnum() else "file"


def _result_text(part: ir.ToolResultPart) -> str:
    text = "\n".join(p.text for p in part.content if isinstance(p, ir.TextPart))
    if part.is_error:
        return f"Error: {text}" if text else "Error"
    return text


def _emit_tool_output(part: ir.ToolResultPart, kind: str, keep_ids: bool) -> dict[str, Any]:
    """A tool result → ``function_call_output`` (or ``custom_tool_call_output``). Text-only
    results are a string; results with images/files are a content array. Responses has no
    error flag: an error result is prefixed ``Error:``."""
    output: str | list[dict[str, Any]]
    only_text = all(isinstance(p, ir.TextPart) for p in part.content)
    if only_text and len(part.content) <= 1:
        output = _result_text(part)
    else:
        output = [c for c in (_emit_content(p) for p in part.content) if c is not None]
        if part.is_error:
            output.insert(0, {"type": "input_text", "text": "Error:"})
    item: dict[str, Any] = {
        "type": "custom_tool_call_output" if kind == "custom" else "function_call_output",
        "call_id": part.call_id,
        "output": output,
    }
    data = own(part.provider_data)
    if keep_ids and data.get("id"):
        item["id"] = data["id"]
    return item


def _emit_tool(tool: ir.Tool) -> dict[str, Any] | None:
    if tool.kind == "builtin":
        data = own(tool.provider_data)
        return dict(data) if data.get("type") else None  # foreign built-ins are dropped
    if tool.kind == "custom":
        out: dict[str, Any] = {"type": "custom", "name": tool.name}
        if tool.description:
            out["description"] = tool.description
        fmt = own(tool.provider_data).get("format")
        if fmt:
            out["format"] = fmt
        return out
    out = {"type": "function", "name": tool.name}
    if tool.description is not None:
        out["description"] = tool.description
    out["parameters"] = (
        tool.parameters if tool.parameters is not None else {"type": "object", "properties": {}}
    )
    out["strict"] = bool(tool.strict)
    return out


def _emit_tool_choice(request: ir.Request) -> str | dict[str, Any] | None:
    choice = request.tool_choice
    if choice is None:
        return None
    if choice.mode == "tool" and choice.name:
        kinds = {t.name: t.kind for t in request.tools}
        typ = "custom" if kinds.get(choice.name) == "custom" else "function"
        return {"type": typ, "name": choice.name}
    if choice.mode == "tool":
        return "required"
    return choice.mode


def _emit_format(fmt: ir.ResponseFormat) -> dict[str, Any]:
    if fmt.kind == "json_schema":
        out: dict[str, Any] = {
            "type": "json_schema",
            "name": fmt.name or "output",
            "schema": fmt.schema if fmt.schema is not None else {"type": "object"},
        }
        if fmt.strict is not None:
            out["strict"] = fmt.strict
        if fmt.description is not None:
            out["description"] = fmt.description
        return out
    return {"type": fmt.kind}


def _effort_for_budget(budget: int) -> str | None:
    """Thinking budget → effort (CPA thresholds, protocols.md §7.4)."""
    if budget <= 0:
        return None
    if budget <= 512:
        return "minimal"
    if budget <= 1024:
        return "low"
    if budget <= 8192:
        return "medium"
    return "high"


def _emit_reasoning(config: ir.ReasoningConfig | None) -> dict[str, Any]:
    if config is None:
        return {}
    out: dict[str, Any] = {}
    effort = config.effort.lower() if config.effort else None
    if effort == "max":
        effort = "xhigh"
    if effort is not None and effort not in _EFFORTS:
        effort = "medium"
    if effort is None and config.budget_tokens is not None and config.enabled is not False:
        effort = _effort_for_budget(config.budget_tokens)
    if effort is not None:
        out["effort"] = effort
    summary = config.summary or ("auto" if config.include_thoughts else None)
    if summary is not None and effort != "none":
        out["summary"] = summary
    return out
