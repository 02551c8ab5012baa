"""Responses request body ⇄ IR: parsing real-shaped requests (a Codex CLI turn, a multimodal
parallel-tool conversation), emitting from IR the API accepts, and lossless round trips."""

from __future__ import annotations

import copy
from typing import Any

import pydantic
import pytest
from openai.types.responses import response_create_params

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.openai_responses import CODEC
from tests.protocols.test_openai_responses_support import OWN, load_json

FAMILY = "openai_responses"
CREATE_PARAMS: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(
    response_create_params.ResponseCreateParamsNonStreaming
)


def codex() -> dict[str, Any]:
    return load_json(OWN / "request_codex.json")


def multimodal() -> dict[str, Any]:
    return load_json(OWN / "request_multimodal_tools.json")


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


def test_codex_turn_parses_into_ir_roles_and_parts() -> None:
    req = CODEC.parse_request(codex())
    assert req.model == "gpt-5.1-codex"
    assert req.stream is True
    # instructions first, then the leading developer message (marked for replay)
    assert [p.text for p in req.system] == [
        "You are Codex, a coding agent running in a terminal.",
        "<permissions instructions>sandbox: workspace-write</permissions instructions>",
    ]
    assert req.system[1].provider_data == {FAMILY: {"role": "developer"}}
    roles = [m.role for m in req.messages]
    assert roles == ["user", "assistant", "user", "assistant", "user", "assistant", "user"]
    # two consecutive user messages merge into one user turn
    assert [p.text for p in req.messages[0].parts if isinstance(p, ir.TextPart)] == [
        "<environment_context>\n  <cwd>/home/me/proj</cwd>\n</environment_context>",
        "Fix the failing test and show me the diff.",
    ]
    reasoning, text, call = req.messages[1].parts
    assert isinstance(reasoning, ir.ReasoningPart)
    assert reasoning.text == "**Inspecting the tests**\n\nI should run the test suite first."
    assert reasoning.provider_data[FAMILY]["encrypted_content"] == "gAAAAABpZ_encrypted_reasoning_1"
    assert isinstance(text, ir.TextPart) and text.provider_data == {FAMILY: {"phase": "commentary"}}
    assert isinstance(call, ir.ToolCallPart)
    assert (call.id, call.name, call.kind) == ("call_AAA111", "exec_command", "function")
    assert call.arguments == '{"cmd":"pytest -q","workdir":"/home/me/proj"}'
    result = req.messages[2].parts[0]
    assert isinstance(result, ir.ToolResultPart)
    assert (result.call_id, result.name) == ("call_AAA111", "exec_command")
    assert result.content == [ir.TextPart("1 failed, 12 passed in 0.40s")]
    enc_only, patch = req.messages[3].parts
    assert isinstance(enc_only, ir.ReasoningPart) and enc_only.text == ""
    assert isinstance(patch, ir.ToolCallPart) and patch.kind == "custom"
    assert patch.arguments.startswith("*** Begin Patch\n")
    custom_result = req.messages[4].parts[0]
    assert isinstance(custom_result, ir.ToolResultPart) and custom_result.name == "apply_patch"


def test_codex_tools_and_opaque_fields() -> None:
    req = CODEC.parse_request(codex())
    kinds = [(t.name, t.kind, t.namespace) for t in req.tools]
    assert kinds == [
        ("exec_command", "function", None),
        ("apply_patch", "custom", None),
        ("spawn_agent", "function", "multi_agent_v1"),  # a namespace is its member tools
        ("web_search", "builtin", None),
    ]
    assert req.tools[0].strict is False
    assert req.tools[0].parameters and req.tools[0].parameters["required"] == ["cmd"]
    assert req.tools[1].provider_data[FAMILY]["format"]["syntax"] == "lark"
    assert req.tools[3].provider_data == {FAMILY: {"type": "web_search"}}
    assert req.tool_choice == ir.ToolChoice("auto")
    assert req.parallel_tool_calls is True
    assert req.reasoning == ir.ReasoningConfig(effort="medium", summary="auto")
    assert req.provider_data[FAMILY] == {
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "019a4b1c-5d6e-7f80-9a1b-2c3d4e5f6a7b",
        "client_metadata": {"x-codex-installation-id": "abc"},
        "verbosity": "low",
    }


