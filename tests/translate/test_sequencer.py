"""Sequencer: any valid IR stream in, a strictly sequential one out."""

from __future__ import annotations

from gatewayctl.protocols import ir
from gatewayctl.protocols.usage import merge_usage
from gatewayctl.translate.stream import Sequencer, sequence_blocks


def assert_sequential(events: list[ir.StreamEvent]) -> None:
    """One start first, one terminal last, blocks start→deltas→stop, indexes 0..n."""
    if len(events) == 1 and isinstance(events[0], ir.StreamError):
        return  # an error before anything started is passed alone
    assert isinstance(events[0], ir.StreamStart)
    assert sum(isinstance(e, ir.StreamStart) for e in events) == 1
    assert isinstance(events[-1], ir.StreamEnd | ir.StreamError)
    assert sum(isinstance(e, ir.StreamEnd | ir.StreamError) for e in events) == 1
    open_index: int | None = None
    next_index = 0
    for e in events:
        if isinstance(e, ir.BlockStart):
            assert open_index is None, f"block {e.index} started while {open_index} open"
            assert e.index == next_index
            open_index = e.index
            next_index += 1
        elif isinstance(e, ir.BlockDelta):
            assert e.index == open_index
        elif isinstance(e, ir.BlockStop):
            assert e.index == open_index
            open_index = None
        elif isinstance(e, ir.StreamEnd | ir.StreamError):
            assert open_index is None


def blocks_of(events: list[ir.StreamEvent]) -> list[tuple[str, str]]:
    """(kind/name, accumulated content) per output block, in order."""
    parts: dict[int, list[str]] = {}
    heads: dict[int, str] = {}
    for e in events:
        if isinstance(e, ir.BlockStart):
            p = e.part
            heads[e.index] = f"call:{p.name}:{p.id}" if isinstance(p, ir.ToolCallPart) else p.type
            parts[e.index] = []
        elif isinstance(e, ir.BlockDelta):
            parts[e.index].append(e.text or e.arguments)
    return [(heads[i], "".join(parts[i])) for i in sorted(heads)]


def start() -> ir.StreamStart:
    return ir.StreamStart(id="r1", model="m")


