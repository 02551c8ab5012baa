"""Gemini generateContent requests: parse, emit, pairing rules, round trips, SDK validation."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from google.genai import types

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.gemini import CODEC
from gatewayctl.protocols.gemini.config import thinking_config
from tests.protocols.api_rules import assert_gemini_request
from tests.protocols.test_gemini_support import GEMINI_OWN, load_json

REQUESTS = sorted((GEMINI_OWN / "requests").glob("*.json"))


def sdk_validate_request(
    body: dict[str, Any], model: str = "", *, conversation: bool = True
) -> None:
    """Every piece of an emitted request must validate as the SDK's (strict) types, and the
    conversation must follow Gemini's rules (:mod:`tests.protocols.api_rules`)."""
    assert_gemini_request(body, model, conversation=conversation)


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.name)
def test_parse_emit_parse_is_lossless(path) -> None:
    body = load_json(path)
    first = CODEC.parse_request(copy.deepcopy(body))
    emitted = CODEC.emit_request(first)
    sdk_validate_request(emitted)
    assert CODEC.parse_request(emitted) == first
    # and emitting is stable
    assert CODEC.emit_request(CODEC.parse_request(emitted)) == emitted


def test_multiturn_request_parses_fully() -> None:
    req = CODEC.parse_request(load_json(GEMINI_OWN / "requests" / "multiturn_tools.json"))
    assert req.model == "" and not req.stream
    assert [p.text for p in req.system] == [
        "You are a terse travel assistant.",
        "Answer in English.",
    ]
    roles = [m.role for m in req.messages]
    assert roles == ["user", "assistant", "user", "assistant", "user"]

    text, inline, url_image, pdf = req.messages[0].parts
    assert isinstance(text, ir.TextPart) and text.text.startswith("Weather in Paris")
    assert isinstance(inline, ir.ImagePart) and inline.media_type == "image/png" and inline.data
    assert isinstance(url_image, ir.ImagePart) and url_image.url.endswith("/files/photo-123")
    assert isinstance(pdf, ir.FilePart) and pdf.media_type == "application/pdf" and pdf.url

    thought, paris, rome = req.messages[1].parts
    assert isinstance(thought, ir.ReasoningPart)
    assert thought.provider_data == {"gemini": {"thoughtSignature": "c2lnLXRob3VnaHQ="}}
    assert isinstance(paris, ir.ToolCallPart) and isinstance(rome, ir.ToolCallPart)
    assert (paris.id, paris.name, json.loads(paris.arguments)) == (
        "call_0",
        "get_weather",
        {"city": "Paris", "unit": "celsius"},
    )
    assert paris.provider_data == {"gemini": {"thoughtSignature": "c2lnLWNhbGwtMQ=="}}
    assert rome.id == "call_1" and rome.provider_data == {}

    ok, failed = req.messages[2].parts
    assert isinstance(ok, ir.ToolResultPart) and isinstance(failed, ir.ToolResultPart)
    assert (ok.call_id, ok.name, ok.is_error) == ("call_0", "get_weather", False)
    assert ok.content == [ir.TextPart("18C sunny")]  # the text wrapper is unwrapped
    assert ok.provider_data == {"gemini": {"response_key": "result"}}
    assert (failed.call_id, failed.is_error) == ("call_1", True)

    answer, code, result = req.messages[3].parts
    assert answer.text.startswith("Paris is 18C")
    assert "```python\nprint(18 * 9 / 5 + 32)\n```" in code.text
    assert code.provider_data["gemini"]["part"]["executableCode"]["language"] == "PYTHON"
    assert "64.4" in result.text

    weather, trips, search = req.tools
    assert weather.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name"},
            "unit": {"type": ["string", "null"], "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    }
    assert trips.parameters["properties"]["after"] == {
        "type": ["string", "null"],
        "format": "date-time",
    }
    assert (search.kind, search.provider_data) == ("builtin", {"gemini": {"googleSearch": {}}})
    assert req.tool_choice == ir.ToolChoice(mode="tool", name="get_weather")
    assert (req.temperature, req.top_p, req.top_k, req.max_output_tokens) == (0.7, 0.95, 40, 2048)
    assert (req.stop, req.seed, req.candidate_count) == (["END"], 7, 1)
    assert (req.presence_penalty, req.frequency_penalty) == (0.5, 0.25)
    assert req.reasoning == ir.ReasoningConfig(
        enabled=True, budget_tokens=2048, include_thoughts=True
    )
    assert req.provider_data == {
        "gemini": {
            "generationConfig": {"responseModalities": ["TEXT"]},
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
            "cachedContent": "cachedContents/xyz",
        }
    }


def test_emitted_multiturn_body() -> None:
    body = CODEC.emit_request(
        CODEC.parse_request(load_json(GEMINI_OWN / "requests" / "multiturn_tools.json"))
    )
    model_turn = body["contents"][1]["parts"]
    assert model_turn[0] == {
        "text": "**Planning** I need the weather for two cities.",
        "thought": True,
        "thoughtSignature": "c2lnLXRob3VnaHQ=",
    }
    assert model_turn[1]["thoughtSignature"] == "c2lnLWNhbGwtMQ=="
    assert "thoughtSignature" not in model_turn[2]
    responses = body["contents"][2]["parts"]
    assert responses == [
        {
            "functionResponse": {
                "name": "get_weather",
                "response": {"result": "18C sunny"},
            }
        },
        {
            "functionResponse": {
                "name": "get_weather",
                "response": {"error": "upstream weather service timed out"},
            }
        },
    ]
    assert body["contents"][3]["parts"][1] == {
        "executableCode": {"language": "PYTHON", "code": "print(18 * 9 / 5 + 32)"}
    }
    decl = body["tools"][0]["functionDeclarations"][0]
    assert decl["parameters"] == {
        "type": "OBJECT",
        "properties": {
            "city": {"type": "STRING", "description": "City name"},
            "unit": {"type": "STRING", "enum": ["celsius", "fahrenheit"], "nullable": True},
        },
        "required": ["city"],
    }
    assert body["tools"][1] == {"googleSearch": {}}
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
    }
    assert body["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 2048,
        "includeThoughts": True,
    }
    assert body["generationConfig"]["responseModalities"] == ["TEXT"]
    assert body["cachedContent"] == "cachedContents/xyz"


