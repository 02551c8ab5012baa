"""Chat Completions requests: parse real-shaped bodies, emit what OpenAI accepts, round trip."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.openai_chat import CODEC
from tests.conftest import FIXTURES

OWN = FIXTURES / "openai_chat"


def load(name: str) -> dict[str, Any]:
    return json.loads((OWN / name).read_text())


def test_parse_agent_turn_system_and_user_parts() -> None:
    req = CODEC.parse_request(load("request_agent_turn.json"))
    assert req.model == "gpt-4.1"
    assert [p.text for p in req.system] == [
        "You are a coding agent.",
        "Prefer small diffs.",
        "Never push.",
    ]
    assert req.system[0].provider_data == {}
    assert req.system[1].provider_data == {"openai_chat": {"role": "developer"}}
    user = req.messages[0]
    assert user.role == "user"
    text, url_img, b64_img, pdf, file_ref, audio = user.parts
    assert isinstance(text, ir.TextPart) and text.text.startswith("What is in these")
    assert url_img == ir.ImagePart(url="https://example.com/cat.png", detail="high")
    assert isinstance(b64_img, ir.ImagePart)
    assert (b64_img.media_type, b64_img.detail, b64_img.url) == ("image/png", "low", None)
    assert b64_img.data is not None and b64_img.data.startswith("iVBORw0KGgo")
    assert pdf == ir.FilePart(
        data="JVBERi0xLjQKJcfsj6IK", media_type="application/pdf", filename="spec.pdf"
    )
    assert file_ref == ir.FilePart(file_id="file-abc123")
    assert audio == ir.FilePart(data="UklGRiQAAABXQVZFZm10IBAAAAABAAEA", media_type="audio/wav")


def test_parse_agent_turn_tools_and_results() -> None:
    req = CODEC.parse_request(load("request_agent_turn.json"))
    assistant = req.messages[1]
    assert assistant.role == "assistant"
    reasoning, paris, oslo = assistant.parts
    assert reasoning == ir.ReasoningPart(
        "Two cities, two calls.", provider_data={"openai_chat": {"field": "reasoning_content"}}
    )
    assert paris == ir.ToolCallPart(
        id="call_paris", name="get_weather", arguments='{"city":"Paris"}'
    )
    assert isinstance(oslo, ir.ToolCallPart)
    assert oslo.provider_data == {"gemini": {"thoughtSignature": "c2lnLW9zbG8="}}
    results = req.messages[2]
    assert results.role == "user"
    assert results.parts == [
        ir.ToolResultPart(
            call_id="call_paris", content=[ir.TextPart("18C sunny")], name="get_weather"
        ),
        ir.ToolResultPart(
            call_id="call_oslo", content=[ir.TextPart("error: station offline")], name="get_weather"
        ),
    ]
    # the user text after the results stays its own message
    assert req.messages[3] == ir.Message("user", [ir.TextPart("Thanks. Now format it as JSON.")])
    # a system message mid-conversation stays in place
    assert req.messages[4] == ir.Message("system", [ir.TextPart("Reminder: answer in JSON only.")])
    refusal = req.messages[7]
    assert refusal.parts == [
        ir.TextPart("I can't help with that.", provider_data={"openai_chat": {"refusal": True}})
    ]
    assert [t.name for t in req.tools] == ["get_weather", "run_linter", "apply_patch"]
    weather = req.tools[0]
    assert weather.strict is True and weather.description == "Get weather"
    assert weather.parameters is not None and weather.parameters["required"] == ["city"]
    assert req.tools[2].kind == "custom"
    assert req.tool_choice == ir.ToolChoice("tool", "run_linter")
    assert req.parallel_tool_calls is True


def test_parse_agent_turn_options() -> None:
    req = CODEC.parse_request(load("request_agent_turn.json"))
    assert req.response_format == ir.ResponseFormat(
        "json_schema",
        schema={
            "type": "object",
            "properties": {"paris": {"type": "string"}},
            "required": ["paris"],
            "additionalProperties": False,
        },
        name="weather",
        strict=True,
        description="weather map",
    )
    assert req.max_output_tokens == 2048
    assert (req.temperature, req.top_p, req.seed) == (0.3, 0.9, 7)
    assert (req.presence_penalty, req.frequency_penalty) == (0.1, 0.2)
    assert req.candidate_count == 1
    assert req.stop == ["\n\nUser:"]
    assert req.reasoning == ir.ReasoningConfig(enabled=True, effort="medium")
    assert req.user == "user-42" and req.metadata == {"session": "s-1"}
    assert req.stream is True and req.include_usage is True
    assert req.provider_data["openai_chat"]["extra"] == {"logprobs": True, "top_logprobs": 2}


def test_round_trip_is_lossless() -> None:
    body = load("request_agent_turn.json")
    req = CODEC.parse_request(body)
    emitted = CODEC.emit_request(req)
    again = CODEC.parse_request(emitted)
    # the one documented loss: Gemini thought signatures are not written to a Chat upstream
    oslo = req.messages[1].parts[2]
    assert isinstance(oslo, ir.ToolCallPart) and oslo.provider_data.pop("gemini")
    assert again == req
    assert CODEC.emit_request(again) == emitted


def test_emitted_body_shape() -> None:
    body = load("request_agent_turn.json")
    out = CODEC.emit_request(CODEC.parse_request(body))
    # messages are the original ones, modulo normal forms
    assert [m["role"] for m in out["messages"]] == [m["role"] for m in body["messages"]]
    assert out["messages"][1] == {
        "role": "developer",
        "content": [
            {"type": "text", "text": "Prefer small diffs."},
            {"type": "text", "text": "Never push."},
        ],
    }
    assistant = out["messages"][3]
    assert assistant["content"] is None
    assert assistant["reasoning_content"] == "Two cities, two calls."
    # Gemini signatures are never written to a Chat upstream
    assert all("extra_content" not in c for c in assistant["tool_calls"])
    assert out["messages"][4] == {
        "role": "tool",
        "tool_call_id": "call_paris",
        "content": "18C sunny",
    }
    assert out["messages"][10] == {
        "role": "assistant",
        "content": "",
        "refusal": "I can't help with that.",
    }
    assert out["max_tokens"] == 2048 and "max_completion_tokens" not in out
    assert out["stop"] == ["\n\nUser:"]
    assert out["stream_options"] == {"include_usage": True}
    assert out["tools"][2] == {
        "type": "custom",
        "custom": {
            "name": "apply_patch",
            "description": "Apply a patch",
            "format": {"type": "text"},
        },
    }
    assert out["tool_choice"] == {"type": "function", "function": {"name": "run_linter"}}


def test_legacy_functions_become_tools() -> None:
    req = CODEC.parse_request(load("request_legacy_functions.json"))
    assert req.tools == [
        ir.Tool(
            name="get_weather",
            description="Weather",
            parameters={"type": "object", "properties": {"city": {"type": "string"}}},
        )
    ]
    assert req.tool_choice == ir.ToolChoice("tool", "get_weather")
    call = req.messages[1].parts[0]
    result = req.messages[2].parts[0]
    assert isinstance(call, ir.ToolCallPart) and isinstance(result, ir.ToolResultPart)
    assert call.name == "get_weather" and call.arguments == '{"city": "Rome"}'
    assert result.call_id == call.id and result.name == "get_weather"
    assert result.content == [ir.TextPart("22C")]
    out = CODEC.emit_request(req)
    assert "functions" not in out and out["tools"][0]["function"]["name"] == "get_weather"
    assert out["messages"][1]["tool_calls"][0]["id"] == call.id
    assert out["messages"][2] == {"role": "tool", "tool_call_id": call.id, "content": "22C"}


def test_max_completion_tokens_preferred_and_emitted() -> None:
    req = CODEC.parse_request(
        {
            "model": "o3",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 10,
            "max_completion_tokens": 99,
        }
    )
    assert req.max_output_tokens == 99
    assert CODEC.emit_request(req)["max_completion_tokens"] == 99
    foreign = ir.Request(
        model="o3", messages=[ir.Message("user", [ir.TextPart("hi")])], max_output_tokens=5
    )
    out = CODEC.emit_request(foreign)
    assert out["max_completion_tokens"] == 5 and "max_tokens" not in out


def test_stream_always_asks_usage_upstream() -> None:
    req = CODEC.parse_request(
        {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    )
    assert req.include_usage is None
    assert CODEC.emit_request(req)["stream_options"] == {"include_usage": True}
    req.stream = False
    out = CODEC.emit_request(req)
    assert "stream" not in out and "stream_options" not in out


def ir_request(*messages: ir.Message, **kw: Any) -> ir.Request:
    return ir.Request(model="m", messages=list(messages), **kw)


def test_emit_from_foreign_ir_pairs_tool_calls() -> None:
    """Anthropic/Gemini-shaped IR: orphans, dangling calls, error results, images in results."""
    req = ir_request(
        ir.Message("user", [ir.TextPart("go")]),
        ir.Message(
            "assistant",
            [
                ir.ReasoningPart("thinking", provider_data={"anthropic": {"signature": "sig"}}),
                ir.TextPart("Running two tools."),
                ir.ToolCallPart(id="toolu_1", name="bash", arguments='{"cmd":"ls"}'),
                ir.ToolCallPart(id="toolu_2", name="read", arguments=""),
            ],
        ),
        ir.Message(
            "user",
            [
                ir.ToolResultPart(
                    call_id="toolu_1",
                    content=[
                        ir.TextPart("boom"),
                        ir.ImagePart(data="AAAA", media_type="image/png"),
                    ],
                    is_error=True,
                ),
                ir.ToolResultPart(
                    call_id="toolu_zzz", name="ghost", content=[ir.TextPart("stale")]
                ),
                ir.TextPart("continue"),
            ],
        ),
    )
    msgs = CODEC.emit_request(req)["messages"]
    assert msgs[1] == {
        "role": "assistant",
        "content": "Running two tools.",
        "tool_calls": [
            {
                "id": "toolu_1",
                "type": "function",
                "function": {"name": "bash", "arguments": '{"cmd":"ls"}'},
            },
            {"id": "toolu_2", "type": "function", "function": {"name": "read", "arguments": "{}"}},
        ],
    }  # foreign reasoning (Anthropic thinking) is not sent to a Chat upstream
    assert msgs[2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "Error: boom"}
    assert msgs[3] == {"role": "tool", "tool_call_id": "toolu_2", "content": "(no result)"}
    assert msgs[4] == {
        "role": "user",
        "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            {"type": "text", "text": "[tool result for ghost]: stale"},
            {"type": "text", "text": "continue"},
        ],
    }
    assert len(msgs) == 5


def test_emit_dangling_calls_at_end_and_before_next_assistant() -> None:
    req = ir_request(
        ir.Message("user", [ir.TextPart("go")]),
        ir.Message("assistant", [ir.ToolCallPart(id="c1", name="t")]),
        ir.Message("assistant", [ir.TextPart("after")]),
        ir.Message("assistant", [ir.ToolCallPart(id="c2", name="t", arguments="{}")]),
    )
    msgs = CODEC.emit_request(req)["messages"]
    assert [(m["role"], m.get("tool_call_id")) for m in msgs] == [
        ("user", None),
        ("assistant", None),
        ("tool", "c1"),
        ("assistant", None),
        ("assistant", None),
        ("tool", "c2"),
    ]


def test_emit_results_split_over_messages_and_empty_messages_dropped() -> None:
    req = ir_request(
        ir.Message(
            "assistant", [ir.ToolCallPart(id="a", name="t"), ir.ToolCallPart(id="b", name="t")]
        ),
        ir.Message("user", [ir.ToolResultPart(call_id="a", content=[ir.TextPart("1")])]),
        ir.Message("user", [ir.ToolResultPart(call_id="b", content=[])]),
        ir.Message("assistant", [ir.TextPart("")]),
        ir.Message("user", []),
    )
    msgs = CODEC.emit_request(req)["messages"]
    assert msgs[1:] == [
        {"role": "tool", "tool_call_id": "a", "content": "1"},
        {"role": "tool", "tool_call_id": "b", "content": ""},
    ]


def test_system_from_foreign_ir() -> None:
    req = ir_request(
        ir.Message("user", [ir.TextPart("hi")]),
        ir.Message("system", [ir.TextPart("late rule")]),
        system=[
            ir.TextPart("a", provider_data={"anthropic": {"cache_control": {"type": "ephemeral"}}}),
            ir.TextPart("b"),
        ],
    )
    msgs = CODEC.emit_request(req)["messages"]
    assert msgs == [
        {
            "role": "system",
            "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
        },
        {"role": "user", "content": "hi"},
        {"role": "system", "content": "late rule"},
    ]


@pytest.mark.parametrize(
    ("reasoning", "expected"),
    [
        (ir.ReasoningConfig(effort="high"), "high"),
        (ir.ReasoningConfig(enabled=True, budget_tokens=1024), "low"),
        (ir.ReasoningConfig(enabled=True, budget_tokens=4096), "medium"),
        (ir.ReasoningConfig(enabled=True, budget_tokens=32000), "high"),
        (ir.ReasoningConfig(enabled=False), None),
        (ir.ReasoningConfig(enabled=True), None),
    ],
)
def test_reasoning_effort_emit(reasoning: ir.ReasoningConfig, expected: str | None) -> None:
    out = CODEC.emit_request(
        ir_request(ir.Message("user", [ir.TextPart("x")]), reasoning=reasoning)
    )
    assert out.get("reasoning_effort") == expected


def test_tool_declaration_and_choice_from_foreign_ir() -> None:
    req = ir_request(
        ir.Message("user", [ir.TextPart("x")]),
        tools=[
            ir.Tool(name="noargs"),
            ir.Tool(
                name="web_search",
                kind="builtin",
                provider_data={"anthropic": {"type": "web_search_20250305"}},
            ),
        ],
        tool_choice=ir.ToolChoice("required"),
        parallel_tool_calls=False,
        response_format=ir.ResponseFormat("json_schema", schema={"type": "object"}),
    )
    out = CODEC.emit_request(req)
    assert out["tools"] == [
        {
            "type": "function",
            "function": {"name": "noargs", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    assert out["tool_choice"] == "required" and out["parallel_tool_calls"] is False
    assert out["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": {"type": "object"}},
    }
    # no tools at all: no tool_choice either (OpenAI rejects it)
    bare = CODEC.emit_request(
        ir_request(ir.Message("user", [ir.TextPart("x")]), tool_choice=ir.ToolChoice("none"))
    )
    assert "tool_choice" not in bare and "tools" not in bare


def test_emit_files_and_media_from_foreign_ir() -> None:
    req = ir_request(
        ir.Message(
            "user",
            [
                ir.FilePart(data="JVBE", media_type="application/pdf"),
                ir.FilePart(url="https://example.com/doc.pdf", media_type="application/pdf"),
                ir.FilePart(data="SUQz", media_type="audio/mpeg"),
                ir.FilePart(data="iVBO", media_type="image/png"),
            ],
        )
    )
    content = CODEC.emit_request(req)["messages"][0]["content"]
    assert content == [
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "file"},
        },
        {"type": "text", "text": "https://example.com/doc.pdf"},
        {"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
    ]


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda b: b.pop("model"), "model is required"),
        (lambda b: b.update(messages=[]), "messages"),
        (lambda b: b.update(messages="hi"), "messages must be an array"),
        (lambda b: b["messages"].append({"role": "robot", "content": "x"}), "unknown role 'robot'"),
        (
            lambda b: b["messages"].append({"role": "tool", "content": "x"}),
            "tool_call_id is required",
        ),
        (
            lambda b: b["messages"].append({"role": "user", "content": [{"type": "video"}]}),
            "unsupported content part type 'video'",
        ),
        (
            lambda b: b["messages"].append(
                {"role": "user", "content": [{"type": "image_url", "image_url": {}}]}
            ),
            "image_url.url is required",
        ),
        (
            lambda b: b["messages"].append({"role": "user", "content": 5}),
            "must be a string or an array",
        ),
        (
            lambda b: b.update(tools=[{"type": "function", "function": {}}]),
            "tools\\[0\\].function.name is required",
        ),
        (lambda b: b.update(tool_choice="sometimes"), "tool_choice: unknown value"),
        (lambda b: b.update(response_format={"type": "yaml"}), "response_format.type"),
        (lambda b: b.update(stop=[1]), "stop must be"),
        (lambda b: b.update(temperature="hot"), "temperature must be a number"),
        (lambda b: b.update(max_tokens=1.5), "max_tokens must be an integer"),
        (
            lambda b: b["messages"].append(
                {
                    "role": "assistant",
                    "tool_calls": [{"type": "function", "function": {"name": "x"}}],
                }
            ),
            "tool_calls\\[0\\].id is required",
        ),
    ],
)
def test_parse_rejects_bad_input(mutate: Any, match: str) -> None:
    body: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    body = copy.deepcopy(body)
    mutate(body)
    with pytest.raises(InvalidInput, match=match):
        CODEC.parse_request(body)


def test_count_request_shape() -> None:
    body = {"model": "gpt-4o", "messages": [], "stream": True}
    req = CODEC.parse_count_request(body)
    assert req.stream is False and req.messages == []
    full = CODEC.parse_count_request(load("request_agent_turn.json"))
    out = CODEC.emit_count_request(full)
    assert "stream" not in out and out["messages"][0]["role"] == "system"
    assert CODEC.emit_count_response(12) == {"object": "response.input_tokens", "input_tokens": 12}
    assert CODEC.parse_count_response({"object": "response.input_tokens", "input_tokens": 12}) == 12


def test_fixture_files_are_valid_json() -> None:
    for path in Path(OWN).glob("*.json"):
        json.loads(path.read_text())


def test_tool_result_name_falls_back_to_message_name() -> None:
    req = CODEC.parse_request(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "x"},
                {"role": "tool", "tool_call_id": "trimmed", "name": "lookup", "content": "r"},
            ],
        }
    )
    result = req.messages[1].parts[0]
    assert isinstance(result, ir.ToolResultPart) and result.name == "lookup"
    # an orphan result (its call was trimmed from history) becomes user text on emit
    assert CODEC.emit_request(req)["messages"][1] == {
        "role": "user",
        "content": "[tool result for lookup]: r",
    }
