"""Gemini stream encoder, judged by the google-genai SDK."""

from __future__ import annotations

import json

import pytest
from google.genai import errors as genai_errors

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.gemini import CODEC
from tests.protocols.test_gemini_support import (
    GEMINI_OWN,
    GEMINI_RECORDED,
    decode,
    encode,
    exchange_segments,
    json_array_bytes,
    parse_json_array,
    sdk_response,
    sdk_stream,
    sse_bytes,
    stream_payloads,
)

RECORDED_SSE = sorted(GEMINI_RECORDED.glob("*.sse"))


def _summary(chunks) -> dict:
    """What a client rebuilds from a stream: answer text, thoughts, calls, final usage."""
    text, thoughts, calls, call_sigs = "", "", [], []
    usage = None
    for chunk in chunks:
        if chunk.usage_metadata is not None:
            usage = chunk.usage_metadata
        for cand in chunk.candidates or []:
            if cand.index not in (None, 0) or cand.content is None:
                continue
            for part in cand.content.parts or []:
                if part.text is not None:
                    if part.thought:
                        thoughts += part.text
                    else:
                        text += part.text
                if part.function_call is not None:
                    calls.append((part.function_call.name, part.function_call.args or {}))
                    call_sigs.append(part.thought_signature)
    assert usage is not None
    return {
        "text": text,
        "thoughts": thoughts,
        "calls": calls,
        "call_signatures": call_sigs,
        "input": (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0),
        "output": (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0),
        "reasoning": usage.thoughts_token_count,
        "total": usage.total_token_count,
    }


@pytest.mark.parametrize("path", RECORDED_SSE, ids=lambda p: p.name)
def test_reencoded_recorded_streams_satisfy_the_sdk(path) -> None:
    """decode(recorded) → encode → the SDK rebuilds what it rebuilds from the original."""
    payloads = stream_payloads(path)
    events = decode(payloads)
    wire = encode(events)
    for event in wire:
        assert isinstance(event.data, dict) and event.event is None
        sdk_response(event.data)  # strict: unknown keys rejected, signatures base64
    assert "finishReason" in wire[-1].data["candidates"][0]
    if path.name == "prompt_blocked_safety_stream.sse":
        assert wire[-1].data["candidates"][0]["finishReason"] == "SAFETY"
        return  # the original has no usage to compare
    ours = _summary(sdk_stream(sse_bytes(wire)))
    theirs = _summary(sdk_stream(path.read_bytes()))
    # code-execution / image parts come back as the original parts, not as text
    assert ours == theirs


def test_partial_args_stream_reencodes_as_whole_calls() -> None:
    payloads = stream_payloads(GEMINI_RECORDED / "vertex_parallel_partial_args_stream.chunks.jsonl")
    wire = encode(decode(payloads))
    summary = _summary(sdk_stream(sse_bytes(wire)))
    assert summary["calls"] == [
        ("read_theme", {}),
        ("read_screen", {"id": "A"}),
        ("read_screen", {"id": "B"}),
        ("read_screen", {"id": "C"}),
    ]
    assert summary["call_signatures"][0] and summary["call_signatures"][1:] == [None] * 3
    ids = [
        c.data["candidates"][0]["content"]["parts"][0]["functionCall"].get("id") for c in wire[1:5]
    ]
    assert len(set(ids)) == 4 and all(ids)
    _, segments = exchange_segments(
        GEMINI_RECORDED / "vertex_stream_partial_function_args.exchange.json"
    )
    summary = _summary(sdk_stream(sse_bytes(encode(decode(segments)))))
    assert summary["calls"] == [
        (
            "getCurrentWeather",
            {
                "country": "USA",
                "location": "NewYorkCity",
                "purpose": "to know what to wear today",
                "unit": "C",
            },
        )
    ]


def test_opaque_parts_come_back_unchanged() -> None:
    payloads = stream_payloads(GEMINI_RECORDED / "code_execution_stream.sse")
    wire = encode(decode(payloads))
    parts = [p for e in wire for p in e.data["candidates"][0]["content"]["parts"]]
    originals = [
        p
        for chunk in payloads
        for p in chunk["candidates"][0]["content"]["parts"]
        if "executableCode" in p or "codeExecutionResult" in p
    ]
    assert [p for p in parts if "executableCode" in p or "codeExecutionResult" in p] == originals


