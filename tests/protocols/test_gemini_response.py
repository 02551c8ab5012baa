"""Gemini non-stream responses, errors, countTokens, models and embeddings."""

from __future__ import annotations

import json

import pytest
from google.genai import errors as genai_errors
from google.genai import types
from google.genai.models import _Model_from_mldev

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.gemini import (
    CODEC,
    emit_batch_embed_contents_request,
    emit_batch_embed_contents_response,
    emit_embed_content_request,
    emit_embed_content_response,
    parse_batch_embed_contents_request,
    parse_batch_embed_contents_response,
    parse_embed_content_request,
    parse_embed_content_response,
)
from tests.protocols.test_gemini_support import GEMINI_RECORDED, load_json, sdk_response

BODIES = [
    "text.json",
    "google_search_grounding.json",
    "thought_summary_function_call_signature.json",
    "gemini3_parallel_function_calls.json",
]


def test_text_response() -> None:
    resp = CODEC.parse_response(load_json(GEMINI_RECORDED / "text.json"))
    assert resp.model == "gemini-2.0-flash"
    assert resp.content == [
        ir.TextPart(
            "Google's headquarters, also known as the Googleplex, is located in "
            "**Mountain View, California**.\n"
        )
    ]
    assert resp.stop_reason == "end_turn"
    assert resp.usage == ir.Usage(input_tokens=7, output_tokens=22)


def test_thought_and_signed_call_response() -> None:
    body = load_json(GEMINI_RECORDED / "thought_summary_function_call_signature.json")
    resp = CODEC.parse_response(body)
    thought, call = resp.content
    assert isinstance(thought, ir.ReasoningPart)
    assert thought.text.startswith("**Thinking Through the New Year's Eve Calculation**")
    assert isinstance(call, ir.ToolCallPart) and (call.name, call.arguments) == ("now", "{}")
    sig = body["candidates"][0]["content"]["parts"][1]["thoughtSignature"]
    assert call.provider_data == {"gemini": {"thoughtSignature": sig}}
    assert call.id == "call_38CHaLjMG6TujrEPtvTiuQk_0"
    assert resp.stop_reason == "tool_use"
    assert resp.usage == ir.Usage(input_tokens=38, output_tokens=509, reasoning_tokens=501)


def test_gemini3_parallel_calls_signature_on_first_only() -> None:
    body = load_json(GEMINI_RECORDED / "gemini3_parallel_function_calls.json")
    resp = CODEC.parse_response(body)
    calls = [p for p in resp.content if isinstance(p, ir.ToolCallPart)]
    assert [c.name for c in calls] == ["generate_topic"] * 3
    assert len({c.id for c in calls}) == 3
    assert "thoughtSignature" in calls[0].provider_data["gemini"]
    assert calls[1].provider_data == {} and calls[2].provider_data == {}
    assert resp.stop_reason == "tool_use"
    assert resp.provider_data["gemini"]["finishMessage"] == "Model generated function call(s)."


def test_grounding_metadata_is_kept_for_gemini() -> None:
    body = load_json(GEMINI_RECORDED / "google_search_grounding.json")
    resp = CODEC.parse_response(body)
    assert resp.content[0].text.startswith("The current weather in London")
    out = CODEC.emit_response(resp, EncoderOptions())
    assert out["candidates"][0]["groundingMetadata"] == body["candidates"][0]["groundingMetadata"]


@pytest.mark.parametrize("name", BODIES)
def test_emitted_bodies_satisfy_the_sdk_and_round_trip(name: str) -> None:
    body = load_json(GEMINI_RECORDED / name)
    resp = CODEC.parse_response(body)
    out = CODEC.emit_response(resp, EncoderOptions())
    sdk = sdk_response(out)
    original = types.GenerateContentResponse._from_response(response=body, kwargs={})
    assert sdk.text == original.text
    ours_calls = [(c.name, c.args) for c in sdk.function_calls or []]
    assert ours_calls == [(c.name, c.args) for c in original.function_calls or []]
    assert [p.thought_signature for p in sdk.parts or []] == [
        p.thought_signature for p in original.parts or []
    ]
    assert sdk.usage_metadata.total_token_count == original.usage_metadata.total_token_count
    assert out["candidates"][0]["finishReason"] == body["candidates"][0]["finishReason"]
    assert CODEC.parse_response(out) == resp