def test_codex_turn_replays_in_the_shape_codex_sends() -> None:
    """store:false → no item ids anywhere (the server would 404 them); reasoning replays by
    encrypted_content; custom tool calls keep their own item types; hosted tools kept."""
    body = CODEC.emit_request(CODEC.parse_request(codex()))
    assert body["instructions"] == "You are Codex, a coding agent running in a terminal."
    assert body["store"] is False and body["stream"] is True
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["text"] == {"verbosity": "low"}
    assert all("id" not in item for item in body["input"])
    types = [item.get("type") for item in body["input"]]
    assert types == [
        "message",
        "message",
        "reasoning",
        "message",
        "function_call",
        "function_call_output",
        "reasoning",
        "custom_tool_call",
        "custom_tool_call_output",
        "message",
        "message",
    ]
    assert body["input"][0]["role"] == "developer"
    assert body["input"][2]["encrypted_content"] == "gAAAAABpZ_encrypted_reasoning_1"
    assert body["input"][3] == {
        "type": "message",
        "role": "assistant",
        "content": "Running the tests first.",
        "phase": "commentary",
    }
    assert body["tools"][2]["type"] == "namespace" and body["tools"][3] == {"type": "web_search"}
    assert body["tools"][1]["format"]["type"] == "grammar"


def test_multimodal_conversation_parses() -> None:
    req = CODEC.parse_request(multimodal())
    assert [p.text for p in req.system] == ["You are terse.", "Always answer in English."]
    assert req.system[1].provider_data == {FAMILY: {"role": "system"}}
    first = req.messages[0]
    assert first.role == "user"
    text, url_img, b64_img, fid_img, pdf, fid_file = first.parts
    assert isinstance(text, ir.TextPart)
    assert url_img == ir.ImagePart(url="https://example.com/cat.png", detail="high")
    assert isinstance(b64_img, ir.ImagePart)
    assert b64_img.media_type == "image/png" and b64_img.data and b64_img.data.startswith("iVBOR")
    assert isinstance(fid_img, ir.FilePart) and fid_img.file_id == "file-IMG123"
    assert fid_img.provider_data == {FAMILY: {"image": True, "detail": "low"}}
    assert isinstance(pdf, ir.FilePart)
    assert (pdf.media_type, pdf.data, pdf.filename) == ("application/pdf", "JVBERi0xLjQK", "a.pdf")
    assert isinstance(fid_file, ir.FilePart) and fid_file.file_id == "file-DOC456"

    reasoning, paris, rome = req.messages[1].parts
    assert isinstance(reasoning, ir.ReasoningPart)
    assert reasoning.text == "Two cities.\n\nCall the tool twice."
    assert reasoning.provider_data[FAMILY] == {
        "id": "rs_1",
        "encrypted_content": "gAAAAA_enc_rs_1",
        "summary": True,
    }
    assert isinstance(paris, ir.ToolCallPart) and isinstance(rome, ir.ToolCallPart)
    assert [(c.id, c.arguments, c.provider_data[FAMILY]["id"]) for c in (paris, rome)] == [
        ("call_paris", '{"city":"Paris"}', "fc_1"),
        ("call_rome", '{"city":"Rome"}', "fc_2"),
    ]
    r_paris, r_rome = req.messages[2].parts
    assert isinstance(r_paris, ir.ToolResultPart) and isinstance(r_rome, ir.ToolResultPart)
    assert r_paris.content == [ir.TextPart("18C sunny")] and r_paris.name == "get_weather"
    assert r_rome.content[1] == ir.ImagePart(url="https://example.com/radar.png", detail="auto")
    answer = req.messages[3].parts[0]
    assert isinstance(answer, ir.TextPart) and answer.provider_data == {FAMILY: {"id": "msg_1"}}
    # a developer message after the first turn stays in place; item_reference is dropped
    assert req.messages[4].role == "system"
    assert req.messages[4].parts == [
        ir.TextPart("From now on, reply in JSON.", provider_data={FAMILY: {"role": "developer"}})
    ]
    assert req.messages[5].parts == [ir.TextPart("Summarise as JSON.")]
    assert len(req.messages) == 6


