"""The stream parsers give the same events for any split of the bytes."""

from __future__ import annotations

import json
import random

import pytest

from gatewayctl.protocols.sse import (
    JsonStreamParser,
    SSEEvent,
    SSEParser,
    encode_ndjson,
    encode_sse,
    encode_sse_json,
)
from tests.conftest import RECORDED

SSE_FILES = sorted(RECORDED.glob("*/*.sse"))


def parse_chunks(chunks: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events + parser.close()


def test_recorded_files_found() -> None:
    assert len(SSE_FILES) > 40


@pytest.mark.parametrize("path", SSE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_any_split_gives_same_events(path) -> None:
    raw = path.read_bytes()
    whole = parse_chunks([raw])
    data_events = [e for e in whole if not e.comment]
    assert data_events, "a recording has events"
    for e in data_events:
        if e.data != "[DONE]":
            json.loads(e.data)  # every payload is complete JSON
    # every byte boundary at once
    assert parse_chunks([raw[i : i + 1] for i in range(len(raw))]) == whole
    # each single boundary (all of them for small files, a sample for large ones)
    cuts = (
        range(1, len(raw)) if len(raw) <= 6000 else random.Random(7).sample(range(1, len(raw)), 400)
    )
    for cut in cuts:
        assert parse_chunks([raw[:cut], raw[cut:]]) == whole, cut


def test_line_endings_comments_and_multiline_data() -> None:
    raw = (
        b"\xef\xbb\xbf: keep-alive\r\n\r\n"
        b"event: a\rdata: x\rdata: y\r\r"
        b"id: 7\nretry: 10\ndata: caf\xc3\xa9\n\n"
        b"data: tail-without-blank-line"
    )
    events = parse_chunks([raw[i : i + 1] for i in range(len(raw))])
    assert events == [
        SSEEvent(None, "keep-alive", comment=True),
        SSEEvent("a", "x\ny"),
        SSEEvent(None, "café", id="7", retry=10),
        SSEEvent(None, "tail-without-blank-line", id="7"),
    ]


def test_cr_lf_split_across_chunks_is_one_line_end() -> None:
    events = parse_chunks([b"data: 1\r", b"\n\r", b"\ndata: 2\r\n\r\n"])
    assert [e.data for e in events] == ["1", "2"]


def test_encoders_round_trip() -> None:
    frames = encode_sse_json({"a": "é"}, "ev") + encode_sse("line1\nline2") + encode_sse("[DONE]")
    events = parse_chunks([frames])
    assert events == [
        SSEEvent("ev", '{"a":"é"}'),
        SSEEvent(None, "line1\nline2"),
        SSEEvent(None, "[DONE]"),
    ]


def test_json_stream_array_and_ndjson_any_split() -> None:
    array = b'[{"a": "x]}\\"{"},\r\n{"b": [1, {"c": 2}], "u": "\xc3\xa9"}\n]'
    ndjson = encode_ndjson({"a": 1}) + encode_ndjson({"b": [2]})
    for raw, expected in [
        (array, [{"a": 'x]}"{'}, {"b": [1, {"c": 2}], "u": "é"}]),
        (ndjson, [{"a": 1}, {"b": [2]}]),
    ]:
        for step in range(1, len(raw) + 1):
            parser = JsonStreamParser()
            out = []
            for i in range(0, len(raw), step):
                out += parser.feed(raw[i : i + step])
            parser.close()
            assert out == expected, step


def test_json_stream_truncated_object_is_an_error() -> None:
    parser = JsonStreamParser()
    assert parser.feed(b'[{"a": 1}, {"b":') == [{"a": 1}]
    with pytest.raises(ValueError):
        parser.close()
