"""The batched writer: never blocks submitters, flushes on interval/size/close, bounded."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from gatewayctl.store.base import Store
from gatewayctl.store.models import (
    CredentialRow,
    ProviderRow,
    RequestFilter,
    StatusRow,
    UsageFilter,
)
from gatewayctl.store.sqlite import SqliteStore
from gatewayctl.store.writer import BatchWriter


def usage(i: int = 0) -> dict[str, object]:
    return {"operation": "GenerateContent", "protocol": "OpenAi", "input_tokens": i}


def upstream(body: str | None = None) -> dict[str, object]:
    return {"request_method": "POST", "request_url": "https://u/v1", "request_body": body}


def opener(db_path: Path) -> Callable[[], Store]:
    return lambda: SqliteStore(db_path, migrate=False)


def test_close_flushes_everything(db_path: Path, store: SqliteStore) -> None:
    w = BatchWriter(opener(db_path), interval=60.0, max_batch=10_000)
    for i in range(250):
        assert w.submit("usages", usage(i))
    w.submit("downstream_requests", {"request_method": "GET", "request_path": "/v1/models"})
    w.close()
    assert store.summarize_usages(UsageFilter()).count == 250
    assert len(store.query_downstream_requests(RequestFilter())) == 1
    assert w.stats.written == 251 and w.stats.dropped_rows == 0
    w.close()  # idempotent
    with pytest.raises(RuntimeError):
        w.submit("usages", usage())


def test_flush_waits_for_pending_rows(db_path: Path, store: SqliteStore) -> None:
    w = BatchWriter(opener(db_path), interval=60.0, max_batch=10_000)
    try:
        w.submit("usages", usage())
        assert w.flush(timeout=10)
        assert store.summarize_usages(UsageFilter()).count == 1
        assert w.flush(timeout=10)  # nothing pending: returns at once
    finally:
        w.close()


def test_interval_flush_without_explicit_flush(db_path: Path, store: SqliteStore) -> None:
    w = BatchWriter(opener(db_path), interval=0.02)
    try:
        w.submit("usages", usage())
        done = threading.Event()
        for _ in range(500):
            if store.summarize_usages(UsageFilter()).count == 1:
                done.set()
                break
            done.wait(0.01)
        assert done.is_set()
    finally:
        w.close()


def test_submit_from_many_threads(db_path: Path, store: SqliteStore) -> None:
    w = BatchWriter(opener(db_path), interval=0.01, max_batch=64)

    def work() -> None:
        for i in range(200):
            w.submit("usages", usage(i))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    w.close()
    assert store.summarize_usages(UsageFilter()).count == 1600


def test_overflow_drops_request_logs_before_usages(db_path: Path, store: SqliteStore) -> None:
    gate = threading.Event()

    def slow_open() -> Store:
        gate.wait(10)
        return SqliteStore(db_path, migrate=False)

    w = BatchWriter(slow_open, interval=60.0, max_batch=10_000, max_rows=3)
    assert w.submit("upstream_requests", upstream())
    assert w.submit("usages", usage(1))
    assert w.submit("usages", usage(2))
    assert w.submit("usages", usage(3))  # full: the request log row makes room
    assert not w.submit("upstream_requests", upstream())  # full of usages: log dropped
    assert not w.submit("usages", usage(4))  # nothing left to shed
    assert w.stats.dropped_rows == 3
    gate.set()
    w.close()
    assert store.summarize_usages(UsageFilter()).count == 3
    assert store.query_upstream_requests(RequestFilter()) == []


def test_body_budget_drops_bodies_first(db_path: Path, store: SqliteStore) -> None:
    w = BatchWriter(opener(db_path), interval=60.0, max_batch=10_000, max_body_bytes=10)
    w.submit("upstream_requests", upstream("12345678"))
    w.submit("upstream_requests", upstream("12345678"))  # over budget: body dropped
    w.close()
    bodies = sorted(
        (r["request_body"] or b"") for r in store.query_upstream_requests(RequestFilter())
    )
    assert bodies == [b"", b"12345678"]
    assert w.stats.dropped_bodies == 1


def test_status_changes_are_coalesced(db_path: Path, store: SqliteStore) -> None:
    p = store.save_provider(ProviderRow(None, "openai", "openai", {}, None, True, 1, 1))
    assert p.id is not None
    c = store.save_credential(CredentialRow(None, p.id, "a", "k", None, "t", True, 1, 1))
    assert c.id is not None
    w = BatchWriter(opener(db_path), interval=60.0)
    w.submit_status(StatusRow(None, c.id, "openai", "dead", None, 1, "401", 1))
    w.submit_status(
        StatusRow(None, c.id, "openai", "partial", [{"model": "m", "until_unix_ms": 9}], 2, None, 2)
    )
    w.close()
    (row,) = store.list_statuses()
    assert row.health_kind == "partial" and row.checked_at == 2


class BrokenStore:
    """A store whose writes always fail."""

    def transaction(self) -> object:
        raise OSError("disk on fire")

    def close(self) -> None:
        pass


def test_failed_batches_are_counted_and_flush_returns(db_path: Path) -> None:
    w = BatchWriter(lambda: BrokenStore(), interval=60.0)  # type: ignore[arg-type,return-value]
    w.submit("usages", usage())
    assert w.flush(timeout=10)
    assert w.stats.failed_batches == 1 and w.stats.dropped_rows == 1
    w.close()


def test_a_store_that_fails_to_open_does_not_stop_the_writer(
    db_path: Path, store: SqliteStore
) -> None:
    """Opening the writer's connection can fail (a locked or missing file for a moment): the
    batch is counted as failed, and the next one is written once the store opens."""
    attempts = []

    def flaky_open() -> Store:
        attempts.append(1)
        if len(attempts) <= 2:  # both tries of the first batch
            raise OSError("unable to open database file")
        return SqliteStore(db_path, migrate=False)

    w = BatchWriter(flaky_open, interval=60.0)
    try:
        w.submit("usages", usage(1))
        assert w.flush(timeout=10)
        assert w.stats.failed_batches == 1 and w.stats.dropped_rows == 1
        w.submit("usages", usage(2))
        assert w.flush(timeout=10)
    finally:
        w.close()
    assert store.summarize_usages(UsageFilter()).input_tokens == 2


def test_bad_rows_fail_at_submit(db_path: Path) -> None:
    w = BatchWriter(opener(db_path))
    try:
        with pytest.raises(ValueError):
            w.submit("usages", {"operation": "x", "protocol": "y", "nope": 1})
        with pytest.raises(ValueError):
            w.submit("users", {})
    finally:
        w.close()


def test_open_writer_uses_the_configured_store(isolated_env: Path) -> None:
    from gatewayctl.settings import resolve_settings
    from gatewayctl.store import open_store, open_writer

    settings = resolve_settings()
    store = open_store(settings)
    w = open_writer(settings, interval=60.0)
    w.submit("usages", usage(3))
    w.close()
    assert store.summarize_usages(UsageFilter()).input_tokens == 3
    store.close()
