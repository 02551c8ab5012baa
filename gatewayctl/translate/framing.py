"""Bytes ↔ wire events: the framing ends of a translated stream.

:class:`Deframer` turns upstream bytes (any split) into :class:`WireEvent` objects plus
keep-alive notices, for SSE or Gemini's JSON streams (NDJSON or the streamed JSON array).
:func:`frame` turns a :class:`WireEvent` into the client's bytes. Both are thin wrappers over
:mod:`gatewayctl.protocols.sse`, which owns the byte-level parsing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gatewayctl.protocols.base import WireEvent
from gatewayctl.protocols.registry import Framing
from gatewayctl.protocols.sse import (
    JsonStreamParser,
    SSEParser,
    dumps,
    encode_ndjson,
    encode_sse,
    encode_sse_comment,
)


@dataclass(slots=True)
class KeepAlive:
    """An SSE comment (``: text``) seen upstream: forwardable as a keep-alive."""

    text: str


Deframed = WireEvent | KeepAlive


def wire_event(data: str, event: str | None) -> WireEvent | None:
    """An SSE event's payload as a WireEvent: JSON decoded, ``[DONE]`` and other non-JSON
    text kept as a raw string, whitespace-only payloads dropped (None)."""
    text = data.strip()
    if not text:
        return None
    if text[0] in "{[":
        try:
            obj: Any = json.loads(text)
        except ValueError:
            return WireEvent(text, event)
        if isinstance(obj, dict):
            return WireEvent(obj, event)
        if isinstance(obj, list) and obj and isinstance(obj[0], dict):
            return WireEvent(obj[0], event)  # Gemini error bodies come as a one-item list
        return WireEvent(text, event)
    return WireEvent(text, event)


class Deframer:
    """Feed raw upstream bytes, get wire events; ``close()`` at end of the upstream body."""

    def __init__(self, framing: Framing) -> None:
        self.framing = framing
        self._sse = SSEParser() if framing == "sse" else None
        self._json = JsonStreamParser() if framing == "ndjson" else None

    def feed(self, chunk: bytes) -> list[Deframed]:
        if self._sse is not None:
            return self._from_sse(self._sse.feed(chunk))
        assert self._json is not None
        return [WireEvent(obj) for obj in self._json.feed(chunk) if isinstance(obj, dict)]

    def close(self) -> list[Deframed]:
        if self._sse is not None:
            return self._from_sse(self._sse.close())
        assert self._json is not None
        try:
            self._json.close()
        except ValueError:
            pass  # a truncated trailing object: the decoder's finish() reports the truncation
        return []

    @staticmethod
    def _from_sse(events: list[Any]) -> list[Deframed]:
        out: list[Deframed] = []
        for ev in events:
            if ev.comment:
                out.append(KeepAlive(ev.data))
                continue
            if ev.event == "ping":  # Anthropic's keep-alive event: nothing for a decoder
                out.append(KeepAlive("ping"))
                continue
            wire = wire_event(ev.data, ev.event)
            if wire is not None:
                out.append(wire)
        return out


def frame(event: WireEvent, framing: Framing) -> bytes:
    """One wire event in the client's framing. Raw-string payloads (``[DONE]``) have no NDJSON
    form and are dropped there."""
    if framing == "sse":
        data = event.data if isinstance(event.data, str) else dumps(event.data)
        return encode_sse(data, event.event)
    if isinstance(event.data, str):
        return b""
    return encode_ndjson(event.data)


def keep_alive_allowed(protocol: str, framing: Framing) -> bool:
    """Whether a client of ``protocol`` tolerates SSE comments as keep-alives.

    The openai and anthropic SDKs skip ``:`` lines; google-genai's SSE reader treats any line
    that is not ``data:`` as raw JSON and fails on a comment, and NDJSON has no comment form,
    so Gemini clients get no keep-alives."""
    return framing == "sse" and protocol != "gemini"


def keep_alive(text: str) -> bytes:
    """A keep-alive SSE comment."""
    return encode_sse_comment(text)
