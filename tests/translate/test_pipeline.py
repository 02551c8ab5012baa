"""StreamTranslator / StreamAggregator plumbing, driven through a toy IR-JSON codec."""

from __future__ import annotations

import json

import pytest

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.sse import JsonStreamParser, SSEParser, encode_ndjson, encode_sse_json
from gatewayctl.translate.aggregate import StreamFailed
from gatewayctl.translate.streaming import (
    StreamTranslator,
    aggregate_stream_body,
    synthesize_stream_body,
)
from tests.translate.fakecodec import FAKE, event_from_json, event_to_json
from tests.translate.test_sequencer import assert_sequential, blocks_of

UPSTREAM_EVENTS: list[ir.StreamEvent] = [
    ir.StreamStart("r1", "model-x", usage=ir.Usage(input_tokens=7)),
    ir.BlockStart(0, ir.TextPart("")),
    ir.BlockDelta(0, text="Héllo — ✓ "),
    ir.BlockStart(1, ir.ToolCallPart("c1", "alpha")),
    ir.BlockStart(2, ir.ToolCallPart("c2", "beta")),
    ir.BlockDelta(1, arguments='{"a":'),
    ir.BlockDelta(2, arguments='{"b":'),
    ir.BlockDelta(1, arguments="1}"),
    ir.BlockDelta(2, arguments="2}"),
    ir.UsageUpdate(ir.Usage(output_tokens=11)),
    ir.StreamEnd("tool_use"),
]


def sse_body(events: list[ir.StreamEvent], *, crlf: bool = False) -> bytes:
    out = bytearray(b": keep-alive\n\n")
    for ev in events:
        out += encode_sse_json(event_to_json(ev), ev.type)
    if crlf:
        out = bytearray(bytes(out).replace(b"\n", b"\r\n"))
    return bytes(out)


def parse_sse_out(raw: bytes) -> tuple[list[ir.StreamEvent], list[str], list[str]]:
    """(IR events, raw string payloads, comments) in the translator's output."""
    parser = SSEParser()
    events: list[ir.StreamEvent] = []
    raws: list[str] = []
    comments: list[str] = []
    for ev in parser.feed(raw) + parser.close():
        if ev.comment:
            comments.append(ev.data)
        elif ev.data.startswith("{"):
            events.append(event_from_json(json.loads(ev.data)))
        else:
            raws.append(ev.data)
    return events, raws, comments


def run(translator: StreamTranslator, body: bytes, step: int | None) -> bytes:
    out = bytearray()
    if step is None:
        out += translator.feed(body)
    else:
        for i in range(0, len(body), step):
            out += translator.feed(body[i : i + step])
    out += translator.close()
    return bytes(out)


def reference_output() -> bytes:
    return run(StreamTranslator(FAKE, FAKE, strict=True), sse_body(UPSTREAM_EVENTS), None)


@pytest.mark.parametrize("crlf", [False, True])
def test_any_byte_split_gives_identical_output(crlf: bool) -> None:
    body = sse_body(UPSTREAM_EVENTS, crlf=crlf)
    whole = run(StreamTranslator(FAKE, FAKE, strict=True), body, None)
    assert whole == reference_output()
    for step in (1, 2, 3, 7, 64):
        assert run(StreamTranslator(FAKE, FAKE, strict=True), body, step) == whole
    # every single split point, in two pieces
    for cut in range(1, len(body)):
        tr = StreamTranslator(FAKE, FAKE, strict=True)
        out = tr.feed(body[:cut]) + tr.feed(body[cut:]) + tr.close()
        assert out == whole, f"split at byte {cut}"


def test_output_is_sequential_with_keepalive_and_tap() -> None:
    tr = StreamTranslator(FAKE, FAKE, EncoderOptions(model="m"), strict=True)
    raw = run(tr, sse_body(UPSTREAM_EVENTS), 5)
    events, raws, comments = parse_sse_out(raw)
    assert comments == ["keep-alive"]
    assert raws == []
    assert_sequential(events)
    assert blocks_of(events) == [
        ("text", "Héllo — ✓ "),
        ("call:alpha:c1", '{"a":1}'),
        ("call:beta:c2", '{"b":2}'),
    ]
    assert tr.usage == ir.Usage(input_tokens=7, output_tokens=11)
    assert tr.output_text == 'Héllo — ✓ alpha{"a":1}beta{"b":2}'
    assert tr.tap.model == "model-x" and tr.tap.response_id == "r1"
    assert tr.tap.stop_reason == "tool_use"
    assert tr.done
    assert tr.feed(b"data: more\n\n") == b"" and tr.close() == b""