def test_snake_case_spelling_is_accepted() -> None:
    req = CODEC.parse_request(load_json(GEMINI_OWN / "requests" / "snake_case.json"))
    assert [p.text for p in req.system] == ["You are a cat. Your name is Neko."]
    image = req.messages[0].parts[1]
    assert isinstance(image, ir.ImagePart) and image.media_type == "image/jpeg"
    call = req.messages[1].parts[0]
    assert isinstance(call, ir.ToolCallPart)
    assert (call.id, call.name, call.provider_data) == (
        "fc-1",
        "describe",
        {"gemini": {"thoughtSignature": "c2lnLXNuYWtl", "wire_id": True}},
    )
    result = req.messages[2].parts[0]
    assert isinstance(result, ir.ToolResultPart) and result.call_id == "fc-1"
    assert req.tools[0].parameters["required"] == ["detail"]
    assert req.tool_choice == ir.ToolChoice(mode="auto")
    assert (req.max_output_tokens, req.stop, req.top_k) == (256, ["\n\n"], 20)
    assert req.reasoning == ir.ReasoningConfig(
        enabled=False, budget_tokens=0, include_thoughts=False
    )
    assert req.provider_data["gemini"]["safetySettings"][0]["threshold"] == "BLOCK_ONLY_HIGH"
    body = CODEC.emit_request(req)
    assert "generationConfig" in body and "generation_config" not in body
    # ids the client sent are sent back (and only those)
    assert body["contents"][1]["parts"][0]["functionCall"]["id"] == "fc-1"
    assert body["contents"][2]["parts"][0]["functionResponse"]["id"] == "fc-1"
    assert body["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 0,
        "includeThoughts": False,
    }


