"""A toy codec whose wire events are IR events as JSON — for testing the translation glue
(framing, sequencing, terminal handling) without depending on any real protocol codec."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions, WireEvent

_PARTS: dict[str, Any] = {
    "text": ir.TextPart,
    "reasoning": ir.ReasoningPart,
    "tool_call": ir.ToolCallPart,
}


def event_to_json(ev: ir.StreamEvent) -> dict[str, Any]:
    return asdict(ev)


def event_from_json(d: dict[str, Any]) -> ir.StreamEvent:
    kind = d.get("type")
    if kind == "start":
        usage = d.get("usage")
        return ir.StreamStart(
            d["id"], d["model"], d.get("created"), ir.Usage(**usage) if usage else None
        )
    if kind == "block_start":
        part = dict(d["part"])
        return ir.BlockStart(d["index"], _PARTS[part.pop("type")](**part))
    if kind == "block_delta":
        return ir.BlockDelta(
            d["index"], d.get("text", ""), d.get("arguments", ""), d.get("provider_data")
        )
    if kind == "block_stop":
        return ir.BlockStop(d["index"])
    if kind == "usage":
        return ir.UsageUpdate(ir.Usage(**d["usage"]))
    if kind == "end":
        usage = d.get("usage")
        return ir.StreamEnd(
            d["stop_reason"], d.get("stop_sequence"), ir.Usage(**usage) if usage else None
        )
    if kind == "error":
        return ir.StreamError(ir.ErrorInfo(**d["error"]))
    raise InvalidInput(f"fake codec: unknown event type {kind!r}")


class FakeDecoder:
    def __init__(self) -> None:
        self.finished = 0

    def feed(self, event: WireEvent) -> list[ir.StreamEvent]:
        if isinstance(event.data, str):
            if event.data == "BOOM":
                raise ValueError("decoder exploded")
            return []
        return [event_from_json(event.data)]

    def finish(self) -> list[ir.StreamEvent]:
        self.finished += 1
        return []


class FakeEncoder:
    """Asserts the sequential contract the encoders rely on, writes events as JSON."""

    def __init__(self, options: EncoderOptions) -> None:
        self.options = options
        self.open: int | None = None
        self.terminal = False

    def feed(self, ev: ir.StreamEvent) -> list[WireEvent]:
        assert not self.terminal, f"event after terminal: {ev}"
        if isinstance(ev, ir.BlockStart):
            assert self.open is None
            self.open = ev.index
        elif isinstance(ev, ir.BlockStop):
            assert self.open == ev.index
            self.open = None
        elif isinstance(ev, ir.StreamEnd | ir.StreamError):
            self.terminal = True
        return [WireEvent(event_to_json(ev), event=ev.type)]

    def finish(self) -> list[WireEvent]:
        if self.terminal:
            return []
        self.terminal = True
        return [WireEvent("TERMINATED", event="end")]


class FakeCodec:
    name = "openai_chat"  # any IR name; never registered

    def stream_decoder(self) -> FakeDecoder:
        return FakeDecoder()

    def stream_encoder(self, options: EncoderOptions) -> FakeEncoder:
        return FakeEncoder(options)

    def parse_error(self, status: int, body: bytes) -> ir.ErrorInfo:
        return ir.ErrorInfo(status=status, kind="api_error", message=body.decode())

    def emit_error(self, error: ir.ErrorInfo) -> tuple[int, dict[str, Any]]:
        return error.status, {"fake_error": error.message, "kind": error.kind}


FAKE = FakeCodec()