def test_interleaved_parallel_tool_calls_become_sequential_in_order() -> None:
    events: list[ir.StreamEvent] = [
        start(),
        ir.BlockStart(0, ir.TextPart("")),
        ir.BlockDelta(0, text="Let me check "),
        ir.BlockDelta(0, text="both."),
        ir.BlockStart(1, ir.ToolCallPart("call_a", "weather")),
        ir.BlockStart(2, ir.ToolCallPart("call_b", "time")),
        ir.BlockDelta(1, arguments='{"city":'),
        ir.BlockDelta(2, arguments='{"tz":'),
        ir.BlockDelta(1, arguments='"Paris"}'),
        ir.BlockDelta(2, arguments='"CET"}'),
        ir.UsageUpdate(ir.Usage(input_tokens=10, output_tokens=5)),
        ir.StreamEnd("tool_use"),
    ]
    out = sequence_blocks(events)
    assert_sequential(out)
    assert blocks_of(out) == [
        ("text", "Let me check both."),
        ("call:weather:call_a", '{"city":"Paris"}'),
        ("call:time:call_b", '{"tz":"CET"}'),
    ]
    # fragments are kept one by one, not merged
    args = [e.arguments for e in out if isinstance(e, ir.BlockDelta) and e.index == 1]
    assert args == ['{"city":', '"Paris"}']
    end = out[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "tool_use"
    assert end.usage == ir.Usage(input_tokens=10, output_tokens=5)


def test_incremental_output_streams_the_open_call_live() -> None:
    seq = Sequencer()
    assert seq.feed(start()) == []  # held until the next event
    out = seq.feed(ir.BlockStart(5, ir.ToolCallPart("c1", "a")))
    assert out == [start(), ir.BlockStart(0, ir.ToolCallPart("c1", "a"))]
    assert seq.feed(ir.BlockDelta(5, arguments="{")) == [ir.BlockDelta(0, arguments="{")]
    # a second call is buffered while the first is open
    assert seq.feed(ir.BlockStart(9, ir.ToolCallPart("c2", "b"))) == []
    assert seq.feed(ir.BlockDelta(9, arguments="{}")) == []
    assert seq.feed(ir.BlockDelta(5, arguments="}")) == [ir.BlockDelta(0, arguments="}")]
    out = seq.feed(ir.BlockStop(5))
    assert out == [
        ir.BlockStop(0),
        ir.BlockStart(1, ir.ToolCallPart("c2", "b")),
        ir.BlockDelta(1, arguments="{}"),
    ]
    out = seq.feed(ir.StreamEnd("tool_use"))
    assert out == [ir.BlockStop(1), ir.StreamEnd("tool_use", None, None)]
    assert seq.feed(ir.BlockDelta(9, text="late")) == []
    assert seq.finish() == []


def test_unstopped_text_is_closed_when_another_block_starts_and_continues_after() -> None:
    events: list[ir.StreamEvent] = [
        start(),
        ir.BlockStart(0, ir.ReasoningPart()),
        ir.BlockDelta(0, text="think"),
        ir.BlockStart(1, ir.TextPart("")),
        ir.BlockDelta(1, text="Hello "),
        ir.BlockStart(2, ir.ToolCallPart("c", "f")),
        ir.BlockDelta(2, arguments="{}"),
        ir.BlockDelta(1, text="again"),  # text after the call started: continues later
        ir.StreamEnd("end_turn"),
    ]
    out = sequence_blocks(events)
    assert_sequential(out)
    assert blocks_of(out) == [
        ("reasoning", "think"),
        ("text", "Hello "),
        ("call:f:c", "{}"),
        ("text", "again"),
    ]
    end = out[-1]
    assert isinstance(end, ir.StreamEnd)
    assert end.stop_reason == "tool_use"  # tool calls were made


def test_text_order_is_kept_across_buffering() -> None:
    events: list[ir.StreamEvent] = [
        start(),
        ir.BlockStart(0, ir.ToolCallPart("c1", "f")),
        ir.BlockStart(1, ir.TextPart("")),
        ir.BlockDelta(1, text="one "),
        ir.BlockStart(2, ir.TextPart("")),
        ir.BlockDelta(2, text="two "),
        ir.BlockDelta(1, text="one-b "),
        ir.BlockDelta(0, arguments="{}"),
        ir.BlockStop(0),
        ir.BlockDelta(2, text="three"),
    ]
    out = sequence_blocks(events)
    assert_sequential(out)
    texts = "".join(e.text for e in out if isinstance(e, ir.BlockDelta))
    assert texts == "one one-b two three"
    assert isinstance(out[-1], ir.StreamEnd) and out[-1].stop_reason is None


def test_unknown_indexes_missing_start_and_missing_end() -> None:
    events: list[ir.StreamEvent] = [
        ir.BlockDelta(3, text="orphan text"),
        ir.BlockDelta(4, arguments='{"x":1}'),
        ir.BlockStop(77),  # stop for nothing: ignored
    ]
    out = sequence_blocks(events)
    assert_sequential(out)
    heads = blocks_of(out)
    assert heads[0] == ("text", "orphan text")
    assert heads[1][0].startswith("call::call_gen") and heads[1][1] == '{"x":1}'
    assert isinstance(out[0], ir.StreamStart) and out[0].id.startswith("gen-")


def test_error_closes_blocks_and_ends_stream() -> None:
    err = ir.ErrorInfo(status=529, kind="overloaded", message="Overloaded")
    events: list[ir.StreamEvent] = [
        start(),
        ir.BlockStart(0, ir.ToolCallPart("c1", "f")),
        ir.BlockStart(1, ir.ToolCallPart("c2", "g")),
        ir.BlockDelta(0, arguments='{"a"'),
        ir.StreamError(err),
        ir.BlockDelta(0, arguments=":1}"),
        ir.StreamEnd("end_turn"),
    ]
    out = sequence_blocks(events)
    assert_sequential(out)
    assert out[-1] == ir.StreamError(err)
    assert [h for h, _ in blocks_of(out)] == ["call:f:c1", "call:g:c2"]


def test_duplicate_start_and_stop_after_close() -> None:
    seq = Sequencer()
    out = seq.feed(start()) + seq.feed(ir.StreamStart(id="x", model="y", usage=ir.Usage(1)))
    assert out == []
    out = seq.feed(ir.BlockStart(0, ir.ToolCallPart("c", "f")))
    assert out[0] == ir.StreamStart("r1", "m", usage=ir.Usage(input_tokens=1))
    out = out[1:]
    out += seq.feed(ir.BlockStart(0, ir.ToolCallPart("c", "f", provider_data={"gemini": {"s": 1}})))
    out += seq.feed(ir.BlockStop(0))
    out += seq.feed(ir.BlockStop(0))
    out += seq.feed(ir.BlockDelta(0, arguments="late"))  # after the call was emitted: dropped
    assert [type(e).__name__ for e in out] == ["BlockStart", "BlockStop"]
    start_event = out[0]
    assert isinstance(start_event, ir.BlockStart)
    assert start_event.part.provider_data == {"gemini": {"s": 1}}


def test_provider_data_deltas_pass_through() -> None:
    sig = {"anthropic": {"signature": "EqQB"}}
    out = sequence_blocks(
        [
            start(),
            ir.BlockStart(7, ir.ReasoningPart()),
            ir.BlockDelta(7, text="hmm"),
            ir.BlockDelta(7, provider_data=sig),
            ir.BlockStop(7),
            ir.StreamEnd("end_turn"),
        ]
    )
    assert ir.BlockDelta(0, provider_data=sig) in out


def test_usage_snapshots_merge_field_by_field() -> None:
    out = sequence_blocks(
        [
            ir.StreamStart("r", "m", usage=ir.Usage(input_tokens=50, cache_read_tokens=20)),
            ir.UsageUpdate(ir.Usage(output_tokens=3)),
            ir.UsageUpdate(ir.Usage(output_tokens=87, reasoning_tokens=10)),
            ir.StreamEnd("end_turn", usage=ir.Usage(output_tokens=90)),
        ]
    )
    updates = [e.usage for e in out if isinstance(e, ir.UsageUpdate)]
    assert updates[-1] == ir.Usage(
        input_tokens=50, output_tokens=87, cache_read_tokens=20, reasoning_tokens=10
    )
    end = out[-1]
    assert isinstance(end, ir.StreamEnd)
    assert end.usage == ir.Usage(
        input_tokens=50, output_tokens=90, cache_read_tokens=20, reasoning_tokens=10
    )
    assert merge_usage(None, None) is None


def test_empty_input_still_gets_start_and_end() -> None:
    out = sequence_blocks([])
    assert len(out) == 2
    assert isinstance(out[0], ir.StreamStart) and isinstance(out[1], ir.StreamEnd)


def test_error_as_first_event_is_passed_alone() -> None:
    err = ir.ErrorInfo(status=404, kind="not_found", message="no such model")
    out = sequence_blocks([ir.StreamError(err), ir.StreamStart("r", "m")])
    assert out == [ir.StreamError(err)]


def test_error_right_after_start_replaces_the_stream() -> None:
    err = ir.ErrorInfo(status=429, kind="rate_limit", message="quota")
    out = sequence_blocks([start(), ir.StreamError(err)])
    assert out == [ir.StreamError(err)]
    late = sequence_blocks([start(), ir.UsageUpdate(ir.Usage(1)), ir.StreamError(err)])
    assert isinstance(late[0], ir.StreamStart) and late[-1] == ir.StreamError(err)
    seq = Sequencer()
    seq.feed(start())
    assert seq.finish() == [start(), ir.StreamEnd(None, None, None)]
