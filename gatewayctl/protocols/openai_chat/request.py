"""Chat Completions request body ↔ IR request.

Choices made here (each one forced by a gap between Chat and the IR):

* **System/developer messages.** Those *before* the first user/assistant/tool message go to
  ``Request.system`` (one TextPart per text part); later ones become a ``Message(role="system")``
  in place (IR convention). A ``developer`` message is marked
  ``provider_data["openai_chat"] = {"role": "developer"}`` on its parts so a Chat emitter
  writes ``developer`` again; other emitters ignore the mark.
* **Tool results.** Each ``tool`` message becomes a ToolResultPart; consecutive ones share one
  IR user message (the user message after them stays separate). ``name`` is filled from the
  earlier assistant call with the same id. Chat has no error flag: an IR ``is_error`` result is
  emitted with an ``"Error: "`` prefix, and cannot be recovered when parsed back.
* **Legacy functions.** ``functions``/``function_call`` and assistant ``function_call`` /
  ``function`` role messages are accepted and turned into tools/tool calls/results with
  generated ids (``call_fn_<n>``); we always emit the modern ``tools`` form.
* **reasoning_content** (DeepSeek, vLLM ``reasoning``) on assistant messages → a ReasoningPart
  first in the message, marked ``provider_data["openai_chat"] = {"field": name}``. The request
  emitter writes it back only for marked parts: OpenAI validates message fields, so reasoning
  from another family (Anthropic thinking text…) is dropped rather than sent as an unknown key.
* **Refusals** on assistant history (``refusal`` field or ``refusal`` content part) → TextPart
  marked ``{"refusal": True}``; emitted back as the ``refusal`` field.
* **Gemini thought signatures** ride on tool calls as
  ``extra_content.google.thought_signature`` (Gemini's OpenAI-compatible convention) and map to
  ``provider_data["gemini"]["thoughtSignature"]`` so a Chat client can round-trip them to Gemini.
  The request emitter does not write them (OpenAI would reject the field); responses/streams do.
* **Limits.** ``max_completion_tokens`` wins over ``max_tokens``; we emit
  ``max_completion_tokens`` (reasoning models reject ``max_tokens``) unless the request came in
  with ``max_tokens`` through Chat (remembered in ``provider_data["openai_chat"]``).
* **Streaming.** ``stream_options.include_usage`` is kept as asked in ``Request.include_usage``;
  the emitted upstream request always asks for usage when streaming, because the gateway needs
  it (protocols.md §1.3); the stream encoder honours the caller's choice.
* **Reasoning effort.** ``reasoning_effort`` ↔ ``ReasoningConfig.effort``. An explicit budget
  from another protocol becomes an effort (``openai_common.reasoning_effort``: the shared table
  of :mod:`gatewayctl.protocols.reasoning`, moved to low/medium/high). Thinking switched on/off
  without effort or budget emits nothing (non-reasoning models reject the field).
* Message ``name`` fields, ``logprobs`` etc. are not part of the IR; Chat-only top-level options
  are kept in ``provider_data["openai_chat"]["extra"]`` and replayed only to Chat.
"""

from __future__ import annotations

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
)
from gatewayctl.protocols.openai_chat.wire import (
    AUDIO_MEDIA,
    EXTRA_FIELDS,
    FAMILY,
    mark,
    parse_tool_call,
    reasoning_of,
)
from gatewayctl.protocols.openai_common import file_from_fields, image_from_url

# --------------------------------------------------------------------------------------
# parse
# --------------------------------------------------------------------------------------


def _text_parts(content: Any, where: str, *, allow_refusal: bool = False) -> list[ir.TextPart]:
    """String or array of text (and, for assistants, refusal) parts → TextParts (non-empty)."""
    items = content_parts(content, where)
    if isinstance(items, str):
        return [ir.TextPart(items)] if items else []
    out: list[ir.TextPart] = []
    for w, part in items:
        kind = part.get("type")
        if kind == "text":
            text = get_str(part, "text", w) or ""
            if text:
                out.append(ir.TextPart(text))
        elif kind == "refusal" and allow_refusal:
            text = get_str(part, "refusal", w) or ""
            if text:
                out.append(ir.TextPart(text, provider_data={FAMILY: {"refusal": True}}))
        else:
            raise InvalidInput(f"{w}: unsupported part type {kind!r} here")
    return out


