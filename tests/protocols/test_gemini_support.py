"""Shared helpers for the Gemini codec tests (this module holds no tests itself).

Readers for the recorded and hand-written Gemini fixtures, a runner for the stream decoder and
encoder, and the google-genai SDK used as the judge of what we emit: every emitted chunk or body
must validate as ``GenerateContentResponse`` (pydantic, ``extra="forbid"``, base64 signatures
decoded), and whole emitted SSE streams are fed to ``Client.models.generate_content_stream``
through an ``httpx.MockTransport`` (no network).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from google import genai
from google.genai import types

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.gemini import CODEC
from gatewayctl.protocols.sse import JsonStreamParser, SSEParser, dumps, encode_sse_json
from tests.conftest import FIXTURES, RECORDED

GEMINI_RECORDED = RECORDED / "gemini"
GEMINI_OWN = FIXTURES / "gemini"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def stream_payloads(path: Path) -> list[dict[str, Any]]:
    """The JSON payloads of a recorded stream (``.sse`` or ``.chunks.jsonl``)."""
    if path.suffix == ".sse":
        parser = SSEParser()
        events = parser.feed(path.read_bytes()) + parser.close()
        return [json.loads(e.data) for e in events if not e.comment]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def exchange_segments(path: Path) -> tuple[int, list[dict[str, Any]]]:
    """Status and body segments of the response of a google test-server exchange file."""
    data = load_json(path)
    response = data["interactions"][-1]["response"]
    return response["statusCode"], response["bodySegments"]


def decode(payloads: list[dict[str, Any]]) -> list[ir.StreamEvent]:
    decoder = CODEC.stream_decoder()
    events: list[ir.StreamEvent] = []
    for payload in payloads:
        events += decoder.feed(WireEvent(payload))
    return events + decoder.finish()


def encode(events: list[ir.StreamEvent], model: str | None = None) -> list[WireEvent]:
    encoder = CODEC.stream_encoder(EncoderOptions(model=model))
    out: list[WireEvent] = []
    for event in events:
        out += encoder.feed(event)
    return out + encoder.finish()


def check_event_grammar(events: list[ir.StreamEvent]) -> None:
    """The IR stream contract: one start first, distinct 0,1,2… indexes, one terminal last."""
    assert isinstance(events[0], ir.StreamStart)
    assert sum(isinstance(e, ir.StreamStart) for e in events) == 1
    terminals = [e for e in events if isinstance(e, ir.StreamEnd | ir.StreamError)]
    assert len(terminals) == 1 and events[-1] is terminals[0]
    starts = [e.index for e in events if isinstance(e, ir.BlockStart)]
    assert starts == list(range(len(starts)))
    open_blocks: set[int] = set()
    for e in events:
        if isinstance(e, ir.BlockStart):
            open_blocks.add(e.index)
        elif isinstance(e, ir.BlockDelta):
            assert e.index in open_blocks
        elif isinstance(e, ir.BlockStop):
            open_blocks.remove(e.index)
    if isinstance(events[-1], ir.StreamEnd):
        assert not open_blocks


def blocks(events: list[ir.StreamEvent]) -> list[ir.TextPart | ir.ReasoningPart | ir.ToolCallPart]:
    """Rebuild the blocks of a decoded stream (text, reasoning, calls with full arguments)."""
    built: dict[int, Any] = {}
    for e in events:
        if isinstance(e, ir.BlockStart):
            part = e.part
            pd = {k: dict(v) for k, v in part.provider_data.items()}
            if isinstance(part, ir.ToolCallPart):
                built[e.index] = ir.ToolCallPart(part.id, part.name, "", provider_data=pd)
            elif isinstance(part, ir.ReasoningPart):
                built[e.index] = ir.ReasoningPart("", provider_data=pd)
            else:
                built[e.index] = ir.TextPart("", provider_data=pd)
        elif isinstance(e, ir.BlockDelta):
            part = built[e.index]
            if isinstance(part, ir.ToolCallPart):
                part.arguments += e.arguments
            else:
                part.text += e.text
            for family, values in (e.provider_data or {}).items():
                part.provider_data.setdefault(family, {}).update(values)
    return [built[i] for i in sorted(built)]


def final_usage(events: list[ir.StreamEvent]) -> ir.Usage | None:
    end = events[-1]
    assert isinstance(end, ir.StreamEnd)
    return end.usage


# -- the SDK as judge ---------------------------------------------------------------------


def sdk_response(body: dict[str, Any]) -> types.GenerateContentResponse:
    """Strict validation (unknown keys rejected, signatures must be base64)."""
    return types.GenerateContentResponse.model_validate_json(dumps(body))


def sse_bytes(events: list[WireEvent]) -> bytes:
    return b"".join(encode_sse_json(e.data, e.event) for e in events)


def json_array_bytes(events: list[WireEvent]) -> bytes:
    """The non-SSE framing Gemini uses without ``alt=sse``: one JSON array, streamed."""
    return ("[" + ",\r\n".join(dumps(e.data) for e in events) + "]").encode()


class _Replay:
    """One SDK client for the whole session, answering with whatever bytes are set."""

    def __init__(self) -> None:
        self.raw = b""
        self.status = 200
        self._client: genai.Client | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            self.status, headers={"content-type": "text/event-stream"}, content=self.raw
        )

    @property
    def client(self) -> genai.Client:
        if self._client is None:
            http = httpx.Client(transport=httpx.MockTransport(self.handler))
            self._client = genai.Client(
                api_key="test-key",
                http_options=types.HttpOptions(base_url="http://127.0.0.1:9", httpx_client=http),
            )
        return self._client


_REPLAY = _Replay()


def sdk_stream(raw: bytes, status: int = 200) -> list[types.GenerateContentResponse]:
    """Run the real SDK's ``generate_content_stream`` against ``raw`` SSE bytes."""
    _REPLAY.raw, _REPLAY.status = raw, status
    stream = _REPLAY.client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi")
    return list(stream)


def parse_json_array(raw: bytes) -> list[Any]:
    parser = JsonStreamParser()
    return parser.feed(raw) + parser.close()
