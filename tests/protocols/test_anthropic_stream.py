"""Anthropic stream decoder and encoder, judged by the recorded wire and the official SDK.

Decoder: every recorded Anthropic stream (and our own transcripts) decodes into a valid IR
stream whose text, tool calls, thinking + signatures, stop reason and usage agree with what the
``anthropic`` SDK itself accumulates from the same bytes. Encoder: IR streams re-encoded as
Anthropic events are accumulated by the SDK (``accumulate_event`` over strictly validated
``RawMessageStreamEvent``s, and the whole ``MessageStream`` through a mock transport) into the
same message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import RawMessageStreamEvent
from pydantic import TypeAdapter

from gatewayctl.protocols import ir
from gatewayctl.protocols.anthropic import CODEC
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.sse import SSEParser, encode_sse_json
from tests.conftest import FIXTURES, RECORDED

RECORDED_STREAMS = sorted((RECORDED / "anthropic").glob("*.sse"))
OWN = FIXTURES / "anthropic"
OWN_STREAMS = sorted(OWN.glob("*_stream.sse"))
ALL_STREAMS = RECORDED_STREAMS + OWN_STREAMS
EVENT = TypeAdapter(RawMessageStreamEvent)
KEPT_BLOCKS = ("text", "thinking", "redacted_thinking", "tool_use")


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def wire_events(raw: bytes, chunk: int | None = None) -> list[WireEvent]:
    parser = SSEParser()
    events = []
    step = chunk or len(raw) or 1
    for i in range(0, len(raw), step):
        events += parser.feed(raw[i : i + step])
    events += parser.close()
    return [WireEvent(json.loads(e.data), e.event) for e in events if not e.comment]


def decode(events: list[WireEvent]) -> list[ir.StreamEvent]:
    decoder = CODEC.stream_decoder()
    out: list[ir.StreamEvent] = []
    for event in events:
        out += decoder.feed(event)
    return out + decoder.finish()


def encode(events: list[ir.StreamEvent], **options: Any) -> list[WireEvent]:
    encoder = CODEC.stream_encoder(EncoderOptions(**options))
    out: list[WireEvent] = []
    for event in events:
        out += encoder.feed(event)
    return out + encoder.finish()


def check_ir_contract(events: list[ir.StreamEvent]) -> None:
    """One StreamStart first; blocks 0,1,2… opened once, deltas/stops only for open blocks;
    exactly one terminal event, last."""
    assert isinstance(events[0], ir.StreamStart)
    assert sum(isinstance(e, ir.StreamStart) for e in events) == 1
    terminals = [e for e in events if isinstance(e, ir.StreamEnd | ir.StreamError)]
    assert len(terminals) == 1 and events[-1] is terminals[0]
    opened: list[int] = []
    open_now: set[int] = set()
    for event in events:
        if isinstance(event, ir.BlockStart):
            assert event.index == len(opened), "indexes in order of first appearance"
            opened.append(event.index)
            open_now.add(event.index)
        elif isinstance(event, ir.BlockDelta):
            assert event.index in open_now
        elif isinstance(event, ir.BlockStop):
            open_now.remove(event.index)
    if isinstance(events[-1], ir.StreamEnd):
        assert not open_now, "StreamEnd closes every block"


def collect(events: list[ir.StreamEvent]) -> list[ir.TextPart | ir.ReasoningPart | ir.ToolCallPart]:
    """Rebuild the parts of a decoded IR stream (the aggregation a consumer would do)."""
    parts: dict[int, Any] = {}
    for event in events:
        if isinstance(event, ir.BlockStart):
            parts[event.index] = event.part
        elif isinstance(event, ir.BlockDelta):
            part = parts[event.index]
            if isinstance(part, ir.ToolCallPart):
                part.arguments += event.arguments
            else:
                part.text += event.text
            for family, data in (event.provider_data or {}).items():
                part.provider_data.setdefault(family, {}).update(data)
    return [parts[i] for i in sorted(parts)]


def sdk_accumulate(events: list[WireEvent]) -> Any:
    """The SDK's own MessageStream accumulation over strictly validated events."""
    snapshot = None
    bufs: dict[int, bytes] = {}
    for event in events:
        assert isinstance(event.data, dict)
        if event.data["type"] in ("ping", "error"):
            continue
        parsed = EVENT.validate_python(event.data)
        snapshot = accumulate_event(event=parsed, current_snapshot=snapshot, json_bufs=bufs)
    return snapshot