def test_emit_response_from_another_protocol() -> None:
    resp = ir.Response(
        id="msg_01",
        model="claude-sonnet-4-5",
        content=[
            ir.ReasoningPart("thinking…", provider_data={"anthropic": {"signature": "sig"}}),
            ir.TextPart("Here you go."),
            ir.ToolCallPart("toolu_1", "lookup", '{"q": "x"}'),
            ir.ImagePart(data="AAAA", media_type="image/png"),
        ],
        stop_reason="tool_use",
        usage=ir.Usage(
            input_tokens=100, output_tokens=40, cache_read_tokens=60, reasoning_tokens=10
        ),
    )
    out = CODEC.emit_response(resp, EncoderOptions(model="my-alias"))
    assert out == {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "thinking…", "thought": True},
                        {"text": "Here you go."},
                        {"functionCall": {"name": "lookup", "args": {"q": "x"}, "id": "toolu_1"}},
                        {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 100,
            "candidatesTokenCount": 30,
            "thoughtsTokenCount": 10,
            "cachedContentTokenCount": 60,
            "totalTokenCount": 140,
        },
        "modelVersion": "my-alias",
        "responseId": "msg_01",
    }
    sdk = sdk_response(out)
    assert sdk.text == "Here you go."
    assert sdk.usage_metadata.cached_content_token_count == 60


def test_blocked_prompt_response() -> None:
    body = {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "b1",
    }
    resp = CODEC.parse_response(body)
    assert resp.content == [] and resp.stop_reason == "content_filter"
    assert resp.usage == ir.Usage(input_tokens=12)
    out = CODEC.emit_response(resp, EncoderOptions())
    assert (
        out["promptFeedback"] == {"blockReason": "PROHIBITED_CONTENT"} and "candidates" not in out
    )
    sdk_response(out)
    # a content filter from another protocol is a SAFETY finish with no parts
    other = CODEC.emit_response(
        ir.Response(id="x", model="m", stop_reason="refusal"), EncoderOptions()
    )
    assert other["candidates"][0] == {
        "content": {"role": "model"},
        "finishReason": "SAFETY",
        "index": 0,
    }
    sdk_response(other)


@pytest.mark.parametrize(
    ("reason", "calls", "stop"),
    [
        ("STOP", False, "end_turn"),
        ("STOP", True, "tool_use"),
        ("MAX_TOKENS", True, "max_tokens"),
        ("SAFETY", False, "content_filter"),
        ("RECITATION", False, "content_filter"),
        ("PROHIBITED_CONTENT", False, "content_filter"),
        ("OTHER", False, "content_filter"),
        ("MALFORMED_FUNCTION_CALL", False, "end_turn"),
        ("FINISH_REASON_UNSPECIFIED", False, "end_turn"),
    ],
)
def test_finish_reasons(reason: str, calls: bool, stop: str) -> None:
    parts = [{"functionCall": {"name": "f", "args": {}}}] if calls else [{"text": "x"}]
    body = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": reason}]}
    assert CODEC.parse_response(body).stop_reason == stop


