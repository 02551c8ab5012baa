"""IR request → Chat Completions request body (the choices are listed in :mod:`.request`)."""

from __future__ import annotations

import json
from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.protocols.fields import add_missing, put_present
from gatewayctl.protocols.openai_chat.wire import AUDIO_FORMAT, chat_pd, emit_tool_call
from gatewayctl.protocols.openai_common import (
    file_data_uri,
    image_to_url,
    reasoning_effort,
    user_field,
)

# --------------------------------------------------------------------------------------
# emit
# --------------------------------------------------------------------------------------


def _text_content(parts: list[ir.TextPart]) -> str | list[dict[str, Any]]:
    """One text part → a plain string; several → an array of text parts (kept apart)."""
    if len(parts) == 1:
        return parts[0].text
    return [{"type": "text", "text": p.text} for p in parts]


def _user_content_part(part: ir.Part) -> dict[str, Any] | None:
    if isinstance(part, ir.TextPart):
        return {"type": "text", "text": part.text} if part.text else None
    if isinstance(part, ir.ImagePart):
        spec: dict[str, Any] = {"url": image_to_url(part)}
        if part.detail:
            spec["detail"] = part.detail
        return {"type": "image_url", "image_url": spec}
    if isinstance(part, ir.FilePart):
        fmt = AUDIO_FORMAT.get(part.media_type or "")
        if fmt and part.data is not None:
            return {"type": "input_audio", "input_audio": {"data": part.data, "format": fmt}}
        if part.media_type and part.media_type.startswith("image/") and part.data is not None:
            return {"type": "image_url", "image_url": {"url": file_data_uri(part)}}
        spec = {}
        if part.data is not None:
            spec["file_data"] = file_data_uri(part)
        elif part.file_id:
            spec["file_id"] = part.file_id
        elif part.url:
            # Chat files cannot be URLs; a URL document is passed as a link in text.
            return {"type": "text", "text": part.url}
        else:
            return None
        if part.filename:
            spec["filename"] = part.filename
        elif part.data is not None:
            spec["filename"] = "file"
        return {"type": "file", "file": spec}
    return None


def _user_content(parts: list[ir.Part]) -> str | list[dict[str, Any]] | None:
    out = [p for p in (_user_content_part(part) for part in parts) if p is not None]
    if not out:
        return None
    if len(out) == 1 and out[0]["type"] == "text":
        return str(out[0]["text"])
    return out


def _tool_result_text(result: ir.ToolResultPart) -> str | list[dict[str, Any]]:
    texts = [p for p in result.content if isinstance(p, ir.TextPart) and p.text]
    if result.is_error:
        joined = "\n".join(p.text for p in texts)
        return joined if joined.lower().startswith("error") else f"Error: {joined}".rstrip()
    if not texts:
        return ""
    return _text_content(texts)


def _system_message(parts: list[ir.TextPart]) -> list[dict[str, Any]]:
    """System parts → Chat messages; consecutive parts with the same role share a message."""
    out: list[dict[str, Any]] = []
    group: list[ir.TextPart] = []
    role = ""
    for part in parts:
        if not part.text:
            continue
        this_role = chat_pd(part.provider_data).get("role", "system")
        if group and this_role != role:
            out.append({"role": role, "content": _text_content(group)})
            group = []
        role = this_role
        group.append(part)
    if group:
        out.append({"role": role, "content": _text_content(group)})
    return out


class _Emitter:
    """Builds ``messages`` with Chat's pairing rules: every assistant tool call is answered by a
    ``tool`` message right after it (missing ones get ``"(no result)"``), and a result with no
    matching call becomes user text (OpenAI rejects both kinds of orphan)."""

    def __init__(self) -> None:
        self.out: list[dict[str, Any]] = []
        self.pending: list[str] = []  # unanswered call ids of the last assistant message

    def _flush_pending(self) -> None:
        for call_id in self.pending:
            self.out.append({"role": "tool", "tool_call_id": call_id, "content": "(no result)"})
        self.pending = []

    def system(self, msg: ir.Message) -> None:
        self._flush_pending()
        parts = [p for p in msg.parts if isinstance(p, ir.TextPart)]
        self.out.extend(_system_message(parts))

    def assistant(self, msg: ir.Message) -> None:
        self._flush_pending()
        texts: list[ir.TextPart] = []
        refusals: list[str] = []
        reasoning: list[tuple[str, str]] = []
        calls: list[dict[str, Any]] = []
        for part in msg.parts:
            if isinstance(part, ir.TextPart) and part.text:
                if chat_pd(part.provider_data).get("refusal"):
                    refusals.append(part.text)
                else:
                    texts.append(part)
            elif isinstance(part, ir.ReasoningPart) and part.text:
                field = chat_pd(part.provider_data).get("field")
                if field in ("reasoning_content", "reasoning"):
                    reasoning.append((field, part.text))
            elif isinstance(part, ir.ToolCallPart):
                calls.append(emit_tool_call(part, with_signature=False))
                self.pending.append(part.id)
        if not (texts or refusals or calls or reasoning):
            return
        out: dict[str, Any] = {"role": "assistant"}
        out["content"] = _text_content(texts) if texts else (None if calls else "")
        if refusals:
            out["refusal"] = "".join(refusals)
        if reasoning:
            out[reasoning[0][0]] = "".join(text for _, text in reasoning)
        if calls:
            out["tool_calls"] = calls
        self.out.append(out)

    def user(self, msg: ir.Message) -> None:
        rest: list[ir.Part] = []
        for part in msg.parts:
            if isinstance(part, ir.ToolResultPart):
                if part.call_id in self.pending:
                    self.pending.remove(part.call_id)
                    self.out.append(
                        {
                            "role": "tool",
                            "tool_call_id": part.call_id,
                            "content": _tool_result_text(part),
                        }
                    )
                    # Chat tool messages are text only: images move to the next user message.
                    rest.extend(p for p in part.content if not isinstance(p, ir.TextPart))
                else:
                    label = part.name or part.call_id
                    body = _tool_result_text(part)
                    text = body if isinstance(body, str) else "\n".join(b["text"] for b in body)
                    rest.append(ir.TextPart(f"[tool result for {label}]: {text}"))
                    rest.extend(p for p in part.content if not isinstance(p, ir.TextPart))
            else:
                rest.append(part)
        content = _user_content(rest)
        if content is None:
            return
        self._flush_pending()
        self.out.append({"role": "user", "content": content})