def test_gemini_cli_request() -> None:
    req = CODEC.parse_request(load_json(GEMINI_OWN / "requests" / "gemini_cli.json"))
    assert len(req.messages) == 1 and len(req.messages[0].parts) == 2
    assert req.system[0].text.startswith("You are an interactive CLI agent")
    assert req.reasoning == ir.ReasoningConfig(effort="high", include_thoughts=True)
    assert [t.name for t in req.tools] == ["list_directory", "read_file"]
    req.model = "gemini-3-pro-preview"
    body = CODEC.emit_request(req)
    assert body["generationConfig"]["thinkingConfig"] == {
        "thinkingLevel": "HIGH",
        "includeThoughts": True,
    }
    params = body["tools"][0]["functionDeclarations"][0]["parameters"]
    options = params["properties"]["file_filtering_options"]
    assert options["type"] == "OBJECT" and set(options["properties"]) == {
        "respect_git_ignore",
        "respect_gemini_ignore",
    }
    req.model = "gemini-2.5-flash"
    body = CODEC.emit_request(req)
    assert body["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 24576,
        "includeThoughts": True,
    }


def test_structured_output() -> None:
    req = CODEC.parse_request(load_json(GEMINI_OWN / "requests" / "structured_output.json"))
    fmt = req.response_format
    assert fmt is not None and fmt.kind == "json_schema" and fmt.schema["type"] == "array"
    gen = CODEC.emit_request(req)["generationConfig"]
    assert gen["responseMimeType"] == "application/json"
    assert gen["responseSchema"] == {
        "type": "ARRAY",
        "items": {
            "type": "OBJECT",
            "properties": {
                "recipe_name": {"type": "STRING"},
                "ingredients": {"type": "ARRAY", "items": {"type": "STRING"}},
            },
            "required": ["recipe_name", "ingredients"],
            "propertyOrdering": ["recipe_name", "ingredients"],
        },
    }
    json_only = ir.Request(model="m", response_format=ir.ResponseFormat(kind="json_object"))
    assert CODEC.emit_request(json_only)["generationConfig"] == {
        "responseMimeType": "application/json"
    }
    # the Gemini Schema form parses back to JSON Schema
    gemini_form = {
        "contents": [],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseSchema": gen["responseSchema"],
        },
    }
    parsed = CODEC.parse_request(gemini_form).response_format
    assert parsed is not None and parsed.schema == fmt.schema


# -- emitting IR that came from other protocols ------------------------------------------------


def _call(call_id: str, name: str, args: str = "{}") -> ir.ToolCallPart:
    return ir.ToolCallPart(id=call_id, name=name, arguments=args)


def _result(
    call_id: str, text: str, *, error: bool = False, name: str | None = None
) -> ir.ToolResultPart:
    return ir.ToolResultPart(
        call_id=call_id, content=[ir.TextPart(text)], is_error=error, name=name
    )


def test_results_are_paired_in_call_order_with_names_from_calls() -> None:
    req = ir.Request(
        model="gemini-2.5-flash",
        messages=[
            ir.Message("user", [ir.TextPart("go")]),
            ir.Message(
                "assistant",
                [
                    ir.TextPart(""),
                    _call("toolu_a", "read", '{"path": "a"}'),
                    _call("toolu_b", "ls"),
                ],
            ),
            ir.Message("user", [_result("toolu_b", "x.txt\ny.txt")]),
            ir.Message("user", [_result("toolu_a", '{"content": "hello"}'), ir.TextPart("thanks")]),
        ],
    )
    body = CODEC.emit_request(req)
    sdk_validate_request(body)
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["contents"][1]["parts"] == [
        {"functionCall": {"name": "read", "args": {"path": "a"}}},
        {"functionCall": {"name": "ls", "args": {}}},
    ]
    assert body["contents"][2]["parts"] == [
        {"functionResponse": {"name": "read", "response": {"content": "hello"}}},
        {
            "functionResponse": {
                "name": "ls",
                "response": {"result": "x.txt\ny.txt"},
            }
        },
        {"text": "thanks"},
    ]


