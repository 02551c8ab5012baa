"""Load generators: C keep-alive connections sending chat requests back to back.

``raw`` (default) writes pre-rendered request bytes on asyncio streams and reads just enough
HTTP/1.1 to know where each response ends (``Content-Length`` or chunked), noting the first
body byte (TTFB) and checking a stream reached ``data: [DONE]``. ``httpx`` does the same with
a tuned ``httpx.AsyncClient``, kept to measure the difference: the generator must cost less
than what it measures.

A run has a warm-up (not counted), then a measured window bounded in time and in requests.
Throughput counts the requests *started* in the window, over the time until the last of them
finished.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to send the chat requests."""

    host: str
    port: int
    path: str
    model: str
    headers: tuple[tuple[str, str], ...] = ()

    def body(self, stream: bool) -> bytes:
        payload: dict[str, object] = {
            "model": self.model,
            "messages": [{"role": "user", "content": "hello"}],
            "stream": stream,
        }
        if stream:
            payload["stream_options"] = {"include_usage": True}
        return json.dumps(payload, separators=(",", ":")).encode()

    def request_bytes(self, stream: bool) -> bytes:
        body = self.body(stream)
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"host: {self.host}:{self.port}",
            "content-type: application/json",
            "accept: */*",
            f"content-length: {len(body)}",
            *(f"{name}: {value}" for name, value in self.headers),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(slots=True)
class RunResult:
    """What one load run measured (times in seconds)."""

    connections: int
    requests: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    ttfbs: list[float] = field(default_factory=list)
    first_error: str | None = None
    client_cpu: float = 0.0  # share of one core the generator used over the whole run

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0


class Window:
    """Warm-up, then a measured window; collects samples of requests started inside it."""

    def __init__(self, connections: int, warmup: float, duration: float, max_requests: int) -> None:
        now = time.perf_counter()
        self.warm_end = now + warmup
        self.deadline = self.warm_end + duration
        self.max_requests = max_requests
        self.issued = 0
        self.last_end = self.warm_end
        self.result = RunResult(connections)

    def issue(self) -> bool:
        """May a worker start another request now?"""
        now = time.perf_counter()
        if now >= self.deadline or self.issued >= self.max_requests:
            return False
        if now >= self.warm_end:
            self.issued += 1
        return True

    def record(self, start: float, end: float, ttfb: float | None, error: str | None) -> None:
        if start < self.warm_end:
            return
        result = self.result
        self.last_end = max(self.last_end, end)
        if error is not None:
            result.errors += 1
            result.first_error = result.first_error or error
            return
        result.requests += 1
        result.latencies.append(end - start)
        if ttfb is not None:
            result.ttfbs.append(ttfb)

    def finish(self) -> RunResult:
        self.result.elapsed = self.last_end - self.warm_end
        return self.result


def _header(head: bytes, name: bytes) -> bytes | None:
    at = head.find(b"\r\n" + name + b":")
    if at < 0:
        return None
    start = at + len(name) + 3
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else None].strip()


async def _raw_exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes, stream: bool
) -> tuple[float | None, str | None, bool]:
    """Send one request, read its response: (ttfb, error, connection must close)."""
    start = time.perf_counter()
    writer.write(payload)
    head = (await reader.readuntil(b"\r\n\r\n")).lower()
    status = int(head[9:12])
    close = _header(head, b"connection") == b"close"
    ttfb: float | None = None
    tail = b""
    if _header(head, b"transfer-encoding") == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            data = await reader.readexactly(size + 2)
            if ttfb is None:
                ttfb = time.perf_counter() - start
            tail = (tail + data[:-2])[-64:]
    else:
        length = int(_header(head, b"content-length") or 0)
        tail = (await reader.readexactly(length))[-300:] if length else b""
        ttfb = time.perf_counter() - start
    if status != 200:
        return ttfb, f"HTTP {status}: {tail.decode('utf-8', 'replace')}", True
    if stream and b"[DONE]" not in tail:
        return ttfb, "stream ended without data: [DONE]", close
    return ttfb, None, close


async def _raw_worker(endpoint: Endpoint, stream: bool, window: Window) -> None:
    payload = endpoint.request_bytes(stream)
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while window.issue():
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(
                    endpoint.host, endpoint.port, limit=1 << 20
                )
            start = time.perf_counter()
            try:
                ttfb, error, close = await _raw_exchange(reader, writer, payload, stream)
            except (
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
            ) as exc:
                ttfb, error, close = None, f"{type(exc).__name__}: {exc}", True
            window.record(start, time.perf_counter(), ttfb, error)
            if close:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def _httpx_worker(
    client: httpx.AsyncClient, endpoint: Endpoint, stream: bool, window: Window
) -> None:
    url = f"http://{endpoint.host}:{endpoint.port}{endpoint.path}"
    body = endpoint.body(stream)
    headers = {"content-type": "application/json", **dict(endpoint.headers)}
    while window.issue():
        start = time.perf_counter()
        ttfb: float | None = None
        error: str | None = None
        try:
            async with client.stream("POST", url, content=body, headers=headers) as response:
                tail = b""
                async for chunk in response.aiter_raw():
                    if ttfb is None:
                        ttfb = time.perf_counter() - start
                    tail = (tail + chunk)[-300:]
            if response.status_code != 200:
                error = f"HTTP {response.status_code}: {tail.decode('utf-8', 'replace')}"
            elif stream and b"[DONE]" not in tail:
                error = "stream ended without data: [DONE]"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        window.record(start, time.perf_counter(), ttfb, error)


async def run_load(
    endpoint: Endpoint,
    *,
    stream: bool,
    connections: int,
    warmup: float,
    duration: float,
    max_requests: int,
    client: str = "raw",
) -> RunResult:
    """Drive ``connections`` concurrent keep-alive clients; return what the window measured."""
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    window = Window(connections, warmup, duration, max_requests)
    if client == "raw":
        await asyncio.gather(*(_raw_worker(endpoint, stream, window) for _ in range(connections)))
    elif client == "httpx":
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        timeout = httpx.Timeout(60.0)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as session:
            await asyncio.gather(
                *(_httpx_worker(session, endpoint, stream, window) for _ in range(connections))
            )
    else:
        raise ValueError(f"unknown client {client!r} (raw or httpx)")
    result = window.finish()
    wall = time.perf_counter() - wall_start
    result.client_cpu = (time.process_time() - cpu_start) / wall if wall > 0 else 0.0
    return result
