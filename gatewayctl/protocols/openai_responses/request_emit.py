"""IR :class:`~gatewayctl.protocols.ir.Request` → ``POST /v1/responses`` request body.

Emitting follows what the API accepts: function tools always carry ``parameters`` and
``strict`` (Responses treats a missing ``strict`` as true, which foreign schemas fail), orphan
tool results become user text, calls without a result get a ``"(no result)"`` output, empty
text is never sent, and item ids are omitted when ``store`` is false (the server would look
them up and answer 404). Chat-only fields (``stop``, ``seed``, penalties) are dropped; ``n > 1``
is refused.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.fields import put_present
from gatewayctl.protocols.openai_common import (
    file_data_uri,
    image_to_url,
    reasoning_effort,
    user_field,
)
from gatewayctl.protocols.openai_responses.request import COUNT_FIELDS, OPAQUE_FIELDS, Content
from gatewayctl.protocols.openai_responses.shared import own, reasoning_item, tool_call_item


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
    tools = _emit_tools(request.tools)
    if tools:
        body["tools"] = tools
        choice = opaque.get("tool_choice") or _emit_tool_choice(request)
        if choice is not None:
            body["tool_choice"] = choice
    if request.parallel_tool_calls is not None and tools:
        body["parallel_tool_calls"] = request.parallel_tool_calls
    put_present(
        body,
        ("max_output_tokens", request.max_output_tokens),
        ("temperature", request.temperature),
        ("top_p", request.top_p),
    )
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
        body["user"] = user_field(request.user)
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


def _emit_tools(tools: list[ir.Tool]) -> list[dict[str, Any]]:
    """The ``tools`` array: members of a namespace go back into their ``namespace`` wrapper
    (placed where its first member was)."""
    out: list[dict[str, Any]] = []
    wrappers: dict[str, dict[str, Any]] = {}
    for tool in tools:
        emitted = _emit_tool(tool)
        if emitted is None:
            continue
        if tool.namespace is None or tool.kind == "builtin":
            out.append(emitted)
            continue
        wrapper = wrappers.get(tool.namespace)
        if wrapper is None:
            rest = own(tool.provider_data).get("namespace_tool")
            wrapper = {"type": "namespace", "name": tool.namespace}
            wrapper.update(rest if isinstance(rest, dict) else {})
            wrapper["tools"] = []
            wrappers[tool.namespace] = wrapper
            out.append(wrapper)
        wrapper["tools"].append(emitted)
    return out


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


def _emit_reasoning(config: ir.ReasoningConfig | None) -> dict[str, Any]:
    if config is None:
        return {}
    out: dict[str, Any] = {}
    effort = reasoning_effort(config)
    if effort is not None:
        out["effort"] = effort
    summary = config.summary or ("auto" if config.include_thoughts else None)
    if summary is not None and effort != "none":
        out["summary"] = summary
    return out