def test_dangling_calls_get_no_result_and_orphans_become_text() -> None:
    req = ir.Request(
        model="m",
        messages=[
            ir.Message("user", [ir.TextPart("hi")]),
            ir.Message("assistant", [_call("c1", "search")]),
            ir.Message(
                "user",
                [_result("gone", "stale output", name="old_tool"), ir.TextPart("never mind")],
            ),
            ir.Message("assistant", [ir.TextPart("ok"), _call("c2", "search")]),
        ],
    )
    body = CODEC.emit_request(req)
    sdk_validate_request(body)
    assert body["contents"][2]["parts"] == [
        {"functionResponse": {"name": "search", "response": {"result": "(no result)"}}},
        {"text": "[tool result for old_tool]: stale output"},
        {"text": "never mind"},
    ]
    # the trailing call is answered too, so the request stays valid
    assert body["contents"][-1] == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "name": "search",
                    "response": {"result": "(no result)"},
                }
            }
        ],
    }


def test_error_results_and_media_in_results() -> None:
    image = ir.ImagePart(data="iVBORw0KGgo=", media_type="image/png")
    req = ir.Request(
        model="m",
        messages=[
            ir.Message("assistant", [_call("c1", "shot"), _call("c2", "run")]),
            ir.Message(
                "user",
                [
                    ir.ToolResultPart("c1", [ir.TextPart("captured"), image]),
                    _result("c2", "exit status 1", error=True),
                ],
            ),
        ],
    )
    body = CODEC.emit_request(req)
    sdk_validate_request(body)
    assert body["contents"][1]["parts"] == [
        {"functionResponse": {"name": "shot", "response": {"result": "captured"}}},
        {"functionResponse": {"name": "run", "response": {"error": "exit status 1"}}},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
    ]
    back = CODEC.parse_request(body).messages[1].parts
    assert isinstance(back[1], ir.ToolResultPart) and back[1].is_error
    error_object = _result("c", '{"code": 2}', error=True)
    body = CODEC.emit_request(
        ir.Request(
            model="m",
            messages=[
                ir.Message("assistant", [_call("c", "f")]),
                ir.Message("user", [error_object]),
            ],
        )
    )
    assert body["contents"][1]["parts"][0]["functionResponse"]["response"] == {"error": {"code": 2}}


def test_legacy_roles_misplaced_parts_and_mismatched_ids() -> None:
    body = {
        "contents": [
            {"parts": [{"text": "no role means user"}]},
            {
                "role": "model",
                "parts": [
                    {"functionCall": {"name": "a", "args": {}}},
                    {"functionCall": {"name": "b", "args": {}}},
                ],
            },
            {
                "role": "function",
                "parts": [
                    {"functionResponse": {"name": "b", "id": "unknown-id", "response": {"r": 2}}},
                    {"functionResponse": {"name": "a", "response": {"r": 1}}},
                    {"functionCall": {"name": "c", "args": {}}},
                ],
            },
        ]
    }
    req = CODEC.parse_request(body)
    assert [m.role for m in req.messages] == ["user", "assistant", "user", "assistant"]
    call_a, call_b = req.messages[1].parts
    answer_b, answer_a = req.messages[2].parts
    # an id that matches no call falls back to pairing by name
    assert (answer_b.call_id, answer_a.call_id) == (call_b.id, call_a.id)
    assert isinstance(req.messages[3].parts[0], ir.ToolCallPart)


def test_function_response_parts_round_trip() -> None:
    body = {
        "contents": [
            {"role": "model", "parts": [{"functionCall": {"name": "snap", "args": {}}}]},
            {
                "role": "user",
                "parts": [
                    {
                        "functionResponse": {
                            "name": "snap",
                            "response": {"ok": True},
                            "parts": [{"inlineData": {"mimeType": "image/png", "data": "AAAA"}}],
                        }
                    }
                ],
            },
        ]
    }
    req = CODEC.parse_request(body)
    result = req.messages[1].parts[0]
    assert isinstance(result, ir.ToolResultPart) and result.call_id == "call_0"
    assert isinstance(result.content[1], ir.ImagePart)
    emitted = CODEC.emit_request(req)
    assert emitted["contents"][1]["parts"][0]["functionResponse"]["parts"] == [
        {"inlineData": {"mimeType": "image/png", "data": "AAAA"}}
    ]
    assert CODEC.parse_request(emitted) == req