def sdk_accumulate_lenient(events: list[WireEvent]) -> Any:
    """The SDK accumulation of a *recorded* stream (block types newer than the SDK allowed)."""
    snapshot = None
    bufs: dict[int, bytes] = {}
    for event in events:
        if event.data["type"] in ("ping", "error"):
            continue
        try:
            snapshot = accumulate_event(event=event.data, current_snapshot=snapshot, json_bufs=bufs)
        except (IndexError, ValueError):
            pass  # the synthetic out-of-order / truncated-JSON fixtures trip the SDK itself
    return snapshot


def summary(message: Any) -> dict[str, Any]:
    """What must survive: the representable blocks, stop reason and usage of an SDK message."""
    blocks = []
    for block in message.content:
        if block.type == "text":
            if block.text:
                blocks.append(("text", block.text))
        elif block.type == "thinking":
            blocks.append(("thinking", block.thinking, block.signature))
        elif block.type == "redacted_thinking":
            blocks.append(("redacted_thinking", block.data))
        elif block.type == "tool_use":
            blocks.append(("tool_use", block.id, block.name, block.input))
    usage = message.usage
    return {
        "blocks": blocks,
        "stop_reason": message.stop_reason,
        "usage": (
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_input_tokens or 0,
            usage.cache_creation_input_tokens or 0,
        ),
    }


def wire_bytes(events: list[WireEvent]) -> bytes:
    out = b""
    for e in events:
        assert isinstance(e.data, dict)
        out += encode_sse_json(e.data, e.event)
    return out


def sdk_client(body: bytes, status: int = 200) -> anthropic.Anthropic:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, content=body, headers={"content-type": "text/event-stream"})

    return anthropic.Anthropic(
        api_key="test",
        base_url="http://127.0.0.1:9",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=0,
    )


def stream_final_message(body: bytes) -> tuple[Any, str]:
    client = sdk_client(body)
    with client.messages.stream(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        return stream.get_final_message(), text


def name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


# --------------------------------------------------------------------------------------
# decoder over recorded and own transcripts
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_STREAMS, ids=name)
def test_decoded_stream_agrees_with_sdk_accumulation(path: Path) -> None:
    wire = wire_events(path.read_bytes())
    events = decode(wire)
    check_ir_contract(events)
    parts = collect(events)
    end = events[-1]
    expected = sdk_accumulate_lenient(wire)
    if isinstance(end, ir.StreamError):
        return  # checked in its own test
    assert isinstance(end, ir.StreamEnd)
    kept = [b for b in expected.content if b.type in KEPT_BLOCKS]
    assert len(parts) == len(kept)
    for part, block in zip(parts, kept, strict=True):
        if block.type == "text":
            assert isinstance(part, ir.TextPart) and part.text == block.text
        elif block.type == "thinking":
            assert isinstance(part, ir.ReasoningPart) and part.text == block.thinking
            sig = part.provider_data.get("anthropic", {}).get("signature", "")
            assert sig == block.signature
        elif block.type == "redacted_thinking":
            assert isinstance(part, ir.ReasoningPart) and part.redacted
            assert part.provider_data["anthropic"]["redacted_data"] == block.data
        else:
            assert isinstance(part, ir.ToolCallPart)
            assert (part.id, part.name) == (block.id, block.name)
            if expected.stop_reason != "max_tokens":
                assert json.loads(part.arguments or "{}") == block.input
    assert end.stop_reason == (expected.stop_reason if expected.stop_reason else None)
    assert end.usage is not None
    u = expected.usage
    cache_read = u.cache_read_input_tokens or 0
    cache_write = u.cache_creation_input_tokens or 0
    assert end.usage.input_tokens == u.input_tokens + cache_read + cache_write
    assert end.usage.output_tokens == u.output_tokens
    assert (end.usage.cache_read_tokens or 0) == cache_read


@pytest.mark.parametrize("path", OWN_STREAMS + RECORDED_STREAMS[:4], ids=name)
def test_decoder_same_events_for_any_chunking(path: Path) -> None:
    raw = path.read_bytes()
    whole = decode(wire_events(raw))
    for size in (1, 2, 3, 7, 64):
        assert decode(wire_events(raw, chunk=size)) == whole