_Media = ir.TextPart | ir.ImagePart | ir.FilePart


def _user_parts(content: Any, where: str) -> list[_Media]:
    items = content_parts(content, where)
    if isinstance(items, str):
        return [ir.TextPart(items)] if items else []
    out: list[_Media] = []
    for w, part in items:
        kind = part.get("type")
        if kind == "text":
            text = get_str(part, "text", w) or ""
            if text:
                out.append(ir.TextPart(text))
        elif kind == "image_url":
            spec = part.get("image_url")
            if isinstance(spec, str):
                spec = {"url": spec}
            spec = require_dict(spec, f"{w}.image_url")
            url = get_str(spec, "url", f"{w}.image_url")
            if not url:
                raise InvalidInput(f"{w}.image_url.url is required")
            out.append(image_from_url(url, get_str(spec, "detail", f"{w}.image_url")))
        elif kind == "input_audio":
            spec = require_dict(part.get("input_audio"), f"{w}.input_audio")
            data = get_str(spec, "data", f"{w}.input_audio")
            fmt = get_str(spec, "format", f"{w}.input_audio") or "wav"
            if not data:
                raise InvalidInput(f"{w}.input_audio.data is required")
            out.append(ir.FilePart(data=data, media_type=AUDIO_MEDIA.get(fmt, f"audio/{fmt}")))
        elif kind == "file":
            spec = require_dict(part.get("file"), f"{w}.file")
            try:
                out.append(
                    file_from_fields(
                        file_data=get_str(spec, "file_data", f"{w}.file"),
                        file_id=get_str(spec, "file_id", f"{w}.file"),
                        filename=get_str(spec, "filename", f"{w}.file"),
                    )
                )
            except InvalidInput as exc:
                raise InvalidInput(f"{w}.file: {exc}") from exc
        else:
            raise InvalidInput(f"{w}: unsupported content part type {kind!r}")
    return out


class _Parser:
    """Walks ``messages`` once, keeping what pairing needs (call names, legacy ids)."""

    def __init__(self) -> None:
        self.system: list[ir.TextPart] = []
        self.messages: list[ir.Message] = []
        self.call_names: dict[str, str] = {}
        self.legacy_open: list[tuple[str, str]] = []  # (id, name) of legacy function calls
        self.legacy_count = 0

    def _results_message(self) -> ir.Message:
        last = self.messages[-1] if self.messages else None
        if (
            last is not None
            and last.role == "user"
            and last.parts
            and all(isinstance(p, ir.ToolResultPart) for p in last.parts)
        ):
            return last
        msg = ir.Message("user")
        self.messages.append(msg)
        return msg

    def add(self, raw: Any, i: int) -> None:
        where = f"messages[{i}]"
        msg = require_dict(raw, where)
        role = msg.get("role")
        content = msg.get("content")
        if role in ("system", "developer"):
            parts = _text_parts(content, f"{where}.content")
            if role == "developer":
                for p in parts:
                    mark(p.provider_data, role="developer")
            if not self.messages:
                self.system.extend(parts)
            elif parts:
                self.messages.append(ir.Message("system", list(parts)))
        elif role == "user":
            user_parts: list[ir.Part] = [*_user_parts(content, f"{where}.content")]
            self.messages.append(ir.Message("user", user_parts))
        elif role == "assistant":
            self._assistant(msg, where)
        elif role == "tool":
            call_id = get_str(msg, "tool_call_id", where)
            if not call_id:
                raise InvalidInput(f"{where}.tool_call_id is required for role 'tool'")
            self._results_message().parts.append(
                ir.ToolResultPart(
                    call_id=call_id,
                    content=_user_parts(content, f"{where}.content"),
                    name=self.call_names.get(call_id) or get_str(msg, "name", where),
                )
            )
        elif role == "function":
            name = get_str(msg, "name", where) or ""
            call_id = next((cid for cid, n in self.legacy_open if n == name), None)
            if call_id is None:
                self.legacy_count += 1
                call_id = f"call_fn_{self.legacy_count}"
            else:
                self.legacy_open.remove((call_id, name))
            self._results_message().parts.append(
                ir.ToolResultPart(
                    call_id=call_id,
                    content=list(_text_parts(content, f"{where}.content")),
                    name=name or None,
                )
            )
        else:
            raise InvalidInput(f"{where}.role: unknown role {role!r}")

    def _assistant(self, msg: dict[str, Any], where: str) -> None:
        parts: list[ir.Part] = []
        reasoning = reasoning_of(msg)
        if reasoning is not None:
            parts.append(
                ir.ReasoningPart(reasoning[1], provider_data={FAMILY: {"field": reasoning[0]}})
            )
        parts.extend(_text_parts(msg.get("content"), f"{where}.content", allow_refusal=True))
        refusal = get_str(msg, "refusal", where)
        if refusal:
            parts.append(ir.TextPart(refusal, provider_data={FAMILY: {"refusal": True}}))
        for j, raw in enumerate(get_list(msg, "tool_calls", where) or []):
            call = parse_tool_call(raw, f"{where}.tool_calls[{j}]")
            if not call.id:
                raise InvalidInput(f"{where}.tool_calls[{j}].id is required")
            self.call_names[call.id] = call.name
            parts.append(call)
        legacy = get_dict(msg, "function_call", where)
        if legacy is not None:
            self.legacy_count += 1
            call_id = f"call_fn_{self.legacy_count}"
            name = get_str(legacy, "name", f"{where}.function_call") or ""
            args = get_str(legacy, "arguments", f"{where}.function_call") or ""
            self.legacy_open.append((call_id, name))
            self.call_names[call_id] = name
            parts.append(ir.ToolCallPart(id=call_id, name=name, arguments=args))
        self.messages.append(ir.Message("assistant", parts))


