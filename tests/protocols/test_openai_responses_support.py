"""Helpers shared by the Responses codec tests (no tests here).

Fixture readers, a stream runner, an IR-stream invariant checker and the SDK judge: every
emitted event is validated with the ``openai`` SDK's ``ResponseStreamEvent`` union and fed to
the SDK's own ``ResponseStreamState`` (what ``client.responses.stream()`` uses), whose final
response we then inspect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
from openai._types import omit
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import ParsedResponse, ResponseStreamEvent

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.openai_responses import CODEC
from gatewayctl.protocols.sse import SSEParser
from tests.conftest import FIXTURES, RECORDED

OWN = FIXTURES / "openai_responses"
OPENAI = RECORDED / "openai"

EVENT_ADAPTER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ResponseStreamEvent)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def wire_events(path: Path) -> list[WireEvent]:
    """A recorded/own transcript as WireEvents (``.chunks.jsonl`` re-framed, comments kept
    out as the gateway's framer would surface them separately)."""
    if path.suffix == ".jsonl":
        lines = path.read_text(encoding="utf-8").splitlines()
        return [WireEvent(json.loads(line), None) for line in lines if line.strip()]
    parser = SSEParser()
    events = parser.feed(path.read_bytes()) + parser.close()
    return [WireEvent(e.json(), e.event) for e in events if not e.comment]


def decode(events: list[WireEvent]) -> list[ir.StreamEvent]:
    decoder = CODEC.stream_decoder()
    out: list[ir.StreamEvent] = []
    for event in events:
        out.extend(decoder.feed(event))
    out.extend(decoder.finish())
    return out


def encode(events: list[ir.StreamEvent], options: EncoderOptions | None = None) -> list[WireEvent]:
    encoder = CODEC.stream_encoder(options or EncoderOptions())
    out: list[WireEvent] = []
    for event in events:
        out.extend(encoder.feed(event))
    out.extend(encoder.finish())
    return out


def check_ir_stream(events: list[ir.StreamEvent]) -> None:
    """The IR stream contract: one StreamStart first; block indexes 0,1,2… in order of first
    appearance; deltas only inside open blocks; every block stopped; exactly one terminal
    (StreamEnd or StreamError) and nothing after it."""
    assert events and isinstance(events[0], ir.StreamStart)
    assert sum(isinstance(e, ir.StreamStart) for e in events) == 1
    terminals = [i for i, e in enumerate(events) if isinstance(e, ir.StreamEnd | ir.StreamError)]
    assert len(terminals) == 1 and terminals[0] == len(events) - 1
    opened: list[int] = []
    open_now: set[int] = set()
    for e in events:
        if isinstance(e, ir.BlockStart):
            assert e.index == len(opened), f"block {e.index} out of order"
            opened.append(e.index)
            open_now.add(e.index)
        elif isinstance(e, ir.BlockDelta):
            assert e.index in open_now, f"delta for closed block {e.index}"
        elif isinstance(e, ir.BlockStop):
            assert e.index in open_now
            open_now.discard(e.index)
    if isinstance(events[-1], ir.StreamEnd):
        assert not open_now, f"blocks left open: {open_now}"


def aggregate(events: list[ir.StreamEvent]) -> list[Any]:
    """Rebuild the parts a decoded stream describes (merging delta provider data). Typed
    ``Any`` so tests can read ``.text`` after their own isinstance checks."""
    parts: dict[int, Any] = {}
    for e in events:
        if isinstance(e, ir.BlockStart):
            parts[e.index] = e.part
            e.part.provider_data = {k: dict(v) for k, v in e.part.provider_data.items()}
        elif isinstance(e, ir.BlockDelta):
            part = parts[e.index]
            if isinstance(part, ir.ToolCallPart):
                part.arguments += e.arguments
            else:
                part.text += e.text
            for family, data in (e.provider_data or {}).items():
                part.provider_data.setdefault(family, {}).update(data)
    return [parts[i] for i in sorted(parts)]


def sdk_judge(events: list[WireEvent]) -> tuple[ResponseStreamState[Any], list[Any]]:
    """Validate each emitted event with the SDK's event union and accumulate with the SDK's
    ResponseStreamState. Also checks framing invariants: SSE event name = ``type``,
    ``sequence_number`` 0,1,2…"""
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=omit, text_format=omit)
    parsed = []
    for n, event in enumerate(events):
        assert isinstance(event.data, dict)
        assert event.event == event.data["type"]
        assert event.data["sequence_number"] == n
        model = EVENT_ADAPTER.validate_python(json.loads(json.dumps(event.data)))
        parsed.extend(state.handle_event(model))
    return state, parsed


def final_response(state: ResponseStreamState[Any]) -> ParsedResponse[Any]:
    response = state._completed_response
    assert response is not None, "the stream did not complete"
    return response
