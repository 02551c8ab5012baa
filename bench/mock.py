"""The benchmark's mock OpenAI upstream: chat completions, non-stream and SSE, as cheaply as
Python can answer them, so the mock is never what the benchmark measures.

Two implementations answer the same bytes:

- ``raw`` — an ``asyncio.Protocol`` speaking just enough HTTP/1.1 (request line, headers,
  ``Content-Length`` bodies, keep-alive, pipelining; responses with ``Content-Length`` or
  chunked SSE). Responses are pre-rendered bytes; the only per-request work is finding the
  body and reading its ``stream`` flag. This is the default.
- ``hypercorn`` — the same answers from a plain ASGI app on Hypercorn, kept to measure the
  difference (the gateway itself runs on Hypercorn).

Run it as ``python -m bench.mock --port 0``: it prints ``LISTENING <port>`` once bound and
serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any

MODEL = "gpt-bench"
DEFAULT_CHUNKS = 20


@dataclass(frozen=True, slots=True)
class MockConfig:
    """What the mock streams: ``chunks`` content deltas, ``chunk_delay`` seconds apart."""

    chunks: int = DEFAULT_CHUNKS
    chunk_delay: float = 0.0


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> bytes:
    payload = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1730000000,
        "model": MODEL,
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        if usage is None
        else [],
        "usage": usage,
    }
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


class Answers:
    """Pre-rendered response bytes for one :class:`MockConfig`."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        usage = {
            "prompt_tokens": 8,
            "completion_tokens": config.chunks,
            "total_tokens": 8 + config.chunks,
        }
        body = {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1730000000,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "tok " * config.chunks,
                        "refusal": None,
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
            "system_fingerprint": "fp_bench",
        }
        self.json_body = json.dumps(body, separators=(",", ":")).encode()
        self.events = [
            _chunk({"role": "assistant", "content": ""}),
            *(_chunk({"content": "tok "}) for _ in range(config.chunks)),
            _chunk({}, "stop"),
            _chunk({}, usage=usage),
            b"data: [DONE]\n\n",
        ]
        self.json_response = (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + b"content-length: %d\r\n\r\n" % len(self.json_body)
            + self.json_body
        )
        self.stream_head = (
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
            b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        self.stream_frames = [b"%x\r\n%s\r\n" % (len(e), e) for e in self.events]
        # with no delay the whole stream goes out in one write (one syscall, as fast as it gets)
        self.stream_whole = self.stream_head + b"".join(self.stream_frames) + b"0\r\n\r\n"
        missing = b'{"error":"no such path"}'
        self.not_found = (
            b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n"
            + b"content-length: %d\r\n\r\n" % len(missing)
            + missing
        )


def wants_stream(body: bytes) -> bool:
    """The request's ``stream`` flag (a cheap scan first; JSON only when it might be set)."""
    if b'"stream"' not in body:
        return False
    try:
        return bool(json.loads(body).get("stream"))
    except ValueError:
        return False


class RawHTTP(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of the raw mock."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.streaming: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.streaming is not None:
            self.streaming.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._serve()

    def _serve(self) -> None:
        buf = self.buffer
        while self.streaming is None and self.transport is not None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                line_end = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : line_end if line_end >= 0 else None])
            total = end + 4 + length
            if len(buf) < total:
                return
            body = bytes(buf[end + 4 : total])
            del buf[:total]
            method, _, rest = head.partition(b" ")
            path = rest.partition(b" ")[0].partition(b"?")[0]
            self._answer(method, path, body)

    def _answer(self, method: bytes, path: bytes, body: bytes) -> None:
        answers, transport = self.answers, self.transport
        assert transport is not None
        if method != b"post" or not path.endswith(b"/chat/completions"):
            transport.write(answers.not_found)
        elif not wants_stream(body):
            transport.write(answers.json_response)
        elif answers.config.chunk_delay <= 0:
            transport.write(answers.stream_whole)
        else:
            self.streaming = asyncio.ensure_future(self._drip())

    async def _drip(self) -> None:
        answers = self.answers
        try:
            assert self.transport is not None
            self.transport.write(answers.stream_head)
            for frame in answers.stream_frames:
                await asyncio.sleep(answers.config.chunk_delay)
                if self.transport is None:
                    return
                self.transport.write(frame)
            self.transport.write(b"0\r\n\r\n")
        finally:
            self.streaming = None
        self._serve()  # requests pipelined behind the stream


def asgi_app(answers: Answers) -> Any:
    """The same answers as a plain ASGI app (for the Hypercorn variant)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] != "POST" or not scope["path"].endswith("/chat/completions"):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
        elif not wants_stream(body):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": answers.json_body})
        else:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream; charset=utf-8")],
                }
            )
            for event in answers.events:
                if answers.config.chunk_delay > 0:
                    await asyncio.sleep(answers.config.chunk_delay)
                await send({"type": "http.response.body", "body": event, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

    return app


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted sockets inherit it; without it small SSE writes wait ~40 ms on delayed ACKs
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


async def serve(impl: str, host: str, port: int, config: MockConfig) -> None:
    """Serve until SIGINT/SIGTERM; print ``LISTENING <port>`` once bound."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    answers = Answers(config)
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    if impl == "raw":
        server = await loop.create_server(lambda: RawHTTP(answers), sock=sock)
        print(f"LISTENING {bound}", flush=True)
        async with server:
            await stop.wait()
        return
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    hc = Config()
    hc.bind = [f"fd://{sock.detach()}"]
    hc.accesslog = None
    hc.keep_alive_timeout = 60
    hc.backlog = 1024
    print(f"LISTENING {bound}", flush=True)
    await hypercorn_serve(asgi_app(answers), hc, shutdown_trigger=stop.wait)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.mock", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--impl", choices=["raw", "hypercorn"], default="raw")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stream-chunks", type=int, default=DEFAULT_CHUNKS)
    parser.add_argument("--chunk-delay-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    config = MockConfig(chunks=args.stream_chunks, chunk_delay=args.chunk_delay_ms / 1000)
    started = time.monotonic()
    try:
        asyncio.run(serve(args.impl, args.host, args.port, config))
    except KeyboardInterrupt:
        pass
    print(f"mock stopped after {time.monotonic() - started:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
