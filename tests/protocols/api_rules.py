"""What each real API accepts as a request: the judges of every emitted request body.

Two layers per protocol:

* **types** — the body validates against the official SDK's own request types, strictly:
  the OpenAI and Anthropic SDKs describe requests as TypedDicts, which pydantic validates but
  lets unknown keys through, so :func:`check_typed` also walks the TypedDicts and refuses any
  key the SDK does not know (at any depth; a union passes when one member accepts the value).
  google-genai's request types are pydantic models that forbid unknown fields already;
* **rules** the types cannot say, from the API documentation (protocols.md §7.11 and each
  codec's docstring): every tool call answered right after its turn and no orphan results,
  no empty text, tool names in the protocol's pattern, thinking constraints, Gemini 3
  signatures on history calls.
"""

from __future__ import annotations

import collections.abc
import json
import types
import typing
from typing import Any

import typing_extensions as te
from anthropic.types import (
    ContentBlockParam,
    TextBlockParam,
    ThinkingConfigParam,
    ToolChoiceParam,
    ToolUnionParam,
)
from anthropic.types.beta.message_create_params import (
    MessageCreateParamsNonStreaming,
    MessageCreateParamsStreaming,
)
from anthropic.types.tool_result_block_param import Content as ToolResultContent
from google.genai import types as gtypes
from openai.types.chat.completion_create_params import (
    CompletionCreateParamsNonStreaming,
    CompletionCreateParamsStreaming,
)
from openai.types.responses.response_create_params import (
    ResponseCreateParamsNonStreaming,
    ResponseCreateParamsStreaming,
)
from pydantic import BaseModel, TypeAdapter

from gatewayctl.protocols.gemini.config import is_gemini3_or_later
from gatewayctl.protocols.sse import dumps
from gatewayctl.protocols.toolnames import RULES

# --------------------------------------------------------------------------------------
# strict TypedDict walking
# --------------------------------------------------------------------------------------

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    if tp not in _ADAPTERS:
        _ADAPTERS[tp] = TypeAdapter(tp)
    return _ADAPTERS[tp]


def check_typed(
    value: Any, tp: Any, path: str = "body", *, allowed: frozenset[str] = frozenset()
) -> None:
    """``value`` validates as ``tp`` (pydantic) and carries no key ``tp`` does not declare
    (``allowed``: top-level keys the API documents but this SDK version lacks)."""
    _adapter(tp).validate_python(value)
    problems = [
        p for p in _unknown_keys(value, tp, path) if p.split(":")[0] not in _paths(path, allowed)
    ]
    assert not problems, "; ".join(problems)


def _paths(path: str, keys: frozenset[str]) -> set[str]:
    return {f"{path}.{key}" for key in keys}


