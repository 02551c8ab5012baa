"""SQL helpers shared by the SQLite engine's modules: connections, transactions, WHERE
clauses, JSON columns, integrity-error mapping."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gatewayctl.errors import Conflict, InvalidInput

DEFAULT_TIMEOUT = 10.0  # seconds a writer waits for the lock (busy timeout)


def connect(path: str | Path, timeout: float = DEFAULT_TIMEOUT) -> sqlite3.Connection:
    """Open ``path`` with the pragmas every gatewayctl connection uses."""
    conn = sqlite3.connect(
        str(path), timeout=timeout, check_same_thread=False, isolation_level=None
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        enable_wal(conn, timeout)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def enable_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch the file to WAL (persistent: a no-op once done), waiting up to ``timeout``.

    The switch needs the write lock, and SQLite's busy handler does not cover it: the pragma
    holds a read lock while it asks for the write lock, and SQLite answers SQLITE_BUSY at once
    rather than risk a deadlock. Several processes opening a fresh database together (``serve``
    workers, a CLI command) hit exactly that, so the switch is retried here until the timeout.
    """
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any exception)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def dumps(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes | None) -> Any:
    return None if text is None else json.loads(text)


def where(conditions: Iterable[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """``WHERE a = ? AND …`` for the conditions whose value is not None."""
    parts: list[str] = []
    params: list[Any] = []
    for clause, value in conditions:
        if value is None:
            continue
        if isinstance(value, list | tuple):
            if not value:
                parts.append("0")
                continue
            parts.append(clause.replace("?", ", ".join("?" * len(value))))
            params.extend(value)
        else:
            parts.append(clause)
            params.append(int(value) if isinstance(value, bool) else value)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def limit_sql(limit: int | None) -> str:
    return f" LIMIT {int(limit)}" if limit is not None and limit > 0 else ""


def integrity_error(exc: sqlite3.IntegrityError) -> Exception:
    text = str(exc)
    if "UNIQUE" in text:
        what = text.split(":", 1)[-1].strip()
        return Conflict(f"already exists (unique {what})")
    if "FOREIGN KEY" in text:
        return InvalidInput("a referenced row does not exist")
    return InvalidInput(f"constraint failed: {text}")
