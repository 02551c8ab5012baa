"""Persisting secret fields the gateway learned: refreshed access tokens, off the request path.

A token channel (vertex) refreshes its access token while preparing a request and keeps it in
memory; the gateway hands the new fields here (:meth:`SecretSaver.submit`, on the event loop,
never waiting). They are merged into the stored credential by
:func:`gatewayctl.services.credentials.merge_secret_fields` on the service thread pool, so a
restart or another worker reuses the token instead of minting one more.

No echo storms: updates are coalesced per credential (the latest wins) and saved one at a time;
the service writes nothing when the stored secret already carries the fields, or when the
secret they were learned from was replaced meanwhile. The one configuration change a save
makes is reloaded like any other, and the reloaded snapshot carries the token this process
already caches, so it causes no further refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from gatewayctl.server.runtime import ServerRuntime
from gatewayctl.services import credentials

log = logging.getLogger("gatewayctl.server")

# How long shutdown waits for pending saves.
CLOSE_TIMEOUT = 10.0


class SecretSaver:
    """Coalescing, one-at-a-time persistence of learned credential secret fields."""

    def __init__(self, runtime: ServerRuntime) -> None:
        self._runtime = runtime
        self._pending: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None
        self.saved = 0  # updates written (for tests and metrics)

    def submit(
        self, credential_id: int, based_on: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> None:
        """Queue ``fields`` for ``credential_id`` (call on the event loop; never blocks)."""
        self._pending[credential_id] = (dict(based_on), dict(fields))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._drain(), name="gatewayctl-secret-saver"
            )

    async def _drain(self) -> None:
        while self._pending:
            credential_id = next(iter(self._pending))
            based_on, fields = self._pending.pop(credential_id)
            try:
                written = await self._runtime.call(
                    credentials.merge_secret_fields,
                    self._runtime.ctx,
                    credential_id,
                    fields,
                    based_on=based_on,
                )
            except Exception as exc:
                log.warning(
                    "could not store credential %s's refreshed secret: %s", credential_id, exc
                )
                continue
            if written:
                self.saved += 1

    async def close(self) -> None:
        """Finish the pending saves (bounded), before the runtime closes."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("gave up storing %d refreshed credential secret(s)", len(self._pending))
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