def _unknown_keys(value: Any, tp: Any, path: str) -> list[str]:
    """Problems found walking ``value`` as ``tp`` ([] when it fits)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _unknown_keys(value, args[0], path)
    if origin in (typing.Union, types.UnionType):
        tried = [_unknown_keys(value, member, path) for member in args if _fits(value, member)]
        if not tried:
            return []  # pydantic judged the value; nothing to walk
        best = min(tried, key=len)
        return best
    if te.is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        hints = te.get_type_hints(tp, include_extras=True)
        out = [f"{path}.{key}: unknown to the SDK" for key in value if key not in hints]
        for key, item in value.items():
            if key in hints:
                out += _unknown_keys(item, _unrequired(hints[key]), f"{path}.{key}")
        return out
    if isinstance(tp, type) and issubclass(tp, BaseModel):  # SDK models allow extras: walk them
        if not isinstance(value, dict):
            return []
        fields = {(f.alias or name): f.annotation for name, f in tp.model_fields.items()}
        out = [f"{path}.{key}: unknown to the SDK" for key in value if key not in fields]
        for key, item in value.items():
            if key in fields:
                out += _unknown_keys(item, fields[key], f"{path}.{key}")
        return out
    if origin in (list, collections.abc.Iterable, collections.abc.Sequence, tuple):
        if isinstance(value, list) and args:
            return [
                p for i, v in enumerate(value) for p in _unknown_keys(v, args[0], f"{path}[{i}]")
            ]
    return []


def _unrequired(tp: Any) -> Any:
    origin = te.get_origin(tp)
    if origin in (te.Required, te.NotRequired, te.ReadOnly):
        return te.get_args(tp)[0]
    return tp


def _fits(value: Any, tp: Any) -> bool:
    """Whether pydantic accepts ``value`` as ``tp`` (a union member)."""
    try:
        _adapter(tp).validate_python(value)
    except Exception:
        return False
    if te.is_typeddict(_unrequired(tp)) and isinstance(value, dict):
        # a discriminated member must agree on "type"
        hints = te.get_type_hints(_unrequired(tp), include_extras=True)
        kind = hints.get("type")
        literal = typing.get_args(_unrequired(kind)) if kind is not None else ()
        if literal and typing.get_origin(_unrequired(kind)) is typing.Literal:
            return value.get("type") in literal
    return True


# --------------------------------------------------------------------------------------
# OpenAI Chat Completions
# --------------------------------------------------------------------------------------


def assert_chat_request(body: dict[str, Any]) -> None:
    """A ``/v1/chat/completions`` body the API accepts."""
    tp = (
        CompletionCreateParamsStreaming
        if body.get("stream")
        else CompletionCreateParamsNonStreaming
    )
    check_typed(body, tp)
    messages = body["messages"]
    assert messages, "messages must not be empty"
    pending: list[str] = []
    for i, msg in enumerate(messages):
        role = msg["role"]
        if role == "tool":
            assert msg["tool_call_id"] in pending, f"messages[{i}]: orphan tool message"
            pending.remove(msg["tool_call_id"])
            continue
        assert not pending, f"messages[{i}]: calls {pending} unanswered before a {role} message"
        content = msg.get("content")
        if role in ("user", "system", "developer"):
            assert content, f"messages[{i}]: empty {role} message"
        if role == "assistant":
            calls = msg.get("tool_calls") or []
            assert content or calls or msg.get("refusal"), f"messages[{i}]: empty assistant"
            pending = [c["id"] for c in calls]
            for call in calls:
                name = (
                    call["function"]["name"]
                    if call["type"] == "function"
                    else call["custom"]["name"]
                )
                assert RULES["openai_chat"].accepts(name), name
                if call["type"] == "function":
                    json.loads(call["function"]["arguments"])
    assert not pending, f"calls {pending} unanswered"
    for tool in body.get("tools", []):
        name = (
            tool["function"]["name"]
            if tool["type"] == "function"
            else tool.get("custom", {}).get("name")
        )
        if name is not None:
            assert RULES["openai_chat"].accepts(name), name
    if "tool_choice" in body or "parallel_tool_calls" in body:
        assert body.get("tools"), "tool_choice / parallel_tool_calls only with tools"
    if "stream_options" in body:
        assert body.get("stream") is True


# --------------------------------------------------------------------------------------
# OpenAI Responses
# --------------------------------------------------------------------------------------


def assert_responses_request(body: dict[str, Any]) -> None:
    """A ``/v1/responses`` body the API accepts (stateless: every output has its call)."""
    tp = ResponseCreateParamsStreaming if body.get("stream") else ResponseCreateParamsNonStreaming
    check_typed(_with_reasoning_ids(body), tp, allowed=_RESPONSES_EXTRA)
    items = body.get("input")
    assert items, "input must not be empty"
    calls: dict[str, str] = {}
    answered: set[str] = set()
    for i, item in enumerate(items if isinstance(items, list) else []):
        typ = item.get("type", "message")
        if body.get("store") is False:
            assert "id" not in item or typ == "reasoning" and item.get("encrypted_content"), (
                f"input[{i}]: item ids are looked up server-side, which store=false forbids"
            )
        if typ in ("function_call", "custom_tool_call"):
            assert RULES["openai_responses"].accepts(item["name"]), item["name"]
            calls[item["call_id"]] = typ
            if typ == "function_call":
                json.loads(item["arguments"])
        elif typ in ("function_call_output", "custom_tool_call_output"):
            expected = typ.removesuffix("_output")
            assert calls.get(item["call_id"]) == expected, f"input[{i}]: orphan {typ}"
            answered.add(item["call_id"])
        elif typ == "message":
            assert item["content"], f"input[{i}]: empty message"
    assert set(calls) == answered, f"calls without output: {set(calls) - answered}"
    for tool in body.get("tools", []):
        members = tool["tools"] if tool["type"] == "namespace" else [tool]
        for member in members:
            if member["type"] in ("function", "custom"):
                assert RULES["openai_responses"].accepts(member["name"]), member["name"]
            if member["type"] == "function":
                assert "strict" in member and "parameters" in member


# Codex CLI sends a top-level ``client_metadata`` object the SDK does not list
# (agent-clients.md); it is replayed only to a Responses upstream.
_RESPONSES_EXTRA = frozenset({"client_metadata"})


def _with_reasoning_ids(body: dict[str, Any]) -> dict[str, Any]:
    """A copy for type checking: the SDK's reasoning input item requires ``id``, the API does
    not when ``encrypted_content`` carries the reasoning — Codex (store=false) never sends one
    (``codex-rs`` ``ResponseItem::Reasoning`` skips serialising it)."""
    items = body.get("input")
    if not isinstance(items, list):
        return body
    patched = [
        {**item, "id": "rs_placeholder"}
        if item.get("type") == "reasoning" and "id" not in item and item.get("encrypted_content")
        else item
        for item in items
    ]
    return {**body, "input": patched}


# --------------------------------------------------------------------------------------
# Anthropic Messages
# --------------------------------------------------------------------------------------

# The beta request type (Claude Code's traffic: context_management & co.). The installed SDK
# no longer lists the sampling parameters the API documents (protocols.md §3.1): allowed.
_ANTHROPIC_SAMPLING = frozenset({"temperature", "top_p", "top_k"})
_BLOCK = TypeAdapter(ContentBlockParam)
_RESULT_CONTENT = TypeAdapter(ToolResultContent)
_SYSTEM_BLOCK = TypeAdapter(TextBlockParam)
_TOOL = TypeAdapter(ToolUnionParam)
_TOOL_CHOICE = TypeAdapter(ToolChoiceParam)
_THINKING = TypeAdapter(ThinkingConfigParam)


def assert_anthropic_request(body: dict[str, Any], *, count: bool = False) -> None:
    """The request would pass the Messages API's validation."""
    if not count:
        assert isinstance(body["max_tokens"], int) and body["max_tokens"] >= 1
        tp = MessageCreateParamsStreaming if body.get("stream") else MessageCreateParamsNonStreaming
        check_typed(body, tp, allowed=_ANTHROPIC_SAMPLING)
    assert isinstance(body["model"], str)
    system = body.get("system")
    if isinstance(system, list):
        for block in system:
            _SYSTEM_BLOCK.validate_python(block)
            assert block["text"].strip()
    messages = body["messages"]
    assert messages, "the API rejects an empty conversation"
    previous_calls: list[str] = []
    for i, msg in enumerate(messages):
        assert msg["role"] in ("user", "assistant")
        if i:
            assert msg["role"] != messages[i - 1]["role"], "roles alternate"
        content = msg["content"]
        assert isinstance(content, list) and content
        for block in content:
            _BLOCK.validate_python(block)
            if block["type"] == "text":
                assert block["text"].strip(), "no empty/whitespace text blocks"
            if block["type"] == "thinking":
                assert block["signature"], "thinking only with a signature"
            if block["type"] == "tool_result" and isinstance(block.get("content"), list):
                for inner in block["content"]:
                    _RESULT_CONTENT.validate_python(inner)
            if block["type"] == "tool_use":
                assert RULES["anthropic"].accepts(block["name"]), block["name"]
            if msg["role"] == "user":
                assert block["type"] not in ("tool_use", "thinking", "redacted_thinking")
            else:
                assert block["type"] not in ("tool_result", "image", "document")
        kinds = [b["type"] for b in content]
        if msg["role"] == "user":
            results = [b["tool_use_id"] for b in content if b["type"] == "tool_result"]
            assert sorted(results) == sorted(previous_calls), "every call answered, no orphans"
            assert kinds[: len(results)] == ["tool_result"] * len(results), "results first"
            previous_calls = []
        else:
            assert not previous_calls
            previous_calls = [b["id"] for b in content if b["type"] == "tool_use"]
            for call in previous_calls:
                assert call and all(c.isalnum() or c in "_-" for c in call)
    assert not previous_calls, "the last tool_use turn has its results"
    if messages[-1]["role"] == "assistant" and messages[-1]["content"][-1]["type"] == "text":
        assert messages[-1]["content"][-1]["text"] == messages[-1]["content"][-1]["text"].rstrip()
    for tool in body.get("tools", []):
        _TOOL.validate_python(tool)
        if "input_schema" in tool:
            assert RULES["anthropic"].accepts(tool["name"]), tool["name"]
    if "tool_choice" in body:
        _TOOL_CHOICE.validate_python(body["tool_choice"])
        assert body.get("tools"), "tool_choice only with tools"
    thinking = body.get("thinking")
    if thinking is not None:
        _THINKING.validate_python(thinking)
        if thinking["type"] == "enabled":
            assert 1024 <= thinking["budget_tokens"]
            if not count:
                assert thinking["budget_tokens"] < body["max_tokens"]
        if thinking["type"] != "disabled":
            assert body.get("temperature", 1) == 1 and "top_k" not in body
            assert body.get("top_p", 1) >= 0.95
            assert body.get("tool_choice", {"type": "auto"})["type"] in ("auto", "none")
    for stop in body.get("stop_sequences", []):
        assert stop.strip()
    assert 0 <= body.get("temperature", 0) <= 1