def _parse_tool(raw: Any, where: str) -> ir.Tool:
    tool = require_dict(raw, where)
    kind = tool.get("type", "function")
    if kind == "function":
        spec = require_dict(tool.get("function"), f"{where}.function")
        name = get_str(spec, "name", f"{where}.function")
        if not name:
            raise InvalidInput(f"{where}.function.name is required")
        return ir.Tool(
            name=name,
            description=get_str(spec, "description", f"{where}.function"),
            parameters=get_dict(spec, "parameters", f"{where}.function"),
            strict=get_bool(spec, "strict", f"{where}.function"),
        )
    if kind == "custom":
        spec = require_dict(tool.get("custom"), f"{where}.custom")
        name = get_str(spec, "name", f"{where}.custom")
        if not name:
            raise InvalidInput(f"{where}.custom.name is required")
        out = ir.Tool(
            name=name, description=get_str(spec, "description", f"{where}.custom"), kind="custom"
        )
        if isinstance(spec.get("format"), dict):
            out.provider_data[FAMILY] = {"format": spec["format"]}
        return out
    return ir.Tool(name=str(kind), kind="builtin", provider_data={FAMILY: {"tool": tool}})


def _parse_tool_choice(raw: Any) -> ir.ToolChoice | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        if raw not in ("auto", "none", "required"):
            raise InvalidInput(f"tool_choice: unknown value {raw!r}")
        return ir.ToolChoice(raw)  # type: ignore[arg-type]
    choice = require_dict(raw, "tool_choice")
    kind = choice.get("type")
    if kind in ("function", "custom"):
        spec = require_dict(choice.get(kind), f"tool_choice.{kind}")
        name = get_str(spec, "name", f"tool_choice.{kind}")
        if not name:
            raise InvalidInput(f"tool_choice.{kind}.name is required")
        return ir.ToolChoice("tool", name)
    if kind == "allowed_tools":
        spec = require_dict(choice.get("allowed_tools"), "tool_choice.allowed_tools")
        mode = spec.get("mode", "auto")
        return ir.ToolChoice("required" if mode == "required" else "auto")
    raise InvalidInput(f"tool_choice: unknown type {kind!r}")


