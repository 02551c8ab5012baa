"""Per-process server resources: the service context, its executor, the snapshot, metrics.

One :class:`ServerRuntime` lives in ``app.extensions["gatewayctl"]``. It is opened in
``before_serving`` and closed in ``after_serving``. Service functions are synchronous (they
talk to SQLite), so admin/user routes run them on a small dedicated thread pool
(:meth:`ServerRuntime.call`): they never block the event loop and never compete with the
loop's default executor, which the snapshot refresher and Quart's ``run_sync`` use.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, ParamSpec, TypeVar

from quart import current_app

from gatewayctl.gateway.state import RuntimeState
from gatewayctl.server.config import ServerConfig
from gatewayctl.server.metrics import Metrics
from gatewayctl.services.context import Context, open_context
from gatewayctl.services.snapshot import ChangeWatcher, Snapshot, load_snapshot
from gatewayctl.settings import Settings, resolve_settings

EXTENSION_KEY = "gatewayctl"
SERVICE_THREADS = 4

P = ParamSpec("P")
R = TypeVar("R")


class StoreSnapshotSource:
    """:class:`~gatewayctl.gateway.state.SnapshotSource` over the service layer, with this
    process's runtime overrides (``--proxy``, ``--mask-sensitive-info``) applied."""

    def __init__(self, ctx: Context, config: ServerConfig) -> None:
        self._ctx = ctx
        self._config = config
        self._watcher = ChangeWatcher(ctx)

    def changed(self) -> bool:
        return self._watcher.changed()

    def load(self) -> Snapshot:
        snapshot = load_snapshot(self._ctx)
        overrides: dict[str, Any] = {}
        if self._config.proxy is not None:
            overrides["proxy"] = self._config.proxy or None
        if self._config.mask_sensitive_info is not None:
            overrides["mask_sensitive_info"] = self._config.mask_sensitive_info
        if not overrides:
            return snapshot
        return replace(snapshot, settings=replace(snapshot.settings, **overrides))

    def invalidate(self) -> None:
        self._watcher.reset()


class ServerRuntime:
    """The resources one server process shares between requests."""

    def __init__(self, config: ServerConfig, settings: Settings | None = None) -> None:
        self.config = config
        self.settings = settings or resolve_settings(data_dir=config.data_dir, dsn=config.dsn)
        self.metrics = Metrics()
        self._ctx: Context | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._state: RuntimeState[Snapshot] | None = None

    @property
    def ctx(self) -> Context:
        if self._ctx is None:
            raise RuntimeError("the server runtime is not open")
        return self._ctx

    @property
    def state(self) -> RuntimeState[Snapshot]:
        if self._state is None:
            raise RuntimeError("the server runtime is not open")
        return self._state

    async def open(self) -> None:
        """Open the store, unlock secrets, load the first snapshot, start the refresher."""
        self._executor = ThreadPoolExecutor(
            max_workers=SERVICE_THREADS, thread_name_prefix="gatewayctl-service"
        )
        self._ctx = await self.call(open_context, self.settings)
        await self.call(self._ctx.secrets)
        self._state = RuntimeState(
            StoreSnapshotSource(self._ctx, self.config), interval=self.config.snapshot_interval
        )
        await self._state.start()
        self.metrics.bind_state(self._state)

    async def close(self) -> None:
        if self._state is not None:
            await self._state.stop()
        executor, self._executor = self._executor, None
        ctx, self._ctx = self._ctx, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
        if ctx is not None:
            ctx.close()

    async def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a blocking (service) function on the service thread pool."""
        if self._executor is None:
            raise RuntimeError("the server runtime is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))


def current_runtime() -> ServerRuntime:
    """The runtime of the app handling the current request."""
    runtime: ServerRuntime = current_app.extensions[EXTENSION_KEY]
    return runtime
