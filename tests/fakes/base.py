"""The ASGI core every fake upstream shares: routing, auth hook, scripts, records, sending.

A fake is a plain ASGI callable (no framework: fast to start, nothing between the test and
the bytes). Per request it records what arrived (:class:`RecordedRequest`), matches a route,
checks the key the vendor's way, takes the next scripted item for that route/key if any, and
sends a :class:`~tests.fakes.wire.Reply`. While it sends, a watcher waits for the ASGI
``http.disconnect`` message, so the record knows — with a timestamp — when the client went
away mid-response, and an endless or slow stream stops at once.

The fake runs in a server thread (see :mod:`tests.fakes.server`) while tests read records and
add scripts from their own thread, so shared state sits behind a lock and the records expose
thread-safe waits (with ``*_async`` twins for async tests).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

from tests.fakes.plan import Answer
from tests.fakes.wire import Reply

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

Outcome = Literal["completed", "aborted", "disconnected", "cancelled"]
ScriptFn = Callable[["RecordedRequest"], "Reply | Answer | Awaitable[Reply | Answer]"]
ScriptItem = Reply | Answer | ScriptFn


class BadRequest(Exception):
    """Raised by a handler: answer with the vendor's error body for ``status``."""

    def __init__(self, message: str, status: int = 400, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param


class Signal:
    """A one-shot flag set from the server thread and awaited from any thread or event loop."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        with self._lock:
            self._event.set()
            waiters, self._waiters = self._waiters, []
        _wake(waiters)

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)

    async def wait_async(self) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._event.is_set():
                return
            self._waiters.append((loop, future))
        try:
            await future
        finally:
            with self._lock:
                if (loop, future) in self._waiters:
                    self._waiters.remove((loop, future))


def _wake(waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]) -> None:
    for loop, future in waiters:
        try:
            loop.call_soon_threadsafe(_resolve, future)
        except RuntimeError:  # that loop is closed: nobody is waiting any more
            pass


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass(eq=False)
class RecordedRequest:
    """One request as the fake received it, and what became of its response."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.monotonic()
    route: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    key: str | None = None
    scripted: bool = False
    status: int | None = None  # set just before the status line is sent
    chunks_sent: int = 0
    # completed: the whole body was handed to the server; aborted: cut by script;
    # disconnected: the client went away first; cancelled: reset/stop cut it
    outcome: Outcome | None = None
    ended_at: float | None = None  # monotonic time the response ended, however it ended
    disconnected_at: float | None = None  # monotonic time the client was seen to go away
    _ended: Signal = field(default_factory=lambda: Signal(), repr=False)

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def disconnected(self) -> bool:
        return self.outcome == "disconnected"

    def wait_ended(self, timeout: float = 5.0) -> bool:
        """Block until the response ended (completed, aborted, disconnected, cancelled)."""
        return self._ended.wait(timeout)

    async def wait_ended_async(self) -> None:
        """Await the end of the response; bound it with ``asyncio.timeout``."""
        await self._ended.wait_async()

    def _finish(self, outcome: Outcome) -> None:
        now = time.monotonic()
        if outcome == "disconnected":
            self.disconnected_at = now
        self.outcome = outcome
        self.ended_at = now
        self._ended.set()


@dataclass(slots=True)
class _Scripted:
    item: ScriptItem
    route: str | None
    key: str | None
    remaining: int | None


Handler = Callable[[RecordedRequest, Answer | None], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    """``method`` + full-match ``pattern`` (named groups become ``params``) → ``name``."""

    method: str
    pattern: re.Pattern[str]
    name: str


class FakeUpstream:
    """Base class: subclasses set ``routes``, ``default_keys``, ``default_models`` and the
    vendor hooks."""

    vendor = "fake"
    routes: tuple[Route, ...] = ()
    default_keys: tuple[str, ...] = ()
    default_models: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        keys: Iterable[str] | None | Literal["default"] = "default",
        models: Iterable[str] | None = None,
    ) -> None:
        """``keys``: accepted API keys (default: :attr:`default_keys`; None accepts any key).
        ``models``: what the model routes list (default: :attr:`default_models`). Both are
        plain attributes a test may change; :meth:`reset` restores them."""
        if keys == "default":
            self.keys: set[str] | None = set(self.default_keys)
        else:
            self.keys = None if keys is None else set(keys)
        self.models: list[str] = list(self.default_models if models is None else models)
        self._initial = (None if self.keys is None else set(self.keys), list(self.models))
        self.url = ""  # set by the runner once bound
        self._lock = threading.Condition()
        self._records: list[RecordedRequest] = []
        self._scripts: list[_Scripted] = []
        self._arrival_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._active: set[asyncio.Task[Outcome]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- test-facing API ----------------------------------------------------------------------

    @property
    def key(self) -> str:
        """An accepted key (the first default one) for clients in tests."""
        if self.keys is None or (self.default_keys and self.default_keys[0] in self.keys):
            return self.default_keys[0] if self.default_keys else "any-key"
        if not self.keys:
            raise AssertionError(f"the {self.vendor} fake accepts no key")
        return sorted(self.keys)[0]

    def script(
        self,
        *items: ScriptItem,
        route: str | None = None,
        key: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Queue scripted answers, used in order by matching requests.

        ``route`` limits an item to one route name (e.g. ``"chat"``), ``key`` to requests made
        with that API key; ``times`` is how many requests each item answers (None: forever).
        An item is a :class:`Reply` (exact wire), an :class:`Answer` (rendered by the fake) or
        a callable taking the :class:`RecordedRequest` and returning either (may be async).
        """
        if route is not None and route not in {r.name for r in self.routes}:
            known = ", ".join(sorted({r.name for r in self.routes}))
            raise ValueError(f"{self.vendor} fake has no route {route!r} (routes: {known})")
        with self._lock:
            self._scripts.extend(_Scripted(item, route, key, times) for item in items)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._records)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self._records:
                raise AssertionError(f"the {self.vendor} fake received no request")
            return self._records[-1]

    def requests_to(self, route: str) -> list[RecordedRequest]:
        """Requests that matched the named route."""
        return [r for r in self.requests if r.route == route]

    @property
    def pending_scripts(self) -> int:
        """Scripted items not yet used up."""
        with self._lock:
            return len(self._scripts)

    @property
    def active_responses(self) -> int:
        """Responses still being sent right now."""
        return len(self._active)

    def wait_for_request(
        self, route: str | None = None, count: int = 1, timeout: float = 5.0
    ) -> RecordedRequest:
        """Block until ``count`` requests (to ``route``, if given) arrived; return the last."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                matched = [r for r in self._records if route is None or r.route == route]
                if len(matched) >= count:
                    return matched[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{self.vendor} fake: {len(matched)} of {count} request(s)"
                        f" to {route or 'any route'} after {timeout}s"
                    )
                self._lock.wait(left)

    async def wait_for_request_async(
        self, route: str | None = None, count: int = 1
    ) -> RecordedRequest:
        """Await ``count`` requests (to ``route``, if given); bound it with ``asyncio.timeout``."""
        loop = asyncio.get_running_loop()
        while True:
            future: asyncio.Future[None] = loop.create_future()
            with self._lock:
                matched = [r for r in self._records if route is None or r.route == route]
                if len(matched) >= count:
                    return matched[count - 1]
                self._arrival_waiters.append((loop, future))
            try:
                await future
            finally:
                with self._lock:
                    if (loop, future) in self._arrival_waiters:
                        self._arrival_waiters.remove((loop, future))

    def reset(self) -> None:
        """Forget records and scripts, restore keys and models, cut responses still streaming
        (their outcome is ``cancelled``)."""
        with self._lock:
            self._records.clear()
            self._scripts.clear()
            keys, models = self._initial
            self.keys = None if keys is None else set(keys)
            self.models = list(models)
        self.cancel_active()

    def cancel_active(self, timeout: float = 2.0) -> None:
        """Cancel responses still being sent (never-ending streams), from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed() or not self._active:
            return
        if _running_loop() is loop:
            for task in list(self._active):
                task.cancel()
            return

        async def cancel_all() -> None:
            tasks = list(self._active)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(timeout)
        except (RuntimeError, TimeoutError):
            pass

    # --- vendor hooks -------------------------------------------------------------------------

    def extract_key(self, req: RecordedRequest) -> str | None:
        """The API key the request carries, the vendor's way."""
        raise NotImplementedError

    def authenticate(self, req: RecordedRequest) -> Reply | None:
        """A rejection :class:`Reply` for a missing or wrong key, else None."""
        raise NotImplementedError

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """The vendor's error response for ``status``."""
        raise NotImplementedError

    def error_for(
        self, req: RecordedRequest, status: int, message: str, param: str | None = None
    ) -> Reply:
        """The error body for ``req`` (a fake whose routes differ in error shape overrides it)."""
        return self.error(status, message, param=param)

    def handler(self, route: str) -> Handler:
        """The method answering ``route``: ``handle_<route with . → _>``."""
        return getattr(self, "handle_" + route.replace(".", "_"))  # type: ignore[no-any-return]

    def not_found(self, req: RecordedRequest) -> Reply:
        return self.error(404, f"Unknown request URL: {req.method} {req.path}")

    # --- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        self._loop = asyncio.get_running_loop()
        body = await _read_body(receive)
        req = self._record(scope, body)
        reply = await self._reply_for(req)
        await self._send(reply, req, receive, send)

    def _record(self, scope: Scope, body: bytes) -> RecordedRequest:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        req = RecordedRequest(
            method=scope["method"],
            path=scope["path"],
            query=dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)),
            headers=headers,
            body=body,
            received_at=time.monotonic(),
        )
        for route in self.routes:
            if route.method == req.method:
                match = route.pattern.fullmatch(req.path)
                if match:
                    req.route = route.name
                    req.params = {k: v for k, v in match.groupdict().items() if v is not None}
                    break
        req.key = self.extract_key(req)
        with self._lock:
            self._records.append(req)
            self._lock.notify_all()
            waiters, self._arrival_waiters = self._arrival_waiters, []
        _wake(waiters)
        return req

    def _take_script(self, req: RecordedRequest) -> ScriptItem | None:
        with self._lock:
            for entry in self._scripts:
                if (entry.route is None or entry.route == req.route) and (
                    entry.key is None or entry.key == req.key
                ):
                    if entry.remaining is not None:
                        entry.remaining -= 1
                        if entry.remaining <= 0:
                            self._scripts.remove(entry)
                    return entry.item
        return None

    async def _reply_for(self, req: RecordedRequest) -> Reply:
        if req.route is None:
            return self.not_found(req)
        rejection = self.authenticate(req)
        if rejection is not None:
            return rejection
        item = self._take_script(req)
        if item is not None and not isinstance(item, Reply | Answer):
            produced = item(req)
            item = await produced if inspect.isawaitable(produced) else produced
        if isinstance(item, Reply):
            req.scripted = True
            return item
        if isinstance(item, Answer):
            req.scripted = True
        try:
            return self.handler(req.route)(req, item)
        except BadRequest as exc:
            return self.error_for(req, exc.status, exc.message, exc.param)

    async def _send(self, reply: Reply, req: RecordedRequest, receive: Receive, send: Send) -> None:
        watcher = asyncio.ensure_future(_wait_disconnect(receive))
        writer = asyncio.ensure_future(self._write(reply, req, send))
        self._active.add(writer)
        try:
            try:
                await asyncio.wait({watcher, writer}, return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:  # the server is shutting down
                writer.cancel()
                if req.outcome is None:
                    req._finish("cancelled")
                raise
            if writer.done():
                outcome: Outcome = "cancelled" if writer.cancelled() else writer.result()
            else:
                writer.cancel()
                await asyncio.gather(writer, return_exceptions=True)
                outcome = "disconnected"
        finally:
            watcher.cancel()
            self._active.discard(writer)
        if req.outcome is None:  # "completed" is recorded before the last message goes out
            req._finish(outcome)

    async def _write(self, reply: Reply, req: RecordedRequest, send: Send) -> Outcome:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        headers = reply.header_list()
        if not reply.streamed:
            body = reply.body_bytes()
            headers.append((b"content-length", str(len(body)).encode()))
            req.status = reply.status
            await send({"type": "http.response.start", "status": reply.status, "headers": headers})
            req._finish("completed")
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return "completed"
        req.status = reply.status
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        for chunk in reply.chunk_list():
            delay = reply.chunk_delay if chunk.delay is None else chunk.delay
            if delay:
                await asyncio.sleep(delay)
            await send({"type": "http.response.body", "body": chunk.data, "more_body": True})
            req.chunks_sent += 1
        if reply.endless is not None:
            i = 0
            while True:
                await asyncio.sleep(reply.endless_interval)
                frame = reply.endless_frame(i)
                await send({"type": "http.response.body", "body": frame, "more_body": True})
                req.chunks_sent += 1
                i += 1
        if reply.abort:
            return "aborted"  # returning without more_body=False: the server drops the connection
        req._finish("completed")  # before the last message, so a client that read it can check
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return "completed"


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return bytes(body)


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def route(method: str, pattern: str, name: str) -> Route:
    """Shorthand for :class:`Route` with a compiled pattern."""
    return Route(method, re.compile(pattern), name)
