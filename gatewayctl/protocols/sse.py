"""Incremental stream framing: SSE and Gemini's JSON streams, in and out.

The parsers are fed raw byte chunks exactly as they come off the socket and return the
complete events those bytes finish. They are correct for any split of the input: a CRLF split
between two chunks, a multi-byte UTF-8 character split across chunks, an event split at any
byte. They work on bytes and decode only complete lines, so a split code point never reaches
the decoder.

SSE (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines end in CRLF, LF or
CR; ``data:`` lines of one event are joined with ``\\n``; a line starting with ``:`` is a
comment (surfaced as a keep-alive so a relay can forward it); a blank line dispatches the event.

Gemini without ``alt=sse`` streams one JSON array (``[{…},\\r\\n{…}]``); gproxy's NDJSON mode
sends one object per line. :class:`JsonStreamParser` accepts both: it extracts each complete
top-level JSON object, skipping the array brackets, commas and whitespace between them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class SSEEvent:
    """One dispatched SSE event. ``comment`` events carry the comment text in ``data``."""

    event: str | None
    data: str
    id: str | None = None
    retry: int | None = None
    comment: bool = False

    def json(self) -> Any:
        return json.loads(self.data)


class SSEParser:
    """Feed bytes, get :class:`SSEEvent` objects. Call :meth:`close` at end of stream."""

    __slots__ = ("_buf", "_data", "_event", "_id", "_retry", "_has_data", "_skip_lf", "_bom")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._has_data = False
        self._skip_lf = False  # previous chunk ended in CR: a leading LF belongs to it
        self._bom = True  # still at the very start (strip one UTF-8 BOM)

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        self._buf += chunk
        if self._bom:
            if len(self._buf) < 3 and b"\xef\xbb\xbf".startswith(bytes(self._buf)):
                return []
            if self._buf.startswith(b"\xef\xbb\xbf"):
                del self._buf[:3]
            self._bom = False
        out: list[SSEEvent] = []
        buf = self._buf
        start = 0
        n = len(buf)
        while start < n:
            cr = buf.find(b"\r", start)
            lf = buf.find(b"\n", start)
            if cr == -1 and lf == -1:
                break
            if cr == -1 or (lf != -1 and lf < cr):
                end, nxt = lf, lf + 1
            else:
                end = cr
                if cr + 1 < n:
                    nxt = cr + 2 if buf[cr + 1] == 0x0A else cr + 1
                else:
                    nxt = cr + 1
                    self._skip_lf = True
            self._line(bytes(buf[start:end]).decode("utf-8", "replace"), out)
            start = nxt
        del buf[:start]
        return out

    def close(self) -> list[SSEEvent]:
        """End of input: dispatch a final event that was not followed by a blank line."""
        out: list[SSEEvent] = []
        if self._buf:
            self._line(bytes(self._buf).decode("utf-8", "replace"), out)
            self._buf.clear()
        self._line("", out)
        return out

    def _line(self, line: str, out: list[SSEEvent]) -> None:
        if not line:
            if self._has_data or self._event is not None:
                out.append(SSEEvent(self._event, "\n".join(self._data), self._id, self._retry))
            self._data = []
            self._event = None
            self._retry = None
            self._has_data = False
            return
        if line[0] == ":":
            out.append(SSEEvent(None, line[1:].lstrip(" "), comment=True))
            return
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry":
            if value.isdigit():
                self._retry = int(value)
        # any other field name is ignored, as the spec says


class JsonStreamParser:
    """Extract complete top-level JSON objects from an NDJSON or JSON-array byte stream."""

    __slots__ = ("_buf", "_pos", "_depth", "_in_str", "_esc", "_obj_start")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0
        self._depth = 0
        self._in_str = False
        self._esc = False
        self._obj_start = -1

    def feed(self, chunk: bytes) -> list[Any]:
        self._buf += chunk
        out: list[Any] = []
        buf = self._buf
        i = self._pos
        n = len(buf)
        depth, in_str, esc, obj_start = self._depth, self._in_str, self._esc, self._obj_start
        while i < n:
            c = buf[i]
            if in_str:
                if esc:
                    esc = False
                elif c == 0x5C:  # backslash
                    esc = True
                elif c == 0x22:  # quote
                    in_str = False
            elif c == 0x22:
                in_str = True
            elif c == 0x7B or (c == 0x5B and depth > 0):  # { or a nested [
                if depth == 0:
                    obj_start = i
                depth += 1
            elif c == 0x7D or c == 0x5D:  # } ]
                if depth > 0:
                    depth -= 1
                    if depth == 0:
                        raw = bytes(buf[obj_start : i + 1])
                        out.append(json.loads(raw.decode("utf-8")))
                        obj_start = -1
            i += 1
        # drop consumed bytes, keep an unfinished object
        keep_from = obj_start if obj_start != -1 else i
        del buf[:keep_from]
        self._pos = i - keep_from
        if obj_start != -1:
            obj_start = 0
        self._depth, self._in_str, self._esc, self._obj_start = depth, in_str, esc, obj_start
        return out

    def close(self) -> list[Any]:
        """End of input. Raises ValueError if an object was left incomplete."""
        if self._obj_start != -1 and self._buf.strip():
            raise ValueError("stream ended inside a JSON object")
        return []


def encode_sse(data: str | bytes, event: str | None = None) -> bytes:
    """Frame one SSE event. ``data`` must be a single line (JSON is); multi-line data is
    split into several ``data:`` lines."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    head = f"event: {event}\n" if event else ""
    if "\n" in data or "\r" in data:
        body = "".join(f"data: {line}\n" for line in data.splitlines())
    else:
        body = f"data: {data}\n"
    return f"{head}{body}\n".encode()


def encode_sse_json(obj: Any, event: str | None = None) -> bytes:
    return encode_sse(dumps(obj), event)


def encode_sse_comment(text: str = "") -> bytes:
    return f": {text}\n\n".encode()


def encode_ndjson(obj: Any) -> bytes:
    return (dumps(obj) + "\n").encode()


def dumps(obj: Any) -> str:
    """Compact JSON as the providers write it (no spaces, UTF-8 kept)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