def test_signatures_and_reasoning_only_from_gemini() -> None:
    req = ir.Request(
        model="m",
        messages=[
            ir.Message("user", [ir.TextPart("q")]),
            ir.Message(
                "assistant",
                [
                    ir.ReasoningPart(
                        "claude thinking", provider_data={"anthropic": {"signature": "sig-a"}}
                    ),
                    ir.ReasoningPart(
                        "", redacted=True, provider_data={"anthropic": {"redacted_data": "x"}}
                    ),
                    ir.ReasoningPart(
                        "gemini thought", provider_data={"gemini": {"thoughtSignature": "Z2c="}}
                    ),
                    ir.TextPart("answer", provider_data={"openai_responses": {"id": "msg_1"}}),
                    ir.ToolCallPart(
                        "c", "f", "{}", provider_data={"anthropic": {"signature": "nope"}}
                    ),
                ],
            ),
            ir.Message("user", [_result("c", "done")]),
        ],
    )
    body = CODEC.emit_request(req)
    assert body["contents"][1]["parts"] == [
        {"text": "gemini thought", "thought": True, "thoughtSignature": "Z2c="},
        {"text": "answer"},
        {"functionCall": {"name": "f", "args": {}}},
    ]
    assert "sig-a" not in json.dumps(body) and "nope" not in json.dumps(body)


def test_merging_empty_parts_system_messages_and_media() -> None:
    req = ir.Request(
        model="m",
        system=[ir.TextPart("top")],
        messages=[
            ir.Message("user", [ir.TextPart("a"), ir.TextPart("")]),
            ir.Message("user", [ir.ImagePart(url="https://example.com/cat.jpg")]),
            ir.Message("assistant", [ir.TextPart("")]),
            ir.Message("system", [ir.TextPart("later rule")]),
            ir.Message(
                "user",
                [
                    ir.ImagePart(url="data:image/webp;base64,UklGRg=="),
                    ir.FilePart(file_id="file-abc123"),
                    ir.FilePart(url="https://example.com/r.pdf", filename="r.pdf"),
                ],
            ),
        ],
    )
    body = CODEC.emit_request(req)
    sdk_validate_request(body)
    assert body["systemInstruction"] == {"parts": [{"text": "top"}, {"text": "later rule"}]}
    assert body["contents"] == [
        {
            "role": "user",
            "parts": [
                {"text": "a"},
                {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/cat.jpg"}},
                {"inlineData": {"mimeType": "image/webp", "data": "UklGRg=="}},
                {
                    "fileData": {
                        "mimeType": "application/pdf",
                        "fileUri": "https://example.com/r.pdf",
                        "displayName": "r.pdf",
                    }
                },
            ],
        }
    ]
    lone = CODEC.emit_request(ir.Request(model="m", system=[ir.TextPart("only a system prompt")]))
    assert lone == {"contents": [{"role": "user", "parts": [{"text": "only a system prompt"}]}]}


def test_tools_and_tool_choice_from_other_protocols() -> None:
    tools = [
        ir.Tool(
            "noop",
            "Does nothing",
            {"type": "object", "properties": {}, "additionalProperties": False},
        ),
        ir.Tool("apply_patch", "Apply a patch", kind="custom"),
        ir.Tool(
            "web_search", kind="builtin", provider_data={"openai_responses": {"type": "web_search"}}
        ),
        ir.Tool("code_execution", kind="builtin", provider_data={"gemini": {"codeExecution": {}}}),
    ]
    body = CODEC.emit_request(
        ir.Request(model="m", tools=tools, tool_choice=ir.ToolChoice("required"))
    )
    sdk_validate_request(body, conversation=False)
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {"name": "noop", "description": "Does nothing"},
                {
                    "name": "apply_patch",
                    "description": "Apply a patch",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "input": {"type": "STRING", "description": "Free-form input."}
                        },
                        "required": ["input"],
                    },
                },
            ]
        },
        {"codeExecution": {}},
    ]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    history = ir.Request(
        model="m",
        tools=tools[1:2],
        messages=[
            ir.Message(
                "assistant", [ir.ToolCallPart("c", "apply_patch", "*** Begin Patch", kind="custom")]
            ),
            ir.Message("user", [_result("c", "Done!")]),
        ],
    )
    call = CODEC.emit_request(history)["contents"][0]["parts"][0]
    assert call == {"functionCall": {"name": "apply_patch", "args": {"input": "*** Begin Patch"}}}
    for choice, mode in [("auto", "AUTO"), ("none", "NONE")]:
        out = CODEC.emit_request(
            ir.Request(model="m", tools=tools[:1], tool_choice=ir.ToolChoice(choice))
        )
        assert out["toolConfig"] == {"functionCallingConfig": {"mode": mode}}
    assert "toolConfig" not in CODEC.emit_request(
        ir.Request(model="m", tool_choice=ir.ToolChoice("auto"))
    )


