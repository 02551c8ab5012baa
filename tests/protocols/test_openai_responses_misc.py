"""Responses codec surface beyond generation: errors, models, the Codec interface, and
``/v1/responses/compact`` served by a generation request."""

from __future__ import annotations

import inspect
import json

import pytest
from openai._models import construct_type
from openai.types.responses import ResponseOutputMessage
from openai.types.responses.compacted_response import CompactedResponse

from gatewayctl.errors import GatewayError, InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import Codec
from gatewayctl.protocols.openai_responses import (
    CODEC,
    COMPACT_PROMPT,
    emit_compact_response,
    parse_compact_request,
)
from tests.protocols.test_openai_responses_support import OPENAI, OWN, load_json

FAMILY = "openai_responses"


def test_codec_implements_every_codec_method() -> None:
    wanted = {n for n, _ in inspect.getmembers(Codec, inspect.isfunction) if not n.startswith("_")}
    assert wanted <= {n for n in dir(CODEC) if callable(getattr(CODEC, n))}
    assert CODEC.name == "openai_responses"


def test_recorded_400_error_body() -> None:
    raw = (OPENAI / "responses_error_400_invalid_value.json").read_bytes()
    info = CODEC.parse_error(400, raw)
    assert (info.status, info.kind, info.param, info.code) == (
        400,
        "invalid_request",
        "temperature",
        "decimal_below_min_value",
    )
    status, body = CODEC.emit_error(info)
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith("Invalid 'temperature'")


def test_foreign_error_is_written_in_openai_shape() -> None:
    info = ir.ErrorInfo(529, "overloaded", "Overloaded")
    status, body = CODEC.emit_error(info)
    assert status == 503 and body["error"]["type"] == "server_error"


def test_models_round_trip() -> None:
    models = [ir.ModelInfo("gpt-5", created=1, owned_by="openai"), ir.ModelInfo("o3")]
    body = CODEC.emit_model_list(models)
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["gpt-5", "o3"]
    assert [m.id for m in CODEC.parse_model_list(body)] == ["gpt-5", "o3"]
    assert CODEC.parse_model(CODEC.emit_model(models[0])).owned_by == "openai"


# --------------------------------------------------------------------------------------
# Compact
# --------------------------------------------------------------------------------------


def compact_body() -> dict[str, object]:
    codex = load_json(OWN / "request_codex.json")
    return {
        "model": "gpt-5.1-codex",
        "instructions": codex["instructions"],
        "input": codex["input"],
        "prompt_cache_key": "sess-1",
        "tools": codex["tools"],  # not a compact field: ignored
    }


def test_compact_request_becomes_a_summary_generation_request() -> None:
    req = parse_compact_request(compact_body())
    assert req.stream is False and req.tools == []
    assert req.system[0].text.startswith("You are Codex")
    assert req.provider_data == {FAMILY: {"prompt_cache_key": "sess-1"}}
    last = req.messages[-1]
    assert last.role == "user"
    prompt = last.parts[-1]
    assert isinstance(prompt, ir.TextPart) and prompt.text == COMPACT_PROMPT
    assert prompt.provider_data == {FAMILY: {"compact_prompt": True}}
    # the conversation before it is the compact input, parsed like a request
    plain = CODEC.parse_request(load_json(OWN / "request_codex.json"))
    assert req.messages[:-1] == plain.messages[:-1]


def test_compact_refuses_streaming() -> None:
    with pytest.raises(InvalidInput, match="Streaming not supported"):
        parse_compact_request({"model": "m", "input": "x", "stream": True})


def test_compact_response_keeps_user_messages_then_the_summary() -> None:
    req = parse_compact_request(compact_body())
    answer = ir.Response(
        id="msg_01SUM",
        model="claude-sonnet-4-5",
        content=[
            ir.ReasoningPart("hmm"),
            ir.TextPart("User wants calc.py fixed; "),
            ir.TextPart("done, rerun tests next."),
        ],
        stop_reason="end_turn",
        usage=ir.Usage(9000, 120, cache_read_tokens=4000),
        created=1760000000,
    )
    body = emit_compact_response(answer, req)
    assert body["object"] == "response.compaction"
    assert body["id"] == "resp_msg_01SUM" and body["created_at"] == 1760000000
    users = body["output"][:-1]
    assert [item["role"] for item in users] == ["user", "user"]
    texts = [c["text"] for item in users for c in item["content"]]
    assert texts == [
        "<environment_context>\n  <cwd>/home/me/proj</cwd>\n</environment_context>",
        "Fix the failing test and show me the diff.",
        "Thanks. Now run it again.",
    ]
    assert COMPACT_PROMPT not in json.dumps(body)
    summary = ResponseOutputMessage.model_validate(body["output"][-1])
    assert summary.role == "assistant" and summary.status == "completed"
    assert summary.content[0].type == "output_text"
    assert summary.content[0].text == "User wants calc.py fixed; done, rerun tests next."
    assert body["usage"]["input_tokens_details"]["cached_tokens"] == 4000
    # the SDK reads compaction answers the way it reads every API body (lenient construction)
    sdk = construct_type(type_=CompactedResponse, value=body)
    assert isinstance(sdk, CompactedResponse) and len(sdk.output) == 3


def test_compact_summary_never_invents_a_compaction_item() -> None:
    req = parse_compact_request({"model": "m", "input": "hello"})
    answer = ir.Response(id="x", model="m", content=[ir.TextPart("S")])
    body = emit_compact_response(answer, req)
    assert all(item.get("type") == "message" for item in body["output"])
    assert "encrypted_content" not in json.dumps(body)


def test_compact_without_summary_text_is_an_error() -> None:
    req = parse_compact_request({"model": "m", "input": "hello"})
    refusal = ir.TextPart("no", provider_data={FAMILY: {"refusal": True}})
    with pytest.raises(GatewayError, match="no summary"):
        emit_compact_response(ir.Response(id="x", model="m", content=[refusal]), req)


def test_compact_request_emits_as_a_plain_generation_for_any_responses_upstream() -> None:
    req = parse_compact_request({"model": "gpt-5", "input": [{"role": "user", "content": "a"}]})
    body = CODEC.emit_request(req)
    assert "stream" not in body
    assert body["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "a"},
                {"type": "input_text", "text": COMPACT_PROMPT},
            ],
        }
    ]