# --------------------------------------------------------------------------------------
# Gemini generateContent
# --------------------------------------------------------------------------------------

_GEMINI_KEYS = {
    "contents",
    "systemInstruction",
    "tools",
    "toolConfig",
    "generationConfig",
    "safetySettings",
    "cachedContent",
    "labels",
}


def assert_gemini_request(
    body: dict[str, Any], model: str = "", *, conversation: bool = True
) -> None:
    """Every piece validates as google-genai's (field-forbidding) types, and the conversation
    follows Gemini's rules: function responses right after their calls, in call order, with
    the calls' names; no empty contents or parts; Gemini 3 history calls signed."""
    assert set(body) <= _GEMINI_KEYS, set(body) - _GEMINI_KEYS
    assert body["contents"] or not conversation, "contents must not be empty"
    for content in body["contents"]:
        gtypes.Content.model_validate_json(dumps(content))
        assert content["parts"], "no empty contents"
        for part in content["parts"]:
            assert part, "no empty parts"
    if "systemInstruction" in body:
        gtypes.Content.model_validate_json(dumps(body["systemInstruction"]))
    for tool in body.get("tools", []):
        gtypes.Tool.model_validate_json(dumps(tool))
        for decl in tool.get("functionDeclarations", []):
            assert RULES["gemini"].accepts(decl["name"]), decl["name"]
    if "toolConfig" in body:
        gtypes.ToolConfig.model_validate_json(dumps(body["toolConfig"]))
    if "generationConfig" in body:
        gtypes.GenerationConfig.model_validate_json(dumps(body["generationConfig"]))
    for setting in body.get("safetySettings", []):
        gtypes.SafetySetting.model_validate_json(dumps(setting))
    pending: list[str] = []
    for i, content in enumerate(body["contents"]):
        parts = content["parts"]
        answers = [p["functionResponse"]["name"] for p in parts if "functionResponse" in p]
        if pending:
            assert content["role"] == "user", f"contents[{i}]: calls must be answered next"
            assert answers == pending, f"contents[{i}]: responses {answers} != calls {pending}"
        else:
            assert not answers, f"contents[{i}]: orphan functionResponse"
        calls = [p for p in parts if "functionCall" in p]
        pending = [p["functionCall"]["name"] for p in calls] if content["role"] == "model" else []
        for call in calls:
            assert RULES["gemini"].accepts(call["functionCall"]["name"])
        if calls and is_gemini3_or_later(model):
            assert calls[0].get("thoughtSignature"), f"contents[{i}]: unsigned call on Gemini 3"
    assert not pending, "the last calls are unanswered"


__all__ = [
    "assert_anthropic_request",
    "assert_chat_request",
    "assert_gemini_request",
    "assert_responses_request",
    "check_typed",
]
