"""The batched writer: append-only rows leave the request path through one thread.

The gateway calls :meth:`BatchWriter.submit` from async code (or any thread). It never blocks
on the database: rows are validated and sanitized (see :mod:`gatewayctl.store.logrows`),
queued in memory, and one writer thread per process flushes them with ``insert_all`` in one
``BEGIN IMMEDIATE`` transaction every ``interval`` seconds or as soon as ``max_batch`` rows
are waiting. Credential status changes (:meth:`submit_status`) are coalesced per
``(credential_id, channel)`` — only the latest matters — and upserted in the same transaction.

The queue is bounded. Past ``max_body_bytes`` of queued bodies, new rows lose their bodies
(``dropped_bodies``); past ``max_rows`` rows, request-log rows are dropped before usage rows
(``dropped_rows``). ``flush()`` waits until everything submitted so far is written;
``close()`` flushes and stops the thread — call both from a thread, not the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from gatewayctl.store.base import Store
from gatewayctl.store.logrows import BODY_COLUMNS, body_size, normalize_log_row
from gatewayctl.store.models import StatusRow, WriterStats

log = logging.getLogger(__name__)


class BatchWriter:
    """One writer thread fed by a bounded in-memory queue."""

    def __init__(
        self,
        open_store: Callable[[], Store],
        *,
        interval: float = 0.1,
        max_batch: int = 500,
        max_rows: int = 50_000,
        max_body_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self._open_store = open_store
        self.interval = interval
        self.max_batch = max_batch
        self.max_rows = max_rows
        self.max_body_bytes = max_body_bytes
        self.stats = WriterStats()
        self._cond = threading.Condition()
        self._usages: deque[dict[str, Any]] = deque()
        self._logs: deque[tuple[str, dict[str, Any], int]] = deque()  # (table, row, body bytes)
        self._statuses: dict[tuple[int, str], StatusRow] = {}
        self._body_bytes = 0
        self._first_pending: float | None = None
        self._submitted_seq = 0
        self._done_seq = 0
        self._flush_requested = False
        self._closing = False
        self._closed = False
        self._store: Store | None = None  # the writer thread's own connection
        self._thread = threading.Thread(target=self._run, name="gatewayctl-writer", daemon=True)
        self._thread.start()

    # producer side -----------------------------------------------------------------------

    def _pending(self) -> int:
        return len(self._usages) + len(self._logs) + len(self._statuses)

    def _accepted(self) -> None:
        self._submitted_seq += 1
        self.stats.submitted += 1
        if self._first_pending is None:
            self._first_pending = time.monotonic()
            self._cond.notify_all()
        elif self._pending() >= self.max_batch:
            self._cond.notify_all()

    def submit(self, table: str, row: Mapping[str, Any]) -> bool:
        """Queue one log row (``usages``, ``upstream_requests``, ``downstream_requests``).

        Returns False when the row was dropped because the queue is full. Raises ValueError
        for an unknown table or column (a programming error, reported at the call site).
        """
        record = normalize_log_row(table, row)
        size = body_size(record)
        with self._cond:
            if self._closing:
                raise RuntimeError("writer is closed")
            if size and self._body_bytes + size > self.max_body_bytes:
                for name in BODY_COLUMNS:
                    record[name] = None
                size = 0
                self.stats.dropped_bodies += 1
            if len(self._usages) + len(self._logs) >= self.max_rows:
                if table != "usages" or not self._logs:
                    self.stats.dropped_rows += 1
                    return False
                _, _, dropped_size = self._logs.popleft()  # shed the oldest request log
                self._body_bytes -= dropped_size
                self.stats.dropped_rows += 1
            if table == "usages":
                self._usages.append(record)
            else:
                self._logs.append((table, record, size))
                self._body_bytes += size
            self._accepted()
            return True

    def submit_status(self, row: StatusRow) -> None:
        """Queue a credential status change; a later change for the same key replaces it."""
        with self._cond:
            if self._closing:
                raise RuntimeError("writer is closed")
            self._statuses[(row.credential_id, row.channel)] = row
            self._accepted()

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Block until every row submitted before this call is written (or dropped)."""
        with self._cond:
            target = self._submitted_seq
            if self._done_seq >= target:
                return True
            self._flush_requested = True
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._done_seq >= target, timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Flush what is queued and stop the writer thread. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        self._closed = True

    # writer thread -----------------------------------------------------------------------

    def _wait_for_work(self) -> bool:
        """Called with the lock held; False when the writer should stop."""
        while True:
            if self._closing or self._flush_requested or self._pending() >= self.max_batch:
                return bool(self._pending()) or not self._closing
            if self._first_pending is None:
                self._cond.wait()
                continue
            remaining = self._first_pending + self.interval - time.monotonic()
            if remaining <= 0:
                return True
            self._cond.wait(remaining)

    def _take(
        self,
    ) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any], int]], list[StatusRow], int]:
        usages, logs = list(self._usages), list(self._logs)
        statuses = list(self._statuses.values())
        self._usages.clear()
        self._logs.clear()
        self._statuses.clear()
        self._body_bytes = 0
        self._first_pending = None
        self._flush_requested = False
        return usages, logs, statuses, self._submitted_seq

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    if not self._wait_for_work():
                        break
                    usages, logs, statuses, seq = self._take()
                if usages or logs or statuses:
                    self._write(usages, logs, statuses)
                with self._cond:
                    self._done_seq = seq
                    self._cond.notify_all()
        except Exception:  # pragma: no cover - the thread must never die silently
            log.exception("gatewayctl writer thread stopped")
        finally:
            with self._cond:
                self._done_seq = self._submitted_seq
                self._cond.notify_all()
            if self._store is not None:
                self._store.close()
                self._store = None

    def _write(
        self,
        usages: list[dict[str, Any]],
        logs: list[tuple[str, dict[str, Any], int]],
        statuses: list[StatusRow],
    ) -> None:
        """Write one batch in one transaction, trying twice (the store is opened on first
        use, and again after a failed open); a batch that fails both times is dropped."""
        by_table: dict[str, list[dict[str, Any]]] = {}
        if usages:
            by_table["usages"] = usages
        for table, row, _ in logs:
            by_table.setdefault(table, []).append(row)
        for attempt in (1, 2):
            try:
                if self._store is None:
                    self._store = self._open_store()
                store = self._store
                with store.transaction():
                    for table, rows in by_table.items():
                        store.append_rows(table, rows, normalized=True)
                    if statuses:
                        store.upsert_statuses(statuses)
                break
            except Exception as exc:
                if attempt == 2:
                    self.stats.failed_batches += 1
                    self.stats.dropped_rows += sum(len(r) for r in by_table.values())
                    self.stats.dropped_rows += len(statuses)
                    log.error("gatewayctl writer dropped a batch: %s", exc)
                    return
                time.sleep(0.05)
        for table, rows in by_table.items():
            self.stats.written += len(rows)
            self.stats.by_table[table] = self.stats.by_table.get(table, 0) + len(rows)
        self.stats.written += len(statuses)
