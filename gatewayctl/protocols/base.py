"""What every protocol module provides: the codec interface.

Each wire protocol (``openai_chat``, ``openai_responses``, ``anthropic``, ``gemini``) is one
module exposing ``CODEC``, an object with the methods of :class:`Codec`. A codec converts
between the protocol's JSON and the canonical IR (:mod:`gatewayctl.protocols.ir`); it never
does I/O and never knows about other protocols. Translation A→B is always
``B.emit(A.parse(x))`` (see :mod:`gatewayctl.translate`).

Streams are handled by two small state machines per protocol:

* a :class:`StreamDecoder` turns the protocol's stream events (already de-framed into
  :class:`WireEvent` objects by :mod:`gatewayctl.protocols.sse`) into IR stream events;
* a :class:`StreamEncoder` turns IR stream events into the protocol's stream events.

Both are fed one event at a time and return zero or more events; ``finish()`` is called once
when the input ends (normally or not) and returns what is still owed — e.g. the terminal
event if the upstream never sent one. Encoders may assume strictly sequential blocks (one
open block at a time; see ``translate.stream.sequence_blocks``).

Parse methods raise :class:`gatewayctl.errors.InvalidInput` with a message naming the
offending field when the input is not a valid document of their protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from gatewayctl.protocols import ir


@dataclass(slots=True)
class WireEvent:
    """One stream event on the wire, framing removed.

    ``data`` is the decoded JSON payload, or a raw string for non-JSON payloads such as
    OpenAI's ``[DONE]``. ``event`` is the SSE ``event:`` name (Anthropic, Responses) or None.
    """

    data: dict[str, Any] | str
    event: str | None = None


@dataclass(slots=True)
class EncoderOptions:
    """What a stream encoder needs to know about the request it answers.

    ``model``: the model name to report (the caller's, without gateway prefixes) — used when
    the upstream's own name should not leak or is missing.
    ``include_usage``: OpenAI Chat ``stream_options.include_usage`` as the *caller* asked; the
    gateway forces usage on upstream, the encoder only emits the usage chunk when asked.
    ``input_tokens_estimate``: for protocols that must state input usage up front
    (Anthropic ``message_start``) when the upstream has not told yet.
    ``request``: the caller's request in IR form (Responses echoes request parameters in its
    ``response`` objects).
    """

    model: str | None = None
    include_usage: bool = False
    input_tokens_estimate: int | None = None
    request: ir.Request | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class StreamDecoder(Protocol):
    def feed(self, event: WireEvent) -> list[ir.StreamEvent]: ...

    def finish(self) -> list[ir.StreamEvent]: ...


class StreamEncoder(Protocol):
    def feed(self, event: ir.StreamEvent) -> list[WireEvent]: ...

    def finish(self) -> list[WireEvent]: ...


class Codec(Protocol):
    """The surface of one protocol module (``<module>.CODEC``)."""

    name: ir.ProtocolName

    # generation -------------------------------------------------------------------
    def parse_request(self, body: dict[str, Any]) -> ir.Request: ...

    def emit_request(self, request: ir.Request) -> dict[str, Any]: ...

    def parse_response(self, body: dict[str, Any]) -> ir.Response: ...

    def emit_response(self, response: ir.Response, options: EncoderOptions) -> dict[str, Any]: ...

    def stream_decoder(self) -> StreamDecoder: ...

    def stream_encoder(self, options: EncoderOptions) -> StreamEncoder: ...

    # errors -----------------------------------------------------------------------
    def parse_error(self, status: int, body: bytes) -> ir.ErrorInfo:
        """Read an upstream error body (any bytes, maybe not JSON) with its HTTP status."""
        ...

    def emit_error(self, error: ir.ErrorInfo) -> tuple[int, dict[str, Any]]:
        """The (status, body) this protocol's clients expect for ``error``."""
        ...

    # token counting -----------------------------------------------------------------
    def parse_count_request(self, body: dict[str, Any]) -> ir.Request: ...

    def emit_count_request(self, request: ir.Request) -> dict[str, Any]: ...

    def parse_count_response(self, body: dict[str, Any]) -> int: ...

    def emit_count_response(self, input_tokens: int) -> dict[str, Any]: ...

    # models -----------------------------------------------------------------------
    def parse_model_list(self, body: dict[str, Any]) -> list[ir.ModelInfo]: ...

    def emit_model_list(self, models: list[ir.ModelInfo]) -> dict[str, Any]: ...

    def parse_model(self, body: dict[str, Any]) -> ir.ModelInfo: ...

    def emit_model(self, model: ir.ModelInfo) -> dict[str, Any]: ...
