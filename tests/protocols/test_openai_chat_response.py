"""Chat Completions non-stream bodies: recorded responses parsed, ours judged by the SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.openai_chat import CODEC
from tests.conftest import FIXTURES, RECORDED

OPENAI = RECORDED / "openai"
OWN = FIXTURES / "openai_chat"


def load(path: Any) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_recorded_text() -> None:
    resp = CODEC.parse_response(load(OPENAI / "chat_text.json"))
    assert resp.id == "chatcmpl-ABfvaueLEMLNYbT8YzpJxsmiQ6HSY"
    assert resp.model == "gpt-4o-2024-08-06" and resp.created == 1727346142
    assert len(resp.content) == 1
    part = resp.content[0]
    assert isinstance(part, ir.TextPart)
    assert part.text.startswith("I'm unable to provide real-time weather updates.")
    assert resp.stop_reason == "end_turn"
    assert resp.usage == ir.Usage(input_tokens=14, output_tokens=37, reasoning_tokens=0)
    assert resp.provider_data == {"openai_chat": {"system_fingerprint": "fp_b40fb1c6fb"}}


def test_recorded_parallel_tool_calls() -> None:
    resp = CODEC.parse_response(load(OPENAI / "chat_parallel_tool_calls.json"))
    assert resp.content == [
        ir.ToolCallPart(
            id="call_fdNz3vOBKYgOIpMdWotB9MjY",
            name="GetWeatherArgs",
            arguments='{"city": "Edinburgh", "country": "GB", "units": "c"}',
        ),
        ir.ToolCallPart(
            id="call_h1DWI1POMJLb0KwIyQHWXD4p",
            name="get_stock_price",
            arguments='{"ticker": "AAPL", "exchange": "NASDAQ"}',
        ),
    ]
    assert resp.stop_reason == "tool_use"
    assert resp.usage.input_tokens == 149 and resp.usage.output_tokens == 60


def test_recorded_refusal_and_length() -> None:
    refusal = CODEC.parse_response(load(OPENAI / "chat_refusal.json"))
    assert refusal.content == [
        ir.TextPart(
            "I'm very sorry, but I can't assist with that.",
            provider_data={"openai_chat": {"refusal": True}},
        )
    ]
    assert refusal.stop_reason == "refusal"
    length = CODEC.parse_response(load(OPENAI / "chat_finish_length.json"))
    assert length.content == [ir.TextPart('{"')] and length.stop_reason == "max_tokens"


def test_own_reasoning_tools_cache() -> None:
    resp = CODEC.parse_response(load(OWN / "response_reasoning_tools_cache.json"))
    reasoning, text, call1, call2 = resp.content
    assert isinstance(reasoning, ir.ReasoningPart)
    assert reasoning.text.startswith("The user wants Paris and Oslo")
    assert text == ir.TextPart("Checking both cities.")
    assert isinstance(call1, ir.ToolCallPart) and call1.arguments == '{"city":"Paris"}'
    assert isinstance(call2, ir.ToolCallPart) and call2.id == "call_2"
    assert resp.usage == ir.Usage(
        input_tokens=1200,
        output_tokens=300,
        cache_read_tokens=1024,
        cache_creation_tokens=64,
        reasoning_tokens=250,
    )


@pytest.mark.parametrize(
    "path",
    [
        OPENAI / "chat_text.json",
        OPENAI / "chat_parallel_tool_calls.json",
        OPENAI / "chat_refusal.json",
        OPENAI / "chat_finish_length.json",
        OWN / "response_reasoning_tools_cache.json",
    ],
    ids=lambda p: p.name,
)
def test_emit_is_accepted_by_sdk_and_matches_original(path: Any) -> None:
    original = ChatCompletion.model_validate(load(path))
    resp = CODEC.parse_response(load(path))
    body = CODEC.emit_response(resp, EncoderOptions())
    ours = ChatCompletion.model_validate(body)
    assert ours.id == original.id and ours.model == original.model
    assert ours.created == original.created
    mine, theirs = ours.choices[0], original.choices[0]
    assert mine.finish_reason == theirs.finish_reason
    assert mine.message.content == theirs.message.content
    assert mine.message.refusal == theirs.message.refusal
    assert [
        (c.id, c.function.name, json.loads(c.function.arguments))  # type: ignore[union-attr]
        for c in mine.message.tool_calls or []
    ] == [
        (c.id, c.function.name, json.loads(c.function.arguments))  # type: ignore[union-attr]
        for c in theirs.message.tool_calls or []
    ]
    assert ours.usage is not None and original.usage is not None
    assert ours.usage.prompt_tokens == original.usage.prompt_tokens
    assert ours.usage.completion_tokens == original.usage.completion_tokens
    assert ours.usage.total_tokens == original.usage.total_tokens
    # and what we emit parses back to the same IR
    assert CODEC.parse_response(body) == resp


def test_emit_reasoning_usage_details_and_model_override() -> None:
    resp = CODEC.parse_response(load(OWN / "response_reasoning_tools_cache.json"))
    body = CODEC.emit_response(resp, EncoderOptions(model="my-alias"))
    parsed = ChatCompletion.model_validate(body)
    assert parsed.model == "my-alias"
    assert parsed.choices[0].message.model_extra == {
        "reasoning_content": "The user wants Paris and Oslo; call the tool twice."
    }
    assert parsed.usage is not None
    assert parsed.usage.prompt_tokens_details is not None
    assert parsed.usage.prompt_tokens_details.cached_tokens == 1024
    assert parsed.usage.prompt_tokens_details.cache_write_tokens == 64
    assert parsed.usage.completion_tokens_details is not None
    assert parsed.usage.completion_tokens_details.reasoning_tokens == 250


def foreign(content: list[ir.Part], stop: ir.StopReason | None, **kw: Any) -> ir.Response:
    return ir.Response(
        id="msg_01", model="claude-x", content=content, stop_reason=stop, created=1700000000, **kw
    )


@pytest.mark.parametrize(
    ("stop", "content", "finish"),
    [
        ("end_turn", [ir.TextPart("hi")], "stop"),
        ("stop_sequence", [ir.TextPart("hi")], "stop"),
        ("pause_turn", [ir.TextPart("hi")], "stop"),
        ("max_tokens", [ir.TextPart("hi")], "length"),
        ("content_filter", [], "content_filter"),
        ("refusal", [ir.TextPart("no")], "content_filter"),  # Anthropic refusal
        ("tool_use", [ir.ToolCallPart(id="t", name="f", arguments="{}")], "tool_calls"),
        # Gemini STOP with calls: clients need tool_calls to run them
        ("end_turn", [ir.ToolCallPart(id="t", name="f", arguments="{}")], "tool_calls"),
        ("error", [ir.TextPart("partial")], "stop"),
        (None, [ir.TextPart("hi")], "stop"),
    ],
)
def test_finish_reason_mapping(
    stop: ir.StopReason | None, content: list[ir.Part], finish: str
) -> None:
    body = CODEC.emit_response(foreign(content, stop), EncoderOptions())
    assert ChatCompletion.model_validate(body).choices[0].finish_reason == finish


def test_emit_foreign_thinking_signature_and_text_join() -> None:
    resp = foreign(
        [
            ir.ReasoningPart("hmm", provider_data={"anthropic": {"signature": "abc"}}),
            ir.TextPart("Let me check. "),
            ir.ToolCallPart(
                id="call_g",
                name="f",
                arguments='{"a":1}',
                provider_data={"gemini": {"thoughtSignature": "gsig"}},
            ),
            ir.TextPart("Done."),
        ],
        "tool_use",
        usage=ir.Usage(input_tokens=10, output_tokens=5, cache_read_tokens=4),
    )
    body = CODEC.emit_response(resp, EncoderOptions())
    msg = body["choices"][0]["message"]
    assert msg["content"] == "Let me check. Done."
    assert msg["reasoning_content"] == "hmm"
    assert "abc" not in json.dumps(body)  # Anthropic signatures never leave their family
    assert msg["tool_calls"][0]["extra_content"] == {"google": {"thought_signature": "gsig"}}
    parsed = ChatCompletion.model_validate(body)
    assert parsed.usage is not None and parsed.usage.total_tokens == 15
    # the Gemini signature comes back when the client replays the call
    again = CODEC.parse_response(body)
    call = again.content[2]
    assert isinstance(call, ir.ToolCallPart)
    assert call.provider_data == {"gemini": {"thoughtSignature": "gsig"}}


def test_empty_and_unknown_usage() -> None:
    body = CODEC.emit_response(foreign([], "end_turn"), EncoderOptions())
    parsed = ChatCompletion.model_validate(body)
    assert parsed.choices[0].message.content == ""
    assert parsed.usage is not None and parsed.usage.total_tokens == 0


def test_parse_odd_bodies() -> None:
    n2 = {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 1,
                "message": {"role": "assistant", "content": "second"},
                "finish_reason": "stop",
            },
            {
                "index": 0,
                "message": {"role": "assistant", "content": "first"},
                "finish_reason": "length",
            },
        ],
    }
    resp = CODEC.parse_response(n2)
    assert resp.content == [ir.TextPart("first")] and resp.stop_reason == "max_tokens"
    empty = CODEC.parse_response({"id": "x", "model": "m", "choices": []})
    assert empty.content == [] and empty.stop_reason is None
    ds = CODEC.parse_response(
        {
            "id": "d",
            "model": "deepseek-chat",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "x",
                        "tool_calls": [
                            {"type": "function", "function": {"name": "f", "arguments": "{}"}}
                        ],
                    },
                    "finish_reason": "insufficient_system_resource",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 1, "prompt_cache_hit_tokens": 8},
        }
    )
    assert ds.stop_reason == "error" and ds.usage.cache_read_tokens == 8
    call = ds.content[1]
    assert isinstance(call, ir.ToolCallPart) and call.id  # generated when missing
    with pytest.raises(InvalidInput, match="error body"):
        CODEC.parse_response({"error": {"message": "x"}})


def test_codec_errors_and_models_delegate_to_common() -> None:
    status, body = CODEC.emit_error(
        ir.ErrorInfo(404, "not_found", "no such model", code="model_not_found")
    )
    assert status == 404 and body["error"]["code"] == "model_not_found"
    info = CODEC.parse_error(404, json.dumps(body).encode())
    assert info.kind == "not_found"
    models = CODEC.parse_model_list(
        {
            "object": "list",
            "data": [{"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "openai"}],
        }
    )
    assert CODEC.emit_model(models[0]) == {
        "id": "gpt-4o",
        "object": "model",
        "created": 1,
        "owned_by": "openai",
    }
    assert CODEC.parse_model(CODEC.emit_model(models[0])) == models[0]
    assert CODEC.emit_model_list(models)["data"][0]["id"] == "gpt-4o"
