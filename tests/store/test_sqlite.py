"""The SQLite engine: pragmas, migrations, transactions, change detection, repositories."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from gatewayctl.errors import Conflict
from gatewayctl.store import sqlite_schema
from gatewayctl.store.models import (
    CredentialRow,
    ProviderRow,
    StatusRow,
    UserKeyRow,
    UserRow,
)
from gatewayctl.store.sqlite import SqliteStore, connect, immediate


def provider(name: str = "openai", channel: str = "openai") -> ProviderRow:
    return ProviderRow(None, name, channel, {"base_url": "https://x"}, None, True, 1, 1)


def credential(provider_id: int, label: str | None = "a") -> CredentialRow:
    return CredentialRow(None, provider_id, label, "builtin/openai", None, "tok", True, 1, 1)


def test_pragmas(store: SqliteStore) -> None:
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000


def test_migrations_idempotent(db_path: Path) -> None:
    first = SqliteStore(db_path)
    first.close()
    conn = connect(db_path)
    assert sqlite_schema.migrate(conn) == []
    assert sqlite_schema.migrate(conn) == []
    rows = conn.execute("SELECT id, name FROM _gatewayctl_migrations").fetchall()
    assert rows == [(n, name) for n, name, _ in sqlite_schema.MIGRATIONS]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "global_settings",
        "providers",
        "credentials",
        "credential_statuses",
        "users",
        "user_keys",
        "usages",
        "upstream_requests",
        "downstream_requests",
    } <= tables
    # exactly one admin user and one settings row, however often we open
    SqliteStore(db_path).close()
    assert conn.execute("SELECT id, name FROM users").fetchall() == [(0, "admin")]
    assert conn.execute("SELECT COUNT(*) FROM global_settings").fetchone()[0] == 1
    conn.close()


def test_concurrent_first_open_applies_migrations_once(db_path: Path) -> None:
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            SqliteStore(db_path).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM _gatewayctl_migrations").fetchone()[0] == len(
        sqlite_schema.MIGRATIONS
    )
    conn.close()


def test_switching_to_wal_waits_for_a_writer_of_the_fresh_file(db_path: Path) -> None:
    """``PRAGMA journal_mode = WAL`` on a rollback-journal file held by a writer answers
    "database is locked" at once, ignoring the busy timeout: several processes opening a
    fresh database at the same time hit exactly this. ``connect`` must wait like any write."""
    holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        conn = connect(db_path, timeout=10)
    finally:
        release.join()
        holder.close()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_switching_to_wal_gives_up_after_the_busy_timeout(db_path: Path) -> None:
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            connect(db_path, timeout=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_query_indexes_exist(store: SqliteStore) -> None:
    indexes = {
        r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")
    }
    for name in (
        "idx_usages_at",
        "idx_usages_user",
        "idx_usages_user_key",
        "idx_usages_provider",
        "idx_usages_credential",
        "idx_usages_model",
        "idx_upstream_provider",
        "idx_downstream_user",
    ):
        assert name in indexes
    plan = store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM usages WHERE user_id = 1 ORDER BY at DESC"
    ).fetchall()
    assert any("idx_usages_user" in str(row) for row in plan)


def test_write_contention_waits_for_the_lock(db_path: Path, store: SqliteStore) -> None:
    """A second connection holding BEGIN IMMEDIATE makes our writer wait, not fail."""
    other = connect(db_path)
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "INSERT INTO users (name, enabled, created_at, updated_at) VALUES ('held', 1, 1, 1)"
    )
    started = threading.Event()
    result: list[object] = []

    def write() -> None:
        started.set()
        try:
            result.append(store.save_user(UserRow(None, "waiter", True, 1, 1)))
        except BaseException as exc:  # pragma: no cover - reported below
            result.append(exc)

    t = threading.Thread(target=write)
    t.start()
    started.wait(5)
    t.join(0.3)
    assert t.is_alive(), "the writer should be waiting on the lock"
    other.execute("COMMIT")
    t.join(10)
    assert not t.is_alive()
    assert isinstance(result[0], UserRow)
    assert [u.name for u in store.list_users()] == ["admin", "held", "waiter"]
    other.close()


def test_immediate_helper_rolls_back(db_path: Path, store: SqliteStore) -> None:
    conn = connect(db_path)
    with pytest.raises(RuntimeError), immediate(conn):
        conn.execute(
            "INSERT INTO users (name, enabled, created_at, updated_at) VALUES ('x', 1, 1, 1)"
        )
        raise RuntimeError("boom")
    assert not conn.in_transaction
    assert store.get_user_by_name("x") is None
    conn.close()


def test_transaction_is_all_or_nothing(store: SqliteStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.save_provider(provider("a"))
        store.save_provider(provider("b"))
        raise RuntimeError("abort")
    assert store.list_providers() == []


def test_nested_transaction_joins_outer(store: SqliteStore) -> None:
    with store.transaction():
        store.save_provider(provider("a"))
        with store.transaction():
            store.save_provider(provider("b"))
    assert [p.name for p in store.list_providers()] == ["a", "b"]


def test_no_write_inside_read(store: SqliteStore) -> None:
    with pytest.raises(RuntimeError), store.read():
        store.save_provider(provider("a"))


def test_data_version_changes_when_another_connection_commits(
    db_path: Path, store: SqliteStore
) -> None:
    v1 = store.data_version()
    assert store.data_version() == v1  # nothing happened
    other = SqliteStore(db_path)
    other.save_user(UserRow(None, "bob", True, 1, 1))
    v2 = store.data_version()
    assert v2 != v1
    # our own main connection's commits are seen too (the watcher is a separate connection)
    store.save_user(UserRow(None, "carol", True, 1, 1))
    assert store.data_version() != v2
    other.close()


def test_config_version_counts_config_changes_only(store: SqliteStore) -> None:
    v0 = store.config_version()
    p = store.save_provider(provider())
    v1 = store.config_version()
    assert v1 > v0
    store.append_rows("usages", [{"operation": "GenerateContent", "protocol": "OpenAi"}])
    assert store.config_version() == v1
    assert p.id is not None
    store.delete_provider(p.id)
    assert store.config_version() > v1


def test_unique_violations_raise_conflict(store: SqliteStore) -> None:
    p = store.save_provider(provider())
    with pytest.raises(Conflict):
        store.save_provider(provider())
    assert p.id is not None
    store.save_credential(credential(p.id, "a"))
    with pytest.raises(Conflict):
        store.save_credential(credential(p.id, "a"))
    # unlabelled credentials may repeat
    store.save_credential(credential(p.id, None))
    store.save_credential(credential(p.id, None))
    store.save_user_key(UserKeyRow(None, 0, "t", "h1", None, True, 1, 1))
    with pytest.raises(Conflict):
        store.save_user_key(UserKeyRow(None, 0, "t2", "h1", None, True, 1, 1))


def test_save_with_id_inserts_or_updates(store: SqliteStore) -> None:
    p = store.save_provider(ProviderRow(7, "p7", "openai", {}, None, True, 1, 1))
    assert p.id == 7
    p2 = store.save_provider(ProviderRow(7, "renamed", "openai", {}, {"rules": []}, False, 1, 2))
    assert (p2.name, p2.dispatch, p2.enabled) == ("renamed", {"rules": []}, False)
    assert len(store.list_providers()) == 1


def test_cascades(store: SqliteStore) -> None:
    p = store.save_provider(provider())
    assert p.id is not None
    c = store.save_credential(credential(p.id))
    assert c.id is not None
    store.upsert_statuses([StatusRow(None, c.id, "openai", "dead", None, 5, "401", 5)])
    assert len(store.list_statuses()) == 1
    store.delete_provider(p.id)
    assert store.list_credentials() == []
    assert store.list_statuses() == []
    u = store.save_user(UserRow(None, "bob", True, 1, 1))
    assert u.id is not None
    store.save_user_key(UserKeyRow(None, u.id, "t", "h", None, True, 1, 1))
    store.delete_user(u.id)
    assert store.list_user_keys() == []


def test_upsert_statuses_by_credential_and_channel(store: SqliteStore) -> None:
    p = store.save_provider(provider())
    assert p.id is not None
    c = store.save_credential(credential(p.id))
    assert c.id is not None
    partial = [{"model": "m", "until_unix_ms": 10}]
    n = store.upsert_statuses(
        [
            StatusRow(None, c.id, "openai", "partial", partial, 1, None, 1),
            StatusRow(None, 999, "openai", "dead", None, 1, None, 1),  # deleted credential
        ]
    )
    assert n == 1
    store.upsert_statuses([StatusRow(None, c.id, "openai", "healthy", None, 2, None, 2)])
    (row,) = store.list_statuses()
    assert (row.health_kind, row.health, row.checked_at) == ("healthy", None, 2)
    assert row.id is not None
    assert store.delete_status(row.id)
    assert not store.delete_status(row.id)


def test_usage_queries(store: SqliteStore) -> None:
    from gatewayctl.store.models import UsageFilter

    a = store.save_provider(provider("a", "openai"))
    b = store.save_provider(provider("b", "anthropic"))
    rows = [
        {"at": 100, "provider_id": a.id, "user_id": 1, "user_key_id": 10, "model": "m1",
         "operation": "GenerateContent", "protocol": "OpenAi", "input_tokens": 5,
         "output_tokens": 1, "cache_read_input_tokens": 2},
        {"at": 200, "provider_id": b.id, "user_id": 2, "user_key_id": 20, "model": "m2",
         "operation": "GenerateContent", "protocol": "Claude", "input_tokens": 7,
         "cache_creation_input_tokens": 3},
        {"at": 300, "provider_id": a.id, "user_id": 1, "user_key_id": 11, "model": "m1",
         "operation": "StreamGenerateContent", "protocol": "OpenAi", "output_tokens": 4},
    ]  # fmt: skip
    store.append_rows("usages", rows)
    all_rows = store.query_usages(UsageFilter())
    assert [r["at"] for r in all_rows] == [300, 200, 100]
    assert all_rows[1]["provider_channel"] == "anthropic"
    assert all_rows[1]["provider_name"] == "b"
    assert [r["at"] for r in store.query_usages(UsageFilter(limit=1))] == [300]
    assert [r["at"] for r in store.query_usages(UsageFilter(channel="openai"))] == [300, 100]
    assert [r["at"] for r in store.query_usages(UsageFilter(provider_id=b.id))] == [200]
    assert [r["at"] for r in store.query_usages(UsageFilter(model="m1", user_key_id=11))] == [300]
    assert [r["at"] for r in store.query_usages(UsageFilter(from_ms=200, to_ms=300))] == [200]
    s = store.summarize_usages(UsageFilter(user_id=1))
    assert (s.count, s.input_tokens, s.output_tokens, s.cache_read_input_tokens) == (2, 5, 5, 2)
    s = store.summarize_usages(UsageFilter())
    assert (s.count, s.input_tokens, s.cache_creation_input_tokens) == (3, 12, 3)
    assert store.summarize_usages(UsageFilter(user_id=99)).count == 0