def test_ndjson_in_and_out() -> None:
    body = b"[" + b",\r\n".join(json.dumps(event_to_json(e)).encode() for e in UPSTREAM_EVENTS)
    body += b"]"
    tr = StreamTranslator(FAKE, FAKE, src_framing="ndjson", dst_framing="ndjson", strict=True)
    raw = run(tr, body, 3)
    parser = JsonStreamParser()
    events = [event_from_json(o) for o in parser.feed(raw)]
    assert raw.count(b"\n") == len(events)
    assert_sequential(events)
    assert len(blocks_of(events)) == 3


def test_truncated_upstream_gets_terminal() -> None:
    body = sse_body(UPSTREAM_EVENTS[:6])  # ends mid tool call, no StreamEnd
    tr = StreamTranslator(FAKE, FAKE, strict=True)
    events, _, _ = parse_sse_out(run(tr, body, 10))
    assert_sequential(events)
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason is None


def test_transport_failure_mid_stream_becomes_client_error() -> None:
    tr = StreamTranslator(FAKE, FAKE, strict=True)
    body = sse_body(UPSTREAM_EVENTS[:3])
    out = tr.feed(body)
    err = ir.ErrorInfo(status=502, kind="api_error", message="upstream reset")
    out += tr.fail(err)
    assert tr.close() == b""
    events, _, _ = parse_sse_out(out)
    assert_sequential(events)
    assert events[-1] == ir.StreamError(err)
    assert tr.tap.error == err and not tr.tap.error_before_start


def test_error_first_is_flagged_before_start() -> None:
    err = ir.ErrorInfo(status=404, kind="not_found", message="no model")
    tr = StreamTranslator(FAKE, FAKE, strict=True)
    out = run(tr, sse_body([ir.StreamError(err)]), None)
    events, _, _ = parse_sse_out(out)
    assert events == [ir.StreamError(err)]
    assert tr.tap.error_before_start


def test_pipeline_exception_becomes_in_stream_error_unless_strict() -> None:
    body = sse_body(UPSTREAM_EVENTS[:3]) + b"data: BOOM\n\n" + sse_body(UPSTREAM_EVENTS[3:])
    tr = StreamTranslator(FAKE, FAKE)
    events, _, _ = parse_sse_out(run(tr, body, None))
    assert_sequential(events)
    last = events[-1]
    assert isinstance(last, ir.StreamError)
    assert last.error.status == 502 and "decoder exploded" in last.error.message
    with pytest.raises(ValueError, match="exploded"):
        run(StreamTranslator(FAKE, FAKE, strict=True), body, None)


def test_aggregate_and_synthesize_bodies() -> None:
    response = aggregate_stream_body(FAKE, sse_body(UPSTREAM_EVENTS))
    assert response.id == "r1"
    assert [type(p).__name__ for p in response.content] == [
        "TextPart",
        "ToolCallPart",
        "ToolCallPart",
    ]
    assert response.usage == ir.Usage(input_tokens=7, output_tokens=11)
    raw = synthesize_stream_body(FAKE, response)
    events, _, _ = parse_sse_out(raw)
    assert_sequential(events)
    assert blocks_of(events) == [
        ("text", "Héllo — ✓ "),
        ("call:alpha:c1", '{"a":1}'),
        ("call:beta:c2", '{"b":2}'),
    ]
    ndjson = synthesize_stream_body(FAKE, response, framing="ndjson")
    assert ndjson.splitlines()[0] == encode_ndjson(event_to_json(events[0])).rstrip(b"\n")


def test_aggregate_stream_with_error_raises() -> None:
    err = ir.ErrorInfo(status=500, kind="api_error", message="boom")
    body = sse_body([*UPSTREAM_EVENTS[:3], ir.StreamError(err)])
    with pytest.raises(StreamFailed) as info:
        aggregate_stream_body(FAKE, body)
    assert info.value.error == err
