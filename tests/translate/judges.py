"""The official SDKs as judges of what we emit.

Each judge takes the bytes a client of that protocol would receive, parses them with the
vendor SDK's own types and stream accumulator, and reduces the result to a protocol-neutral
:class:`Judged` (text, tool calls, usage in OpenAI semantics, coarse stop, error) so that the
result of any translation direction can be compared with the source's IR.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from google.genai import types as gtypes
from openai import omit
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response as OAResponse
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from gatewayctl.protocols import ir
from gatewayctl.protocols.sse import JsonStreamParser, SSEParser


@dataclass
class Judged:
    text: str = ""
    reasoning: str = ""
    tool_calls: list[tuple[str, Any]] = field(default_factory=list)  # (name, parsed args)
    tool_ids: list[str] = field(default_factory=list)
    input_tokens: int | None = None  # OpenAI semantics: includes cached
    output_tokens: int | None = None  # includes reasoning
    cached_tokens: int | None = None
    stop: str | None = None  # coarse: tool_use | max_tokens | other
    error: str | None = None  # the error message, if the stream/body is an error


def coarse_stop(stop: str | None) -> str | None:
    if stop is None:
        return None
    if stop in ("tool_use", "tool_calls"):
        return "tool_use"
    if stop in ("max_tokens", "length", "MAX_TOKENS", "max_output_tokens"):
        return "max_tokens"
    return "other"


def expected_from_ir(resp: ir.Response) -> Judged:
    """What every judge should report for an IR response."""
    out = Judged()
    for part in resp.content:
        if isinstance(part, ir.TextPart):
            out.text += part.text
        elif isinstance(part, ir.ReasoningPart):
            out.reasoning += part.text
        elif isinstance(part, ir.ToolCallPart):
            if part.kind == "custom":
                out.tool_calls.append((part.name, {"__custom__": part.arguments}))
            else:
                out.tool_calls.append((part.name, parse_args(part.arguments)))
            out.tool_ids.append(part.id)
    out.input_tokens = resp.usage.input_tokens
    out.output_tokens = resp.usage.output_tokens
    out.cached_tokens = resp.usage.cache_read_tokens
    out.stop = coarse_stop(resp.stop_reason)
    return out


def parse_args(text: str | None) -> Any:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return {"__unparsable__": text}


def sse_payloads(raw: bytes) -> list[tuple[str | None, str]]:
    parser = SSEParser()
    return [(e.event, e.data) for e in parser.feed(raw) + parser.close() if not e.comment]


# --------------------------------------------------------------------------------------
# OpenAI Chat
# --------------------------------------------------------------------------------------


def judge_chat_stream(raw: bytes) -> Judged:
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    payloads = sse_payloads(raw)
    assert payloads, "empty chat stream"
    assert payloads[-1][1] == "[DONE]", f"chat stream must end with [DONE], got {payloads[-1]}"
    assert sum(1 for _, d in payloads if d == "[DONE]") == 1
    out = Judged()
    usage: Any = None
    seen = False
    custom: dict[int, dict[str, str]] = {}  # tool index → id/name/input of a free-form call
    for _, data in payloads[:-1]:
        obj = json.loads(data)
        if "error" in obj:
            out.error = obj["error"]["message"]
            continue
        _take_custom_deltas(obj, custom)
        chunk = ChatCompletionChunk.model_validate(obj)
        state.handle_chunk(chunk)
        seen = True
        if chunk.usage is not None:
            usage = chunk.usage
    if not seen:
        return out
    final = state.current_completion_snapshot  # get_final_completion raises on "length"
    msg = final.choices[0].message
    out.text = (msg.content or "") + (msg.refusal or "")
    extra = msg.model_extra or {}
    out.reasoning = extra.get("reasoning_content") or ""
    calls: list[tuple[int, tuple[str, Any], str]] = [
        (call.model_extra.get("index", i) if call.model_extra else i, _chat_call(call), call.id)
        for i, call in enumerate(msg.tool_calls or [])
    ]
    calls += [(k, (c["name"], c["input"]), c["id"]) for k, c in custom.items()]
    for _, call, call_id in sorted(calls, key=lambda c: c[0]):
        out.tool_calls.append(call)
        out.tool_ids.append(call_id)
    out.stop = coarse_stop(final.choices[0].finish_reason)
    if usage is not None:
        out.input_tokens = usage.prompt_tokens
        out.output_tokens = usage.completion_tokens
        details = usage.prompt_tokens_details
        out.cached_tokens = details.cached_tokens if details else None
    return out


def _take_custom_deltas(obj: dict[str, Any], custom: dict[int, dict[str, str]]) -> None:
    """Free-form (custom) tool-call deltas, as OpenAI streams them (``type: "custom"``,
    ``custom: {name, input}``; openai-python#2530: the SDK's chunk type still knows only
    ``function`` and its accumulator fails on them), are checked and accumulated here and
    removed from ``obj`` before the SDK validates the rest."""
    for choice in obj.get("choices") or []:
        delta = choice.get("delta") or {}
        calls = delta.get("tool_calls")
        if not calls:
            continue
        kept = []
        for call in calls:
            index = call["index"]
            if call.get("type") == "custom" or "custom" in call or index in custom:
                spec = call.get("custom") or {}
                assert "function" not in call, "a custom call delta carries no function"
                entry = custom.setdefault(index, {"id": "", "name": "", "input": ""})
                entry["id"] = call.get("id") or entry["id"]
                entry["name"] = spec.get("name") or entry["name"]
                entry["input"] += spec.get("input") or ""
                assert entry["id"] and entry["name"], "the first custom delta names the call"
            else:
                kept.append(call)
        if kept:
            delta["tool_calls"] = kept
        else:
            del delta["tool_calls"]


def _chat_call(call: Any) -> tuple[str, Any]:
    if getattr(call, "type", "function") == "custom" or getattr(call, "custom", None):
        return call.custom.name, call.custom.input
    return call.function.name, parse_args(call.function.arguments)


def judge_chat_body(body: dict[str, Any]) -> Judged:
    final = ChatCompletion.model_validate(body)
    msg = final.choices[0].message
    out = Judged(text=(msg.content or "") + (msg.refusal or ""))
    for call in msg.tool_calls or []:
        out.tool_calls.append(_chat_call(call))
        out.tool_ids.append(call.id)
    out.stop = coarse_stop(final.choices[0].finish_reason)
    if final.usage is not None:
        out.input_tokens = final.usage.prompt_tokens
        out.output_tokens = final.usage.completion_tokens
        details = final.usage.prompt_tokens_details
        out.cached_tokens = details.cached_tokens if details else None
    return out


# --------------------------------------------------------------------------------------
# OpenAI Responses
# --------------------------------------------------------------------------------------

_RESPONSES_EVENT: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


def _judge_responses_object(resp: OAResponse, out: Judged) -> None:
    for item in resp.output:
        if item.type == "message":
            for c in item.content:
                if c.type == "output_text":
                    out.text += c.text
                elif c.type == "refusal":
                    out.text += c.refusal
        elif item.type == "function_call":
            out.tool_calls.append((item.name, parse_args(item.arguments)))
            out.tool_ids.append(item.call_id)
        elif item.type == "custom_tool_call":
            out.tool_calls.append((item.name, item.input))
            out.tool_ids.append(item.call_id)
        elif item.type == "reasoning":
            out.reasoning += "".join(s.text for s in item.summary)
            out.reasoning += "".join(c.text for c in item.content or [])
    if resp.usage is not None:
        out.input_tokens = resp.usage.input_tokens
        out.output_tokens = resp.usage.output_tokens
        out.cached_tokens = resp.usage.input_tokens_details.cached_tokens
    if resp.status == "incomplete":
        reason = resp.incomplete_details.reason if resp.incomplete_details else None
        out.stop = "max_tokens" if reason == "max_output_tokens" else "other"
    elif out.tool_calls:
        out.stop = "tool_use"
    else:
        out.stop = "other"


def judge_responses_stream(raw: bytes) -> Judged:
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=omit, text_format=omit)
    out = Judged()
    terminal = 0
    seqs: list[int] = []
    final: OAResponse | None = None
    for name, data in sse_payloads(raw):
        if data == "[DONE]":
            continue
        obj = json.loads(data)
        assert name == obj["type"], f"event name {name} != type {obj['type']}"
        event = _RESPONSES_EVENT.validate_python(obj)
        seqs.append(obj["sequence_number"])
        if event.type == "error":
            out.error = event.message
            continue
        state.handle_event(event)
        if event.type in ("response.completed", "response.incomplete", "response.failed"):
            terminal += 1
            final = event.response
            if event.type == "response.failed":
                out.error = out.error or (
                    event.response.error.message if event.response.error else "failed"
                )
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "sequence_number not increasing"
    assert terminal <= 1
    if final is not None:
        _judge_responses_object(final, out)
    return out


def judge_responses_body(body: dict[str, Any]) -> Judged:
    out = Judged()
    _judge_responses_object(OAResponse.model_validate(body), out)
    return out


# --------------------------------------------------------------------------------------
# Anthropic
# --------------------------------------------------------------------------------------

_ANTHROPIC_EVENT: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)


def _judge_message(msg: Any, out: Judged) -> None:
    for block in msg.content:
        if block.type == "text":
            out.text += block.text
        elif block.type == "thinking":
            out.reasoning += block.thinking
        elif block.type == "tool_use":
            out.tool_calls.append((block.name, block.input))
            out.tool_ids.append(block.id)
    u = msg.usage
    cache_read = u.cache_read_input_tokens or 0
    out.input_tokens = u.input_tokens + cache_read + (u.cache_creation_input_tokens or 0)
    out.output_tokens = u.output_tokens
    out.cached_tokens = u.cache_read_input_tokens
    out.stop = coarse_stop(msg.stop_reason)


def judge_anthropic_stream(raw: bytes) -> Judged:
    out = Judged()
    snapshot: Any = None
    bufs: dict[int, bytes] = {}
    stops = 0
    names = []
    for name, data in sse_payloads(raw):
        obj = json.loads(data)
        assert name == obj["type"], f"event name {name} != type {obj['type']}"
        names.append(name)
        if name == "error":
            out.error = obj["error"]["message"]
            continue
        if name == "ping":
            continue
        if name == "message_stop":
            stops += 1
        event = _ANTHROPIC_EVENT.validate_python(obj)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
    if out.error is None:
        assert names[-1] == "message_stop" and stops == 1, f"bad terminal: {names[-3:]}"
    if snapshot is not None:
        _judge_message(snapshot, out)
    return out


def judge_anthropic_body(body: dict[str, Any]) -> Judged:
    out = Judged()
    _judge_message(Message.model_validate(body), out)
    return out


# --------------------------------------------------------------------------------------
# Gemini
# --------------------------------------------------------------------------------------


def _judge_gemini_chunks(chunks: list[dict[str, Any]]) -> Judged:
    out = Judged()
    last_usage: Any = None
    finish = None
    for obj in chunks:
        if "error" in obj:
            out.error = obj["error"].get("message", "error")
            continue
        resp = gtypes.GenerateContentResponse.model_validate(obj)
        if resp.usage_metadata is not None:
            last_usage = resp.usage_metadata
        for cand in resp.candidates or []:
            if cand.finish_reason is not None:
                finish = cand.finish_reason
            for part in (cand.content.parts if cand.content else None) or []:
                if part.function_call is not None:
                    fc = part.function_call
                    out.tool_calls.append((fc.name, fc.args or {}))
                    out.tool_ids.append(fc.id or "")
                elif part.executable_code is not None:
                    # re-emitted untouched to a Gemini client; other protocols get the
                    # gemini codec's Markdown rendering (parts.render_opaque)
                    code = part.executable_code
                    lang = (code.language.value if code.language else "").lower()
                    lang = "" if lang in ("", "language_unspecified") else lang
                    out.text += f"\n```{lang}\n{(code.code or '').rstrip()}\n```\n"
                elif part.code_execution_result is not None:
                    output = (part.code_execution_result.output or "").rstrip()
                    out.text += f"\n```\n{output}\n```\n" if output else ""
                elif part.text is not None:
                    if part.thought:
                        out.reasoning += part.text
                    else:
                        out.text += part.text
    if last_usage is not None:
        out.input_tokens = last_usage.prompt_token_count
        cand_tokens = last_usage.candidates_token_count or 0
        thoughts = last_usage.thoughts_token_count or 0
        if last_usage.candidates_token_count is not None or thoughts:
            out.output_tokens = cand_tokens + thoughts
        out.cached_tokens = last_usage.cached_content_token_count
    reason = None if finish is None else getattr(finish, "value", str(finish))
    if reason == "MAX_TOKENS":
        out.stop = "max_tokens"
    elif out.tool_calls:
        out.stop = "tool_use"
    elif reason is not None:
        out.stop = coarse_stop(reason)
    return out


def judge_gemini_stream(raw: bytes, ndjson: bool = False) -> Judged:
    if ndjson:
        chunks = JsonStreamParser().feed(raw)
        assert raw.endswith(b"\n") or not raw
    else:
        chunks = [json.loads(d) for _, d in sse_payloads(raw)]
    return _judge_gemini_chunks(chunks)


def judge_gemini_body(body: dict[str, Any]) -> Judged:
    return _judge_gemini_chunks([body])


STREAM_JUDGES = {
    "openai_chat": judge_chat_stream,
    "openai_responses": judge_responses_stream,
    "anthropic": judge_anthropic_stream,
    "gemini": judge_gemini_stream,
}
BODY_JUDGES = {
    "openai_chat": judge_chat_body,
    "openai_responses": judge_responses_body,
    "anthropic": judge_anthropic_body,
    "gemini": judge_gemini_body,
}