def _ir_stream() -> list[ir.StreamEvent]:
    """A hand-built IR stream: thinking (Anthropic-signed), text, two calls in fragments."""
    return [
        ir.StreamStart(id="msg_1", model="claude-sonnet-4-5", usage=ir.Usage(input_tokens=50)),
        ir.BlockStart(0, ir.ReasoningPart()),
        ir.BlockDelta(0, text="Let me think."),
        ir.BlockDelta(0, provider_data={"anthropic": {"signature": "EqQBCkYIAx"}}),
        ir.BlockStop(0),
        ir.BlockStart(1, ir.TextPart("")),
        ir.BlockDelta(1, text="Checking "),
        ir.BlockDelta(1, text=""),
        ir.BlockDelta(1, text="both."),
        ir.BlockStop(1),
        ir.BlockStart(2, ir.ToolCallPart(id="toolu_01", name="get_weather")),
        ir.BlockDelta(2, arguments=""),
        ir.BlockDelta(2, arguments='{"city": "Pa'),
        ir.BlockDelta(2, arguments='ris"}'),
        ir.BlockStop(2),
        ir.BlockStart(3, ir.ToolCallPart(id="toolu_02", name="get_time")),
        ir.BlockStop(3),
        ir.UsageUpdate(ir.Usage(output_tokens=80, reasoning_tokens=30)),
        ir.StreamEnd(
            stop_reason="tool_use",
            usage=ir.Usage(
                input_tokens=50, output_tokens=80, cache_read_tokens=20, reasoning_tokens=30
            ),
        ),
    ]


def test_encoder_chunks_exactly() -> None:
    wire = encode(_ir_stream(), model="gemini-2.5-flash")
    bodies = [e.data for e in wire]
    parts = [b["candidates"][0]["content"]["parts"] for b in bodies]
    assert parts == [
        [{"text": "Let me think.", "thought": True}],
        [{"text": "Checking "}],
        [{"text": "both."}],
        [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "toolu_01"}}],
        [{"functionCall": {"name": "get_time", "args": {}, "id": "toolu_02"}}],
        [{"text": ""}],
    ]
    assert all(
        b["modelVersion"] == "gemini-2.5-flash" and b["responseId"] == "msg_1" for b in bodies
    )
    assert bodies[0]["usageMetadata"] == {"promptTokenCount": 50, "totalTokenCount": 50}
    last = bodies[-1]
    assert last["candidates"][0]["finishReason"] == "STOP"
    assert last["usageMetadata"] == {
        "promptTokenCount": 50,
        "candidatesTokenCount": 50,
        "thoughtsTokenCount": 30,
        "cachedContentTokenCount": 20,
        "totalTokenCount": 130,
    }
    # an Anthropic signature is never written as a Gemini thoughtSignature
    assert "EqQBCkYIAx" not in json.dumps(bodies)
    for body in bodies:
        sdk_response(body)
    summary = _summary(sdk_stream(sse_bytes(wire)))
    assert summary["text"] == "Checking both."
    assert summary["thoughts"] == "Let me think."
    assert summary["calls"] == [("get_weather", {"city": "Paris"}), ("get_time", {})]
    assert (summary["input"], summary["output"], summary["reasoning"], summary["total"]) == (
        50,
        80,
        30,
        130,
    )