def _parse_legacy_function_call(raw: Any) -> ir.ToolChoice | None:
    if raw is None:
        return None
    if raw in ("auto", "none"):
        return ir.ToolChoice(raw)
    spec = require_dict(raw, "function_call")
    name = get_str(spec, "name", "function_call")
    if not name:
        raise InvalidInput("function_call.name is required")
    return ir.ToolChoice("tool", name)


def _parse_response_format(raw: Any) -> ir.ResponseFormat | None:
    if raw is None:
        return None
    fmt = require_dict(raw, "response_format")
    kind = fmt.get("type")
    if kind in ("text", "json_object"):
        return ir.ResponseFormat(kind)
    if kind == "json_schema":
        spec = require_dict(fmt.get("json_schema"), "response_format.json_schema")
        return ir.ResponseFormat(
            "json_schema",
            schema=get_dict(spec, "schema", "response_format.json_schema"),
            name=get_str(spec, "name", "response_format.json_schema"),
            strict=get_bool(spec, "strict", "response_format.json_schema"),
            description=get_str(spec, "description", "response_format.json_schema"),
        )
    raise InvalidInput(f"response_format.type: unknown value {kind!r}")


def _parse_stop(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return list(raw)
    raise InvalidInput("stop must be a string or an array of strings")


def parse_request(body: dict[str, Any], *, require_messages: bool = True) -> ir.Request:
    """A ``/v1/chat/completions`` body → IR request."""
    body = require_dict(body, "request")
    model = get_str(body, "model")
    if not model:
        raise InvalidInput("model is required")
    raw_messages = get_list(body, "messages")
    if raw_messages is None or (require_messages and not raw_messages):
        raise InvalidInput("messages must be a non-empty array")
    parser = _Parser()
    for i, raw in enumerate(raw_messages):
        parser.add(raw, i)

    tools = [_parse_tool(t, f"tools[{i}]") for i, t in enumerate(get_list(body, "tools") or [])]
    for i, raw in enumerate(get_list(body, "functions") or []):
        spec = require_dict(raw, f"functions[{i}]")
        name = get_str(spec, "name", f"functions[{i}]")
        if not name:
            raise InvalidInput(f"functions[{i}].name is required")
        tools.append(
            ir.Tool(
                name=name,
                description=get_str(spec, "description", f"functions[{i}]"),
                parameters=get_dict(spec, "parameters", f"functions[{i}]"),
            )
        )
    tool_choice = _parse_tool_choice(body.get("tool_choice")) or _parse_legacy_function_call(
        body.get("function_call")
    )

    max_out = get_int(body, "max_completion_tokens")
    pd: dict[str, Any] = {}
    if max_out is None:
        max_out = get_int(body, "max_tokens")
        if max_out is not None:
            pd["max_tokens_field"] = "max_tokens"

    effort = get_str(body, "reasoning_effort")
    reasoning = ir.ReasoningConfig(effort=effort, enabled=effort != "none") if effort else None

    stream_options = get_dict(body, "stream_options") or {}
    metadata = get_dict(body, "metadata")
    extra = {k: body[k] for k in EXTRA_FIELDS if body.get(k) is not None}
    if extra:
        pd["extra"] = extra

    return ir.Request(
        model=model,
        messages=parser.messages,
        system=parser.system,
        tools=tools,
        tool_choice=tool_choice,
        parallel_tool_calls=get_bool(body, "parallel_tool_calls"),
        stream=bool(get_bool(body, "stream")),
        max_output_tokens=max_out,
        temperature=get_float(body, "temperature"),
        top_p=get_float(body, "top_p"),
        top_k=get_int(body, "top_k"),
        stop=_parse_stop(body.get("stop")),
        seed=get_int(body, "seed"),
        presence_penalty=get_float(body, "presence_penalty"),
        frequency_penalty=get_float(body, "frequency_penalty"),
        candidate_count=get_int(body, "n"),
        response_format=_parse_response_format(body.get("response_format")),
        reasoning=reasoning,
        user=get_str(body, "user"),
        metadata=dict(metadata) if metadata is not None else None,
        include_usage=get_bool(stream_options, "include_usage", "stream_options"),
        provider_data={FAMILY: pd} if pd else {},
    )