def test_only_the_first_candidate_is_read() -> None:
    body = {
        "candidates": [
            {
                "index": 1,
                "content": {"role": "model", "parts": [{"text": "second"}]},
                "finishReason": "STOP",
            },
            {
                "index": 0,
                "content": {"role": "model", "parts": [{"text": "first"}]},
                "finishReason": "STOP",
            },
        ]
    }
    assert CODEC.parse_response(body).content == [ir.TextPart("first")]


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "kind", "code"),
    [
        ("error_400_api_key_invalid.json", 400, "invalid_request", "API_KEY_INVALID"),
        ("error_403_service_disabled.json", 403, "permission", "SERVICE_DISABLED"),
        ("error_404_model_not_found.json", 404, "not_found", None),
    ],
)
def test_recorded_errors(name: str, status: int, kind: str, code: str | None) -> None:
    raw = (GEMINI_RECORDED / name).read_bytes()
    info = CODEC.parse_error(status, raw)
    assert (info.status, info.kind, info.code) == (status, kind, code)
    assert info.message == json.loads(raw)["error"]["message"]
    out_status, body = CODEC.emit_error(info)
    assert out_status == status
    assert body["error"]["status"] == json.loads(raw)["error"]["status"]
    with pytest.raises(genai_errors.ClientError) as caught:
        genai_errors.APIError.raise_error(out_status, body, None)
    assert caught.value.code == status and caught.value.message == info.message


def test_retry_info_and_field_violations() -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Quota exceeded",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"},
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": "contents[0]", "description": "bad"}],
                },
            ],
        }
    }
    info = CODEC.parse_error(429, json.dumps(body).encode())
    assert (info.kind, info.retry_after_s, info.param) == ("rate_limit", 1.5, "contents[0]")
    status, out = CODEC.emit_error(info)
    assert status == 429
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"} in out[
        "error"
    ]["details"]
    assert CODEC.parse_error(status, json.dumps(out).encode()) == info


@pytest.mark.parametrize(
    ("status", "raw", "kind", "message"),
    [
        (502, b"<html>Bad Gateway</html>", "api_error", "<html>Bad Gateway</html>"),
        (503, b"", "overloaded", "HTTP 503"),
        (
            413,
            b'{"error": {"code": 400, "message": "too big", "status": "INVALID_ARGUMENT"}}',
            "request_too_large",
            "too big",
        ),
        (
            400,
            b'[{"error": {"code": 400, "message": "array framed", "status": "FAILED_PRECONDITION"}}]',
            "invalid_request",
            "array framed",
        ),
        (
            401,
            b'data: {"error": {"code": 401, "message": "sse framed", "status": "UNAUTHENTICATED"}}',
            "authentication",
            "sse framed",
        ),
        (504, b'{"error": "plain string"}', "timeout", "plain string"),
    ],
)
def test_odd_error_bodies(status: int, raw: bytes, kind: str, message: str) -> None:
    info = CODEC.parse_error(status, raw)
    assert (info.status, info.kind, info.message) == (status, kind, message)


@pytest.mark.parametrize(
    ("error", "status", "gstatus"),
    [
        (ir.ErrorInfo(529, "overloaded", "Overloaded"), 503, "UNAVAILABLE"),
        (ir.ErrorInfo(401, "authentication", "bad key"), 401, "UNAUTHENTICATED"),
        (ir.ErrorInfo(0, "timeout", "slow"), 504, "DEADLINE_EXCEEDED"),
        (ir.ErrorInfo(413, "request_too_large", "big"), 413, "INVALID_ARGUMENT"),
        (ir.ErrorInfo(500, "api_error", "boom"), 500, "INTERNAL"),
    ],
)
def test_emit_error_status(error: ir.ErrorInfo, status: int, gstatus: str) -> None:
    out_status, body = CODEC.emit_error(error)
    assert out_status == status
    assert body == {"error": {"code": status, "message": error.message, "status": gstatus}}


# -- countTokens, models, embeddings -----------------------------------------------------


def test_count_tokens_response() -> None:
    assert CODEC.emit_count_response(31) == {"totalTokens": 31}
    assert CODEC.parse_count_response({"totalTokens": 31, "promptTokensDetails": []}) == 31
    assert CODEC.parse_count_response({}) == 0
    types.CountTokensResponse.model_validate(CODEC.emit_count_response(5))
    with pytest.raises(InvalidInput):
        CODEC.parse_count_response({"totalTokens": "many"})