def test_gemini_signatures_are_replayed_on_the_right_parts() -> None:
    events = [
        ir.StreamStart(id="r", model="gemini-3-pro-preview"),
        ir.BlockStart(0, ir.TextPart("")),
        ir.BlockDelta(0, text="Hi", provider_data={"gemini": {"thoughtSignature": "c2lnMQ=="}}),
        ir.BlockDelta(0, text=" there"),
        ir.BlockStop(0),
        ir.BlockStart(
            1,
            ir.ToolCallPart("c1", "f", provider_data={"gemini": {"thoughtSignature": "c2lnMg=="}}),
        ),
        ir.BlockDelta(1, arguments="{}"),
        ir.BlockStop(1),
        ir.BlockStart(2, ir.TextPart("")),
        ir.BlockDelta(2, text="", provider_data={"gemini": {"thoughtSignature": "c2lnMw=="}}),
        ir.BlockStop(2),
        ir.StreamEnd(stop_reason="end_turn"),
    ]
    parts = [e.data["candidates"][0]["content"]["parts"] for e in encode(events)]
    assert parts == [
        [{"text": "Hi", "thoughtSignature": "c2lnMQ=="}],
        [{"text": " there"}],
        [{"functionCall": {"name": "f", "args": {}, "id": "c1"}, "thoughtSignature": "c2lnMg=="}],
        [{"text": "", "thoughtSignature": "c2lnMw=="}],
        [{"text": ""}],
    ]


def test_error_midstream_becomes_an_error_chunk_the_sdk_raises() -> None:
    payloads = stream_payloads(GEMINI_OWN / "streams" / "parallel_calls_error_midstream.sse")
    wire = encode(decode(payloads))
    assert wire[-1].data == {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "27s"}],
        }
    }
    for event in wire[:-1]:
        sdk_response(event.data)
    with pytest.raises(genai_errors.ClientError) as caught:
        sdk_stream(sse_bytes(wire))
    assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"


def test_nothing_after_an_error_and_finish_terminates_a_cut_stream() -> None:
    encoder = CODEC.stream_encoder(EncoderOptions())
    encoder.feed(ir.StreamStart(id="x", model="m"))
    assert encoder.feed(ir.BlockStart(0, ir.ToolCallPart("c", "f"))) == []
    assert encoder.feed(ir.BlockDelta(0, arguments='{"a": 1')) == []
    [last] = encoder.finish()
    cand = last.data["candidates"][0]
    assert cand["finishReason"] == "OTHER"
    assert cand["content"]["parts"] == [
        {"functionCall": {"name": "f", "args": {"raw": '{"a": 1'}, "id": "c"}}
    ]
    assert encoder.finish() == []

    encoder = CODEC.stream_encoder(EncoderOptions())
    out = encoder.feed(ir.StreamError(ir.ErrorInfo(status=503, kind="overloaded", message="busy")))
    assert out == [WireEvent({"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}})]
    assert encoder.feed(ir.StreamEnd(stop_reason="end_turn")) == [] and encoder.finish() == []


def test_skeletons_with_content_are_not_lost() -> None:
    events = [
        ir.StreamStart(id="s", model="m"),
        ir.BlockStart(0, ir.TextPart("pre")),
        ir.BlockDelta(0, text="fix"),
        ir.BlockStop(0),
        ir.BlockStart(1, ir.ToolCallPart("c", "f", '{"a":')),
        ir.BlockDelta(1, arguments=" 1}"),
        ir.BlockStop(1),
        ir.StreamEnd(stop_reason="tool_use"),
    ]
    parts = [p for e in encode(events) for p in e.data["candidates"][0]["content"]["parts"]]
    assert parts[:3] == [
        {"text": "pre"},
        {"text": "fix"},
        {"functionCall": {"name": "f", "args": {"a": 1}, "id": "c"}},
    ]


def test_stop_reasons_map_to_finish_reasons() -> None:
    for stop, finish in [
        ("end_turn", "STOP"),
        ("tool_use", "STOP"),
        ("stop_sequence", "STOP"),
        ("max_tokens", "MAX_TOKENS"),
        ("content_filter", "SAFETY"),
        ("refusal", "SAFETY"),
        ("error", "OTHER"),
        (None, "STOP"),
    ]:
        wire = encode([ir.StreamStart(id="i", model="m"), ir.StreamEnd(stop_reason=stop)])
        assert wire[-1].data["candidates"][0]["finishReason"] == finish


def test_json_array_framing_of_our_output() -> None:
    wire = encode(_ir_stream())
    bodies = parse_json_array(json_array_bytes(wire))
    assert bodies == [e.data for e in wire]