@pytest.mark.parametrize(
    ("reasoning", "model", "expected"),
    [
        (
            ir.ReasoningConfig(enabled=True, budget_tokens=4096),
            "gemini-2.5-pro",
            {"thinkingBudget": 4096, "includeThoughts": True},
        ),
        (ir.ReasoningConfig(enabled=False), "gemini-2.5-flash", {"thinkingBudget": 0}),
        (ir.ReasoningConfig(enabled=False), "gemini-3-pro-preview", {"thinkingLevel": "LOW"}),
        (ir.ReasoningConfig(effort="none"), "gemini-3-flash-preview", {"thinkingLevel": "MINIMAL"}),
        (
            ir.ReasoningConfig(effort="low"),
            "gemini-3-flash-preview",
            {"thinkingLevel": "LOW", "includeThoughts": True},
        ),
        (
            ir.ReasoningConfig(effort="medium"),
            "gemini-2.5-flash",
            {"thinkingBudget": 8192, "includeThoughts": True},
        ),
        (
            ir.ReasoningConfig(effort="xhigh"),
            "gemini-2.5-flash",
            {"thinkingBudget": 24576, "includeThoughts": True},
        ),
        (
            ir.ReasoningConfig(effort="xhigh"),
            "gemini-2.5-pro",
            {"thinkingBudget": 32768, "includeThoughts": True},
        ),
        (
            ir.ReasoningConfig(enabled=True),
            "gemini-2.5-flash",
            {"thinkingBudget": -1, "includeThoughts": True},
        ),
        (
            ir.ReasoningConfig(summary="auto", effort="high"),
            "models/gemini-2.0-flash",
            {"thinkingBudget": 24576, "includeThoughts": True},
        ),
        (
            ir.ReasoningConfig(effort="high", include_thoughts=False),
            "gemini-3-pro",
            {"thinkingLevel": "HIGH", "includeThoughts": False},
        ),
    ],
)
def test_thinking_config_mapping(reasoning, model, expected) -> None:
    assert thinking_config(reasoning, model) == expected
    types.ThinkingConfig.model_validate_json(json.dumps(expected))


def test_thinking_budget_minus_one_parses_as_dynamic() -> None:
    body = {"contents": [], "generationConfig": {"thinkingConfig": {"thinkingBudget": -1}}}
    assert CODEC.parse_request(body).reasoning == ir.ReasoningConfig(
        enabled=True, include_thoughts=False
    )


def test_sampling_limits() -> None:
    req = ir.Request(
        model="m", stop=["a", "b", "c", "d", "e", "f"], max_output_tokens=10, temperature=0.0
    )
    gen = CODEC.emit_request(req)["generationConfig"]
    assert gen == {
        "temperature": 0.0,
        "maxOutputTokens": 10,
        "stopSequences": ["a", "b", "c", "d", "e"],
    }