def test_text_then_tool_use_details() -> None:
    raw = (RECORDED / "anthropic" / "text_then_tool_use_stream.sse").read_bytes()
    events = decode(wire_events(raw))
    start = events[0]
    assert isinstance(start, ir.StreamStart)
    assert (start.id, start.model) == ("msg_019Q1hrJbZG26Fb9BQhrkHEr", "claude-sonnet-4-20250514")
    assert start.usage is not None and start.usage.input_tokens == 377
    text, call = collect(events)
    assert (
        isinstance(text, ir.TextPart)
        and text.text == "I'll check the current weather in Paris for you."
    )
    assert isinstance(call, ir.ToolCallPart)
    assert (call.id, call.name) == ("toolu_01NRLabsLyVHZPKxbKvkfSMn", "get_weather")
    assert call.arguments == '{"location": "Paris"}'
    fragments = [e.arguments for e in events if isinstance(e, ir.BlockDelta) and e.index == 1]
    assert fragments == ['{"locati', 'on": "P', "ar", 'is"}']  # in order, "" fragment dropped
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "tool_use"


def test_thinking_parallel_tools_and_cache_usage() -> None:
    events = decode(wire_events((OWN / "thinking_parallel_tool_use_stream.sse").read_bytes()))
    start = events[0]
    assert isinstance(start, ir.StreamStart) and start.usage is not None
    assert start.usage.input_tokens == 52 + 310 + 2048
    assert (start.usage.cache_read_tokens, start.usage.cache_creation_tokens) == (2048, 310)
    thinking, text, paris, rome = collect(events)
    assert isinstance(thinking, ir.ReasoningPart)
    assert thinking.text == "Two cities, so two parallel calls."
    assert thinking.provider_data["anthropic"]["signature"].startswith("EuYBCkQI")
    assert isinstance(text, ir.TextPart) and text.text == "Checking Paris and Rome — één moment."
    assert isinstance(paris, ir.ToolCallPart) and isinstance(rome, ir.ToolCallPart)
    assert json.loads(paris.arguments) == {"city": "Paris", "units": "c"}
    assert json.loads(rome.arguments) == {"city": "Rome", "units": "c"}
    assert paris.id != rome.id
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.usage == ir.Usage(2410, 118, 2048, 310, 21)


def test_truncated_tool_json_is_closed_and_kept_verbatim() -> None:
    raw = (RECORDED / "anthropic" / "tool_use_max_tokens_truncated_json_stream.sse").read_bytes()
    events = decode(wire_events(raw))
    check_ir_contract(events)
    _, call = collect(events)
    assert isinstance(call, ir.ToolCallPart) and call.name == "make_file"
    assert call.arguments.startswith('{"filename": "taxes.txt", "lines_of_text": [')
    assert call.arguments.endswith('\n"Filing taxes')
    stops = [e for e in events if isinstance(e, ir.BlockStop)]
    assert [s.index for s in stops] == [0, 1]  # the missing content_block_stop is supplied
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "max_tokens"
    assert end.usage is not None and end.usage.output_tokens == 124


def test_out_of_order_index_and_refusal() -> None:
    events = decode(
        wire_events((RECORDED / "anthropic" / "synthetic_out_of_order_stream.sse").read_bytes())
    )
    check_ir_contract(events)
    assert [e.index for e in events if isinstance(e, ir.BlockStart)] == [0]  # wire index 1 → 0
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason is None
    events = decode(
        wire_events(
            (RECORDED / "anthropic" / "synthetic_refusal_stop_details_stream.sse").read_bytes()
        )
    )
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "refusal"


def test_server_tool_blocks_are_skipped_not_fatal() -> None:
    raw = (RECORDED / "anthropic" / "web_search_pause_turn_stream.sse").read_bytes()
    events = decode(wire_events(raw))
    check_ir_contract(events)
    parts = collect(events)
    assert (
        isinstance(parts[0], ir.ReasoningPart) and parts[0].provider_data["anthropic"]["signature"]
    )
    assert all(isinstance(p, ir.TextPart | ir.ReasoningPart) for p in parts)
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "pause_turn"
    assert end.usage is not None and end.usage.reasoning_tokens == 261
    compaction = collect(
        decode(wire_events((RECORDED / "anthropic" / "compaction_stream.sse").read_bytes()))
    )
    assert [p.text for p in compaction if isinstance(p, ir.TextPart)] == ["Hello! 👋"]


def test_redacted_thinking_blocks_keep_their_data() -> None:
    parts = collect(
        decode(wire_events((RECORDED / "anthropic" / "redacted_thinking_stream.sse").read_bytes()))
    )
    redacted = [p for p in parts if isinstance(p, ir.ReasoningPart)]
    assert len(redacted) == 2 and all(p.redacted for p in redacted)
    assert all(p.provider_data["anthropic"]["redacted_data"].startswith("Eq") for p in redacted[:1])


