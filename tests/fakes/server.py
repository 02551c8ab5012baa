"""Run an ASGI app on Hypercorn in a background thread, on a free 127.0.0.1 port.

httpx's test suite pattern (``serve_in_thread``): the server has its own thread and event
loop, so sync tests, async tests (their own loop) and subprocesses (a gateway under test) can
all reach it over real sockets. The listening socket is bound here (port 0) before Hypercorn
starts, so the URL is known at once and there is no port race; stopping cancels responses
still streaming so a never-ending stream cannot hold the shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config

from tests.fakes.base import FakeUpstream


@dataclass
class RunningServer:
    """A server started by :func:`start_server`; ``url`` has no trailing slash."""

    url: str
    port: int
    app: Any
    _thread: threading.Thread
    _loop: asyncio.AbstractEventLoop
    _shutdown: asyncio.Event
    _errors: list[BaseException] = field(default_factory=list)

    def stop(self, timeout: float = 5.0) -> None:
        """Cut streaming responses, shut Hypercorn down and join the thread."""
        if not self._thread.is_alive():
            return
        if isinstance(self.app, FakeUpstream):
            self.app.cancel_active()
        self._loop.call_soon_threadsafe(self._shutdown.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError(f"server at {self.url} did not stop within {timeout}s")


def _config(sock: socket.socket) -> Config:
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]
    config.graceful_timeout = 0.5
    config.keep_alive_timeout = 30
    config.include_server_header = False
    config.accesslog = None
    quiet = logging.getLogger("tests.fakes.hypercorn")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    config.errorlog = quiet
    return config


def start_server(app: Any, *, host: str = "127.0.0.1", timeout: float = 5.0) -> RunningServer:
    """Serve ``app`` on ``host`` at a free port in a daemon thread; return once it listens.

    A :class:`~tests.fakes.base.FakeUpstream` gets its ``url`` set to the base URL.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Hypercorn sets TCP_NODELAY only on sockets it binds itself; accepted sockets inherit it
    # from this one. Without it, each small stream frame waits ~40 ms for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    url = f"http://{host}:{port}"
    config = _config(sock)
    ready = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        shutdown = asyncio.Event()
        box["loop"], box["shutdown"] = loop, shutdown
        ready.set()
        try:
            loop.run_until_complete(serve(app, config, shutdown_trigger=shutdown.wait))
        except BaseException as exc:  # surfaced by wait_listening / stop
            box.setdefault("errors", []).append(exc)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name=f"fake-server-{port}", daemon=True)
    thread.start()
    if not ready.wait(timeout):
        raise RuntimeError("server thread did not start")
    server = RunningServer(
        url=url,
        port=port,
        app=app,
        _thread=thread,
        _loop=box["loop"],
        _shutdown=box["shutdown"],
        _errors=box.setdefault("errors", []),
    )
    _wait_listening(host, port, timeout, server)
    if isinstance(app, FakeUpstream):
        app.url = url
    return server


def _wait_listening(host: str, port: int, timeout: float, server: RunningServer) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server._errors:
            raise RuntimeError(f"server failed to start: {server._errors[0]!r}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"server on {host}:{port} did not listen within {timeout}s")


@contextmanager
def serving(app: Any) -> Iterator[RunningServer]:
    """Context manager form of :func:`start_server`."""
    server = start_server(app)
    try:
        yield server
    finally:
        server.stop()