def test_count_tokens_requests() -> None:
    plain = {"contents": [{"role": "user", "parts": [{"text": "count me"}]}]}
    req = CODEC.parse_count_request(plain)
    assert req.messages[0].parts == [ir.TextPart("count me")]
    wrapped = {
        "generateContentRequest": {
            "model": "models/gemini-2.5-flash",
            "systemInstruction": {"parts": [{"text": "sys"}]},
            "contents": plain["contents"],
        }
    }
    req = CODEC.parse_count_request(wrapped)
    assert req.model == "gemini-2.5-flash" and req.system == [ir.TextPart("sys")]
    req.provider_data = {"gemini": {"safetySettings": [{"category": "X", "threshold": "Y"}]}}
    out = CODEC.emit_count_request(req)
    assert out == {
        "generateContentRequest": {
            "model": "models/gemini-2.5-flash",
            "contents": plain["contents"],
            "systemInstruction": {"parts": [{"text": "sys"}]},
        }
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"contents": {"role": "user"}}, "request.contents must be an array"),
        ({"contents": ["hi"]}, "contents[0] must be an object"),
        ({"contents": [{"parts": ["hi"]}]}, "contents[0].parts[0] must be an object"),
        (
            {"contents": [{"parts": [{"functionCall": {"args": {}}}]}]},
            "contents[0].parts[0].functionCall.name is required",
        ),
        (
            {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png"}}]}]},
            "contents[0].parts[0].inlineData.data is required",
        ),
        (
            {"contents": [], "generationConfig": {"temperature": "hot"}},
            "generationConfig.temperature must be a number",
        ),
        (
            {"contents": [], "tools": [{"functionDeclarations": [{"description": "x"}]}]},
            "tools[0].functionDeclarations[0].name is required",
        ),
        ([], "request body must be an object"),
        ({"contents": [{"role": "user", "parts": 5}]}, "contents[0].parts must be an array"),
    ],
)
def test_bad_requests_name_the_field(body, message) -> None:
    with pytest.raises(InvalidInput) as caught:
        CODEC.parse_request(body)
    assert str(caught.value) == message
    # the count route reads the same body, bare or wrapped
    for count_body in (body, {"generateContentRequest": body}):
        if isinstance(body, dict):
            with pytest.raises(InvalidInput):
                CODEC.parse_count_request(count_body)


# -- tool-result wrappers, media types, Gemini 3 signatures -------------------------------


def _history(result: ir.ToolResultPart, model: str = "gemini-2.5-flash") -> ir.Request:
    return ir.Request(
        model=model,
        messages=[
            ir.Message("user", [ir.TextPart("weather?")]),
            ir.Message("assistant", [ir.ToolCallPart("c1", "get_weather", '{"city":"Oslo"}')]),
            ir.Message("user", [result]),
        ],
    )


@pytest.mark.parametrize(
    ("response", "text", "is_error"),
    [
        ({"result": "18C sunny"}, "18C sunny", False),
        ({"output": "file contents\n"}, "file contents\n", False),  # Gemini CLI's wrapper
        ({"error": "permission denied"}, "permission denied", True),
    ],
)
def test_text_wrappers_are_unwrapped_and_written_back_the_same(
    response: dict[str, Any], text: str, is_error: bool
) -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "go"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "run", "args": {}}}]},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "run", "response": response}}],
            },
        ]
    }
    req = CODEC.parse_request(body)
    result = req.messages[2].parts[0]
    assert isinstance(result, ir.ToolResultPart)
    assert result.content == [ir.TextPart(text)] and result.is_error is is_error
    again = CODEC.emit_request(req)
    assert again["contents"][2]["parts"][0]["functionResponse"]["response"] == response


def test_structured_results_stay_json() -> None:
    body = {
        "contents": [
            {"role": "model", "parts": [{"functionCall": {"name": "run", "args": {}}}]},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "run", "response": {"a": 1, "b": [2]}}}],
            },
        ]
    }
    result = CODEC.parse_request(body).messages[1].parts[0]
    assert isinstance(result, ir.ToolResultPart)
    assert json.loads(result.content[0].text) == {"a": 1, "b": [2]}  # type: ignore[union-attr]


