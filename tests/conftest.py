"""Suite-wide isolation: no test touches the real home, keyring or network.

Every test gets its own data dir (``GATEWAYCTL_DATA_DIR``) and an in-memory keyring backend,
so nothing reads or writes ``~`` or a desktop keyring. Fixtures for one area live in that
area's own ``conftest.py`` (tests/store, tests/server, …).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = FIXTURES / "recorded"


class MemoryKeyring(KeyringBackend):
    """A keyring that lives for one test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private data dir and keyring for each test; gatewayctl env vars cleared."""
    import os

    for name in list(os.environ):
        if name.startswith("GATEWAYCTL_"):
            monkeypatch.delenv(name)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("GATEWAYCTL_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_COLOR", "1")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        yield data_dir
    finally:
        keyring.set_keyring(previous)