def test_multimodal_parameters_parse() -> None:
    req = CODEC.parse_request(multimodal())
    assert req.tool_choice == ir.ToolChoice("tool", "get_weather")
    assert req.parallel_tool_calls is False
    assert req.tools[0].strict is True
    assert req.response_format == ir.ResponseFormat(
        kind="json_schema",
        schema=multimodal()["text"]["format"]["schema"],
        name="weather",
        strict=True,
        description="Weather per city",
    )
    assert req.reasoning == ir.ReasoningConfig(effort="high", summary="detailed")
    assert (req.max_output_tokens, req.temperature, req.top_p) == (2048, 0.7, 0.9)
    assert (req.user, req.metadata) == ("user-42", {"ticket": "T-1"})
    assert req.provider_data[FAMILY] == {
        "store": True,
        "truncation": "auto",
        "service_tier": "priority",
    }


@pytest.mark.parametrize("name", ["request_codex.json", "request_multimodal_tools.json"])
def test_parse_emit_parse_is_lossless(name: str) -> None:
    first = CODEC.parse_request(load_json(OWN / name))
    again = CODEC.parse_request(CODEC.emit_request(copy.deepcopy(first)))
    assert again == first


def test_emitted_stored_request_passes_the_sdk_param_types() -> None:
    body = CODEC.emit_request(CODEC.parse_request(multimodal()))
    body.pop("stream", None)
    CREATE_PARAMS.validate_python(body)  # raises on any shape the SDK would not send
    assert body["input"][2]["id"] == "rs_1"  # store:true → ids replay
    assert body["input"][7]["id"] == "msg_1" and body["input"][7]["status"] == "completed"


# --------------------------------------------------------------------------------------
# Emitting from other families' IR
# --------------------------------------------------------------------------------------


def foreign_request() -> ir.Request:
    """What an Anthropic Messages request parses into (signatures under ``anthropic``)."""
    return ir.Request(
        model="claude-sonnet-4-5",
        system=[ir.TextPart("You are helpful."), ir.TextPart("Be brief.")],
        messages=[
            ir.Message(
                "user",
                [
                    ir.TextPart("What is in this image? Then look up the weather."),
                    ir.ImagePart(data="iVBORw0KGgo=", media_type="image/png"),
                    ir.FilePart(data="JVBERi0=", media_type="application/pdf"),
                ],
            ),
            ir.Message(
                "assistant",
                [
                    ir.ReasoningPart(
                        "Let me think.", provider_data={"anthropic": {"signature": "sig"}}
                    ),
                    ir.ReasoningPart(
                        redacted=True, provider_data={"anthropic": {"redacted_data": "x"}}
                    ),
                    ir.TextPart("A cat. Checking weather."),
                    ir.ToolCallPart("toolu_01", "get_weather", ""),
                    ir.ToolCallPart("toolu_02", "get_time", '{"tz":"UTC"}'),
                ],
            ),
            ir.Message(
                "user",
                [
                    ir.ToolResultPart("toolu_01", [ir.TextPart("timeout")], is_error=True),
                    ir.ToolResultPart("toolu_99", [ir.TextPart("stale")]),
                    ir.TextPart("Go on."),
                ],
            ),
            ir.Message("system", [ir.TextPart("Answer in French.")]),
        ],
        tools=[
            ir.Tool("get_weather", "Weather", {"type": "object", "properties": {}}),
            ir.Tool("get_time", None, None, strict=True),
            ir.Tool(
                "web_search",
                kind="builtin",
                provider_data={"anthropic": {"type": "web_search_20250305"}},
            ),
        ],
        tool_choice=ir.ToolChoice("tool", "get_weather"),
        max_output_tokens=1024,
        temperature=0.5,
        stop=["END"],
        seed=7,
        top_k=40,
        response_format=ir.ResponseFormat(kind="json_object"),
        reasoning=ir.ReasoningConfig(enabled=True, budget_tokens=4000, include_thoughts=True),
        user="u-1",
    )


