"""Byte-level stream translation: upstream bytes of protocol A → client bytes of protocol B.

The pipeline of :class:`StreamTranslator` is::

    upstream bytes ─ Deframer ─ A.stream_decoder ─ Sequencer ─ (ToolCallRestorer) ─
        B.stream_encoder ─ frame ─ bytes

The restorer gives tool calls the caller's names back when the request's tools were renamed
for the upstream (:mod:`gatewayctl.translate.toolnames`; built from ``options.request``).
Every stage is incremental, so the client receives each upstream event as soon as it is
complete (modulo what the sequencer must buffer: tool calls that start while another is open).
The translator also taps the IR stream: the merged usage, the text generated (for an output
estimate when the upstream reports no usage), the stop reason, any in-stream error.

Upstream keep-alives (SSE comments, Anthropic ``ping`` events) are forwarded as SSE comments
to clients that tolerate them (OpenAI and Anthropic SDKs do; google-genai does not, so Gemini
clients get none); :meth:`StreamTranslator.heartbeat` gives the gateway the same for its own
keep-alives during upstream silence. An upstream error in the stream —
an in-stream error event the decoder turns into ``StreamError``, or a transport failure the
gateway reports with :meth:`StreamTranslator.fail` — becomes the client protocol's in-stream
error and ends the stream. :meth:`StreamTranslator.close` at the end of the upstream body
emits whatever the client is still owed, so a client stream is never left unterminated.

A decoder bug must not cut a client's stream without a terminal event either: unless
``strict`` is set (tests), an exception inside the pipeline is turned into an in-stream
``api_error`` and the stream is ended cleanly.

:class:`StreamAggregator` / :func:`aggregate_stream_body` fold an upstream stream into an
:class:`ir.Response` (stream-only upstreams serving non-stream clients);
:func:`synthesize_stream_body` writes a response as a complete client stream (non-stream
upstreams serving stream clients).
"""

from __future__ import annotations

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import (
    EncoderOptions,
    StreamDecoder,
    StreamEncoder,
    WireEvent,
)
from gatewayctl.protocols.registry import Framing
from gatewayctl.translate.aggregate import Aggregator, synthesize
from gatewayctl.translate.framing import (
    Deframed,
    Deframer,
    KeepAlive,
    frame,
    keep_alive,
    keep_alive_allowed,
)
from gatewayctl.translate.refs import ProtocolRef, default_framing, resolve
from gatewayctl.translate.stream import Sequencer
from gatewayctl.translate.toolnames import ToolNameMap


def pipeline_error(exc: Exception) -> ir.ErrorInfo:
    return ir.ErrorInfo(
        status=502,
        kind="api_error",
        message=f"gateway could not translate the upstream stream: {type(exc).__name__}: {exc}",
    )


class StreamTap:
    """What the gateway records from a translated or aggregated stream."""

    def __init__(self) -> None:
        self.usage: ir.Usage | None = None
        self.model: str | None = None
        self.response_id: str | None = None
        self.stop_reason: ir.StopReason | None = None
        self.error: ir.ErrorInfo | None = None
        # True when the stream failed before it started (the first upstream event was an
        # error): the gateway may drop the bytes produced and answer with an HTTP error status.
        self.error_before_start = False
        self._started = False
        self._text: list[str] = []

    @property
    def output_text(self) -> str:
        """Everything generated so far (text, reasoning, tool names and arguments)."""
        return "".join(self._text)

    def remember_start(self, event: ir.StreamStart) -> None:
        """Note the upstream's id/model as decoded (before sequencing, which may drop the start
        of a stream that fails right away)."""
        self.model = self.model or event.model or None
        self.response_id = self.response_id or event.id or None

    def observe(self, event: ir.StreamEvent) -> None:
        """Record one sequenced event (what the client's encoder receives)."""
        if isinstance(event, ir.StreamStart):
            self._started = True
            self.remember_start(event)
        elif isinstance(event, ir.BlockStart):
            if isinstance(event.part, ir.ToolCallPart):
                self._text.append(event.part.name)
        elif isinstance(event, ir.BlockDelta):
            if event.text:
                self._text.append(event.text)
            if event.arguments:
                self._text.append(event.arguments)
        elif isinstance(event, ir.StreamEnd):
            self.stop_reason = event.stop_reason
        elif isinstance(event, ir.StreamError):
            self.error = event.error
            self.error_before_start = not self._started


