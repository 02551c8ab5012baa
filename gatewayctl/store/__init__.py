"""Persistence behind a small interface (:class:`gatewayctl.store.base.Store`).

``open_store(settings)`` returns the engine for the configured DSN — today always the
embedded SQLite one (:mod:`gatewayctl.store.sqlite`). The gateway only uses the batched
writer (:mod:`gatewayctl.store.writer`); everything else goes through the service layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatewayctl.settings import Settings
    from gatewayctl.store.base import Store
    from gatewayctl.store.writer import BatchWriter


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """Open (creating and migrating if needed) the store ``settings`` names."""
    from gatewayctl.store.sqlite import SqliteStore

    settings.ensure_data_dir()
    return SqliteStore(settings.db_path, migrate=migrate)


def open_writer(
    settings: Settings,
    *,
    interval: float = 0.1,
    max_batch: int = 500,
    max_rows: int = 50_000,
    max_body_bytes: int = 64 * 1024 * 1024,
) -> BatchWriter:
    """The process's batched writer on the store ``settings`` names (its own connection,
    opened in the writer thread). Close it at shutdown."""
    from gatewayctl.store.writer import BatchWriter

    return BatchWriter(
        lambda: open_store(settings, migrate=False),
        interval=interval,
        max_batch=max_batch,
        max_rows=max_rows,
        max_body_bytes=max_body_bytes,
    )
