"""A tool-call round trip through every entrance and every upstream protocol.

Turn 1 declares ``get_weather`` and asks to use it: the SDK must read a tool call with
arguments that parse. Turn 2 sends the result back the entrance's way: the upstream must get a
well-formed conversation (the fakes reject a result without its call, as the vendors do) and
answer ``tool result: …``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.genai import types

from tests.e2e.clients import (
    ENTRANCES,
    anthropic_client,
    gemini_client,
    model_for,
    openai_client,
)
from tests.e2e.conftest import UPSTREAMS, GatewayEnv

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "City name"}},
    "required": ["city"],
}
PROMPT = "please use get_weather for Paris"
RESULT = "sunny, 21C"


def chat_round_trip(env: GatewayEnv, provider: str, stream: bool) -> str:
    client = openai_client(env, provider)
    model = model_for(provider, True)
    tools: Any = [
        {
            "type": "function",
            "function": {"name": "get_weather", "description": "Weather", "parameters": SCHEMA},
        }
    ]
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    if stream:
        calls: dict[int, dict[str, str]] = {}
        for chunk in client.chat.completions.create(
            model=model, messages=messages, tools=tools, stream=True
        ):
            for choice in chunk.choices:
                for tc in choice.delta.tool_calls or []:
                    slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                    slot["id"] = tc.id or slot["id"]
                    if tc.function is not None:
                        slot["name"] += tc.function.name or ""
                        slot["arguments"] += tc.function.arguments or ""
        (call,) = calls.values()
        call_id, name, arguments = call["id"], call["name"], call["arguments"]
    else:
        first = client.chat.completions.create(model=model, messages=messages, tools=tools)
        assert first.choices[0].finish_reason == "tool_calls"
        (tool_call,) = first.choices[0].message.tool_calls or []
        call_id = tool_call.id
        name, arguments = tool_call.function.name, tool_call.function.arguments  # type: ignore[union-attr]
    assert name == "get_weather"
    assert "city" in json.loads(arguments)
    messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": RESULT},
    ]
    second = client.chat.completions.create(model=model, messages=messages, tools=tools)
    return second.choices[0].message.content or ""


def responses_round_trip(env: GatewayEnv, provider: str, stream: bool) -> str:
    client = openai_client(env, provider)
    model = model_for(provider, True)
    tools: Any = [{"type": "function", "name": "get_weather", "parameters": SCHEMA}]
    if stream:
        with client.responses.stream(model=model, input=PROMPT, tools=tools) as events:
            for _ in events:
                pass
            first = events.get_final_response()
    else:
        first = client.responses.create(model=model, input=PROMPT, tools=tools)
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1
    call = calls[0]
    assert call.name == "get_weather"
    assert "city" in json.loads(call.arguments)
    follow_up: Any = [
        {"role": "user", "content": PROMPT},
        {
            "type": "function_call",
            "call_id": call.call_id,
            "name": call.name,
            "arguments": call.arguments,
        },
        {"type": "function_call_output", "call_id": call.call_id, "output": RESULT},
    ]
    second = client.responses.create(model=model, input=follow_up, tools=tools)
    return second.output_text


def messages_round_trip(env: GatewayEnv, provider: str, stream: bool) -> str:
    client = anthropic_client(env, provider)
    model = model_for(provider, True)
    tools: Any = [{"name": "get_weather", "description": "Weather", "input_schema": SCHEMA}]
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    if stream:
        with client.messages.stream(
            model=model, max_tokens=256, messages=messages, tools=tools
        ) as events:
            first = events.get_final_message()
    else:
        first = client.messages.create(model=model, max_tokens=256, messages=messages, tools=tools)
    assert first.stop_reason == "tool_use"
    uses = [block for block in first.content if block.type == "tool_use"]
    assert len(uses) == 1 and uses[0].name == "get_weather"
    assert "city" in uses[0].input  # type: ignore[operator]
    messages += [
        {"role": "assistant", "content": [block.model_dump() for block in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": uses[0].id, "content": RESULT}],
        },
    ]
    second = client.messages.create(model=model, max_tokens=256, messages=messages, tools=tools)
    return "".join(b.text for b in second.content if b.type == "text")


def gemini_round_trip(env: GatewayEnv, provider: str, stream: bool) -> str:
    client = gemini_client(env, provider)
    model = model_for(provider, True)
    config = types.GenerateContentConfig(
        tools=[
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(
                        name="get_weather", description="Weather", parameters_json_schema=SCHEMA
                    )
                ]
            )
        ]
    )
    contents: list[Any] = [types.Content(role="user", parts=[types.Part(text=PROMPT)])]
    if stream:
        parts: list[types.Part] = []
        for chunk in client.models.generate_content_stream(
            model=model, contents=contents, config=config
        ):
            if chunk.candidates and chunk.candidates[0].content:
                parts.extend(chunk.candidates[0].content.parts or [])
        model_content = types.Content(role="model", parts=parts)
    else:
        first = client.models.generate_content(model=model, contents=contents, config=config)
        assert first.candidates and first.candidates[0].content
        model_content = first.candidates[0].content
    calls = [p.function_call for p in model_content.parts or [] if p.function_call]
    assert len(calls) == 1 and calls[0].name == "get_weather"
    assert "city" in (calls[0].args or {})
    contents += [
        model_content,
        types.Content(
            role="user",
            parts=[
                types.Part.from_function_response(name="get_weather", response={"result": RESULT})
            ],
        ),
    ]
    second = client.models.generate_content(model=model, contents=contents, config=config)
    return second.text or ""


ROUND_TRIPS = {
    "chat": chat_round_trip,
    "responses": responses_round_trip,
    "messages": messages_round_trip,
    "gemini": gemini_round_trip,
}


@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
@pytest.mark.parametrize("upstream", UPSTREAMS)
@pytest.mark.parametrize("entrance", ENTRANCES)
def test_tool_call_round_trip(env: GatewayEnv, entrance: str, upstream: str, stream: bool) -> None:
    answer = ROUND_TRIPS[entrance](env, upstream, stream)
    assert answer.startswith("tool result:")
    assert "sunny" in answer