def test_foreign_request_emits_what_the_api_accepts() -> None:
    body = CODEC.emit_request(foreign_request())
    assert body["instructions"] == "You are helpful."
    inp = body["input"]
    assert inp[0] == {
        "type": "message",
        "role": "developer",
        "content": [{"type": "input_text", "text": "Be brief."}],
    }
    user = inp[1]["content"]
    assert user[1] == {
        "type": "input_image",
        "image_url": "data:image/png;base64,iVBORw0KGgo=",
        "detail": "auto",
    }
    assert user[2] == {
        "type": "input_file",
        "file_data": "data:application/pdf;base64,JVBERi0=",
        "filename": "file.pdf",
    }
    # foreign thinking (signature or redacted) is never sent to OpenAI
    assert all(item.get("type") != "reasoning" for item in inp)
    assert inp[2] == {"type": "message", "role": "assistant", "content": "A cat. Checking weather."}
    assert inp[3] == {
        "type": "function_call",
        "call_id": "toolu_01",
        "name": "get_weather",
        "arguments": "{}",
    }
    # a call nobody answered gets a placeholder result right after the calls
    assert inp[5] == {
        "type": "function_call_output",
        "call_id": "toolu_02",
        "output": "(no result)",
    }
    # error result: Responses has no flag, the text says so
    assert inp[6] == {
        "type": "function_call_output",
        "call_id": "toolu_01",
        "output": "Error: timeout",
    }
    # an orphan result becomes user text, together with the user's own text
    assert inp[7]["role"] == "user"
    assert [c["text"] for c in inp[7]["content"]] == ["[tool result for toolu_99]: stale", "Go on."]
    assert inp[8]["role"] == "developer" and inp[8]["content"][0]["text"] == "Answer in French."
    assert len(inp) == 9


def test_foreign_request_parameters() -> None:
    body = CODEC.emit_request(foreign_request())
    assert body["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather",
            "parameters": {"type": "object", "properties": {}},
            "strict": False,
        },
        {
            "type": "function",
            "name": "get_time",
            "parameters": {"type": "object", "properties": {}},
            "strict": True,
        },
    ]
    assert body["tool_choice"] == {"type": "function", "name": "get_weather"}
    assert body["text"] == {"format": {"type": "json_object"}}
    assert body["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert (body["max_output_tokens"], body["temperature"], body["user"]) == (1024, 0.5, "u-1")
    for absent in ("stop", "seed", "top_k", "store", "stream"):
        assert absent not in body
    CREATE_PARAMS.validate_python(body)


def test_candidate_count_above_one_is_refused() -> None:
    req = foreign_request()
    req.candidate_count = 2
    with pytest.raises(InvalidInput, match="candidate_count"):
        CODEC.emit_request(req)


def test_store_false_drops_id_only_reasoning_and_keeps_encrypted() -> None:
    id_only = ir.ReasoningPart("x", provider_data={FAMILY: {"id": "rs_9", "summary": True}})
    enc = ir.ReasoningPart("", provider_data={FAMILY: {"id": "rs_8", "encrypted_content": "E"}})
    msgs = [
        ir.Message("user", [ir.TextPart("hi")]),
        ir.Message("assistant", [id_only, enc, ir.TextPart("ok")]),
    ]
    stateless = ir.Request("m", messages=msgs, provider_data={FAMILY: {"store": False}})
    items = CODEC.emit_request(stateless)["input"]
    assert [i["type"] for i in items] == ["message", "reasoning", "message"]
    assert items[1] == {"type": "reasoning", "summary": [], "encrypted_content": "E"}
    stored = ir.Request("m", messages=msgs)
    items = CODEC.emit_request(stored)["input"]
    assert [i.get("id") for i in items if i["type"] == "reasoning"] == ["rs_9", "rs_8"]


def test_opaque_items_ride_along_for_responses_only() -> None:
    body = {
        "model": "gpt-5",
        "input": [
            {"type": "compaction", "encrypted_content": "CMP"},
            {
                "type": "web_search_call",
                "id": "ws_1",
                "status": "completed",
                "action": {"type": "search", "query": "q"},
            },
            {"role": "user", "content": "continue"},
        ],
    }
    req = CODEC.parse_request(body)
    carriers = req.messages[0].parts
    assert all(isinstance(p, ir.ReasoningPart) and p.text == "" for p in carriers)
    assert CODEC.emit_request(req)["input"] == [
        {"type": "compaction", "encrypted_content": "CMP"},
        body["input"][1],
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "continue"}],
        },
    ]