def _emit_tool(tool: ir.Tool) -> dict[str, Any] | None:
    pd = chat_pd(tool.provider_data)
    if tool.kind == "builtin":
        raw = pd.get("tool")
        return dict(raw) if isinstance(raw, dict) else None
    if tool.kind == "custom":
        spec: dict[str, Any] = {"name": tool.name}
        if tool.description:
            spec["description"] = tool.description
        if isinstance(pd.get("format"), dict):
            spec["format"] = pd["format"]
        return {"type": "custom", "custom": spec}
    fn: dict[str, Any] = {"name": tool.name}
    if tool.description:
        fn["description"] = tool.description
    fn["parameters"] = tool.parameters if tool.parameters else {"type": "object", "properties": {}}
    if tool.strict is not None:
        fn["strict"] = tool.strict
    return {"type": "function", "function": fn}


def _emit_tool_choice(choice: ir.ToolChoice, tools: list[ir.Tool]) -> Any:
    if choice.mode == "tool":
        kind = next((t.kind for t in tools if t.name == choice.name), "function")
        kind = "custom" if kind == "custom" else "function"
        return {"type": kind, kind: {"name": choice.name}}
    return choice.mode


def _emit_response_format(fmt: ir.ResponseFormat) -> dict[str, Any]:
    if fmt.kind != "json_schema":
        return {"type": fmt.kind}
    spec: dict[str, Any] = {"name": fmt.name or "response"}
    if fmt.description:
        spec["description"] = fmt.description
    spec["schema"] = fmt.schema if fmt.schema is not None else {"type": "object"}
    if fmt.strict is not None:
        spec["strict"] = fmt.strict
    return {"type": "json_schema", "json_schema": spec}


def emit_request(request: ir.Request, *, for_count: bool = False) -> dict[str, Any]:
    """IR request → ``/v1/chat/completions`` body (what the real API accepts)."""
    pd = chat_pd(request.provider_data)
    emitter = _Emitter()
    messages: list[dict[str, Any]] = _system_message(request.system)
    emitter.out = messages
    for msg in request.messages:
        if msg.role == "system":
            emitter.system(msg)
        elif msg.role == "assistant":
            emitter.assistant(msg)
        else:
            emitter.user(msg)
    emitter._flush_pending()

    body: dict[str, Any] = {"model": request.model, "messages": messages}
    tools = [t for t in (_emit_tool(tool) for tool in request.tools) if t is not None]
    if tools:
        body["tools"] = tools
        if request.tool_choice is not None:
            body["tool_choice"] = _emit_tool_choice(request.tool_choice, request.tools)
        if request.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = request.parallel_tool_calls
    elif request.tool_choice is not None and request.tool_choice.mode == "none":
        pass  # no tools: "none" is implied; OpenAI rejects tool_choice without tools
    if request.max_output_tokens is not None:
        key = (
            "max_tokens" if pd.get("max_tokens_field") == "max_tokens" else "max_completion_tokens"
        )
        body[key] = request.max_output_tokens
    put_present(
        body,
        ("temperature", request.temperature),
        ("top_p", request.top_p),
        ("seed", request.seed),
        ("presence_penalty", request.presence_penalty),
        ("frequency_penalty", request.frequency_penalty),
        ("n", request.candidate_count),
        ("user", user_field(request.user)),
    )
    if request.stop:
        body["stop"] = list(request.stop)
    if request.response_format is not None:
        body["response_format"] = _emit_response_format(request.response_format)
    effort = reasoning_effort(request.reasoning)
    if effort:
        body["reasoning_effort"] = effort
    if request.metadata:
        body["metadata"] = {
            k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in request.metadata.items()
        }
    extra = pd.get("extra")
    add_missing(body, extra)
    if request.stream and not for_count:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body
