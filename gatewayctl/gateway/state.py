"""The runtime snapshot holder: what the hot path reads instead of the database.

A running server keeps one immutable snapshot of its configuration (enabled providers with
their dispatch tables and decrypted credentials, credential statuses, the key table, runtime
settings) and swaps it atomically — one attribute assignment — when the store changes. Readers
call :meth:`RuntimeState.current` and keep using the object they got for the whole request, so
a swap in the middle of a request never mixes two configurations.

Change detection is delegated to a :class:`SnapshotSource` (the server builds one over the
service layer: ``PRAGMA data_version`` to notice any commit cheaply, the trigger-maintained
``config_version`` to ignore commits that only appended log rows). A background task asks it
every ``interval`` seconds, in a worker thread so the event loop never waits on SQLite, and a
write made through the admin API calls :meth:`RuntimeState.reload` right after its commit.
A CLI change in another process is therefore visible within about one polling interval.

This module knows nothing about the database or the service layer: the snapshot type is a
type parameter, and only :meth:`provider` / :meth:`key` assume its shape (``providers``
mapping by name, ``authenticate(api_key)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger("gatewayctl.state")

DEFAULT_INTERVAL = 0.5  # seconds between two change checks


class SnapshotLike(Protocol):
    """The shape :meth:`RuntimeState.provider`, :meth:`RuntimeState.key` and metrics use."""

    @property
    def providers(self) -> Mapping[str, Any]: ...

    @property
    def config_version(self) -> int: ...

    def authenticate(self, api_key: str) -> Any: ...


S = TypeVar("S", bound=SnapshotLike)
S_co = TypeVar("S_co", bound=SnapshotLike, covariant=True)


class SnapshotSource(Protocol[S_co]):
    """Where snapshots come from. All three methods are blocking and run in a worker thread."""

    def changed(self) -> bool:
        """True when the configuration changed since the last call that returned True."""
        ...

    def load(self) -> S_co:
        """Read a complete, consistent snapshot."""
        ...

    def invalidate(self) -> None:
        """Forget what :meth:`changed` has seen, so the next call answers True (retry)."""
        ...


Listener = Callable[[S | None, S], None]


class StateNotLoaded(RuntimeError):
    """:meth:`RuntimeState.current` before the first snapshot was loaded."""


class RuntimeState(Generic[S]):
    """Holds the current snapshot and keeps it fresh.

    Lifecycle: ``await start()`` (loads the first snapshot, raising if that fails, then polls),
    ``await reload()`` after a write, ``await stop()`` at shutdown. Counters (``reloads``,
    ``reload_errors``, ``loaded_at``) feed the metrics endpoint.
    """

    def __init__(self, source: SnapshotSource[S], *, interval: float = DEFAULT_INTERVAL) -> None:
        self._source = source
        self._interval = interval
        self._snapshot: S | None = None
        self._lock: asyncio.Lock | None = None
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Listener[S]] = []
        self.reloads = 0  # successful loads, the first one included
        self.reload_errors = 0
        self.loaded_at = 0.0  # time.time() of the last successful load

    # readers ------------------------------------------------------------------------------

    def current(self) -> S:
        """The snapshot in force; keep the returned object for the whole request."""
        snapshot = self._snapshot
        if snapshot is None:
            raise StateNotLoaded("the runtime snapshot is not loaded yet")
        return snapshot

    @property
    def loaded(self) -> bool:
        return self._snapshot is not None

    def provider(self, name: str) -> Any:
        """The enabled provider called ``name`` in the current snapshot, or None."""
        return self.current().providers.get(name)

    def key(self, presented_key: str) -> Any:
        """The active auth entry for a presented API key (enabled key of an enabled user),
        or None. O(1): one keyed hash and one dict lookup, no I/O."""
        return self.current().authenticate(presented_key)

    def add_listener(self, listener: Listener[S]) -> None:
        """Call ``listener(old, new)`` on the event loop after every swap (old is None the
        first time); keep it cheap. (The gateway itself notices a new snapshot by identity on
        each request, :meth:`ProviderRegistry.follow`.)"""
        self._listeners.append(listener)

    # lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the first snapshot (errors propagate) and start polling."""
        self._lock = asyncio.Lock()
        await self._reload(force=True, raise_errors=True)
        self._task = asyncio.create_task(self._poll(), name="gatewayctl-snapshot-refresher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def reload(self, *, force: bool = False) -> bool:
        """Reload now if the store changed (always with ``force``); True when swapped.

        Errors are logged and counted, never raised: the old snapshot stays in force and the
        next poll retries.
        """
        return await self._reload(force=force, raise_errors=False)

    # internals ----------------------------------------------------------------------------

    async def _reload(self, *, force: bool, raise_errors: bool) -> bool:
        if self._lock is None:
            raise StateNotLoaded("RuntimeState.start() was not awaited")
        async with self._lock:
            try:
                fresh = await asyncio.to_thread(self._check_and_load, force)
            except Exception as exc:
                self.reload_errors += 1
                await asyncio.to_thread(self._source.invalidate)
                if raise_errors:
                    raise
                log.error(
                    "snapshot reload failed (keeping the previous one): %s", exc, exc_info=exc
                )
                return False
            if fresh is None:
                return False
            self._swap(fresh)
            return True

    def _check_and_load(self, force: bool) -> S | None:
        changed = self._source.changed()
        if not (changed or force):
            return None
        return self._source.load()

    def _swap(self, fresh: S) -> None:
        old, self._snapshot = self._snapshot, fresh
        self.reloads += 1
        self.loaded_at = time.time()
        for listener in self._listeners:
            try:
                listener(old, fresh)
            except Exception as exc:  # a listener must not stop the swap
                log.error("snapshot listener failed: %s", exc, exc_info=exc)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.reload()
