"""The in-memory snapshot the server's hot path reads (never the database).

:func:`load_snapshot` reads everything in one consistent read: enabled providers with their
settings and parsed explicit dispatch tables (``None`` when the provider follows its channel's
default, which the gateway's channel layer knows: a custom channel's default depends on its
``protocol`` setting), their enabled credentials with ``secret_json``
**decrypted**, credential statuses, the auth table (keyed by the keyed hash of each API key)
and the runtime global settings. The server rebuilds it when
:class:`ChangeWatcher` says the store changed (``PRAGMA data_version`` to notice a commit
cheaply, then the trigger-maintained ``config_version`` to ignore commits that only appended
usage/log rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from gatewayctl.dispatch import DispatchTable, parse_dispatch
from gatewayctl.services.context import Context
from gatewayctl.services.global_settings import RuntimeSettings, runtime_settings
from gatewayctl.store.models import ADMIN_USER_ID


@dataclass(frozen=True, slots=True)
class SnapshotCredential:
    id: int
    provider_id: int
    label: str | None
    kind: str
    secret: dict[str, Any]  # decrypted canonical secret_json
    settings: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class SnapshotStatus:
    credential_id: int
    channel: str
    health_kind: str  # healthy | partial | dead
    cooldowns: tuple[tuple[str, int], ...]  # partial: (model, until_unix_ms)
    checked_at: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class SnapshotProvider:
    id: int
    name: str
    channel: str
    settings: dict[str, Any]
    dispatch: DispatchTable | None  # None: the channel's default table
    credentials: tuple[SnapshotCredential, ...]


@dataclass(frozen=True, slots=True)
class AuthEntry:
    key_id: int
    user_id: int
    enabled: bool  # the key is enabled
    user_enabled: bool
    is_admin: bool

    @property
    def active(self) -> bool:
        return self.enabled and self.user_enabled


@dataclass(frozen=True, slots=True)
class Snapshot:
    providers: MappingProxyType[str, SnapshotProvider]  # by provider name
    statuses: MappingProxyType[int, SnapshotStatus]  # by credential id
    auth: MappingProxyType[str, AuthEntry]  # by key hash
    settings: RuntimeSettings
    config_version: int
    hash_key: Callable[[str], str] = field(repr=False)

    def authenticate(self, api_key: str) -> AuthEntry | None:
        """The active key entry for a presented key, or None (unknown/disabled)."""
        entry = self.auth.get(self.hash_key(api_key))
        return entry if entry is not None and entry.active else None


def load_snapshot(ctx: Context) -> Snapshot:
    """Everything the hot path needs, read in one consistent transaction."""
    box = ctx.secrets()
    store = ctx.store
    with store.read():
        version = store.config_version()
        provider_rows = store.list_providers(enabled=True)
        credential_rows = store.list_credentials(enabled=True)
        status_rows = store.list_statuses()
        users = {u.id: u for u in store.list_users()}
        key_rows = store.list_user_keys()
        settings = runtime_settings(ctx)
    by_provider: dict[int, list[SnapshotCredential]] = {}
    for c in credential_rows:
        assert c.id is not None
        by_provider.setdefault(c.provider_id, []).append(
            SnapshotCredential(
                c.id, c.provider_id, c.name, c.kind, box.decrypt_json(c.secret_token), c.settings
            )
        )
    providers: dict[str, SnapshotProvider] = {}
    channels: dict[int, str] = {}
    for p in provider_rows:
        assert p.id is not None
        channels[p.id] = p.channel
        providers[p.name] = SnapshotProvider(
            p.id,
            p.name,
            p.channel,
            p.settings,
            parse_dispatch(p.dispatch) if p.dispatch is not None else None,
            tuple(by_provider.get(p.id, ())),
        )
    credential_channel = {
        c.id: channels[c.provider_id] for c in credential_rows if c.provider_id in channels
    }
    statuses: dict[int, SnapshotStatus] = {}
    for s in status_rows:
        if credential_channel.get(s.credential_id) != s.channel:
            continue
        cooldowns = tuple(
            (str(m["model"]), int(m["until_unix_ms"]))
            for m in (s.health or [])
            if isinstance(m, dict) and "model" in m and "until_unix_ms" in m
        )
        statuses[s.credential_id] = SnapshotStatus(
            s.credential_id, s.channel, s.health_kind, cooldowns, s.checked_at, s.last_error
        )
    auth: dict[str, AuthEntry] = {}
    for k in key_rows:
        user = users.get(k.user_id)
        assert k.id is not None
        auth[k.key_hash] = AuthEntry(
            key_id=k.id,
            user_id=k.user_id,
            enabled=k.enabled,
            user_enabled=bool(user and user.enabled),
            is_admin=k.user_id == ADMIN_USER_ID,
        )
    return Snapshot(
        providers=MappingProxyType(providers),
        statuses=MappingProxyType(statuses),
        auth=MappingProxyType(auth),
        settings=settings,
        config_version=version,
        hash_key=box.hasher(),
    )


def hash_api_key(ctx: Context, api_key: str) -> str:
    """The keyed hash under which ``api_key`` is indexed (for auth lookups)."""
    return ctx.secrets().hash_key(api_key)


@dataclass(slots=True)
class ChangeWatcher:
    """Cheap change detection for a long-running server: call :meth:`changed` every ~0.5 s."""

    ctx: Context
    data_version: int = -1
    config_version: int = -1

    def changed(self) -> bool:
        """True when configuration changed since the last call that returned True (or ever)."""
        dv = self.ctx.store.data_version()
        if dv == self.data_version:
            return False
        self.data_version = dv
        cv = self.ctx.store.config_version()
        if cv == self.config_version:
            return False
        self.config_version = cv
        return True

    def reset(self) -> None:
        """Forget what was seen, so the next :meth:`changed` answers True."""
        self.data_version = -1
        self.config_version = -1