def test_error_mid_stream() -> None:
    decoder = CODEC.stream_decoder()
    events: list[ir.StreamEvent] = []
    for event in wire_events((OWN / "error_mid_stream.sse").read_bytes()):
        events += decoder.feed(event)
    assert [type(e).__name__ for e in events] == [
        "StreamStart",
        "BlockStart",
        "BlockDelta",
        "StreamError",
    ]
    error = events[-1]
    assert isinstance(error, ir.StreamError)
    assert (error.error.kind, error.error.status, error.error.message) == (
        "overloaded",
        529,
        "Overloaded",
    )
    assert decoder.feed(WireEvent({"type": "message_stop"}, "message_stop")) == []
    assert decoder.finish() == []


def test_decoder_tolerates_oddities() -> None:
    decoder = CODEC.stream_decoder()
    feed = decoder.feed
    start = {"type": "message_start", "message": {"id": "msg_1", "model": "m", "usage": {}}}
    assert [type(e).__name__ for e in feed(WireEvent(start, "message_start"))] == ["StreamStart"]
    assert feed(WireEvent({"type": "ping"}, "ping")) == []
    assert feed(WireEvent("not json", None)) == []
    assert feed(WireEvent({"type": "future_event", "x": 1}, "future_event")) == []
    # a text delta for a block that never started opens one
    out = feed(
        WireEvent(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "hi"},
            }
        )
    )
    assert out == [ir.BlockStart(0, ir.TextPart("")), ir.BlockDelta(0, text="hi")]
    # a tool_use with its whole input at start, and no stop before the next block
    tool = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}
    out = feed(WireEvent({"type": "content_block_start", "index": 1, "content_block": tool}))
    assert out[0] == ir.BlockStop(0)
    assert out[2] == ir.BlockDelta(1, arguments='{"a": 1}')
    # an unknown delta type and a delta for a skipped server block are ignored
    server = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    out = feed(WireEvent({"type": "content_block_start", "index": 2, "content_block": server}))
    assert out == [ir.BlockStop(1)]
    delta = {"type": "input_json_delta", "partial_json": '{"q": 1}'}
    assert feed(WireEvent({"type": "content_block_delta", "index": 2, "delta": delta})) == []
    # truncated: no message_delta/message_stop → finish() ends the stream
    end = decoder.finish()
    assert end == [ir.StreamEnd(None, None, None)]
    assert decoder.finish() == []


def test_decoder_finish_without_any_event_still_honours_the_contract() -> None:
    events = CODEC.stream_decoder().finish()
    check_ir_contract(events)


# --------------------------------------------------------------------------------------
# encoder judged by the SDK
# --------------------------------------------------------------------------------------


def check_wire_shape(events: list[WireEvent]) -> None:
    types = [e.data["type"] for e in events if isinstance(e.data, dict)]
    assert types[0] == "message_start" and types[-1] in ("message_stop", "error")
    assert types.count("message_start") == 1
    assert types.count("message_stop") + types.count("error") == 1
    assert all(e.event == e.data["type"] for e in events if isinstance(e.data, dict))
    open_index = None
    seen = -1
    for e in events:
        data = e.data
        assert isinstance(data, dict)
        if data["type"] == "content_block_start":
            assert open_index is None, "one block at a time"
            assert data["index"] == seen + 1, "indexes 0..n"
            open_index = seen = data["index"]
        elif data["type"] == "content_block_delta":
            assert data["index"] == open_index
        elif data["type"] == "content_block_stop":
            assert data["index"] == open_index
            open_index = None
        elif data["type"] in ("message_delta", "message_stop"):
            assert open_index is None


@pytest.mark.parametrize("path", ALL_STREAMS, ids=name)
def test_reencoded_stream_rebuilds_the_same_message_in_the_sdk(path: Path) -> None:
    wire = wire_events(path.read_bytes())
    ours = encode(decode(wire))
    check_wire_shape(ours)
    if ours[-1].data["type"] == "error":
        return
    expected = summary(sdk_accumulate_lenient(wire))
    got = summary(sdk_accumulate(ours))
    if expected["stop_reason"] == "max_tokens":  # truncated JSON: compare the text blocks only
        expected["blocks"] = [b for b in expected["blocks"] if b[0] != "tool_use"]
        got["blocks"] = [b for b in got["blocks"] if b[0] != "tool_use"]
    if expected["stop_reason"] is None:  # the synthetic stream never says why it ended
        expected["stop_reason"] = "end_turn"
    assert got == expected


