"""The one upstream HTTP client of a gateway process, and its transport.

One :class:`httpx.AsyncClient` per process, created when serving starts and closed when it
stops: connection reuse across requests is most of what makes a relay cheap. Its settings
follow what a relay of LLM traffic needs (python-stack.md §1.1):

* a **long read timeout** (the gap between two received chunks): reasoning models think for
  minutes before the first token; connect/write/pool timeouts stay short;
* a **bounded pool**: a modest keep-alive pool, because httpcore's pool degrades with many
  idle connections (a larger keep-alive pool made it *slower* in the measurements);
* the **transport** chosen by name: ``httpx`` (the stock one, which pytest-httpx can mock) or
  ``aiohttp`` (``httpx-aiohttp``: same httpx API, aiohttp's connection pool underneath,
  ~3× the throughput of the stock pool at 200 concurrent streams). ``auto`` picks aiohttp when
  the package is installed. ``GATEWAYCTL_UPSTREAM_TRANSPORT`` overrides the choice;
* the **egress proxy** of the global settings (``http://``, ``https://``, ``socks5://``) for
  every upstream call; a proxy change makes the gateway build a new client;
* **no cookie jar**: the client is shared by every user and credential, so a ``Set-Cookie``
  from one upstream answer must never ride along on another request (and parsing cookies on
  every response is measurable work for nothing).

Only this module knows which transport is in use; everything else sees ``httpx``.
"""

from __future__ import annotations

import http.cookiejar
import logging
import os
import urllib.request
from dataclasses import dataclass
from typing import Literal

import httpx

log = logging.getLogger("gatewayctl.gateway")

TransportName = Literal["auto", "httpx", "aiohttp"]
ENV_TRANSPORT = "GATEWAYCTL_UPSTREAM_TRANSPORT"


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Timeouts (seconds) and pool bounds of the upstream client."""

    connect_timeout: float = 15.0
    read_timeout: float = 900.0  # between two chunks: long-thinking models stay silent
    write_timeout: float = 60.0
    pool_timeout: float = 60.0
    max_connections: int = 1024
    max_keepalive_connections: int = 64
    keepalive_expiry: float = 30.0
    transport: TransportName = "auto"

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )

    def limits(self) -> httpx.Limits:
        return httpx.Limits(
            max_connections=self.max_connections,
            max_keepalive_connections=self.max_keepalive_connections,
            keepalive_expiry=self.keepalive_expiry,
        )


class NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that never stores or sends anything."""

    def extract_cookies(self, response: object, request: urllib.request.Request) -> None:
        return None

    def add_cookie_header(self, request: urllib.request.Request) -> None:
        return None


def aiohttp_available() -> bool:
    try:
        import httpx_aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_transport(name: TransportName | str | None) -> Literal["httpx", "aiohttp"]:
    """The transport to use: the env override, else ``name`` (``auto`` → aiohttp if installed)."""
    chosen = (os.environ.get(ENV_TRANSPORT) or name or "auto").strip().lower()
    if chosen == "httpx":
        return "httpx"
    if chosen == "aiohttp":
        if not aiohttp_available():
            log.warning("httpx-aiohttp is not installed; using the stock httpx transport")
            return "httpx"
        return "aiohttp"
    if chosen != "auto":
        log.warning("unknown upstream transport %r; using auto", chosen)
    return "aiohttp" if aiohttp_available() else "httpx"


def _aiohttp_errors() -> tuple[type[Exception], ...]:
    """aiohttp's own failures: client errors and HTTP parsing errors (a bad chunk mid-body)."""
    import aiohttp
    from aiohttp.http_exceptions import HttpProcessingError

    return (aiohttp.ClientError, HttpProcessingError)


class _HttpxErrors(httpx.AsyncBaseTransport):
    """Wraps the aiohttp transport so its failures to read an answer surface as httpx errors.

    ``httpx-aiohttp`` maps the common aiohttp errors, but not ``ClientResponseError``, which
    aiohttp raises for malformed HTTP from the upstream (a bad status line or header, a broken
    first chunk): such an upstream must fail over like any broken connection. (A chunk that
    is malformed later in a body raises nothing in aiohttp 3.14: the read waits for the read
    timeout; the stock httpx transport raises at once.)
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except _aiohttp_errors() as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


def _aiohttp_transport(options: ClientOptions, proxy: str | None) -> httpx.AsyncBaseTransport:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    def make_session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=options.max_connections,
            keepalive_timeout=options.keepalive_expiry,
        )
        return aiohttp.ClientSession(
            connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar()
        )

    return _HttpxErrors(
        AiohttpTransport(
            limits=options.limits(),
            proxy=httpx.Proxy(proxy) if proxy else None,
            client=make_session,
        )
    )


def make_client(
    options: ClientOptions | None = None, *, proxy: str | None = None
) -> httpx.AsyncClient:
    """A new upstream client (caller closes it with ``await client.aclose()``)."""
    options = options or ClientOptions()
    kind = resolve_transport(options.transport)
    proxy = proxy or None
    if kind == "aiohttp" and proxy and proxy.startswith("socks"):
        log.warning("the aiohttp transport has no SOCKS support; using httpx for %s", proxy)
        kind = "httpx"
    transport: httpx.AsyncBaseTransport
    if kind == "aiohttp":
        transport = _aiohttp_transport(options, proxy)
    else:
        transport = httpx.AsyncHTTPTransport(limits=options.limits(), retries=0, proxy=proxy)
    client = httpx.AsyncClient(
        transport=transport,
        timeout=options.timeout(),
        follow_redirects=False,
        trust_env=False,
        cookies=NoCookies(),
    )
    client.gatewayctl_transport = kind  # type: ignore[attr-defined]
    log.info("upstream client: %s transport%s", kind, " via an egress proxy" if proxy else "")
    return client


def transport_of(client: httpx.AsyncClient) -> str:
    """Which transport :func:`make_client` gave ``client`` (``httpx`` for foreign clients)."""
    return str(getattr(client, "gatewayctl_transport", "httpx"))
