"""Anthropic non-stream bodies: messages, errors and models, judged by the official SDK.

Recorded response bodies parse into the IR with their text, tool calls, thinking signatures,
stop reasons and cache usage; what we emit validates as ``anthropic.types.Message`` /
``ModelInfo`` and, served through a mock transport, makes the real client return the same
message or raise the right exception class.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types import Message, ModelInfo

from gatewayctl.protocols import ir
from gatewayctl.protocols.anthropic import CODEC
from gatewayctl.protocols.base import EncoderOptions
from tests.conftest import RECORDED

REC = RECORDED / "anthropic"
MESSAGES = sorted(REC.glob("message_*.json"))


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def client_for(status: int, body: dict[str, Any]) -> anthropic.Anthropic:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, json=body)

    return anthropic.Anthropic(
        api_key="test",
        base_url="http://127.0.0.1:9",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


def create(client: anthropic.Anthropic) -> Message:
    return client.messages.create(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )


# --------------------------------------------------------------------------------------
# responses
# --------------------------------------------------------------------------------------


def test_parse_text_message() -> None:
    resp = CODEC.parse_response(load(REC / "message_text.json"))
    assert (resp.id, resp.model, resp.stop_reason) == (
        "msg_01J176zPPSGQBvQpzw2qy5x4",
        "claude-sonnet-4-20250514",
        "end_turn",
    )
    (text,) = resp.content
    assert isinstance(text, ir.TextPart) and text.text.startswith("I have successfully executed")
    assert resp.usage == ir.Usage(505, 41, 0, 0, None)


def test_parse_parallel_tool_use() -> None:
    resp = CODEC.parse_response(load(REC / "message_parallel_tool_use.json"))
    text, first, second = resp.content
    assert isinstance(text, ir.TextPart)
    assert first == ir.ToolCallPart("toolu_01L8GVQapA1HmggQcrwboukH", "test_tool", '{"count": 1}')
    assert second == ir.ToolCallPart("toolu_01J5Fvzxu7DP1Uh59c1kr5JD", "test_tool", '{"count": 2}')
    assert resp.stop_reason == "tool_use"


def test_parse_thinking_and_redacted_thinking() -> None:
    resp = CODEC.parse_response(load(REC / "message_thinking_tool_use.json"))
    thinking, _, call = resp.content
    assert isinstance(thinking, ir.ReasoningPart) and thinking.text.startswith("The user is asking")
    assert thinking.provider_data["anthropic"]["signature"].startswith("EqEECkYICxgCKkAo3UA4")
    assert call == ir.ToolCallPart("toolu_01YGzqpRE16Vricda3Aqcejo", "get_user_country", "{}")
    resp = CODEC.parse_response(load(REC / "message_redacted_thinking.json"))
    redacted, text = resp.content
    assert isinstance(redacted, ir.ReasoningPart) and redacted.redacted and redacted.text == ""
    assert redacted.provider_data["anthropic"]["redacted_data"].startswith("EvgFCkYIBxgCKkBm")
    assert isinstance(text, ir.TextPart)


def test_server_tool_blocks_are_dropped_around_kept_content() -> None:
    resp = CODEC.parse_response(load(REC / "message_programmatic_tool_calling.json"))
    assert [type(p).__name__ for p in resp.content] == ["TextPart", "ToolCallPart"]
    call = resp.content[1]
    assert isinstance(call, ir.ToolCallPart)
    assert json.loads(call.arguments) == {"location": "San Francisco, CA", "units": "c"}
    resp = CODEC.parse_response(load(REC / "message_web_search_citations.json"))
    original = load(REC / "message_web_search_citations.json")
    texts = [b["text"] for b in original["content"] if b["type"] == "text"]
    assert [p.text for p in resp.content if isinstance(p, ir.TextPart)] == texts
    assert len(texts) == 3


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: p.name)
def test_emitted_message_validates_and_round_trips(path: Path) -> None:
    original = load(path)
    resp = CODEC.parse_response(original)
    body = CODEC.emit_response(resp, EncoderOptions())
    message = Message.model_validate(body)
    kept = [
        b
        for b in original["content"]
        if b["type"] in ("text", "thinking", "redacted_thinking", "tool_use")
    ]
    assert [b.model_dump(exclude_none=True) for b in message.content] == [
        {k: v for k, v in b.items() if k not in ("citations", "caller")} for b in kept
    ]
    assert message.id == original["id"] and message.stop_reason == original["stop_reason"]
    for key in (
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    ):
        assert getattr(message.usage, key) == original["usage"][key]
    assert CODEC.parse_response(body) == resp


def test_sdk_client_returns_our_message() -> None:
    resp = ir.Response(
        id="chatcmpl-abc",
        model="gpt-5",
        content=[
            ir.ReasoningPart(
                "reasoned elsewhere", provider_data={"gemini": {"thoughtSignature": "x"}}
            ),
            ir.ReasoningPart(
                redacted=True, provider_data={"openai_responses": {"encrypted_content": "gAAA"}}
            ),
            ir.TextPart(""),
            ir.TextPart("Paris."),
            ir.ToolCallPart("call_1", "lookup", ""),
        ],
        stop_reason="end_turn",
        usage=ir.Usage(
            input_tokens=1200, output_tokens=80, cache_read_tokens=1000, reasoning_tokens=30
        ),
    )
    body = CODEC.emit_response(resp, EncoderOptions(model="claude-sonnet-4-5"))
    message = create(client_for(200, body))
    assert message.id == "msg_chatcmpl-abc" and message.model == "claude-sonnet-4-5"
    thinking, text, call = message.content
    assert (thinking.type, thinking.thinking, thinking.signature) == (
        "thinking",
        "reasoned elsewhere",
        "",
    )
    assert text.text == "Paris." and (call.id, call.input) == ("call_1", {})
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (200, 1000)
    assert message.usage.output_tokens_details is not None
    assert message.usage.output_tokens_details.thinking_tokens == 30


@pytest.mark.parametrize(
    ("reason", "wire"),
    [
        ("content_filter", "refusal"),
        ("refusal", "refusal"),
        ("max_tokens", "max_tokens"),
        ("pause_turn", "pause_turn"),
        ("error", "end_turn"),
        (None, "end_turn"),
    ],
)
def test_stop_reasons(reason: ir.StopReason | None, wire: str) -> None:
    body = CODEC.emit_response(
        ir.Response("msg_1", "m", [ir.TextPart("x")], stop_reason=reason), EncoderOptions()
    )
    assert Message.model_validate(body).stop_reason == wire


def test_stop_sequence_and_context_window_reason() -> None:
    resp = ir.Response(
        "msg_1", "m", [ir.TextPart("1, 2, 3")], stop_reason="stop_sequence", stop_sequence="4."
    )
    body = CODEC.emit_response(resp, EncoderOptions())
    assert (body["stop_reason"], body["stop_sequence"]) == ("stop_sequence", "4.")
    wire = {**load(REC / "message_text.json"), "stop_reason": "model_context_window_exceeded"}
    assert CODEC.parse_response(wire).stop_reason == "max_tokens"


def test_refusal_details_survive_an_anthropic_round_trip() -> None:
    details = {"type": "refusal", "category": "cyber", "explanation": "policy"}
    wire = {**load(REC / "message_text.json"), "stop_reason": "refusal", "stop_details": details}
    body = CODEC.emit_response(CODEC.parse_response(wire), EncoderOptions())
    assert Message.model_validate(body).stop_details is not None
    assert body["stop_details"] == details


def test_parse_response_rejects_non_messages() -> None:
    with pytest.raises(Exception, match="error"):
        CODEC.parse_response(load(REC / "error_429_rate_limit_error.json"))
    with pytest.raises(Exception, match="content"):
        CODEC.parse_response({"id": "msg_1"})


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "kind", "start"),
    [
        ("error_400_invalid_request_error.json", 400, "invalid_request", "messages.0.content.1"),
        ("error_404_not_found_error.json", 404, "not_found", "model: claude-does-not-exist"),
        ("error_429_rate_limit_error.json", 429, "rate_limit", "This request would exceed"),
    ],
)
def test_recorded_errors(name: str, status: int, kind: str, start: str) -> None:
    error = CODEC.parse_error(status, (REC / name).read_bytes())
    assert (error.status, error.kind, error.code) == (status, kind, None)
    assert error.message.startswith(start)
    emitted_status, body = CODEC.emit_error(error)
    assert emitted_status == status
    assert body["error"] == {"type": load(REC / name)["error"]["type"], "message": error.message}


def test_exchange_429_then_200() -> None:
    exchange = load(REC / "exchange_429_429_then_200_stream.json")
    statuses = []
    for item in exchange:
        response = item["response"]
        statuses.append(response["status_code"])
        if response["status_code"] == 429:
            body = response["body"]
            raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            assert CODEC.parse_error(429, raw).kind == "rate_limit"
    assert statuses == [429, 429, 200]


@pytest.mark.parametrize(
    ("error", "exception", "status"),
    [
        (ir.ErrorInfo(400, "invalid_request", "bad"), anthropic.BadRequestError, 400),
        (ir.ErrorInfo(401, "authentication", "who"), anthropic.AuthenticationError, 401),
        (ir.ErrorInfo(403, "permission", "no"), anthropic.PermissionDeniedError, 403),
        (ir.ErrorInfo(404, "not_found", "gone"), anthropic.NotFoundError, 404),
        (ir.ErrorInfo(429, "rate_limit", "slow"), anthropic.RateLimitError, 429),
        (ir.ErrorInfo(500, "api_error", "boom"), anthropic.InternalServerError, 500),
        (ir.ErrorInfo(503, "overloaded", "busy"), anthropic.OverloadedError, 529),
    ],
)
def test_emitted_errors_raise_the_sdk_exception(
    error: ir.ErrorInfo, exception: type[Exception], status: int
) -> None:
    emitted_status, body = CODEC.emit_error(error)
    assert emitted_status == status
    with pytest.raises(exception) as info:
        create(client_for(emitted_status, body))
    assert info.value.body["error"]["message"] == error.message  # type: ignore[attr-defined]


def test_parse_error_tolerates_any_body() -> None:
    assert CODEC.parse_error(502, b"<html>Bad gateway</html>") == ir.ErrorInfo(
        502, "api_error", "<html>Bad gateway</html>"
    )
    assert CODEC.parse_error(503, b"").kind == "overloaded"
    assert CODEC.parse_error(503, b"").message == "upstream returned HTTP 503"
    openai_shaped = (
        b'{"error": {"message": "Rate limit", "type": "requests", "code": "rate_limit_exceeded"}}'
    )
    error = CODEC.parse_error(429, openai_shaped)
    assert (error.kind, error.message, error.code) == ("rate_limit", "Rate limit", "requests")
    billing = b'{"type":"error","error":{"type":"billing_error","message":"Add credits"}}'
    error = CODEC.parse_error(402, billing)
    assert (error.kind, error.code) == ("permission", "billing_error")
    assert CODEC.emit_error(error) == (
        402,
        {"type": "error", "error": {"type": "billing_error", "message": "Add credits"}},
    )
    assert CODEC.emit_error(ir.ErrorInfo(0, "timeout", "slow")) == (
        504,
        {"type": "error", "error": {"type": "timeout_error", "message": "slow"}},
    )


# --------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------


def test_models_round_trip_and_validate() -> None:
    wire = {
        "data": [
            {
                "type": "model",
                "id": "claude-sonnet-4-5-20250929",
                "display_name": "Claude Sonnet 4.5",
                "created_at": "2025-09-29T00:00:00Z",
                "max_input_tokens": 200000,
                "max_tokens": 64000,
            },
            {
                "type": "model",
                "id": "claude-haiku-4-5",
                "display_name": "Claude Haiku 4.5",
                "created_at": "2025-10-01T00:00:00Z",
            },
        ],
        "has_more": False,
        "first_id": "claude-sonnet-4-5-20250929",
        "last_id": "claude-haiku-4-5",
    }
    models = CODEC.parse_model_list(wire)
    assert models[0] == ir.ModelInfo(
        id="claude-sonnet-4-5-20250929",
        display_name="Claude Sonnet 4.5",
        created=1759104000,
        input_token_limit=200000,
        output_token_limit=64000,
    )
    body = CODEC.emit_model_list(models)
    assert (body["has_more"], body["first_id"], body["last_id"]) == (
        False,
        wire["first_id"],
        wire["last_id"],
    )
    for item, original in zip(body["data"], wire["data"], strict=True):
        info = ModelInfo.model_validate(item)
        assert info.id == original["id"] and item["created_at"] == original["created_at"]
    assert CODEC.parse_model_list(body) == models
    foreign = CODEC.emit_model(ir.ModelInfo(id="gpt-5"))
    assert ModelInfo.model_validate(foreign).display_name == "gpt-5"
    assert foreign["created_at"] == "1970-01-01T00:00:00Z"
    assert CODEC.emit_model_list([]) == {
        "data": [],
        "has_more": False,
        "first_id": None,
        "last_id": None,
    }
    with pytest.raises(Exception, match="id"):
        CODEC.parse_model({"type": "model"})
