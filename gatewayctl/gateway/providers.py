"""The gateway's view of the runtime snapshot: channel adapters and the credential pool.

The server keeps an immutable snapshot of the configuration (:mod:`gatewayctl.gateway.state`)
and swaps it when the store changes. :class:`ProviderRegistry` follows it: on a new snapshot
(noticed by identity, so checking costs one comparison per request) it rebuilds the adapter of
every provider whose row changed, redefines the pool's membership, and applies credential
status edits made outside this process (``gatewayctl credentials status``, the admin API,
another worker).

Status edits vs. our own writes: the gateway persists its own health changes through the
writer, and they come back in the next snapshot. A row equal to what this process last wrote
for that credential is its own echo and is skipped (the in-memory state may already be newer);
any other change from one snapshot to the next is an edit and replaces the in-memory state at
once — so marking a dead credential healthy revives it, as spec §8.4 asks.

A provider whose settings are unusable (a bad ``base_url``, an OAuth channel not supported
yet) stays registered with its error, so its requests get that error instead of a misleading
``provider not found``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from gatewayctl.channels import Channel, VertexTokenSource, build_channel
from gatewayctl.dispatch import DispatchTable, default_dispatch
from gatewayctl.errors import GatewayError, NotFound
from gatewayctl.gateway.pool import CredentialPool, PoolCredential
from gatewayctl.gateway.recording import status_row
from gatewayctl.health import StatusRecord, decode_health
from gatewayctl.store.models import StatusRow

log = logging.getLogger("gatewayctl.gateway")


class SnapshotProviderLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def settings(self) -> dict[str, Any]: ...
    @property
    def dispatch(self) -> DispatchTable | None: ...
    @property
    def credentials(self) -> tuple[Any, ...]: ...


class SnapshotWithProviders(Protocol):
    @property
    def providers(self) -> Mapping[str, Any]: ...
    @property
    def statuses(self) -> Mapping[int, Any]: ...


@dataclass(frozen=True, slots=True)
class ProviderRuntime:
    """One enabled provider, ready to serve: its adapter and dispatch table."""

    id: int
    name: str
    channel_name: str  # as configured (status rows are keyed by it)
    channel: Channel
    dispatch: DispatchTable
    settings: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class BrokenProvider:
    """A provider whose settings could not be turned into an adapter."""

    id: int
    name: str
    error: GatewayError


def effective_dispatch(provider: SnapshotProviderLike) -> DispatchTable:
    """The provider's own dispatch table, else its channel's default (custom channels pick
    theirs by their ``protocol`` setting)."""
    if provider.dispatch is not None:
        return provider.dispatch
    return default_dispatch(provider.channel, provider.settings)


def _status_state(status: Any) -> tuple[str, tuple[tuple[str, int], ...], str | None]:
    kind, cooldowns = decode_health(
        status.health_kind,
        [{"model": m, "until_unix_ms": t} for m, t in status.cooldowns],
    )
    return kind, tuple(sorted(cooldowns.items())), status.last_error or None


def _record_state(record: StatusRecord) -> tuple[str, tuple[tuple[str, int], ...], str | None]:
    kind, cooldowns = decode_health(record.health_kind, record.health_json)
    return kind, tuple(sorted(cooldowns.items())), record.last_error or None


def _status_row_mapping(status: Any) -> dict[str, Any]:
    return {
        "health_kind": status.health_kind,
        "health_json": [{"model": m, "until_unix_ms": t} for m, t in status.cooldowns],
        "checked_at": status.checked_at,
        "last_error": status.last_error,
    }


class ProviderRegistry:
    """Adapters and pool membership for the snapshot in force (see the module docstring)."""

    def __init__(self, pool: CredentialPool, vertex_tokens: VertexTokenSource | None) -> None:
        self.pool = pool
        self._vertex_tokens = vertex_tokens
        self._snapshot: Any = None
        self._rows: dict[str, Any] = {}
        self._providers: dict[str, ProviderRuntime | BrokenProvider] = {}
        self._channel_of_credential: dict[int, str] = {}
        self._own: dict[int, tuple[str, tuple[tuple[str, int], ...], str | None]] = {}

    # -- lookups -----------------------------------------------------------------------

    def get(self, name: str) -> ProviderRuntime:
        """The provider called ``name``; 404 ``provider not found`` or its settings error."""
        entry = self._providers.get(name)
        if entry is None:
            raise NotFound(f"provider not found: {name}")
        if isinstance(entry, BrokenProvider):
            raise entry.error
        return entry

    def all(self) -> list[ProviderRuntime]:
        """Every usable provider, by name."""
        return [p for _, p in sorted(self._providers.items()) if isinstance(p, ProviderRuntime)]

    # -- following the snapshot --------------------------------------------------------

    def follow(self, snapshot: SnapshotWithProviders) -> None:
        """Sync with ``snapshot`` if it is not the one already followed (cheap when not)."""
        if snapshot is self._snapshot:
            return
        previous = self._snapshot
        self._sync_providers(snapshot)
        self._sync_statuses(previous, snapshot)
        self._snapshot = snapshot

    def _sync_providers(self, snapshot: SnapshotWithProviders) -> None:
        seen: set[str] = set()
        for name, row in snapshot.providers.items():
            seen.add(name)
            if self._rows.get(name) == row and name in self._providers:
                continue
            self._rows[name] = row
            self._providers[name] = self._build(row)
        for name in set(self._providers) - seen:
            self._providers.pop(name, None)
            self._rows.pop(name, None)
            self.pool.remove_provider(name)
        self._channel_of_credential = {
            cred.id: p.channel_name
            for name, p in self._providers.items()
            if isinstance(p, ProviderRuntime)
            for cred in self._rows[name].credentials
        }

    def _build(self, row: Any) -> ProviderRuntime | BrokenProvider:
        try:
            channel = build_channel(row.channel, row.settings, vertex_tokens=self._vertex_tokens)
            dispatch = effective_dispatch(row)
            creds = [
                PoolCredential(id=c.id, secret=c.secret, enabled=True, label=c.label)
                for c in row.credentials
            ]
            self.pool.set_provider(row.name, channel, creds, row.settings)
        except GatewayError as exc:
            log.warning("provider %s is unusable: %s", row.name, exc.message)
            self.pool.remove_provider(row.name)
            return BrokenProvider(row.id, row.name, exc)
        return ProviderRuntime(row.id, row.name, row.channel, channel, dispatch, row.settings)

    def _sync_statuses(self, previous: Any, snapshot: SnapshotWithProviders) -> None:
        statuses: Mapping[int, Any] = snapshot.statuses
        if previous is None:
            self.pool.load_statuses(
                _status_row_mapping(s) | {"credential_id": cid} for cid, s in statuses.items()
            )
            return
        old: Mapping[int, Any] = previous.statuses
        for cid, status in statuses.items():
            before = old.get(cid)
            state = _status_state(status)
            if before is not None and _status_state(before) == state:
                continue
            if self._own.get(cid) == state:
                continue  # our own write coming back
            self.pool.set_status(cid, _status_row_mapping(status))
        for cid in set(old) - set(statuses):
            if cid in self._channel_of_credential:
                self.pool.set_status(cid, {"health_kind": "healthy"})
            else:
                self.pool.forget(cid)

    # -- persisting our own changes ----------------------------------------------------

    def take_status_rows(self) -> list[StatusRow]:
        """The pool's status changes since the last call, as rows for the writer."""
        rows = []
        for record in self.pool.take_dirty():
            channel = self._channel_of_credential.get(record.credential_id)
            if channel is None:
                continue  # the credential left the snapshot meanwhile
            self._own[record.credential_id] = _record_state(record)
            rows.append(status_row(record, channel))
        return rows
