"""Anthropic Messages requests: parse into the IR, emit what the real API accepts.

Every emitted body is checked by :func:`tests.protocols.api_rules.assert_anthropic_request`:
the body must validate strictly against the official SDK's request types, and the conversation
must follow the API's documented rules (non-empty text, results right after their calls, no
thinking without a signature, no trailing whitespace in a final assistant turn, budget <
max_tokens).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.anthropic import CODEC
from gatewayctl.protocols.reasoning import EFFORT_BUDGET, budget_to_effort
from tests.conftest import FIXTURES
from tests.protocols.api_rules import assert_anthropic_request as assert_api_valid

OWN = FIXTURES / "anthropic"
REQUEST_FIXTURES = [
    "claude_code_request.json",
    "claude_code_agent_turn_request.json",
    "tool_loop_request.json",
    "sampling_request.json",
]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def load(name: str) -> dict[str, Any]:
    return json.loads((OWN / name).read_text())


def user(*parts: ir.Part) -> ir.Message:
    return ir.Message("user", list(parts))


def assistant(*parts: ir.Part) -> ir.Message:
    return ir.Message("assistant", list(parts))


def emit(*messages: ir.Message, **fields: Any) -> dict[str, Any]:
    body = CODEC.emit_request(ir.Request(model="claude-x", messages=list(messages), **fields))
    assert_api_valid(body)
    return body


# --------------------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------------------


def test_parse_claude_code_request() -> None:
    req = CODEC.parse_request(load("claude_code_request.json"))
    assert (req.model, req.max_output_tokens, req.stream) == ("claude-opus-4-8", 64000, True)
    assert [p.text[:12] for p in req.system] == ["x-anthropic-", "You are Clau", "You are an i"]
    assert req.system[0].provider_data == {}
    assert req.system[1].provider_data == {"anthropic": {"cache_control": {"type": "ephemeral"}}}
    first, system_msg = req.messages
    assert first.role == "user" and len(first.parts) == 2
    assert first.parts[1].provider_data["anthropic"]["cache_control"] == {"type": "ephemeral"}
    assert system_msg == ir.Message(
        "system", [ir.TextPart("The user is running in a sandbox; prefer read-only tools.")]
    )
    bash, read, search = req.tools
    assert (bash.name, bash.kind, bash.parameters["required"]) == ("Bash", "function", ["command"])
    assert read.provider_data == {"anthropic": {"cache_control": {"type": "ephemeral"}}}
    assert (search.name, search.kind) == ("web_search", "builtin")
    assert search.provider_data["anthropic"]["type"] == "web_search_20250305"
    assert req.user == '{"device_id":"4f0c","session_id":"9a1e"}'
    assert req.reasoning == ir.ReasoningConfig(enabled=True, effort="high")
    pd = req.provider_data["anthropic"]
    assert pd["thinking_type"] == "adaptive" and pd["effort"] == "high"
    assert pd["extra"]["context_management"]["edits"][0]["type"] == "clear_thinking_20251015"


def test_parse_tool_loop_request() -> None:
    req = CODEC.parse_request(load("tool_loop_request.json"))
    assert req.system == [ir.TextPart("You are terse.")]
    first, calls, results, answer, last = req.messages
    _, png, url_image, pdf, pdf_url, notes = first.parts
    assert png == ir.ImagePart(data=PNG, media_type="image/png")
    assert url_image == ir.ImagePart(
        url="https://example.com/chart.jpg",
        provider_data={"anthropic": {"cache_control": {"type": "ephemeral"}}},
    )
    assert isinstance(pdf, ir.FilePart) and pdf.media_type == "application/pdf"
    assert pdf.filename == "report.pdf" and pdf.data and pdf.data.startswith("JVBER")
    assert isinstance(pdf_url, ir.FilePart) and pdf_url.url == "https://example.com/paper.pdf"
    assert isinstance(notes, ir.FilePart) and notes.media_type == "text/plain"
    assert base64.b64decode(notes.data or "").decode() == "Notes: Paris is in France. Café ☕."

    thinking, text, paris, rome = calls.parts
    assert isinstance(thinking, ir.ReasoningPart)
    assert thinking.provider_data["anthropic"]["signature"].startswith("EqQBCkYI")
    assert text == ir.TextPart("Checking both.")
    assert paris == ir.ToolCallPart(
        "toolu_01A09q90qw90lq917835lq9", "get_weather", '{"city": "Paris", "units": "c"}'
    )
    assert isinstance(rome, ir.ToolCallPart) and json.loads(rome.arguments)["city"] == "Rome"

    ok, failed = results.parts
    assert ok == ir.ToolResultPart(paris.id, [ir.TextPart("18C sunny")], name="get_weather")
    assert (
        isinstance(failed, ir.ToolResultPart) and failed.is_error and failed.name == "get_weather"
    )
    assert [type(p).__name__ for p in failed.content] == ["TextPart", "ImagePart"]
    assert failed.provider_data == {"anthropic": {"cache_control": {"type": "ephemeral"}}}

    redacted = answer.parts[0]
    assert isinstance(redacted, ir.ReasoningPart) and redacted.redacted
    assert redacted.provider_data["anthropic"]["redacted_data"].startswith("EmwK")
    assert last == ir.Message("user", [ir.TextPart("Thanks. Summarise in JSON.")])

    assert req.tools[0].strict is True
    assert req.tool_choice == ir.ToolChoice("auto") and req.parallel_tool_calls is True
    assert req.reasoning == ir.ReasoningConfig(enabled=True, budget_tokens=2048)
    assert (req.top_p, req.stop, req.user) == (0.99, ["\n\nUser:"], "user-42")
    assert req.response_format is not None and req.response_format.kind == "json_schema"
    assert req.response_format.schema is not None
    assert req.response_format.schema["required"] == ["paris", "rome"]


def test_parse_sampling_request() -> None:
    req = CODEC.parse_request(load("sampling_request.json"))
    assert (req.temperature, req.top_p, req.top_k, req.stop) == (0.3, 0.9, 40, ["4."])
    assert req.tool_choice == ir.ToolChoice("tool", "lookup") and req.parallel_tool_calls is False
    assert req.messages[-1] == ir.Message("assistant", [ir.TextPart("Voici trois couleurs :")])


def test_leading_system_message_joins_the_system_prompt() -> None:
    body = {
        "model": "m",
        "max_tokens": 10,
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": "hi"},
        ],
    }
    req = CODEC.parse_request(body)
    assert req.system == [ir.TextPart("Be brief.")] and [m.role for m in req.messages] == ["user"]


def test_server_tool_blocks_in_history_are_dropped() -> None:
    body = {
        "model": "m",
        "max_tokens": 10,
        "messages": [
            {"role": "user", "content": "search it"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "server_tool_use",
                        "id": "srvtoolu_1",
                        "name": "web_search",
                        "input": {"query": "x"},
                    },
                    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                    {
                        "type": "text",
                        "text": "Found it.",
                        "citations": [{"type": "web_search_result_location"}],
                    },
                ],
            },
        ],
    }
    req = CODEC.parse_request(body)
    assert req.messages[1].parts == [ir.TextPart("Found it.")]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"messages": []}, "model"),
        ({"model": "m"}, "messages"),
        ({"model": "m", "messages": [{"role": "tool", "content": "x"}]}, "messages[0].role"),
        ({"model": "m", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"text": "x"}]}]}, "messages[0]"),
        ({"model": "m", "messages": [], "max_tokens": "many"}, "max_tokens"),
        ({"model": "m", "messages": [], "tool_choice": {"type": "sometimes"}}, "tool_choice.type"),
        ({"model": "m", "messages": [], "thinking": {"type": "enabled"}}, "thinking.budget_tokens"),
        ({"model": "m", "messages": [], "system": [{"type": "image"}]}, "system[0]"),
        ({"model": "m", "messages": [], "tools": [{"input_schema": {}}]}, "tools[0].name"),
        (["not", "an", "object"], "request body"),
    ],
)
def test_invalid_requests_name_the_field(body: Any, where: str) -> None:
    with pytest.raises(InvalidInput, match=r"^" + where.replace("[", r"\[").replace("]", r"\]")):
        CODEC.parse_request(body)


# --------------------------------------------------------------------------------------
# round trip
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUEST_FIXTURES)
def test_parse_emit_parse_is_lossless(name: str) -> None:
    first = CODEC.parse_request(load(name))
    body = CODEC.emit_request(first)
    assert_api_valid(body)
    second = CODEC.parse_request(body)
    # a mid-conversation system message is hoisted into the top-level system by the emitter
    first.system += [p for m in first.messages if m.role == "system" for p in m.parts]  # type: ignore[misc]
    first.messages = [m for m in first.messages if m.role != "system"]
    assert second == first


def test_emitted_fixture_keeps_the_wire_fields() -> None:
    body = CODEC.emit_request(CODEC.parse_request(load("claude_code_request.json")))
    original = load("claude_code_request.json")
    assert body["system"][:3] == original["system"]
    assert body["system"][3] == {"type": "text", "text": original["messages"][1]["content"]}
    assert body["messages"] == original["messages"][:1]
    assert body["tools"] == original["tools"]
    for key in (
        "thinking",
        "output_config",
        "metadata",
        "context_management",
        "max_tokens",
        "stream",
    ):
        assert body[key] == original[key], key
    body = CODEC.emit_request(CODEC.parse_request(load("tool_loop_request.json")))
    original = load("tool_loop_request.json")
    for key in (
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "top_p",
        "stop_sequences",
        "output_config",
    ):
        assert body[key] == original[key], key
    assert body["messages"][1] == original["messages"][1]  # signed thinking + parallel calls


# --------------------------------------------------------------------------------------
# emitter repairs
# --------------------------------------------------------------------------------------


def test_merge_roles_results_first_orphans_and_dangling_calls() -> None:
    call_a = ir.ToolCallPart("call_A.1", "f", '{"x": 1}')
    call_b = ir.ToolCallPart("call_B", "f", "")
    body = emit(
        user(ir.TextPart("go")),
        user(ir.TextPart("   ")),  # whitespace only: dropped
        assistant(ir.TextPart("calling"), call_a),
        assistant(call_b),  # same role: merged
        user(ir.TextPart("by the way")),
        user(ir.ToolResultPart("call_A.1", [ir.TextPart("one")])),
        user(ir.ToolResultPart("call_Z", [ir.TextPart("stale")], is_error=True)),
        assistant(ir.TextPart("done "), ir.ToolCallPart("call_C", "g", "{}")),
    )
    msgs = body["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant", "user"]
    assert [b["type"] for b in msgs[1]["content"]] == ["text", "tool_use", "tool_use"]
    assert msgs[1]["content"][1] == {
        "type": "tool_use",
        "id": "call_A_1",
        "name": "f",
        "input": {"x": 1},
    }
    assert msgs[1]["content"][2]["input"] == {}
    assert msgs[2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "call_A_1",
            "content": [{"type": "text", "text": "one"}],
        },
        {"type": "tool_result", "tool_use_id": "call_B", "content": "(no result)"},
        {"type": "text", "text": "[tool error for call_Z]: stale"},
        {"type": "text", "text": "by the way"},
    ]
    assert msgs[4]["content"] == [
        {"type": "tool_result", "tool_use_id": "call_C", "content": "(no result)"}
    ]


def test_reasoning_is_emitted_only_with_its_anthropic_signature() -> None:
    body = emit(
        user(ir.TextPart("q")),
        assistant(
            ir.ReasoningPart("signed", provider_data={"anthropic": {"signature": "EqSig"}}),
            ir.ReasoningPart(
                "gemini thought", provider_data={"gemini": {"thoughtSignature": "CiQB"}}
            ),
            ir.ReasoningPart(
                "", redacted=True, provider_data={"openai_responses": {"encrypted_content": "gAAA"}}
            ),
            ir.ReasoningPart("unsigned chat reasoning"),
            ir.ReasoningPart(redacted=True, provider_data={"anthropic": {"redacted_data": "EmwK"}}),
            ir.TextPart("answer"),
        ),
        user(ir.TextPart("next")),
    )
    assert body["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "signed", "signature": "EqSig"},
        {"type": "redacted_thinking", "data": "EmwK"},
        {"type": "text", "text": "answer"},
    ]


def test_final_assistant_prefill_and_empty_messages() -> None:
    body = emit(
        user(ir.TextPart("q"), ir.TextPart("")),
        assistant(ir.TextPart("The answer is ")),
    )
    assert body["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "The answer is"}],
    }
    body = emit(user(ir.TextPart("q")), assistant(ir.TextPart("  \n")))
    assert [m["role"] for m in body["messages"]] == ["user"]


def test_system_messages_and_a_lone_system_prompt() -> None:
    body = emit(
        user(ir.TextPart("hi")),
        ir.Message("system", [ir.TextPart("Switch to French.")]),
        assistant(ir.TextPart("ok")),
        system=[ir.TextPart("Be brief.")],
    )
    assert body["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Switch to French."},
    ]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    body = emit(system=[ir.TextPart("Say hello.")])
    assert "system" not in body
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Say hello."}]}
    ]


def test_media_parts() -> None:
    pdf = base64.b64encode(b"%PDF-1.4 tiny").decode()
    body = emit(
        user(
            ir.ImagePart(url=f"data:image/png;base64,{PNG}"),
            ir.ImagePart(data=PNG),  # media type sniffed
            ir.ImagePart(url="https://example.com/a.webp", detail="high"),
            ir.FilePart(url=f"data:application/pdf;base64,{pdf}", filename="a.pdf"),
            ir.FilePart(data=base64.b64encode(b"plain notes").decode(), media_type="text/plain"),
            ir.FilePart(data="UklGRgAAAABXQVZF", media_type="audio/wav"),  # no Anthropic input
            ir.FilePart(file_id="file_011", media_type="application/pdf"),
            ir.FilePart(data=PNG, media_type="image/png"),
        )
    )
    assert body["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.webp"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": pdf},
            "title": "a.pdf",
        },
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "plain notes"},
        },
        {"type": "document", "source": {"type": "file", "file_id": "file_011"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
    ]


def test_tool_result_with_image_and_empty_content() -> None:
    body = emit(
        user(ir.TextPart("q")),
        assistant(ir.ToolCallPart("toolu_1", "shot", "{}")),
        user(
            ir.ToolResultPart(
                "toolu_1", [ir.TextPart(""), ir.ImagePart(data=PNG, media_type="image/png")]
            ),
        ),
    )
    result = body["messages"][2]["content"][0]
    assert result["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    ]
    body = emit(
        user(ir.TextPart("q")),
        assistant(ir.ToolCallPart("toolu_1", "f", "")),
        user(ir.ToolResultPart("toolu_1")),
    )
    assert body["messages"][2]["content"] == [{"type": "tool_result", "tool_use_id": "toolu_1"}]


def test_tool_arguments_that_are_not_an_object() -> None:
    calls = [
        ir.ToolCallPart("t1", "f", '{"a": [1, 2'),  # truncated
        ir.ToolCallPart("t2", "f", "[1, 2]"),
        ir.ToolCallPart("t3", "patch", "*** Begin Patch", kind="custom"),
    ]
    body = emit(user(ir.TextPart("q")), assistant(*calls))
    inputs = [b["input"] for b in body["messages"][1]["content"]]
    assert inputs == [{"raw": '{"a": [1, 2'}, {"value": [1, 2]}, {"input": "*** Begin Patch"}]


# --------------------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------------------


def test_max_tokens_defaults_and_thinking_budget() -> None:
    q = user(ir.TextPart("q"))
    assert emit(q)["max_tokens"] == 8192
    body = emit(q, reasoning=ir.ReasoningConfig(effort="high"))
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 24576}
    assert body["max_tokens"] == 24576 + 4096
    assert "output_config" not in body  # effort is only sent on Anthropic's own request
    body = emit(q, reasoning=ir.ReasoningConfig(effort="high"), max_output_tokens=2000)
    assert body["thinking"]["budget_tokens"] == 1024 and body["max_tokens"] == 2000
    body = emit(q, reasoning=ir.ReasoningConfig(budget_tokens=4000), max_output_tokens=1000)
    assert "thinking" not in body and body["max_tokens"] == 1000
    body = emit(
        q,
        reasoning=ir.ReasoningConfig(enabled=True, effort="low"),
        provider_data={"anthropic": {"thinking_type": "adaptive"}},
    )
    assert body["thinking"] == {"type": "adaptive"} and body["max_tokens"] == 32000
    assert body["output_config"] == {"effort": "low"}


@pytest.mark.parametrize(
    ("reasoning", "thinking"),
    [
        (ir.ReasoningConfig(enabled=False, budget_tokens=5000), {"type": "disabled"}),
        (ir.ReasoningConfig(effort="none"), {"type": "disabled"}),
        (ir.ReasoningConfig(budget_tokens=0), {"type": "disabled"}),
        (ir.ReasoningConfig(budget_tokens=100), {"type": "enabled", "budget_tokens": 1024}),
        (ir.ReasoningConfig(budget_tokens=-1), {"type": "enabled", "budget_tokens": 8192}),
        (ir.ReasoningConfig(enabled=True), {"type": "enabled", "budget_tokens": 8192}),
        (ir.ReasoningConfig(effort="minimal"), {"type": "enabled", "budget_tokens": 1024}),
        (ir.ReasoningConfig(effort="medium"), {"type": "enabled", "budget_tokens": 8192}),
        (ir.ReasoningConfig(effort="xhigh"), {"type": "enabled", "budget_tokens": 32768}),
        (ir.ReasoningConfig(include_thoughts=True), None),
    ],
)
def test_reasoning_to_thinking(
    reasoning: ir.ReasoningConfig, thinking: dict[str, Any] | None
) -> None:
    body = emit(user(ir.TextPart("q")), reasoning=reasoning)
    assert body.get("thinking") == thinking


def test_effort_budget_table_round_trips() -> None:
    for effort in ("minimal", "low", "medium", "high", "xhigh"):
        assert budget_to_effort(EFFORT_BUDGET[effort]) == effort
    assert budget_to_effort(0) == "none"


def test_thinking_constraints_on_sampling_and_tool_choice() -> None:
    tools = [ir.Tool("f", parameters={"type": "object", "properties": {}})]
    body = emit(
        user(ir.TextPart("q")),
        reasoning=ir.ReasoningConfig(budget_tokens=2048),
        temperature=0.2,
        top_p=0.5,
        top_k=5,
        tools=tools,
        tool_choice=ir.ToolChoice("required"),
        parallel_tool_calls=False,
    )
    assert not {"temperature", "top_p", "top_k"} & set(body)
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    body = emit(user(ir.TextPart("q")), temperature=1.7, top_p=0.5, top_k=5, stop=["\n", "END"])
    assert (body["temperature"], body["top_p"], body["top_k"]) == (1.0, 0.5, 5)
    assert body["stop_sequences"] == ["END"]


def test_thinking_is_dropped_when_the_tool_loop_has_no_signed_thinking() -> None:
    loop = (
        user(ir.TextPart("q")),
        assistant(ir.ReasoningPart("foreign"), ir.ToolCallPart("call_1", "f", "{}")),
        user(ir.ToolResultPart("call_1", [ir.TextPart("r")])),
    )
    assert "thinking" not in emit(*loop, reasoning=ir.ReasoningConfig(effort="low"))
    signed = ir.ReasoningPart("mine", provider_data={"anthropic": {"signature": "EqS"}})
    loop = (
        loop[0],
        assistant(signed, ir.ToolCallPart("toolu_1", "f", "{}")),
        user(ir.ToolResultPart("toolu_1")),
    )
    assert emit(*loop, reasoning=ir.ReasoningConfig(effort="low"))["thinking"]["type"] == "enabled"


def test_tools_and_tool_choice() -> None:
    tools = [
        ir.Tool("plain", "A tool.", {"properties": {"a": {"type": "string"}}}, strict=False),
        ir.Tool("exact", None, None, strict=True),
        ir.Tool("apply_patch", "Free-form patch.", kind="custom"),
        ir.Tool(
            "web_search", kind="builtin", provider_data={"openai_responses": {"type": "web_search"}}
        ),
        ir.Tool(
            "code_execution",
            kind="builtin",
            provider_data={
                "anthropic": {"type": "code_execution_20250825", "name": "code_execution"}
            },
        ),
    ]
    body = emit(user(ir.TextPart("q")), tools=tools, tool_choice=ir.ToolChoice("tool", "exact"))
    assert body["tools"] == [
        {
            "name": "plain",
            "description": "A tool.",
            "input_schema": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
        {"name": "exact", "input_schema": {"type": "object", "properties": {}}, "strict": True},
        {
            "name": "apply_patch",
            "description": "Free-form patch.",
            "input_schema": {
                "type": "object",
                "properties": {"input": {"type": "string"}},
                "required": ["input"],
            },
        },
        {"type": "code_execution_20250825", "name": "code_execution"},
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "exact"}
    assert emit(user(ir.TextPart("q")), tools=tools[:1], tool_choice=ir.ToolChoice("none"))[
        "tool_choice"
    ] == {"type": "none"}
    assert "tool_choice" not in emit(user(ir.TextPart("q")), tool_choice=ir.ToolChoice("required"))


def test_structured_output_user_and_unexpressible_fields() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    body = emit(
        user(ir.TextPart("q")),
        response_format=ir.ResponseFormat("json_schema", schema=schema, name="count", strict=True),
        user="u-1",
        seed=7,
        presence_penalty=0.5,
        candidate_count=1,
        stream=True,
    )
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert body["metadata"] == {"user_id": "u-1"} and body["stream"] is True
    assert not {"seed", "presence_penalty", "n"} & set(body)
    body = emit(user(ir.TextPart("q")), response_format=ir.ResponseFormat("json_object"))
    assert "output_config" not in body


# --------------------------------------------------------------------------------------
# count_tokens
# --------------------------------------------------------------------------------------


def test_count_request_round_trip() -> None:
    original = load("tool_loop_request.json")
    count_body = {
        k: v
        for k, v in original.items()
        if k not in ("max_tokens", "top_p", "stop_sequences", "metadata")
    }
    req = CODEC.parse_count_request(count_body)
    assert req.max_output_tokens is None and len(req.messages) == 5
    emitted = CODEC.emit_count_request(req)
    assert_api_valid(emitted, count=True)
    assert set(emitted) == {
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "output_config",
    }
    assert emitted["messages"] == original["messages"][:1] + emitted["messages"][1:]
    assert CODEC.parse_count_request(emitted) == req
    assert CODEC.emit_count_response(2095) == {"input_tokens": 2095}
    assert CODEC.parse_count_response({"input_tokens": 2095}) == 2095
    with pytest.raises(InvalidInput, match="input_tokens"):
        CODEC.parse_count_response({"tokens": 1})
