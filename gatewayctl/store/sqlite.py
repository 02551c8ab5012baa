"""The embedded SQLite engine (sqlite-utils on a connection we open ourselves).

Connections are opened with ``check_same_thread=False`` and driver autocommit
(``isolation_level=None``) and wrapped in ``sqlite_utils.Database(conn,
execute_plugins=False)``. Pragmas: WAL, ``synchronous=NORMAL``, ``foreign_keys=ON``, a busy
timeout. Every write transaction starts with ``BEGIN IMMEDIATE`` (a deferred transaction that
reads then writes fails at once with SQLITE_BUSY under contention, ignoring the timeout).

One ``SqliteStore`` wraps one connection guarded by a re-entrant lock, so it may be shared by
threads (``asyncio.to_thread`` in the server); a second, long-lived connection answers
``data_version()`` / ``config_version()`` without contending with writes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from gatewayctl.store import sqlite_schema
from gatewayctl.store.models import (
    CredentialRow,
    GlobalSettingsRow,
    ProviderRow,
    StatusRow,
    UserKeyRow,
    UserRow,
)
from gatewayctl.store.sqlite_logs import SqliteLogs
from gatewayctl.store.sqlite_sql import (
    DEFAULT_TIMEOUT,
    connect,
    dumps,
    immediate,
    integrity_error,
    limit_sql,
    loads,
    where,
)

__all__ = ["DEFAULT_TIMEOUT", "SqliteStore", "connect", "immediate"]


class SqliteStore(SqliteLogs):
    """:class:`gatewayctl.store.base.Store` on one SQLite file."""

    def __init__(
        self, path: str | Path, *, timeout: float = DEFAULT_TIMEOUT, migrate: bool = True
    ) -> None:
        self.path = Path(path)
        self.timeout = timeout
        fresh = not self.path.exists()
        self._conn = connect(self.path, timeout)
        if fresh:
            os.chmod(self.path, 0o600)  # WAL/SHM files inherit the database file's mode
        self.db = sqlite_utils.Database(self._conn, execute_plugins=False)
        self._lock = threading.RLock()
        self._mode: str | None = None  # None, "read" or "write"
        self._watch: sqlite3.Connection | None = None
        self._watch_lock = threading.Lock()
        if migrate:
            sqlite_schema.migrate(self._conn)

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    # lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Exclusive write transaction; nested calls join the outermost one."""
        with self._lock:
            if self._mode == "read":
                raise RuntimeError("cannot write inside a read() block")
            if self._mode == "write":
                yield
                return
            self._mode = "write"
            try:
                with immediate(self._conn):
                    try:
                        yield
                    except sqlite3.IntegrityError as exc:
                        raise integrity_error(exc) from exc
            finally:
                self._mode = None

    @contextmanager
    def read(self) -> Iterator[None]:
        """A consistent read snapshot across several queries (no writes inside)."""
        with self._lock:
            if self._mode is not None:
                yield
                return
            self._mode = "read"
            self._conn.execute("BEGIN")
            try:
                yield
            finally:
                self._mode = None
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")

    def _watcher(self) -> sqlite3.Connection:
        if self._watch is None:
            self._watch = connect(self.path, self.timeout)
        return self._watch

    def data_version(self) -> int:
        """Changes whenever any other connection (this process or another) commits."""
        with self._watch_lock:
            return int(self._watcher().execute("PRAGMA data_version").fetchone()[0])

    def config_version(self) -> int:
        """A counter bumped by triggers on every change to a configuration table."""
        with self._watch_lock:
            row = (
                self._watcher()
                .execute("SELECT value FROM _gatewayctl_meta WHERE key = 'config_version'")
                .fetchone()
            )
        return int(row[0]) if row else 0

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM _gatewayctl_meta WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT INTO _gatewayctl_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # helpers -----------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query(sql, params))

    def _save(self, table: str, record: dict[str, Any]) -> int:
        """Insert (``id`` None) or insert-or-update by id; returns the id."""
        with self.transaction():
            try:
                if record.get("id") is None:
                    record = {k: v for k, v in record.items() if k != "id"}
                    cursor = self._conn.execute(
                        f"INSERT INTO {table} ({', '.join(record)}) "
                        f"VALUES ({', '.join('?' * len(record))})",
                        list(record.values()),
                    )
                    return int(cursor.lastrowid or 0)
                cols = [k for k in record if k != "id"]
                self._conn.execute(
                    f"INSERT INTO {table} (id, {', '.join(cols)}) "
                    f"VALUES (?, {', '.join('?' * len(cols))}) ON CONFLICT (id) DO UPDATE SET "
                    + ", ".join(f"{c} = excluded.{c}" for c in cols),
                    [record["id"], *(record[c] for c in cols)],
                )
                return int(record["id"])
            except sqlite3.IntegrityError as exc:
                raise integrity_error(exc) from exc

    def _delete(self, table: str, row_id: int) -> bool:
        with self.transaction():
            cursor = self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
            return cursor.rowcount > 0

    # providers ---------------------------------------------------------------------------

    @staticmethod
    def _provider(r: Mapping[str, Any]) -> ProviderRow:
        return ProviderRow(
            id=r["id"],
            name=r["name"],
            channel=r["channel"],
            settings=loads(r["settings_json"]) or {},
            dispatch=loads(r["dispatch_json"]),
            enabled=bool(r["enabled"]),
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )

    def list_providers(
        self,
        *,
        ids: Sequence[int] | None = None,
        name: str | None = None,
        channel: str | None = None,
        enabled: bool | None = None,
        limit: int | None = None,
    ) -> list[ProviderRow]:
        clause, params = where(
            [
                ("id IN (?)", list(ids) if ids is not None else None),
                ("name = ?", name),
                ("channel = ?", channel),
                ("enabled = ?", enabled),
            ]
        )
        rows = self._query(f"SELECT * FROM providers{clause} ORDER BY id{limit_sql(limit)}", params)
        return [self._provider(r) for r in rows]

    def get_provider(self, provider_id: int) -> ProviderRow | None:
        rows = self.list_providers(ids=[provider_id])
        return rows[0] if rows else None

    def get_provider_by_name(self, name: str) -> ProviderRow | None:
        rows = self.list_providers(name=name)
        return rows[0] if rows else None

    def save_provider(self, row: ProviderRow) -> ProviderRow:
        new_id = self._save(
            "providers",
            {
                "id": row.id,
                "name": row.name,
                "channel": row.channel,
                "settings_json": dumps(row.settings),
                "dispatch_json": dumps(row.dispatch),
                "enabled": int(row.enabled),
                "created_at": row.created_at,
                "updated_at": row.updated_at,
            },
        )
        saved = self.get_provider(new_id)
        assert saved is not None
        return saved

    def delete_provider(self, provider_id: int) -> bool:
        return self._delete("providers", provider_id)

    # credentials -------------------------------------------------------------------------

    @staticmethod
    def _credential(r: Mapping[str, Any]) -> CredentialRow:
        return CredentialRow(
            id=r["id"],
            provider_id=r["provider_id"],
            name=r["name"],
            kind=r["kind"],
            settings=loads(r["settings_json"]),
            secret_token=r["secret_json"],
            enabled=bool(r["enabled"]),
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )

    def list_credentials(
        self,
        *,
        ids: Sequence[int] | None = None,
        provider_id: int | None = None,
        kind: str | None = None,
        enabled: bool | None = None,
        limit: int | None = None,
    ) -> list[CredentialRow]:
        clause, params = where(
            [
                ("id IN (?)", list(ids) if ids is not None else None),
                ("provider_id = ?", provider_id),
                ("kind = ?", kind),
                ("enabled = ?", enabled),
            ]
        )
        rows = self._query(
            f"SELECT * FROM credentials{clause} ORDER BY id{limit_sql(limit)}", params
        )
        return [self._credential(r) for r in rows]

    def get_credential(self, credential_id: int) -> CredentialRow | None:
        rows = self.list_credentials(ids=[credential_id])
        return rows[0] if rows else None

    def save_credential(self, row: CredentialRow) -> CredentialRow:
        new_id = self._save(
            "credentials",
            {
                "id": row.id,
                "provider_id": row.provider_id,
                "name": row.name,
                "kind": row.kind,
                "settings_json": dumps(row.settings),
                "secret_json": row.secret_token,
                "enabled": int(row.enabled),
                "created_at": row.created_at,
                "updated_at": row.updated_at,
            },
        )
        saved = self.get_credential(new_id)
        assert saved is not None
        return saved

    def delete_credential(self, credential_id: int) -> bool:
        return self._delete("credentials", credential_id)

    # credential statuses -----------------------------------------------------------------

    @staticmethod
    def _status(r: Mapping[str, Any]) -> StatusRow:
        return StatusRow(
            id=r["id"],
            credential_id=r["credential_id"],
            channel=r["channel"],
            health_kind=r["health_kind"],
            health=loads(r["health_json"]),
            checked_at=r["checked_at"],
            last_error=r["last_error"],
            updated_at=r["updated_at"],
        )

    def list_statuses(
        self,
        *,
        id: int | None = None,
        credential_id: int | None = None,
        channel: str | None = None,
        health_kind: str | None = None,
        limit: int | None = None,
    ) -> list[StatusRow]:
        clause, params = where(
            [
                ("id = ?", id),
                ("credential_id = ?", credential_id),
                ("channel = ?", channel),
                ("health_kind = ?", health_kind),
            ]
        )
        rows = self._query(
            f"SELECT * FROM credential_statuses{clause} ORDER BY id DESC{limit_sql(limit)}", params
        )
        return [self._status(r) for r in rows]

    def upsert_statuses(self, rows: Iterable[StatusRow]) -> int:
        """Upsert by (credential_id, channel); rows naming a deleted credential are skipped."""
        count = 0
        with self.transaction():
            for row in rows:
                cursor = self._conn.execute(
                    "INSERT INTO credential_statuses (credential_id, channel, health_kind, "
                    "health_json, checked_at, last_error, updated_at) "
                    "SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS "
                    "(SELECT 1 FROM credentials WHERE id = ?) "
                    "ON CONFLICT (credential_id, channel) DO UPDATE SET "
                    "health_kind = excluded.health_kind, health_json = excluded.health_json, "
                    "checked_at = excluded.checked_at, last_error = excluded.last_error, "
                    "updated_at = excluded.updated_at",
                    (
                        row.credential_id,
                        row.channel,
                        row.health_kind,
                        dumps(row.health),
                        row.checked_at,
                        row.last_error,
                        row.updated_at,
                        row.credential_id,
                    ),
                )
                count += cursor.rowcount
        return count

    def delete_status(self, status_id: int) -> bool:
        return self._delete("credential_statuses", status_id)

    # users and keys ----------------------------------------------------------------------

    @staticmethod
    def _user(r: Mapping[str, Any]) -> UserRow:
        return UserRow(
            id=r["id"],
            name=r["name"],
            enabled=bool(r["enabled"]),
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )

    def list_users(
        self, *, id: int | None = None, name: str | None = None, limit: int | None = None
    ) -> list[UserRow]:
        clause, params = where([("id = ?", id), ("name = ?", name)])
        rows = self._query(f"SELECT * FROM users{clause} ORDER BY id{limit_sql(limit)}", params)
        return [self._user(r) for r in rows]

    def get_user(self, user_id: int) -> UserRow | None:
        rows = self.list_users(id=user_id)
        return rows[0] if rows else None

    def get_user_by_name(self, name: str) -> UserRow | None:
        rows = self.list_users(name=name)
        return rows[0] if rows else None

    def save_user(self, row: UserRow) -> UserRow:
        new_id = self._save(
            "users",
            {
                "id": row.id,
                "name": row.name,
                "enabled": int(row.enabled),
                "created_at": row.created_at,
                "updated_at": row.updated_at,
            },
        )
        saved = self.get_user(new_id)
        assert saved is not None
        return saved

    def delete_user(self, user_id: int) -> bool:
        return self._delete("users", user_id)

    @staticmethod
    def _user_key(r: Mapping[str, Any]) -> UserKeyRow:
        return UserKeyRow(
            id=r["id"],
            user_id=r["user_id"],
            key_token=r["api_key"],
            key_hash=r["key_hash"],
            label=r["label"],
            enabled=bool(r["enabled"]),
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )

    def list_user_keys(
        self,
        *,
        id: int | None = None,
        user_id: int | None = None,
        key_hash: str | None = None,
        limit: int | None = None,
    ) -> list[UserKeyRow]:
        clause, params = where(
            [("id = ?", id), ("user_id = ?", user_id), ("key_hash = ?", key_hash)]
        )
        rows = self._query(f"SELECT * FROM user_keys{clause} ORDER BY id{limit_sql(limit)}", params)
        return [self._user_key(r) for r in rows]

    def get_user_key(self, key_id: int) -> UserKeyRow | None:
        rows = self.list_user_keys(id=key_id)
        return rows[0] if rows else None

    def get_user_key_by_hash(self, key_hash: str) -> UserKeyRow | None:
        rows = self.list_user_keys(key_hash=key_hash)
        return rows[0] if rows else None

    def save_user_key(self, row: UserKeyRow) -> UserKeyRow:
        new_id = self._save(
            "user_keys",
            {
                "id": row.id,
                "user_id": row.user_id,
                "api_key": row.key_token,
                "key_hash": row.key_hash,
                "label": row.label,
                "enabled": int(row.enabled),
                "created_at": row.created_at,
                "updated_at": row.updated_at,
            },
        )
        saved = self.get_user_key(new_id)
        assert saved is not None
        return saved

    def delete_user_key(self, key_id: int) -> bool:
        return self._delete("user_keys", key_id)

    # global settings ---------------------------------------------------------------------

    def get_global_settings(self) -> GlobalSettingsRow:
        rows = self._query("SELECT * FROM global_settings WHERE id = 1")
        if not rows:
            return GlobalSettingsRow()
        r = rows[0]
        return GlobalSettingsRow(
            host=r["host"],
            port=r["port"],
            admin_key_token=r["admin_key"],
            hf_token_token=r["hf_token"],
            hf_url=r["hf_url"],
            proxy=r["proxy"],
            dsn=r["dsn"],
            data_dir=r["data_dir"],
            mask_sensitive_info=bool(r["mask_sensitive_info"]),
            updated_at=r["updated_at"],
        )

    def save_global_settings(self, row: GlobalSettingsRow) -> GlobalSettingsRow:
        self._save(
            "global_settings",
            {
                "id": 1,
                "host": row.host,
                "port": row.port,
                "admin_key": row.admin_key_token,
                "hf_token": row.hf_token_token,
                "hf_url": row.hf_url,
                "proxy": row.proxy,
                "dsn": row.dsn,
                "data_dir": row.data_dir,
                "mask_sensitive_info": int(row.mask_sensitive_info),
                "updated_at": row.updated_at,
            },
        )
        return self.get_global_settings()
