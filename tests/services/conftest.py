"""Fixtures for service tests: an open Context on the test's private data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gatewayctl.services.context import Context, open_context


@pytest.fixture
def ctx(isolated_env: Path) -> Iterator[Context]:
    c = open_context()
    try:
        yield c
    finally:
        c.close()


def db_bytes(ctx: Context) -> bytes:
    """Every byte SQLite keeps for this database: the file, its WAL and shared memory."""
    path = ctx.settings.db_path
    out = b""
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            out += p.read_bytes()
    return out
