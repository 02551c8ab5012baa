"""The upstream client: transport choice, no cookies, and upstream protocol errors surfacing
as httpx errors on both transports (so they fail over like any network error)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gatewayctl.gateway import upstream

TRANSPORTS = ["httpx", "aiohttp"] if upstream.aiohttp_available() else ["httpx"]


def test_transport_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(upstream.ENV_TRANSPORT, "httpx")
    assert upstream.resolve_transport("aiohttp") == "httpx"
    monkeypatch.delenv(upstream.ENV_TRANSPORT)
    expected = "aiohttp" if upstream.aiohttp_available() else "httpx"
    assert upstream.resolve_transport("auto") == expected
    client = upstream.make_client(upstream.ClientOptions(transport="httpx"))
    assert upstream.transport_of(client) == "httpx"
    assert client.timeout.read == upstream.ClientOptions().read_timeout


async def test_the_shared_client_keeps_no_cookies(httpx_mock: Any) -> None:
    httpx_mock.add_response(url="http://127.0.0.1:9/a", headers={"set-cookie": "sid=one; Path=/"})
    httpx_mock.add_response(url="http://127.0.0.1:9/b")
    client = upstream.make_client(upstream.ClientOptions(transport="httpx"))
    async with client:
        await client.get("http://127.0.0.1:9/a")
        await client.get("http://127.0.0.1:9/b")
    assert "cookie" not in httpx_mock.get_requests()[1].headers


@pytest.fixture
async def raw_upstream() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A loopback 'upstream' that answers the bytes a test puts in the list."""
    answers: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answers.pop(0))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/", answers


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "wire",
    [
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
async def test_a_malformed_upstream_answer_is_an_httpx_error(
    raw_upstream: tuple[str, list[bytes]], transport: Any, wire: bytes
) -> None:
    url, answers = raw_upstream
    answers.append(wire)
    client = upstream.make_client(upstream.ClientOptions(transport=transport))
    async with client:
        with pytest.raises(httpx.TransportError):
            response = await client.send(client.build_request("GET", url), stream=True)
            try:
                await response.aread()
            finally:
                await response.aclose()