def test_models() -> None:
    listing = {
        "models": [
            {
                "name": "models/gemini-2.5-flash",
                "baseModelId": "gemini-2.5-flash",
                "version": "001",
                "displayName": "Gemini 2.5 Flash",
                "description": "Fast",
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
                "temperature": 1,
                "thinking": True,
            }
        ],
        "nextPageToken": "abc",
    }
    [model] = CODEC.parse_model_list(listing)
    assert (model.id, model.display_name, model.input_token_limit, model.output_token_limit) == (
        "gemini-2.5-flash",
        "Gemini 2.5 Flash",
        1048576,
        65536,
    )
    assert CODEC.emit_model_list([model]) == {"models": listing["models"]}
    plain = CODEC.emit_model(ir.ModelInfo(id="gpt-4o", owned_by="openai", created=1))
    assert plain == {
        "name": "models/gpt-4o",
        "displayName": "gpt-4o",
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    }
    # the SDK's own REST → Model conversion reads what we emit
    sdk_model = types.Model._from_response(
        response=_Model_from_mldev(CODEC.emit_model(model)), kwargs={}
    )
    assert (sdk_model.name, sdk_model.input_token_limit) == ("models/gemini-2.5-flash", 1048576)
    assert sdk_model.supported_actions == ["generateContent", "countTokens"]
    assert CODEC.parse_model(plain).id == "gpt-4o"
    with pytest.raises(InvalidInput):
        CODEC.parse_model({"displayName": "no name"})


def test_embed_content() -> None:
    body = {
        "content": {"parts": [{"text": "hello"}, {"text": "world"}]},
        "taskType": "RETRIEVAL_QUERY",
        "outputDimensionality": 768,
    }
    req = parse_embed_content_request(body, model="models/text-embedding-004")
    assert req == ir.EmbeddingRequest(
        model="text-embedding-004",
        inputs=["hello\nworld"],
        dimensions=768,
        task_type="RETRIEVAL_QUERY",
    )
    assert emit_embed_content_request(req) == {
        "content": {"parts": [{"text": "hello\nworld"}]},
        "taskType": "RETRIEVAL_QUERY",
        "outputDimensionality": 768,
    }
    resp = parse_embed_content_response(
        {"embedding": {"values": [0.1, -2, 3.5]}}, "text-embedding-004"
    )
    assert resp.embeddings == [[0.1, -2.0, 3.5]] and resp.usage == ir.Usage()
    assert emit_embed_content_response(resp) == {"embedding": {"values": [0.1, -2.0, 3.5]}}
    types.EmbedContentResponse.model_validate(
        {"embeddings": [emit_embed_content_response(resp)["embedding"]]}
    )
    with pytest.raises(InvalidInput):
        emit_embed_content_request(ir.EmbeddingRequest(model="m", inputs=["a", "b"]))
    with pytest.raises(InvalidInput):
        parse_embed_content_request({"taskType": "X"})


def test_batch_embed_contents() -> None:
    body = {
        "requests": [
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": "a"}]},
                "outputDimensionality": 3,
            },
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": "b"}]},
                "outputDimensionality": 3,
            },
        ]
    }
    req = parse_batch_embed_contents_request(body)
    assert req == ir.EmbeddingRequest(model="gemini-embedding-001", inputs=["a", "b"], dimensions=3)
    assert emit_batch_embed_contents_request(req) == body
    resp = parse_batch_embed_contents_response(
        {"embeddings": [{"values": [1, 2, 3]}, {"values": [4, 5, 6]}]}
    )
    assert resp.embeddings == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    out = emit_batch_embed_contents_response(resp)
    assert out == {"embeddings": [{"values": [1.0, 2.0, 3.0]}, {"values": [4.0, 5.0, 6.0]}]}
    types.EmbedContentResponse.model_validate(out)
    with pytest.raises(InvalidInput):
        parse_batch_embed_contents_response({"embeddings": [{"values": ["x"]}]})
    with pytest.raises(InvalidInput):
        parse_batch_embed_contents_request({"requests": []})
