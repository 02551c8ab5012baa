"""The translate API the gateway calls: requests, errors, counts, models, embeddings, compact,
stream/non-stream bridges."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest
from anthropic.types import Message
from google.genai import types as gtypes
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.registry import framing_for, get_codec, protocol_name
from gatewayctl.translate import (
    encoder_options,
    error_body,
    parse_request,
    translate_body_to_stream,
    translate_count_request,
    translate_count_response,
    translate_error,
    translate_model_list_response,
    translate_model_response,
    translate_request,
    translate_response,
    translate_stream_to_body,
)
from gatewayctl.translate.compact import compact_request, compact_response
from gatewayctl.translate.embeddings import (
    translate_embedding_request,
    translate_embedding_response,
)
from tests.conftest import RECORDED
from tests.translate.judges import judge_anthropic_stream, judge_chat_stream

CHAT_REQUEST: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_abc",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc", "content": "18C sunny"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ],
    "temperature": 0.5,
    "max_completion_tokens": 300,
    "stream": True,
    "stream_options": {"include_usage": True},
}


# --------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------


def test_registry_names_and_framing() -> None:
    assert protocol_name("OpenAi") == "openai_responses"
    assert protocol_name("OpenAiChatCompletion") == "openai_chat"
    assert protocol_name("Claude") == "anthropic"
    assert protocol_name("GeminiNDJson") == "gemini"
    assert framing_for("GeminiNDJson") == "ndjson"
    assert framing_for("Gemini") == "sse" and framing_for("anthropic") == "sse"
    assert get_codec("Claude") is get_codec("anthropic")
    for name in ("openai_chat", "openai_responses", "anthropic", "gemini"):
        assert get_codec(name).name == name
    with pytest.raises(InvalidInput, match="unknown protocol 'Bard'"):
        get_codec("Bard")


# --------------------------------------------------------------------------------------
# requests
# --------------------------------------------------------------------------------------


def test_translate_request_chat_to_anthropic_with_overrides() -> None:
    body = translate_request("openai_chat", "Claude", CHAT_REQUEST, model="claude-x", stream=False)
    assert body["model"] == "claude-x"
    assert body.get("stream") in (None, False)
    assert body["system"] in ("You are terse.", [{"type": "text", "text": "You are terse."}])
    assert body["max_tokens"] == 300
    kinds = [[b["type"] for b in m["content"]] for m in body["messages"]]
    assert kinds[1] == ["tool_use"] and kinds[2] == ["tool_result"]
    assert body["messages"][1]["content"][0]["input"] == {"city": "Paris"}
    assert body["tools"][0]["input_schema"]["required"] == ["city"]
    # the caller's IR is untouched by the overrides
    caller = parse_request("openai_chat", CHAT_REQUEST)
    assert caller.model == "gpt-4o" and caller.stream is True


def test_translate_request_to_chat_streams_with_usage() -> None:
    anthropic_body = translate_request("openai_chat", "anthropic", CHAT_REQUEST)
    back = translate_request("anthropic", "openai_chat", anthropic_body, stream=True)
    assert back["stream"] is True and back["stream_options"] == {"include_usage": True}
    assert back["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_abc",
        "content": "18C sunny",
    }


def test_bad_request_body_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        translate_request("openai_chat", "anthropic", [])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        translate_request("anthropic", "gemini", {"model": "x", "messages": "nope"})


def test_count_request_to_gemini_carries_system_and_tools() -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "t", "input_schema": {"type": "object"}}],
    }
    out = translate_count_request("anthropic", "gemini", body, model="gemini-2.5-flash")
    inner = out.get("generateContentRequest", out)
    assert "systemInstruction" in inner or "system_instruction" in inner
    assert inner.get("tools")


def test_encoder_options() -> None:
    req = parse_request("openai_chat", CHAT_REQUEST)
    opts = encoder_options(req, input_tokens_estimate=42)
    assert opts.model == "gpt-4o" and opts.include_usage is True
    assert opts.input_tokens_estimate == 42 and opts.request is req


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


def test_gemini_error_to_anthropic_and_openai_keeps_status() -> None:
    raw = (RECORDED / "gemini" / "error_404_model_not_found.json").read_bytes()
    out = translate_error("gemini", "anthropic", 404, raw)
    assert out.status == 404
    assert out.body["type"] == "error" and out.body["error"]["type"] == "not_found_error"
    assert "gemini-5.0-flash" in out.body["error"]["message"]
    chat = translate_response("gemini", "openai_chat", 404, raw)
    assert chat.status == 404 and chat.error is not None and chat.body["error"]["message"]


def test_retry_after_from_header_and_from_gemini_body() -> None:
    raw = (RECORDED / "anthropic" / "error_429_rate_limit_error.json").read_bytes()
    out = translate_error("anthropic", "gemini", 429, raw, retry_after="17")
    assert out.status == 429 and out.headers == {"retry-after": "17"}
    assert out.body["error"]["status"] == "RESOURCE_EXHAUSTED"
    gemini_429 = json.dumps(
        {
            "error": {
                "code": 429,
                "message": "Quota exceeded",
                "status": "RESOURCE_EXHAUSTED",
                "details": [
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30.5s"}
                ],
            }
        }
    ).encode()
    out = translate_response("gemini", "openai_responses", 429, gemini_429)
    assert out.status == 429 and out.headers == {"retry-after": "31"}
    assert out.body["error"]["type"] in ("rate_limit_exceeded", "insufficient_quota")


def test_anthropic_overloaded_maps_to_503_for_openai() -> None:
    raw = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    out = translate_error("anthropic", "openai_chat", 529, raw)
    assert out.status == 503
    assert out.error is not None and out.error.kind == "overloaded"


def test_non_json_error_and_bad_2xx_bodies() -> None:
    out = translate_response("openai_chat", "anthropic", 502, b"<html>Bad Gateway</html>")
    assert out.status == 502 and out.body["type"] == "error"
    out = translate_response("openai_chat", "anthropic", 200, b"not json at all")
    assert out.status == 502 and out.error is not None
    assert "not JSON" in out.body["error"]["message"]
    out = translate_response("anthropic", "gemini", 200, b'{"unexpected": true}')
    assert out.status == 502 and out.body["error"]["status"]
    # an error document sent with 200
    out = translate_response("gemini", "openai_chat", 200, b'{"error":{"code":500,"message":"x"}}')
    assert out.status >= 500 and out.error is not None


def test_error_body_for_gateway_errors() -> None:
    info = ir.ErrorInfo(status=503, kind="overloaded", message="all credentials cooling down")
    out = error_body("Gemini", info)
    assert out.status == 503 and out.body["error"]["status"] == "UNAVAILABLE"


# --------------------------------------------------------------------------------------
# bodies, counts, models
# --------------------------------------------------------------------------------------


def test_response_body_anthropic_to_chat_is_valid() -> None:
    raw = (RECORDED / "anthropic" / "message_thinking_tool_use.json").read_bytes()
    out = translate_response(
        "anthropic", "openai_chat", 200, raw, options=EncoderOptions(model="m")
    )
    completion = ChatCompletion.model_validate(out.body)
    assert completion.choices[0].finish_reason == "tool_calls"
    assert out.usage is not None and out.usage.input_tokens is not None
    assert out.model


def test_count_response_between_protocols() -> None:
    out = translate_count_response("gemini", "anthropic", 200, b'{"totalTokens": 31}')
    assert out.body == {"input_tokens": 31}
    assert out.usage == ir.Usage(input_tokens=31, output_tokens=0)
    out = translate_count_response("anthropic", "openai_responses", 200, b'{"input_tokens": 9}')
    assert out.body == {"object": "response.input_tokens", "input_tokens": 9}
    out = translate_count_response("openai_responses", "gemini", 200, json.dumps(out.body).encode())
    assert out.body["totalTokens"] == 9


def test_model_list_and_get() -> None:
    gemini_list = {
        "models": [
            {
                "name": "models/gemini-2.5-flash",
                "displayName": "Gemini 2.5 Flash",
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": ["generateContent"],
            }
        ]
    }
    out = translate_model_list_response(
        "gemini", "openai_chat", 200, json.dumps(gemini_list).encode()
    )
    assert [m["id"] for m in out.body["data"]] == ["gemini-2.5-flash"]
    anth = translate_model_list_response(
        "gemini", "anthropic", 200, json.dumps(gemini_list).encode()
    )
    assert anth.body["data"][0]["id"] == "gemini-2.5-flash"
    assert anth.body["data"][0]["type"] == "model"
    one = translate_model_response(
        "openai_chat",
        "gemini",
        200,
        b'{"id":"gpt-4o","object":"model","created":1686935002,"owned_by":"openai"}',
    )
    assert one.body["name"] == "models/gpt-4o"
    missing = translate_model_response(
        "openai_chat",
        "gemini",
        404,
        b'{"error":{"message":"no such model","type":"invalid_request_error","code":"model_not_found"}}',
    )
    assert missing.status == 404 and missing.body["error"]["status"] == "NOT_FOUND"


# --------------------------------------------------------------------------------------
# stream <-> non-stream bridges
# --------------------------------------------------------------------------------------


def test_stream_only_upstream_serves_non_stream_caller() -> None:
    raw = (RECORDED / "openai" / "responses_function_call_stream.sse").read_bytes()
    out = translate_stream_to_body("openai_responses", "anthropic", raw)
    message = Message.model_validate(out.body)
    assert message.stop_reason == "tool_use"
    assert [b.type for b in message.content if b.type == "tool_use"] == ["tool_use"]
    assert out.usage is not None and out.usage.output_tokens


def test_stream_only_upstream_failure_becomes_error_body() -> None:
    raw = (RECORDED / "openai" / "responses_error_event_failed.chunks.jsonl").read_bytes()
    sse = b"".join(
        b"event: " + json.loads(line)["type"].encode() + b"\ndata: " + line + b"\n\n"
        for line in raw.splitlines()
        if line.strip()
    )
    out = translate_stream_to_body("openai_responses", "openai_chat", sse)
    assert out.status >= 400 and out.error is not None
    assert out.body["error"]["message"]


def test_non_stream_upstream_serves_stream_caller() -> None:
    raw = (RECORDED / "openai" / "chat_parallel_tool_calls.json").read_bytes()
    stream, response = translate_body_to_stream(
        "openai_chat", "anthropic", 200, raw, options=EncoderOptions(model="m")
    )
    judged = judge_anthropic_stream(stream)
    assert [name for name, _ in judged.tool_calls] == [
        p.name for p in response.content if isinstance(p, ir.ToolCallPart)
    ]
    assert len(judged.tool_calls) >= 2
    again, _ = translate_body_to_stream(
        "openai_chat", "openai_chat", 200, raw, options=EncoderOptions(include_usage=True)
    )
    assert judge_chat_stream(again).tool_calls == judged.tool_calls


# --------------------------------------------------------------------------------------
# embeddings
# --------------------------------------------------------------------------------------


def test_embeddings_openai_caller_gemini_upstream() -> None:
    call = translate_embedding_request(
        "openai_chat",
        "gemini",
        {
            "model": "text-embedding-004",
            "input": ["a", "b"],
            "dimensions": 3,
            "encoding_format": "base64",
        },
    )
    assert call.gemini_method == "batchEmbedContents"
    assert [r["content"]["parts"][0]["text"] for r in call.body["requests"]] == ["a", "b"]
    assert call.body["requests"][0]["outputDimensionality"] == 3
    upstream = json.dumps({"embeddings": [{"values": [0.5, 1, 2]}, {"values": [3, 4, 5]}]}).encode()
    out = translate_embedding_response(
        "gemini",
        "openai_chat",
        200,
        upstream,
        caller_request=call.request,
        upstream_method=call.gemini_method,
        input_tokens_estimate=2,
    )
    first = out.body["data"][0]["embedding"]
    assert isinstance(first, str)  # base64 (float32 LE) as the caller asked
    assert struct.unpack("<3f", base64.b64decode(first)) == (0.5, 1.0, 2.0)
    assert out.body["usage"]["prompt_tokens"] == 2
    as_floats = translate_embedding_response(
        "gemini",
        "openai_chat",
        200,
        upstream,
        caller_request=ir.EmbeddingRequest("text-embedding-004", ["a", "b"]),
        upstream_method="batchEmbedContents",
    )
    parsed = CreateEmbeddingResponse.model_validate(as_floats.body)
    assert [d.embedding for d in parsed.data] == [[0.5, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert parsed.model == "text-embedding-004"

    single = translate_embedding_request(
        "openai_chat", "gemini", {"model": "text-embedding-004", "input": "hello"}
    )
    assert single.gemini_method == "embedContent"
    assert single.body["content"]["parts"] == [{"text": "hello"}]


def test_embeddings_gemini_caller_openai_upstream() -> None:
    body = {"content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 2}
    call = translate_embedding_request(
        "gemini", "openai_chat", body, gemini_method="embedContent", model="text-embedding-3-small"
    )
    assert call.body["input"] == "hello" and call.body["dimensions"] == 2
    upstream = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.25, -1.0]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }
    out = translate_embedding_response(
        "openai_chat",
        "gemini",
        200,
        json.dumps(upstream).encode(),
        caller_request=call.request,
        caller_method="embedContent",
    )
    resp = gtypes.EmbedContentResponse.model_validate({"embeddings": [out.body["embedding"]]})
    assert resp.embeddings is not None and resp.embeddings[0].values == [0.25, -1.0]
    assert out.usage is not None and out.usage.input_tokens == 1


def test_embeddings_errors_and_count_mismatch() -> None:
    call = translate_embedding_request("openai_chat", "gemini", {"model": "m", "input": ["a", "b"]})
    short = json.dumps({"embeddings": [{"values": [1]}]}).encode()
    out = translate_embedding_response(
        "gemini",
        "openai_chat",
        200,
        short,
        caller_request=call.request,
        upstream_method=call.gemini_method,
    )
    assert out.status == 502 and "1 embeddings for 2 inputs" in out.body["error"]["message"]
    err = (RECORDED / "gemini" / "error_400_api_key_invalid.json").read_bytes()
    out = translate_embedding_response(
        "gemini", "openai_chat", 400, err, caller_request=call.request
    )
    assert out.status == 400 and out.body["error"]["message"]
    with pytest.raises(InvalidInput, match="no embeddings"):
        translate_embedding_request("anthropic", "gemini", {"model": "m", "input": "x"})


# --------------------------------------------------------------------------------------
# compact
# --------------------------------------------------------------------------------------

COMPACT_BODY = {
    "model": "gpt-5",
    "instructions": "You are a coding agent.",
    "input": [
        {"type": "message", "role": "user", "content": "Fix the failing test in calc.py"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Done: the sign was wrong."}],
        },
    ],
}


def test_compact_through_anthropic_upstream() -> None:
    request, body = compact_request("anthropic", COMPACT_BODY, model="claude-sonnet-4-5")
    assert body["model"] == "claude-sonnet-4-5" and not body.get("stream")
    last = body["messages"][-1]
    assert last["role"] == "user"
    upstream = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [
            {"type": "text", "text": "Summary: user asked to fix calc.py; fixed the sign."}
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 100, "output_tokens": 20},
    }
    out = compact_response("anthropic", 200, json.dumps(upstream).encode(), request)
    assert out.status == 200 and out.body["object"] == "response.compaction"
    texts = [
        c.get("text")
        for item in out.body["output"]
        for c in (item.get("content") or [])
        if isinstance(c, dict)
    ]
    assert any("Summary:" in (t or "") for t in texts)
    assert any("Fix the failing test" in (t or "") for t in texts)
    assert out.usage is not None and out.usage.input_tokens == 100


def test_compact_errors() -> None:
    with pytest.raises(InvalidInput, match="Streaming not supported"):
        compact_request("gemini", {**COMPACT_BODY, "stream": True})
    request, _ = compact_request("gemini", COMPACT_BODY)
    empty = {"candidates": [{"content": {"role": "model", "parts": []}, "finishReason": "STOP"}]}
    out = compact_response("gemini", 200, json.dumps(empty).encode(), request)
    assert out.status == 500 and "no summary" in out.body["error"]["message"]
    raw = (RECORDED / "gemini" / "error_403_service_disabled.json").read_bytes()
    out = compact_response("gemini", 403, raw, request)
    assert out.status == 403 and out.body["error"]["type"] == "permission_error"
