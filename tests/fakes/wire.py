"""Wire-level scripted replies: status, headers, body or timed chunks, aborts, endless streams.

A :class:`Reply` is what a fake sends when a test wants exact bytes on the wire, bypassing the
fake's own answer logic: an error with ``Retry-After``, a stream cut mid-body, a stream that
never ends, or a recorded upstream response replayed byte for byte (:func:`replay`). The
fake's dynamic answers are turned into a :class:`Reply` too, so there is one sending path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Sentinel: the reply has no JSON body.
NO_JSON: Any = object()


@dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of a streamed body, sent after waiting ``delay`` seconds."""

    data: bytes
    delay: float | None = None  # None: the reply's chunk_delay


ChunkLike = bytes | str | Chunk
EndlessFrame = bytes | str | Callable[[int], bytes]


def as_bytes(data: bytes | str) -> bytes:
    """UTF-8 encode text; pass bytes through."""
    return data.encode() if isinstance(data, str) else data


@dataclass(slots=True)
class Reply:
    """A scripted HTTP response.

    Exactly one body form is used: ``json`` (serialized compactly unless ``indent``), ``body``,
    or ``chunks`` (a streamed body, one ASGI message per chunk). ``abort`` cuts the connection
    after the chunks without terminating the chunked body (the client sees an incomplete read);
    ``endless`` keeps sending a frame every ``endless_interval`` seconds until the client goes
    away or the fake stops. ``delay`` waits before the status line is sent.
    """

    status: int = 200
    json: Any = NO_JSON
    body: bytes | str | None = None
    chunks: Sequence[ChunkLike] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    indent: int | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    abort: bool = False
    endless: EndlessFrame | None = None
    endless_interval: float = 0.05
    retry_after: float | str | None = None

    @property
    def streamed(self) -> bool:
        """True when the body goes out in several messages (chunks, abort or endless)."""
        return self.chunks is not None or self.abort or self.endless is not None

    def body_bytes(self) -> bytes:
        """The whole body of a non-streamed reply."""
        if self.json is not NO_JSON:
            if self.indent is not None:
                return json.dumps(self.json, indent=self.indent).encode()
            return json.dumps(self.json, separators=(",", ":")).encode()
        if self.body is not None:
            return as_bytes(self.body)
        return b""

    def header_list(self) -> list[tuple[bytes, bytes]]:
        """Response headers as ASGI expects them, content-type and retry-after included."""
        out: dict[str, str] = {}
        content_type = self.content_type
        if content_type is None:
            if self.json is not NO_JSON:
                content_type = "application/json"
            elif self.chunks is not None or self.endless is not None:
                content_type = "text/event-stream"
        if content_type:
            out["content-type"] = content_type
        if self.retry_after is not None:
            out["retry-after"] = _retry_after_text(self.retry_after)
        for name, value in self.headers.items():
            out[name.lower()] = value
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]

    def chunk_list(self) -> list[Chunk]:
        """The streamed chunks as :class:`Chunk` objects (empty for a plain body)."""
        if self.chunks is None:
            body = self.body_bytes()
            return [Chunk(body)] if body else []
        return [c if isinstance(c, Chunk) else Chunk(as_bytes(c)) for c in self.chunks]

    def endless_frame(self, i: int) -> bytes:
        """The ``i``-th frame of an endless tail."""
        frame = self.endless
        if frame is None:
            raise ValueError("reply has no endless frame")
        if callable(frame):
            return frame(i)
        return as_bytes(frame)


