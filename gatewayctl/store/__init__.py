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


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """Open (creating and migrating if needed) the store ``settings`` names."""
    from gatewayctl.store.sqlite import SqliteStore

    settings.ensure_data_dir()
    return SqliteStore(settings.db_path, migrate=migrate)
