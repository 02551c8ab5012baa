from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from gatewayctl.tokens import encodings


class NetworkDisabled(RuntimeError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """Every socket connect/DNS lookup raises; tiktoken's download cache points at an empty dir;
    our encoding cache starts empty so the encodings are loaded under these conditions."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NetworkDisabled(f"network disabled in this test: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken-cache"))
    saved = dict(encodings._cache)
    encodings._cache.clear()
    yield
    encodings._cache.clear()
    encodings._cache.update(saved)