def _retry_after_text(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


# --- SSE framing helpers ----------------------------------------------------------------------


def dumps(obj: Any) -> str:
    """Compact JSON, as the vendors put it in SSE ``data:`` lines."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def sse_data(obj: Any, *, crlf: bool = False) -> bytes:
    """``data: <json>`` event (OpenAI chat; Gemini with ``crlf=True``)."""
    payload = obj if isinstance(obj, str) else dumps(obj)
    end = "\r\n\r\n" if crlf else "\n\n"
    return f"data: {payload}{end}".encode()


def sse_event(event: str, obj: Any) -> bytes:
    """``event: <type>`` + ``data: <json>`` event (Anthropic, OpenAI Responses)."""
    return f"event: {event}\ndata: {dumps(obj)}\n\n".encode()


# --- recorded fixture replay ------------------------------------------------------------------

_EVENT_SPLIT = re.compile(rb"(?<=\r\n\r\n)|(?<=\n\n)(?!\n)")
_STATUS_IN_NAME = re.compile(r"(?:^|_)error_(\d{3})_")
_DROPPED_HEADERS = {"content-length", "connection", "date", "server", "transfer-encoding"}


def split_events(data: bytes) -> list[bytes]:
    """Split an SSE transcript after each blank line, keeping every byte (joins back exactly)."""
    parts = [p for p in _EVENT_SPLIT.split(data) if p]
    return parts or [data]


def replay(
    path: str | Path,
    *,
    status: int | None = None,
    split: str | int = "events",
    chunk_delay: float = 0.0,
    headers: Mapping[str, str] | None = None,
    abort_after: int | None = None,
) -> Reply:
    """A :class:`Reply` that serves a recorded fixture file.

    ``.sse`` files are sent byte for byte as ``text/event-stream`` (split after each event, or
    every ``split`` bytes, or ``"whole"``); ``.chunks.jsonl`` files are re-framed as the README
    says (Responses ``event:``/``data:``, Gemini ``data:`` + CRLF); ``.json`` files are sent as
    ``application/json`` unchanged. The status defaults to the one in the file name
    (``error_429_…`` → 429), else 200. ``abort_after`` cuts the connection after that many chunks.
    """
    path = Path(path)
    raw = path.read_bytes()
    name = path.name
    if status is None:
        match = _STATUS_IN_NAME.search(name)
        status = int(match.group(1)) if match else 200
    if name.endswith(".chunks.jsonl"):
        raw = _reframe_chunks(raw, gemini=path.parent.name == "gemini")
        content_type = "text/event-stream"
    elif name.endswith(".sse"):
        content_type = "text/event-stream; charset=utf-8"
    elif name.endswith(".json"):
        content_type = "application/json"
    else:
        raise ValueError(f"don't know how to replay {name!r} (expected .sse, .chunks.jsonl, .json)")
    if split == "events" and content_type.startswith("text/event-stream"):
        pieces = split_events(raw)
    elif isinstance(split, int):
        pieces = [raw[i : i + split] for i in range(0, len(raw), split)]
    else:
        pieces = [raw]
    abort = abort_after is not None
    if abort_after is not None:
        pieces = pieces[:abort_after]
    return Reply(
        status=status,
        chunks=pieces,
        content_type=content_type,
        chunk_delay=chunk_delay,
        headers=dict(headers or {}),
        abort=abort,
    )


def _reframe_chunks(raw: bytes, *, gemini: bool) -> bytes:
    out = bytearray()
    for line in raw.splitlines():
        line = line.strip()
        if not line:
            continue
        if gemini:
            out += b"data: " + line + b"\r\n\r\n"
        else:
            event = json.loads(line).get("type", "message")
            out += b"event: " + event.encode() + b"\ndata: " + line + b"\n\n"
    return bytes(out)


def replay_exchange(path: str | Path, *, chunk_delay: float = 0.0) -> list[Reply]:
    """The responses of a recorded exchange file, in order, as :class:`Reply` objects.

    Reads the Anthropic recorder format (a JSON list of ``{request, response}``) and the google
    test-server format (``{interactions: [{request, response: {statusCode, headers,
    bodySegments}}]}``). Status and headers are kept (minus hop-by-hop ones); an SSE body is
    split after each event. Script the list to replay a whole retry sequence.
    """
    data = json.loads(Path(path).read_text())
    replies: list[Reply] = []
    if isinstance(data, list):
        for exchange in data:
            resp = exchange["response"]
            replies.append(
                _exchange_reply(resp["status_code"], resp["headers"], resp["body"], chunk_delay)
            )
        return replies
    for interaction in data["interactions"]:
        resp = interaction["response"]
        headers = {k.lower(): v for k, v in resp["headers"].items()}
        segments = resp.get("bodySegments") or []
        if (
            headers.get("content-type", "").startswith("text/event-stream")
            and resp["statusCode"] < 400
        ):
            body: Any = "".join(f"data: {dumps(seg)}\r\n\r\n" for seg in segments)
        else:
            body = segments[0] if len(segments) == 1 else segments
        replies.append(_exchange_reply(resp["statusCode"], headers, body, chunk_delay))
    return replies


def _exchange_reply(
    status: int, headers: Mapping[str, str], body: Any, chunk_delay: float
) -> Reply:
    kept = {k.lower(): v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS}
    content_type = kept.pop("content-type", None)
    if isinstance(body, str):
        raw = body.encode()
        if content_type and content_type.startswith("text/event-stream"):
            return Reply(
                status=status,
                chunks=split_events(raw),
                headers=kept,
                content_type=content_type,
                chunk_delay=chunk_delay,
            )
        return Reply(status=status, body=raw, headers=kept, content_type=content_type)
    return Reply(
        status=status, json=body, headers=kept, content_type=content_type or "application/json"
    )
