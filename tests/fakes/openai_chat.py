"""Chat Completions as OpenAI speaks it, shared by every fake that serves the route.

OpenAI itself, and the OpenAI-compatible layers the other vendors run (Anthropic's
``/v1/chat/completions``, AI Studio's ``/v1beta/openai/chat/completions``), which the gateway's
default dispatch tables pass chat traffic to. Requests are checked as OpenAI checks them
(a model, a non-empty message list, every tool call answered by a tool message and no tool
message without its call); answers are rendered from the vendor-neutral plan.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.base import BadRequest, RecordedRequest
from tests.fakes.openai_responses import args_json
from tests.fakes.plan import Answer, Facts, Plan, Tool, Usage, decide, new_id, prompt_chars
from tests.fakes.render import (
    Frames,
    body_object,
    json_reply,
    split_json_text,
    stream_reply,
    text_of,
    tool_result_text,
)
from tests.fakes.wire import Reply, sse_data

_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using"
    " your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was"
    " not valid JSON. If you have trouble figuring out how to fix this, please contact us"
    " through our help center at help.openai.com.)"
)


def openai_body(req: RecordedRequest) -> dict[str, Any]:
    """The request's JSON object with a model, or OpenAI's 400 for a bad body."""
    try:
        body = body_object(req)
    except BadRequest:
        raise BadRequest(_BAD_JSON) from None
    if not body.get("model"):
        raise BadRequest("you must provide a model parameter")
    return body


def chat_completion(
    req: RecordedRequest,
    answer: Answer | None,
    *,
    headers: dict[str, str] | None = None,
    model_prefix: str = "",
) -> Reply:
    """Answer a Chat Completions request (stream or not) the way OpenAI does.

    Shared by the OpenAI fake and the OpenAI-compatible routes of the Anthropic and Gemini
    fakes; ``model_prefix`` is stripped from the echoed model (Gemini's ``models/``).
    """
    body = openai_body(req)
    if model_prefix and str(body["model"]).startswith(model_prefix):
        body = {**body, "model": str(body["model"])[len(model_prefix) :]}
    messages = body.get("messages")
    if messages is None:
        raise BadRequest("Missing required parameter: 'messages'.", param="messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest(
            "Invalid 'messages': empty array. Expected an array with minimum length 1,"
            " but got an empty array instead.",
            param="messages",
        )
    _check_chat_tool_pairs(messages)
    plan = decide(_chat_facts(body, messages), answer)
    created = int(time.time())
    completion_id = new_id("chatcmpl-", 29)
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        frames = _chat_frames(plan, completion_id, created, include_usage)
        return stream_reply(
            frames,
            answer,
            content_type="text/event-stream; charset=utf-8",
            headers=headers,
        )
    message: dict[str, Any] = {
        "role": "assistant",
        "content": plan.text or None,
        "refusal": None,
        "annotations": [],
    }
    if plan.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": args_json(call.arguments)},
            }
            for call in plan.tool_calls
        ]
    payload = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": plan.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": plan.finish}
        ],
        "usage": chat_usage(plan.usage),
        "service_tier": "default",
        "system_fingerprint": "fp_fake0000",
    }
    return json_reply(payload, answer, indent=2, headers=headers)


def chat_usage(usage: Usage) -> dict[str, Any]:
    """OpenAI chat ``usage``: prompt includes cached tokens, completion includes reasoning."""
    prompt_details: dict[str, int] = {"cached_tokens": usage.cache_read_tokens, "audio_tokens": 0}
    if usage.cache_write_tokens:
        prompt_details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chat_facts(body: dict[str, Any], messages: list[Any]) -> Facts:
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    role = last.get("role")
    tools: list[Tool] = []
    for tool in body.get("tools") or []:
        if isinstance(tool, dict) and tool.get("type") == "function":
            fn = tool.get("function") or {}
            tools.append(Tool(str(fn.get("name", "")), fn.get("parameters") or {}))
    for fn in body.get("functions") or []:
        tools.append(Tool(str(fn.get("name", "")), fn.get("parameters") or {}))
    choice = body.get("tool_choice", body.get("function_call"))
    forced: str | bool = False
    if choice == "required":
        forced = True
    elif isinstance(choice, dict):
        forced = str((choice.get("function") or choice).get("name") or True)
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    return Facts(
        model=str(body["model"]),
        user_text=text_of(last.get("content")) if role == "user" else "",
        tool_result=tool_result_text(last.get("content")) if role in ("tool", "function") else None,
        tools=tuple(tools),
        forced_tool=forced,
        tools_disabled=choice == "none",
        thinking=False,  # Chat Completions never returns reasoning text
        max_output_tokens=int(limit) if limit is not None else None,
        prompt_chars=prompt_chars(messages, body.get("tools"), body.get("functions")),
    )


def _check_chat_tool_pairs(messages: list[Any]) -> None:
    """OpenAI's 400s for tool messages without a call, and calls without a tool message."""
    pending: list[str] = []
    for msg in messages:
        if not isinstance(msg, dict):
            raise BadRequest("Invalid type for 'messages': expected an object.", param="messages")
        role = msg.get("role")
        if role == "tool":
            call_id = msg.get("tool_call_id")
            if call_id not in pending:
                raise BadRequest(
                    "Invalid parameter: messages with role 'tool' must be a response to a"
                    " preceeding message with 'tool_calls'.",
                    param="messages",
                )
            pending.remove(call_id)
            continue
        if pending:
            raise BadRequest(
                "An assistant message with 'tool_calls' must be followed by tool messages"
                " responding to each 'tool_call_id'. The following tool_call_ids did not have"
                f" response messages: {', '.join(pending)}",
                param="messages",
            )
        if role == "assistant":
            pending = [str(c.get("id")) for c in msg.get("tool_calls") or [] if isinstance(c, dict)]
    if pending:
        raise BadRequest(
            "An assistant message with 'tool_calls' must be followed by tool messages responding"
            " to each 'tool_call_id'. The following tool_call_ids did not have response"
            f" messages: {', '.join(pending)}",
            param="messages",
        )


def _chat_frames(plan: Plan, completion_id: str, created: int, include_usage: bool) -> Frames:
    head: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": plan.model,
        "service_tier": "default",
        "system_fingerprint": "fp_fake0000",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        payload: dict[str, Any] = {**head, "choices": [choice]}
        if include_usage:
            payload["usage"] = None
        return sse_data(payload)

    opening: list[bytes] = []
    body: list[bytes] = []
    if plan.pieces or not plan.tool_calls:
        opening.append(chunk({"role": "assistant", "content": "", "refusal": None}))
        body.extend(chunk({"content": piece}) for piece in plan.pieces)
    for index, call in enumerate(plan.tool_calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        if not opening:
            opening.append(
                chunk({"role": "assistant", "content": None, "tool_calls": [head], "refusal": None})
            )
        else:
            body.append(chunk({"tool_calls": [head]}))
        for fragment in split_json_text(args_json(call.arguments)):
            body.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
            )
    closing = [chunk({}, plan.finish)]
    if include_usage:
        closing.append(sse_data({**head, "choices": [], "usage": chat_usage(plan.usage)}))
    closing.append(b"data: [DONE]\n\n")
    return Frames(opening, body, closing, lambda i: chunk({"content": f" more{i}"}))
