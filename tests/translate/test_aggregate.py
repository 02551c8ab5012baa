"""aggregate (stream → response) and synthesize (response → stream) at the IR level."""

from __future__ import annotations

import pytest

from gatewayctl.protocols import ir
from gatewayctl.translate.aggregate import StreamFailed, aggregate, synthesize
from tests.translate.test_sequencer import assert_sequential


def full_response() -> ir.Response:
    return ir.Response(
        id="msg_1",
        model="claude-x",
        created=1730000000,
        content=[
            ir.ReasoningPart("Need the tool.", provider_data={"anthropic": {"signature": "EqQB"}}),
            ir.TextPart("Checking."),
            ir.ToolCallPart("toolu_1", "get_weather", '{"city":"Paris"}'),
            ir.ToolCallPart(
                "toolu_2", "get_time", "{}", provider_data={"gemini": {"thoughtSignature": "s"}}
            ),
        ],
        stop_reason="tool_use",
        usage=ir.Usage(
            input_tokens=2050, output_tokens=87, cache_read_tokens=2000, reasoning_tokens=20
        ),
    )


def test_round_trip_response_stream_response() -> None:
    response = full_response()
    events = synthesize(response)
    assert_sequential(events)
    start = events[0]
    assert isinstance(start, ir.StreamStart)
    assert start.usage is not None and start.usage.input_tokens == 2050
    assert aggregate(events) == response


def test_aggregate_merges_fragments_signatures_and_usage() -> None:
    events: list[ir.StreamEvent] = [
        ir.StreamStart("resp_1", "gpt-5", created=5, usage=ir.Usage(input_tokens=9)),
        ir.BlockStart(0, ir.ReasoningPart(provider_data={"openai_responses": {"id": "rs_1"}})),
        ir.BlockDelta(0, text="a"),
        ir.BlockDelta(0, text="b"),
        ir.BlockDelta(0, provider_data={"openai_responses": {"encrypted_content": "gAAA"}}),
        ir.BlockStart(1, ir.ToolCallPart("call_1", "f")),
        ir.BlockStart(2, ir.ToolCallPart("call_2", "g")),
        ir.BlockDelta(1, arguments='{"x":'),
        ir.BlockDelta(2, arguments="{}"),
        ir.BlockDelta(1, arguments="1}"),
        ir.UsageUpdate(ir.Usage(output_tokens=4)),
        ir.UsageUpdate(ir.Usage(output_tokens=12, reasoning_tokens=5)),
        ir.StreamEnd("end_turn"),
    ]
    response = aggregate(events)
    assert response.id == "resp_1" and response.model == "gpt-5" and response.created == 5
    assert response.content == [
        ir.ReasoningPart(
            "ab", provider_data={"openai_responses": {"id": "rs_1", "encrypted_content": "gAAA"}}
        ),
        ir.ToolCallPart("call_1", "f", '{"x":1}'),
        ir.ToolCallPart("call_2", "g", "{}"),
    ]
    assert response.stop_reason == "tool_use"
    assert response.usage == ir.Usage(input_tokens=9, output_tokens=12, reasoning_tokens=5)
    assert response.usage.total_tokens == 21


def test_aggregate_truncated_stream_and_empty_text() -> None:
    events: list[ir.StreamEvent] = [
        ir.StreamStart("r", "m"),
        ir.BlockStart(0, ir.TextPart("")),
        ir.BlockStop(0),
        ir.BlockStart(1, ir.TextPart("")),
        ir.BlockDelta(1, text="partial"),
    ]
    response = aggregate(events)
    assert response.content == [ir.TextPart("partial")]
    assert response.stop_reason is None


def test_aggregate_error_raises_with_partial() -> None:
    err = ir.ErrorInfo(status=429, kind="rate_limit", message="slow down")
    events: list[ir.StreamEvent] = [
        ir.StreamStart("r", "m"),
        ir.BlockStart(0, ir.TextPart("")),
        ir.BlockDelta(0, text="so far"),
        ir.StreamError(err),
    ]
    with pytest.raises(StreamFailed) as info:
        aggregate(events)
    assert info.value.error is err
    assert info.value.partial.content == [ir.TextPart("so far")]


def test_synthesize_skips_what_streams_cannot_carry() -> None:
    response = ir.Response(
        id="x",
        model="m",
        content=[ir.TextPart(""), ir.TextPart("hi")],
        stop_reason=None,
    )
    events = synthesize(response)
    assert_sequential(events)
    assert [type(e).__name__ for e in events] == [
        "StreamStart",
        "BlockStart",
        "BlockDelta",
        "BlockStop",
        "UsageUpdate",
        "StreamEnd",
    ]
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "end_turn"


def test_aggregate_keeps_content_put_on_the_skeleton() -> None:
    events: list[ir.StreamEvent] = [
        ir.StreamStart("r", "m"),
        ir.BlockStart(0, ir.ToolCallPart("c", "f", '{"a":')),
        ir.BlockDelta(0, arguments="1}"),
        ir.BlockStart(1, ir.TextPart("Hel")),
        ir.BlockDelta(1, text="lo"),
        ir.StreamEnd("tool_use"),
    ]
    response = aggregate(events)
    assert response.content == [ir.ToolCallPart("c", "f", '{"a":1}'), ir.TextPart("Hello")]