def test_foreign_text_result_round_trips_through_gemini() -> None:
    result = ir.ToolResultPart("c1", [ir.TextPart("18C sunny")], "get_weather")
    body = CODEC.emit_request(_history(result))
    fr = body["contents"][2]["parts"][0]["functionResponse"]
    assert fr == {"name": "get_weather", "response": {"result": "18C sunny"}}
    back = CODEC.parse_request(body).messages[2].parts[0]
    assert isinstance(back, ir.ToolResultPart) and back.content == [ir.TextPart("18C sunny")]
    error = ir.ToolResultPart("c1", [ir.TextPart("boom")], "get_weather", is_error=True)
    fr = CODEC.emit_request(_history(error))["contents"][2]["parts"][0]["functionResponse"]
    assert fr["response"] == {"error": "boom"}


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        (ir.ImagePart(url="https://example.com/cat.webp"), {"mimeType": "image/webp"}),
        (ir.ImagePart(url="https://example.com/photo?id=7"), {"mimeType": "image/jpeg"}),
        (ir.ImagePart(url="https://example.com/a.pdf"), {"mimeType": "image/jpeg"}),
        (ir.FilePart(url="https://example.com/doc.pdf"), {"mimeType": "application/pdf"}),
        (ir.FilePart(url="https://example.com/blob"), {}),
    ],
)
def test_url_media_gets_a_mime_type_and_images_stay_images(
    part: ir.ImagePart | ir.FilePart, expected: dict[str, str]
) -> None:
    req = ir.Request(model="gemini-2.5-flash", messages=[ir.Message("user", [part])])
    body = CODEC.emit_request(req)
    sdk_validate_request(body)
    file_data = body["contents"][0]["parts"][0]["fileData"]
    assert {k: v for k, v in file_data.items() if k == "mimeType"} == expected
    back = CODEC.parse_request(body).messages[0].parts[0]
    assert type(back) is type(part) and back.url == part.url


def test_inline_image_without_media_type_is_sniffed() -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    for part in (ir.ImagePart(data=png), ir.ImagePart(url=f"data:;base64,{png}")):
        req = ir.Request(model="m", messages=[ir.Message("user", [part])])
        inline = CODEC.emit_request(req)["contents"][0]["parts"][0]["inlineData"]
        assert inline == {"mimeType": "image/png", "data": png}
    jpeg = ir.ImagePart(url="data:image/jpeg;base64,/9j/4AAQ")
    req = ir.Request(model="m", messages=[ir.Message("user", [jpeg])])
    inline = CODEC.emit_request(req)["contents"][0]["parts"][0]["inlineData"]
    assert inline == {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}


def _foreign_tool_history(model: str, signature: str | None = None) -> ir.Request:
    first = ir.ToolCallPart("c1", "read", '{"path":"a"}')
    if signature:
        first.provider_data = {"gemini": {"thoughtSignature": signature}}
    second = ir.ToolCallPart("c2", "read", '{"path":"b"}')
    return ir.Request(
        model=model,
        messages=[
            ir.Message("user", [ir.TextPart("read a and b")]),
            ir.Message("assistant", [ir.TextPart("Reading."), first, second]),
            ir.Message(
                "user",
                [
                    ir.ToolResultPart("c1", [ir.TextPart("A")], "read"),
                    ir.ToolResultPart("c2", [ir.TextPart("B")], "read"),
                ],
            ),
            ir.Message("assistant", [ir.ToolCallPart("c3", "read", '{"path":"c"}')]),
            ir.Message("user", [ir.ToolResultPart("c3", [ir.TextPart("C")], "read")]),
        ],
    )


def _signatures(body: dict[str, Any]) -> list[list[str | None]]:
    return [
        [p.get("thoughtSignature") for p in c["parts"] if "functionCall" in p]
        for c in body["contents"]
        if c["role"] == "model"
    ]


def test_gemini3_history_without_signatures_gets_the_bypass_on_each_turns_first_call() -> None:
    body = CODEC.emit_request(_foreign_tool_history("gemini-3-pro-preview"))
    sdk_validate_request(body)
    skip = "skip_thought_signature_validator"
    assert _signatures(body) == [[skip, None], [skip]]
    assert "thoughtSignature" not in body["contents"][1]["parts"][0]  # the text part


def test_real_signatures_are_kept_and_older_models_get_no_bypass() -> None:
    body = CODEC.emit_request(_foreign_tool_history("gemini-3-flash-preview", "c2lnLTE="))
    assert _signatures(body) == [["c2lnLTE=", None], ["skip_thought_signature_validator"]]
    for model in ("gemini-2.5-pro", "gemini-2.0-flash", "some-custom-model", ""):
        assert _signatures(CODEC.emit_request(_foreign_tool_history(model))) == [
            [None, None],
            [None],
        ]
