"""Usage from passthrough traffic, without translating or re-serialising it.

A passthrough response is relayed byte for byte; the gateway still needs its usage (and model)
to record. :class:`UsageSniffer` is fed the same bytes the client gets, any split, and keeps
only the few events that can carry usage — the rest of the stream is de-framed (cheap line
splitting) but never JSON-decoded:

* Anthropic: ``message_start`` (input usage, model) and the last ``message_delta``
  (cumulative output usage);
* OpenAI Responses: ``response.created`` (model) and the last terminal event
  (``response.completed`` / ``incomplete`` / ``failed``), which holds the full usage;
* OpenAI Chat: the first chunk (model) and the last chunk whose ``usage`` is an object;
* Gemini: the first chunk and the last chunk with ``usageMetadata`` (cumulative).

When asked (:attr:`usage`), the kept events go through a fresh stream decoder of the protocol's
codec — the one place that knows how that protocol's usage maps to :class:`ir.Usage` — and the
snapshots are merged field by field. A non-stream body is buffered and read with the codec's
``parse_response`` once, at the end. Sniffing never raises: an unreadable stream or body just
yields no usage (the gateway then estimates).
"""

from __future__ import annotations

import json
import re
from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import WireEvent
from gatewayctl.protocols.registry import Framing
from gatewayctl.protocols.sse import JsonStreamParser, SSEParser
from gatewayctl.protocols.usage import merge_usage
from gatewayctl.translate.framing import wire_event
from gatewayctl.translate.refs import ProtocolRef, default_framing, resolve

_CHAT_USAGE = re.compile(r'"usage"\s*:\s*\{')
_RESPONSES_TERMINAL = frozenset(
    {"response.completed", "response.incomplete", "response.failed", "response.cancelled"}
)
_RESPONSES_TYPE = re.compile(r'"type"\s*:\s*"(response\.[a-z_]+)"')
_ANTHROPIC_TYPE = re.compile(r'"type"\s*:\s*"(message_start|message_delta)"')


class UsageSniffer:
    """Feed raw upstream bytes of ``protocol`` (a stream if ``stream``, else a JSON body)."""

    def __init__(
        self, protocol: ProtocolRef, *, stream: bool, framing: Framing | None = None
    ) -> None:
        self._codec = resolve(protocol)
        self._kind = self._codec.name
        self._stream = stream
        fr = framing or default_framing(protocol)
        self._sse = SSEParser() if stream and fr == "sse" else None
        self._json = JsonStreamParser() if stream and fr == "ndjson" else None
        self._body = bytearray()
        self._first: tuple[str | dict[str, Any], str | None] | None = None
        self._kept: dict[str, tuple[str | dict[str, Any], str | None]] = {}
        self._dirty = True
        self._usage: ir.Usage | None = None
        self._model: str | None = None

    # -- feeding ---------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._dirty = True
        if not self._stream:
            self._body += chunk
            return
        try:
            if self._sse is not None:
                for ev in self._sse.feed(chunk):
                    if not ev.comment:
                        self._consider(ev.data, ev.event)
            elif self._json is not None:
                for obj in self._json.feed(chunk):
                    if isinstance(obj, dict):
                        self._consider_obj(obj)
        except ValueError:
            self._sse = self._json = None  # unreadable stream: stop sniffing

    def close(self) -> None:
        """End of the upstream body (flushes an SSE event not followed by a blank line)."""
        if self._sse is not None:
            for ev in self._sse.close():
                if not ev.comment:
                    self._consider(ev.data, ev.event)
        self._dirty = True

    # -- results ---------------------------------------------------------------------

    @property
    def usage(self) -> ir.Usage | None:
        """The usage reported so far (None if none)."""
        self._compute()
        return self._usage

    @property
    def model(self) -> str | None:
        """The model the upstream says answered (None if not seen)."""
        self._compute()
        return self._model

    # -- internals -------------------------------------------------------------------

    def _consider(self, data: str, event: str | None) -> None:
        if self._first is None:
            self._first = (data, event)
            return
        key = self._slot(data, event)
        if key is not None:
            self._kept[key] = (data, event)

    def _consider_obj(self, obj: dict[str, Any]) -> None:
        if self._first is None:
            self._first = (obj, None)
        elif "usageMetadata" in obj or isinstance(obj.get("usage"), dict):
            self._kept["usage"] = (obj, None)

    def _slot(self, data: str, event: str | None) -> str | None:
        """Which kept slot this event fills, or None if it cannot carry usage."""
        kind = self._kind
        if kind == "anthropic":
            name = event
            if name is None:
                m = _ANTHROPIC_TYPE.search(data)
                name = m.group(1) if m else None
            if name == "message_start":
                return "start"
            return "delta" if name == "message_delta" else None
        if kind == "openai_responses":
            name = event
            if name is None:
                m = _RESPONSES_TYPE.search(data)
                name = m.group(1) if m else None
            if name in _RESPONSES_TERMINAL:
                return "terminal"
            return "start" if name == "response.created" else None
        if kind == "openai_chat":
            return "usage" if _CHAT_USAGE.search(data) else None
        return "usage" if "usageMetadata" in data else None

    def _compute(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        try:
            if self._stream:
                self._from_stream()
            else:
                self._from_body()
        except Exception:
            return  # sniffing must never break a relay: keep what was known before

    def _from_body(self) -> None:
        if not self._body.strip():
            return
        doc = json.loads(bytes(self._body))
        if isinstance(doc, list) and doc and isinstance(doc[0], dict):
            doc = doc[0]
        if not isinstance(doc, dict):
            return
        response = self._codec.parse_response(doc)
        usage = response.usage
        has_any = any(
            v is not None
            for v in (
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_tokens,
                usage.cache_creation_tokens,
                usage.reasoning_tokens,
            )
        )
        self._usage = usage if has_any else None
        self._model = response.model or None

    def _from_stream(self) -> None:
        if self._first is None:
            return
        ordered = [self._first]
        for slot in ("start", "delta", "usage", "terminal"):
            item = self._kept.get(slot)
            if item is not None:
                ordered.append(item)
        decoder = self._codec.stream_decoder()
        usage: ir.Usage | None = None
        model: str | None = None
        events: list[ir.StreamEvent] = []
        for data, event in ordered:
            wire = WireEvent(data, event) if isinstance(data, dict) else wire_event(data, event)
            if wire is not None:
                events.extend(decoder.feed(wire))
        events.extend(decoder.finish())
        for ev in events:
            if isinstance(ev, ir.StreamStart):
                model = model or ev.model or None
                usage = merge_usage(usage, ev.usage)
            elif isinstance(ev, ir.UsageUpdate):
                usage = merge_usage(usage, ev.usage)
            elif isinstance(ev, ir.StreamEnd):
                usage = merge_usage(usage, ev.usage)
        self._usage = usage
        self._model = model
