"""The relay closes the upstream and reports the end however the stream ends."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from gatewayctl.gateway.attempt import Answer
from gatewayctl.gateway.relay import Ending, StreamHooks, relay


class Upstream(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes], forever: bool = False) -> None:
        self.chunks = chunks
        self.forever = forever
        self.closed = False

    async def __aiter__(self) -> Any:
        for chunk in self.chunks:
            yield chunk
        while self.forever:
            await asyncio.sleep(0.01)
            yield b"data: more\n\n"

    async def aclose(self) -> None:
        self.closed = True


def answer_for(stream: Upstream) -> Answer:
    response = httpx.Response(200, stream=stream)
    return Answer(200, response.headers, response=response)


async def test_completed_stream() -> None:
    upstream = Upstream([b"a", b"b"])
    endings: list[Ending] = []
    chunks = [c async for c in relay(answer_for(upstream), StreamHooks(), endings.append)]
    assert chunks == [b"a", b"b"]
    assert endings == ["completed"] and upstream.closed


async def test_closed_before_the_first_chunk() -> None:
    upstream = Upstream([b"a"], forever=True)
    endings: list[Ending] = []
    stream = relay(answer_for(upstream), StreamHooks(), endings.append)
    await stream.aclose()  # what Quart does when the client is gone before sending
    assert endings == ["client_gone"] and upstream.closed


async def test_cancelled_mid_stream() -> None:
    upstream = Upstream([b"a"], forever=True)
    endings: list[Ending] = []
    stream = relay(answer_for(upstream), StreamHooks(), endings.append)

    async def consume() -> None:
        async for _ in stream:
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert endings == ["client_gone"] and upstream.closed


async def test_closed_at_a_yield() -> None:
    upstream = Upstream([b"a", b"b"], forever=True)
    endings: list[Ending] = []
    stream = relay(answer_for(upstream), StreamHooks(), endings.append)
    assert await stream.__anext__() == b"a"
    await stream.aclose()
    assert endings == ["client_gone"] and upstream.closed
