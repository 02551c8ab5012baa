"""Responses ``response`` object ⇄ IR, judged by the SDK's ``Response`` model."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from openai.types.responses import Response

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.openai_responses import CODEC
from tests.protocols.test_openai_responses_support import OPENAI, OWN, load_json

FAMILY = "openai_responses"


def test_recorded_text_response() -> None:
    resp = CODEC.parse_response(load_json(OPENAI / "responses_text.json"))
    assert resp.id == "resp_689a0b2545288193953c892439b42e2800b2e36c65a1fd4b"
    assert resp.model == "gpt-4o-mini-2024-07-18"
    assert resp.created == 1754925861
    assert len(resp.content) == 1 and isinstance(resp.content[0], ir.TextPart)
    assert resp.content[0].text.startswith("I can't provide real-time updates")
    assert resp.content[0].provider_data == {
        FAMILY: {"id": "msg_689a0b2637b08193ac478e568f49e3f900b2e36c65a1fd4b"}
    }
    assert resp.stop_reason == "end_turn"
    assert resp.usage == ir.Usage(14, 50, 0, 0, 0)


def test_reasoning_text_and_parallel_calls() -> None:
    resp = CODEC.parse_response(load_json(OWN / "response_reasoning_tool_calls.json"))
    reasoning, text, paris, rome = resp.content  # the web_search_call item has no IR form
    assert isinstance(reasoning, ir.ReasoningPart)
    assert reasoning.text == "**Checking weather**\n\nTwo cities, two calls."
    assert reasoning.provider_data[FAMILY] == {
        "id": "rs_0a1b2c",
        "encrypted_content": "gAAAAABo_enc_full",
        "summary": True,
    }
    assert isinstance(text, ir.TextPart) and text.text == "Checking both cities."
    assert text.provider_data[FAMILY]["annotations"][0]["type"] == "url_citation"
    assert isinstance(paris, ir.ToolCallPart) and isinstance(rome, ir.ToolCallPart)
    assert [(c.id, c.name, c.arguments) for c in (paris, rome)] == [
        ("call_P", "get_weather", '{"city":"Paris"}'),
        ("call_R", "get_weather", '{"city":"Rome"}'),
    ]
    assert paris.provider_data == {FAMILY: {"id": "fc_0a1b2c_1"}}
    assert resp.stop_reason == "tool_use"
    assert resp.usage == ir.Usage(
        input_tokens=1200,
        output_tokens=300,
        cache_read_tokens=1024,
        cache_creation_tokens=0,
        reasoning_tokens=256,
    )


@pytest.mark.parametrize(
    ("index", "stop"),
    [(0, "max_tokens"), (1, "content_filter"), (2, "refusal"), (3, "error")],
)
def test_status_maps_to_stop_reason(index: int, stop: str) -> None:
    body = load_json(OWN / "response_incomplete_refusal.json")[index]
    resp = CODEC.parse_response(body)
    assert resp.stop_reason == stop


def test_refusal_and_failure_details_are_kept() -> None:
    bodies = load_json(OWN / "response_incomplete_refusal.json")
    refusal = CODEC.parse_response(bodies[2]).content[0]
    assert isinstance(refusal, ir.TextPart) and refusal.text == "I can't help with that."
    assert refusal.provider_data[FAMILY]["refusal"] is True
    failed = CODEC.parse_response(bodies[3])
    assert failed.provider_data[FAMILY]["error"]["code"] == "server_error"


def _validate(body: dict[str, Any]) -> Response:
    return Response.model_validate(body)


@pytest.mark.parametrize(
    "name", ["response_reasoning_tool_calls.json", "../recorded/openai/responses_text.json"]
)
def test_emit_is_accepted_by_the_sdk_and_round_trips(name: str) -> None:
    parsed = CODEC.parse_response(load_json(OWN / name))
    body = CODEC.emit_response(copy.deepcopy(parsed), EncoderOptions())
    sdk = _validate(body)
    assert sdk.status == "completed"
    again = CODEC.parse_response(body)
    assert again.content == parsed.content
    assert again.usage.input_tokens == parsed.usage.input_tokens
    assert again.usage.cache_read_tokens == parsed.usage.cache_read_tokens
    assert again.stop_reason == parsed.stop_reason


def test_sdk_rebuilds_text_calls_and_usage() -> None:
    parsed = CODEC.parse_response(load_json(OWN / "response_reasoning_tool_calls.json"))
    sdk = _validate(CODEC.emit_response(parsed, EncoderOptions(model="my-alias")))
    assert sdk.model == "my-alias"
    assert sdk.output_text == "Checking both cities."
    calls = [o for o in sdk.output if o.type == "function_call"]
    assert [(c.call_id, c.name, c.arguments, c.id) for c in calls] == [
        ("call_P", "get_weather", '{"city":"Paris"}', "fc_0a1b2c_1"),
        ("call_R", "get_weather", '{"city":"Rome"}', "fc_0a1b2c_2"),
    ]
    reasoning = [o for o in sdk.output if o.type == "reasoning"][0]
    assert reasoning.encrypted_content == "gAAAAABo_enc_full"
    assert sdk.usage is not None
    assert sdk.usage.input_tokens_details.cached_tokens == 1024
    assert sdk.usage.output_tokens_details.reasoning_tokens == 256
    assert sdk.usage.total_tokens == 1500


def test_foreign_response_emits_generated_ids_and_drops_foreign_signatures() -> None:
    resp = ir.Response(
        id="msg_01XYZ",
        model="claude-sonnet-4-5",
        content=[
            ir.ReasoningPart("Thinking hard.", provider_data={"anthropic": {"signature": "sig"}}),
            ir.ReasoningPart(redacted=True, provider_data={"anthropic": {"redacted_data": "r"}}),
            ir.TextPart("Here"),
            ir.TextPart(" you go."),
            ir.ToolCallPart("toolu_1", "lookup", '{"q":"x"}'),
            ir.ToolCallPart("toolu_2", "lookup", ""),
            ir.ImagePart(data="AAAA", media_type="image/png"),
        ],
        stop_reason="tool_use",
        usage=ir.Usage(100, 20, cache_read_tokens=60, cache_creation_tokens=10),
        created=1760000000,
    )
    body = CODEC.emit_response(resp, EncoderOptions())
    sdk = _validate(body)
    assert sdk.id == "resp_msg_01XYZ" and sdk.created_at == 1760000000
    kinds = [o.type for o in sdk.output]
    assert kinds == ["reasoning", "message", "function_call", "function_call"]
    reasoning = sdk.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.id.startswith("rs_") and reasoning.encrypted_content is None
    assert [s.text for s in reasoning.summary] == ["Thinking hard."]
    assert sdk.output_text == "Here you go."
    message = sdk.output[1]
    assert message.type == "message" and message.id.startswith("msg_")
    first, second = sdk.output[2], sdk.output[3]
    assert first.type == "function_call" and second.type == "function_call"
    assert first.call_id == "toolu_1" and first.id is not None and first.id.startswith("fc_")
    assert second.arguments == "{}"
    assert sdk.usage is not None
    assert sdk.usage.input_tokens_details.cached_tokens == 60
    assert sdk.usage.input_tokens_details.cache_write_tokens == 10


@pytest.mark.parametrize(
    ("stop", "status", "reason"),
    [
        ("end_turn", "completed", None),
        ("stop_sequence", "completed", None),
        ("pause_turn", "completed", None),
        ("max_tokens", "incomplete", "max_output_tokens"),
        ("content_filter", "incomplete", "content_filter"),
        ("error", "failed", None),
    ],
)
def test_stop_reason_maps_to_status(stop: ir.StopReason, status: str, reason: str | None) -> None:
    resp = ir.Response(id="x", model="m", content=[ir.TextPart("hi")], stop_reason=stop)
    sdk = _validate(CODEC.emit_response(resp, EncoderOptions()))
    assert sdk.status == status
    assert (sdk.incomplete_details.reason if sdk.incomplete_details else None) == reason
    if status == "failed":
        assert sdk.error is not None and sdk.error.code == "server_error"


def test_request_parameters_are_echoed() -> None:
    request = CODEC.parse_request(load_json(OWN / "request_multimodal_tools.json"))
    resp = ir.Response(id="resp_1", model="gpt-5", content=[ir.TextPart('{"paris":"ok"}')])
    sdk = _validate(CODEC.emit_response(resp, EncoderOptions(request=request)))
    assert sdk.instructions == "You are terse."
    assert [t.name for t in sdk.tools if t.type == "function"] == ["get_weather"]
    assert sdk.temperature == 0.7 and sdk.top_p == 0.9 and sdk.max_output_tokens == 2048
    assert sdk.parallel_tool_calls is False
    assert sdk.text is not None and sdk.text.format is not None
    assert sdk.text.format.type == "json_schema"
    assert sdk.reasoning is not None and sdk.reasoning.effort == "high"
    assert sdk.metadata == {"ticket": "T-1"}
    assert sdk.user == "user-42"