def test_full_sdk_message_stream_over_a_mock_transport() -> None:
    events = decode(wire_events((OWN / "thinking_parallel_tool_use_stream.sse").read_bytes()))
    body = wire_bytes(encode(events, model="claude-sonnet-4-5"))
    message, text = stream_final_message(body)
    assert text == "Checking Paris and Rome — één moment."
    assert message.model == "claude-sonnet-4-5"
    assert message.id == "msg_01ParallelThinking7Q"
    assert message.stop_reason == "tool_use"
    thinking, _, paris, rome = message.content
    assert thinking.type == "thinking" and thinking.signature.startswith("EuYBCkQI")
    assert (paris.name, paris.input) == ("get_weather", {"city": "Paris", "units": "c"})
    assert (rome.id, rome.input) == (
        "toolu_01Rome00000000000000002",
        {"city": "Rome", "units": "c"},
    )
    u = message.usage
    assert (u.input_tokens, u.cache_read_input_tokens, u.cache_creation_input_tokens) == (
        52,
        2048,
        310,
    )
    assert u.output_tokens == 118 and u.output_tokens_details.thinking_tokens == 21


def test_error_mid_stream_reaches_the_sdk_as_an_api_error() -> None:
    events = decode(wire_events((OWN / "error_mid_stream.sse").read_bytes()))
    ours = encode(events)
    check_wire_shape(ours)
    assert ours[-1].data == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    client = sdk_client(wire_bytes(ours))
    received = []
    with pytest.raises(anthropic.APIStatusError) as info:
        with client.messages.stream(
            model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            for chunk in stream.text_stream:
                received.append(chunk)
    assert received == ["Once upon a"]
    assert info.value.body["error"]["type"] == "overloaded_error"


# --------------------------------------------------------------------------------------
# encoder from hand-built IR (what other protocols' decoders produce)
# --------------------------------------------------------------------------------------


def test_foreign_reasoning_has_no_fabricated_signature_and_empty_blocks_vanish() -> None:
    events: list[ir.StreamEvent] = [
        ir.StreamStart("chatcmpl-9x", "gpt-5", usage=None),
        ir.BlockStart(0, ir.ReasoningPart()),
        ir.BlockDelta(0, text="Thinking in another family."),
        ir.BlockDelta(0, provider_data={"gemini": {"thoughtSignature": "c2lnbmF0dXJl"}}),
        ir.BlockStop(0),
        ir.BlockStart(
            1,
            ir.ReasoningPart(
                redacted=True, provider_data={"openai_responses": {"encrypted_content": "gAAA"}}
            ),
        ),
        ir.BlockStop(1),
        ir.BlockStart(2, ir.TextPart("")),
        ir.BlockStop(2),  # an empty upstream text block
        ir.BlockStart(3, ir.ToolCallPart("call_abc.def:1", "lookup")),
        ir.BlockDelta(3, arguments='{"q": '),
        ir.BlockDelta(3, arguments='"x"}'),
        ir.BlockStop(3),
        ir.StreamEnd(
            "end_turn", usage=ir.Usage(input_tokens=30, output_tokens=9, cache_read_tokens=10)
        ),
    ]
    ours = encode(events, input_tokens_estimate=25)
    check_wire_shape(ours)
    assert "signature_delta" not in json.dumps([e.data for e in ours])
    start = ours[0].data
    assert start["message"]["id"] == "msg_chatcmpl-9x"
    assert start["message"]["usage"]["input_tokens"] == 25  # estimate: upstream had not told
    message = sdk_accumulate(ours)
    thinking, call = message.content
    assert (thinking.type, thinking.thinking, thinking.signature) == (
        "thinking",
        "Thinking in another family.",
        "",
    )
    assert (call.id, call.input) == ("call_abc_def_1", {"q": "x"})
    assert message.stop_reason == "tool_use"  # a turn that called tools
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (20, 10)
    assert message.usage.output_tokens == 9


def test_signed_thinking_from_anthropic_replays_its_signature() -> None:
    sig = {"anthropic": {"signature": "EqQBCkYI"}}
    events: list[ir.StreamEvent] = [
        ir.StreamStart(
            "msg_1", "claude", usage=ir.Usage(input_tokens=100, cache_creation_tokens=40)
        ),
        ir.BlockStart(0, ir.ReasoningPart(provider_data=sig)),  # signature known up front
        ir.BlockDelta(0, text="plan"),
        ir.BlockStop(0),
        ir.BlockStart(1, ir.ReasoningPart(provider_data={"anthropic": {"signature": "EqQBsig2"}})),
        ir.BlockStop(1),  # signed, no visible text (display: omitted) → still replayed
        ir.BlockStart(
            2,
            ir.ReasoningPart(redacted=True, provider_data={"anthropic": {"redacted_data": "EmwK"}}),
        ),
        ir.BlockStop(2),
        ir.BlockStart(3, ir.TextPart("Done")),
        ir.BlockStop(3),
        ir.StreamEnd("stop_sequence", "\n\nUser:", ir.Usage(output_tokens=12)),
    ]
    ours = encode(events)
    check_wire_shape(ours)
    assert ours[0].data["message"]["usage"] == {
        "input_tokens": 60,
        "output_tokens": 1,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 40,
    }
    message = sdk_accumulate(ours)
    assert summary(message)["blocks"] == [
        ("thinking", "plan", "EqQBCkYI"),
        ("thinking", "", "EqQBsig2"),
        ("redacted_thinking", "EmwK"),
        ("text", "Done"),
    ]
    assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", "\n\nUser:")
    assert (message.usage.input_tokens, message.usage.output_tokens) == (60, 12)


def test_encoder_finish_terminates_unfinished_streams() -> None:
    # upstream died mid tool call: the block is closed and the stream terminated
    events: list[ir.StreamEvent] = [
        ir.StreamStart("msg_2", "m"),
        ir.BlockStart(0, ir.ToolCallPart("toolu_9", "f")),
        ir.BlockDelta(0, arguments='{"a": 1}'),
    ]
    ours = encode(events)
    check_wire_shape(ours)
    assert [e.data["type"] for e in ours[-3:]] == [
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert ours[-2].data["delta"]["stop_reason"] == "tool_use"
    # nothing at all arrived: still a complete (empty) message
    ours = encode([], model="claude-x")
    check_wire_shape(ours)
    message = sdk_accumulate(ours)
    assert (message.model, message.content, message.stop_reason) == ("claude-x", [], "end_turn")


def test_encoder_stream_error_and_reasons() -> None:
    error = ir.StreamError(ir.ErrorInfo(429, "rate_limit", "slow down"))
    ours = encode([ir.StreamStart("msg_3", "m"), ir.BlockStart(0, ir.TextPart("a")), error])
    check_wire_shape(ours)
    assert ours[-1] == WireEvent(
        {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}, "error"
    )
    for reason, wire in (
        ("content_filter", "refusal"),
        ("max_tokens", "max_tokens"),
        ("error", "end_turn"),
        ("pause_turn", "pause_turn"),
    ):
        ours = encode([ir.StreamStart("m", "m"), ir.StreamEnd(reason)])  # type: ignore[arg-type]
        assert ours[-2].data["delta"]["stop_reason"] == wire
    # events after the terminal one are ignored
    encoder = CODEC.stream_encoder(EncoderOptions())
    encoder.feed(ir.StreamStart("m", "m"))
    encoder.feed(ir.StreamEnd("end_turn"))
    assert encoder.feed(ir.BlockStart(0, ir.TextPart("late"))) == []
    assert encoder.finish() == []


def test_encoder_without_stream_start_synthesises_message_start() -> None:
    ours = encode(
        [
            ir.BlockStart(0, ir.TextPart("")),
            ir.BlockDelta(0, text="hi"),
            ir.BlockStop(0),
            ir.StreamEnd("end_turn"),
        ],
        model="claude-y",
    )
    check_wire_shape(ours)
    message, text = stream_final_message(wire_bytes(ours))
    assert text == "hi" and message.model == "claude-y" and message.id.startswith("msg_")


def test_free_form_tool_text_is_streamed_as_a_json_string() -> None:
    patch = '*** Begin Patch\n*** Add File: "a.txt"\n+héllo \\ world\n*** End Patch'
    events: list[ir.StreamEvent] = [
        ir.StreamStart("resp_1", "gpt-5"),
        ir.BlockStart(0, ir.ToolCallPart("call_p", "apply_patch", kind="custom")),
        ir.BlockDelta(0, arguments=patch[:20]),
        ir.BlockDelta(0, arguments=patch[20:]),
        ir.BlockStop(0),
        ir.StreamEnd("tool_use"),
    ]
    ours = encode(events)
    check_wire_shape(ours)
    (call,) = sdk_accumulate(ours).content
    assert (call.name, call.input) == ("apply_patch", {"input": patch})