class StreamTranslator:
    """Feed upstream bytes of ``src``, get client bytes of ``dst``.

    ``src``/``dst`` are IR or dispatch protocol names (``"GeminiNDJson"`` implies NDJSON
    framing) or codec objects; ``src_framing``/``dst_framing`` override the framing.
    Call :meth:`feed` per upstream chunk, then exactly one of :meth:`close` (upstream body
    ended) or :meth:`fail` (transport error). Both return the final bytes to send.
    """

    def __init__(
        self,
        src: ProtocolRef,
        dst: ProtocolRef,
        options: EncoderOptions | None = None,
        src_framing: Framing | None = None,
        dst_framing: Framing | None = None,
        *,
        strict: bool = False,
        tool_names: ToolNameMap | None = None,
    ) -> None:
        self._src = resolve(src)
        self._dst = resolve(dst)
        self.src_framing: Framing = src_framing or default_framing(src)
        self.dst_framing: Framing = dst_framing or default_framing(dst)
        self._deframer = Deframer(self.src_framing)
        self._decoder: StreamDecoder = self._src.stream_decoder()
        self._sequencer = Sequencer()
        self._encoder: StreamEncoder = self._dst.stream_encoder(options or EncoderOptions())
        names = tool_names or ToolNameMap.for_answer(options, self._src)
        self._restorer = names.stream_restorer() if names is not None else None
        self._strict = strict
        self._keep_alive = keep_alive_allowed(self._dst.name, self.dst_framing)
        self._closed = False
        self._out = bytearray()
        self.tap = StreamTap()

    # -- the tap, for recording ------------------------------------------------------

    @property
    def usage(self) -> ir.Usage | None:
        """The latest merged usage the upstream reported (None if none yet)."""
        return self.tap.usage

    @property
    def output_text(self) -> str:
        return self.tap.output_text

    @property
    def done(self) -> bool:
        """True once the client stream has its terminal event."""
        return self._sequencer.done

    # -- driving ---------------------------------------------------------------------

    def feed(self, chunk: bytes) -> bytes:
        """Translate one upstream chunk (any split) into client bytes (maybe empty)."""
        if self._closed or self.done:
            return b""
        try:
            self._deframed(self._deframer.feed(chunk))
        except Exception as exc:
            if self._strict:
                raise
            self._abort(pipeline_error(exc))
        return self._take()

    def close(self) -> bytes:
        """The upstream body ended: flush and emit the terminal events still owed."""
        if self._closed:
            return b""
        try:
            if not self.done:
                self._deframed(self._deframer.close())
            if not self.done:
                self._decoded(self._decoder.finish())
            self._sequenced(self._sequencer.finish())
            self._encoded(self._encoder.finish())
        except Exception as exc:
            if self._strict:
                raise
            self._abort(pipeline_error(exc))
        self._closed = True
        return self._take()

    def heartbeat(self) -> bytes:
        """Bytes to send when the upstream has been silent for a while: an SSE comment where
        the client tolerates one, else nothing (Gemini clients, NDJSON)."""
        if self._closed or self.done or not self._keep_alive:
            return b""
        return keep_alive("keep-alive")

    def fail(self, error: ir.ErrorInfo) -> bytes:
        """The upstream connection failed mid-stream: emit ``error`` in the client protocol
        and end the stream."""
        if self._closed:
            return b""
        self._abort(error)
        return self._take()

    # -- internals -------------------------------------------------------------------

    def _take(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def _abort(self, error: ir.ErrorInfo) -> None:
        self._closed = True
        try:
            self._decoded([ir.StreamError(error)])
            self._encoded(self._encoder.finish())
        except Exception:
            if self._strict:
                raise

    def _deframed(self, items: list[Deframed]) -> None:
        for item in items:
            if self.done:
                break
            if isinstance(item, KeepAlive):
                if self._keep_alive:
                    self._out += keep_alive(item.text)
            else:
                self._decoded(self._decoder.feed(item))

    def _decoded(self, events: list[ir.StreamEvent]) -> None:
        for event in events:
            if isinstance(event, ir.StreamStart):
                self.tap.remember_start(event)
            self._sequenced(self._sequencer.feed(event))

    def _sequenced(self, events: list[ir.StreamEvent]) -> None:
        if self._restorer is not None:
            events = [out for ev in events for out in self._restorer.feed(ev)]
        for ev in events:
            self.tap.observe(ev)
            self._encoded(self._encoder.feed(ev))
        self.tap.usage = self._sequencer.usage

    def _encoded(self, events: list[WireEvent]) -> None:
        for event in events:
            self._out += frame(event, self.dst_framing)


class StreamAggregator:
    """Feed upstream stream bytes of ``src``; :meth:`result` gives the whole response.

    Raises :class:`~gatewayctl.translate.aggregate.StreamFailed` from :meth:`result` if the
    stream carried an error."""

    def __init__(self, src: ProtocolRef, framing: Framing | None = None) -> None:
        self._src = resolve(src)
        self._deframer = Deframer(framing or default_framing(src))
        self._decoder = self._src.stream_decoder()
        self._agg = Aggregator()
        self.tap = StreamTap()

    def feed(self, chunk: bytes) -> None:
        for item in self._deframer.feed(chunk):
            if not isinstance(item, KeepAlive):
                self._ir(self._decoder.feed(item))

    def _ir(self, events: list[ir.StreamEvent]) -> None:
        for event in events:
            self.tap.observe(event)
            self._agg.feed(event)

    def result(self) -> ir.Response:
        for item in self._deframer.close():
            if not isinstance(item, KeepAlive):
                self._ir(self._decoder.feed(item))
        self._ir(self._decoder.finish())
        response = self._agg.result()
        self.tap.usage = response.usage
        return response


def aggregate_stream_body(
    src: ProtocolRef, raw: bytes, framing: Framing | None = None
) -> ir.Response:
    """A complete upstream stream body of ``src`` → one IR response (raises StreamFailed)."""
    agg = StreamAggregator(src, framing)
    agg.feed(raw)
    return agg.result()


def synthesize_stream_body(
    dst: ProtocolRef,
    response: ir.Response,
    options: EncoderOptions | None = None,
    framing: Framing | None = None,
) -> bytes:
    """An IR response as a complete client stream of ``dst`` (bytes in ``dst``'s framing)."""
    codec = resolve(dst)
    fr = framing or default_framing(dst)
    encoder = codec.stream_encoder(options or EncoderOptions())
    out = bytearray()
    seq = Sequencer()
    for event in synthesize(response):
        for ev in seq.feed(event):
            out += b"".join(frame(w, fr) for w in encoder.feed(ev))
    for ev in seq.finish():
        out += b"".join(frame(w, fr) for w in encoder.feed(ev))
    out += b"".join(frame(w, fr) for w in encoder.finish())
    return bytes(out)