def test_string_input_and_typeless_messages() -> None:
    assert CODEC.parse_request({"model": "m", "input": "hello"}).messages == [
        ir.Message("user", [ir.TextPart("hello")])
    ]
    req = CODEC.parse_request(
        {
            "model": "m",
            "input": [{"role": "developer", "content": "d"}, {"role": "user", "content": "u"}],
        }
    )
    assert [p.text for p in req.system] == ["d"] and req.messages[0].parts == [ir.TextPart("u")]


def test_allowed_tools_choice_is_kept_for_replay() -> None:
    choice = {
        "type": "allowed_tools",
        "mode": "required",
        "tools": [{"type": "function", "name": "a"}],
    }
    body = {
        "model": "m",
        "input": "x",
        "tools": [{"type": "function", "name": "a", "parameters": {}}],
        "tool_choice": choice,
    }
    req = CODEC.parse_request(body)
    assert req.tool_choice == ir.ToolChoice("required")
    assert CODEC.emit_request(req)["tool_choice"] == choice


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"input": "x"}, "model"),
        ({"model": "m", "input": 3}, "input"),
        (
            {"model": "m", "input": [{"type": "message", "role": "tool", "content": "x"}]},
            r"input\[0\]\.role",
        ),
        (
            {"model": "m", "input": [{"type": "function_call", "name": "f", "arguments": "{}"}]},
            r"input\[0\]\.call_id",
        ),
        (
            {"model": "m", "input": [{"type": "function_call_output", "output": "x"}]},
            r"input\[0\]\.call_id",
        ),
        ({"model": "m", "input": [{"content": "no type, no role"}]}, r"input\[0\]\.type"),
        (
            {"model": "m", "input": [{"role": "user", "content": [{"type": "input_text"}]}]},
            r"content\[0\]\.text",
        ),
        (
            {"model": "m", "input": [{"role": "user", "content": [{"type": "input_image"}]}]},
            r"content\[0\]",
        ),
        ({"model": "m", "tools": [{"type": "function"}]}, r"tools\[0\]\.name"),
        ({"model": "m", "tool_choice": "sometimes"}, "tool_choice"),
        ({"model": "m", "temperature": "hot"}, "temperature"),
        ({"model": "m", "text": {"format": {"type": "yaml"}}}, "text.format"),
        ("not an object", "request"),
    ],
)
def test_bad_requests_name_the_field(body: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        CODEC.parse_request(body)


def test_count_request_is_a_request_without_generation_fields() -> None:
    body = {
        "model": "gpt-5",
        "input": "count me",
        "instructions": "sys",
        "stream": True,
        "max_output_tokens": 50,
        "store": False,
        "tools": [{"type": "function", "name": "f", "parameters": {}}],
    }
    req = CODEC.parse_count_request(body)
    assert req.stream is False and req.system == [ir.TextPart("sys")]
    assert CODEC.parse_count_request({"input": "no model"}).model == ""
    emitted = CODEC.emit_count_request(req)
    assert set(emitted) == {"model", "input", "instructions", "tools"}
    assert CODEC.emit_count_response(42) == {"object": "response.input_tokens", "input_tokens": 42}
    assert CODEC.parse_count_response({"object": "response.input_tokens", "input_tokens": 7}) == 7
