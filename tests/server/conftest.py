"""Fixtures for server tests: one live in-process server per test module.

``live_server`` is module-scoped (starting a server costs ~0.1 s, a store bootstrap more):
tests in a module share it, so each test creates the rows it needs under unique names
(:func:`unique`) instead of expecting an empty store. Tests that need a pristine store or
special settings start their own with :func:`tests.server.harness.live_server_at`.
Other areas (the gateway) can reuse the same fixture by importing it from here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.server.harness import LiveServer, live_server_at

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test in this session uses."""
    return f"{prefix}{next(_counter)}"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("live-server") / "data"
    with live_server_at(data_dir) as server:
        yield server
