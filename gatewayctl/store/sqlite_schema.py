"""SQLite schema as numbered migrations.

Each migration is a small function applied once, recorded in ``_gatewayctl_migrations``.
All pending migrations run in one ``BEGIN IMMEDIATE`` transaction, and the list of applied
ones is read again *after* taking the write lock, so two processes starting at the same time
(``serve`` and a CLI command) cannot apply a migration twice. Never edit a released
migration: append a new one.

Timestamps are unix milliseconds (INTEGER). Secret columns (``credentials.secret_json``,
``user_keys.api_key``, ``global_settings.admin_key``/``hf_token``) hold ciphertext tokens;
``user_keys.key_hash`` is the keyed hash used for O(1) auth lookups.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]

# Tables whose changes invalidate the server's in-memory snapshot: triggers bump the
# ``config_version`` meta counter on any insert/update/delete, from any connection.
CONFIG_TABLES = (
    "global_settings",
    "providers",
    "credentials",
    "credential_statuses",
    "users",
    "user_keys",
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated DDL inside the caller's transaction.

    (``Connection.executescript`` would COMMIT the open transaction first.)
    """
    for statement in script.split(";"):
        lines = [ln for ln in statement.splitlines() if not ln.strip().startswith("--")]
        sql = "\n".join(lines).strip()
        if sql:
            conn.execute(sql)


def m001_initial(conn: sqlite3.Connection) -> None:
    now = _now_ms()
    _execute_script(
        conn,
        """
        CREATE TABLE _gatewayctl_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE global_settings (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            host TEXT NOT NULL,
            port INTEGER NOT NULL,
            admin_key TEXT,
            hf_token TEXT,
            hf_url TEXT,
            proxy TEXT,
            dsn TEXT,
            data_dir TEXT,
            mask_sensitive_info INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE providers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            channel TEXT NOT NULL,
            settings_json TEXT NOT NULL,
            dispatch_json TEXT,
            enabled INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX idx_providers_channel ON providers (channel);
        CREATE TABLE credentials (
            id INTEGER PRIMARY KEY,
            provider_id INTEGER NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
            name TEXT,
            kind TEXT NOT NULL,
            settings_json TEXT,
            secret_json TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX idx_credentials_provider ON credentials (provider_id);
        CREATE UNIQUE INDEX idx_credentials_provider_label
            ON credentials (provider_id, name) WHERE name IS NOT NULL;
        CREATE TABLE credential_statuses (
            id INTEGER PRIMARY KEY,
            credential_id INTEGER NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
            channel TEXT NOT NULL,
            health_kind TEXT NOT NULL CHECK (health_kind IN ('healthy', 'partial', 'dead')),
            health_json TEXT,
            checked_at INTEGER,
            last_error TEXT,
            updated_at INTEGER NOT NULL,
            UNIQUE (credential_id, channel)
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            enabled INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE user_keys (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            api_key TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            label TEXT,
            enabled INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX idx_user_keys_user ON user_keys (user_id);

        -- Append-only logs. No foreign keys: history outlives the rows it names, and a
        -- batched insert must never fail because a key was deleted in the meantime.
        CREATE TABLE usages (
            trace_id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            provider_id INTEGER,
            credential_id INTEGER,
            user_id INTEGER,
            user_key_id INTEGER,
            operation TEXT NOT NULL,
            protocol TEXT NOT NULL,
            model TEXT,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cache_read_input_tokens INTEGER,
            cache_creation_input_tokens INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX idx_usages_at ON usages (at);
        CREATE INDEX idx_usages_provider ON usages (provider_id, at);
        CREATE INDEX idx_usages_credential ON usages (credential_id, at);
        CREATE INDEX idx_usages_user ON usages (user_id, at);
        CREATE INDEX idx_usages_user_key ON usages (user_key_id, at);
        CREATE INDEX idx_usages_model ON usages (model, at);
        CREATE TABLE upstream_requests (
            trace_id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            internal INTEGER NOT NULL,
            provider_id INTEGER,
            credential_id INTEGER,
            request_method TEXT NOT NULL,
            request_headers_json TEXT NOT NULL,
            request_url TEXT,
            request_body BLOB,
            response_status INTEGER,
            response_headers_json TEXT NOT NULL,
            response_body BLOB,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX idx_upstream_at ON upstream_requests (at);
        CREATE INDEX idx_upstream_provider ON upstream_requests (provider_id, at);
        CREATE INDEX idx_upstream_credential ON upstream_requests (credential_id, at);
        CREATE TABLE downstream_requests (
            trace_id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            internal INTEGER NOT NULL,
            user_id INTEGER,
            user_key_id INTEGER,
            request_method TEXT NOT NULL,
            request_headers_json TEXT NOT NULL,
            request_path TEXT NOT NULL,
            request_query TEXT,
            request_body BLOB,
            response_status INTEGER,
            response_headers_json TEXT NOT NULL,
            response_body BLOB,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX idx_downstream_at ON downstream_requests (at);
        CREATE INDEX idx_downstream_user ON downstream_requests (user_id, at);
        CREATE INDEX idx_downstream_user_key ON downstream_requests (user_key_id, at);
        """,
    )
    for table in CONFIG_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(
                f"CREATE TRIGGER trg_{table}_{event.lower()}_version AFTER {event} ON {table} "
                "BEGIN UPDATE _gatewayctl_meta SET value = CAST(value AS INTEGER) + 1 "
                "WHERE key = 'config_version'; END"
            )
    conn.executemany(
        "INSERT INTO _gatewayctl_meta (key, value) VALUES (?, ?)",
        [("db_id", secrets.token_hex(16)), ("config_version", "0")],
    )
    conn.execute(
        "INSERT INTO global_settings (id, host, port, mask_sensitive_info, updated_at) "
        "VALUES (1, '127.0.0.1', 8787, 1, ?)",
        (now,),
    )
    # The admin principal (spec §6.2) always exists, always enabled.
    conn.execute(
        "INSERT INTO users (id, name, enabled, created_at, updated_at) VALUES (0, 'admin', 1, ?, ?)",
        (now, now),
    )


MIGRATIONS: tuple[tuple[int, str, Migration], ...] = ((1, "initial", m001_initial),)
LATEST = MIGRATIONS[-1][0]


def applied_migrations(conn: sqlite3.Connection) -> set[int]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_gatewayctl_migrations'"
    ).fetchone()
    if not exists:
        return set()
    return {row[0] for row in conn.execute("SELECT id FROM _gatewayctl_migrations")}


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply pending migrations atomically; returns the ids applied (empty if none).

    ``conn`` must be in driver autocommit mode (``isolation_level=None``).
    """
    if LATEST in applied_migrations(conn):
        return []  # fast path: no write lock taken
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _gatewayctl_migrations ("
            "id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        done = applied_migrations(conn)
        applied: list[int] = []
        for number, name, fn in MIGRATIONS:
            if number in done:
                continue
            fn(conn)
            conn.execute(
                "INSERT INTO _gatewayctl_migrations (id, name, applied_at) VALUES (?, ?, ?)",
                (number, name, _now_ms()),
            )
            applied.append(number)
        conn.execute("COMMIT")
        return applied
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
