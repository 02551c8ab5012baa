"""pytest fixtures for the fake upstreams, importable by any test directory's conftest.

Use them from another area's ``conftest.py``::

    from tests.fakes.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
        anthropic_fake,
        gemini_fake,
        openai_fake,
        start_fake,
    )

``openai_fake`` / ``anthropic_fake`` / ``gemini_fake`` give a fake that is already listening
(``fake.url`` is its base URL, ``fake.key`` an accepted key). One server per vendor is started
lazily and shared by the whole session — starting Hypercorn per test would cost more than
most tests — and the fake is reset before and after each test (records, scripts, keys and
models restored; streams still open are cut). ``start_fake(fake)`` starts a private server for
tests that need their own (e.g. two OpenAI upstreams with different keys), stopped at the end
of the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

import pytest

from tests.fakes.anthropic import AnthropicFake
from tests.fakes.base import FakeUpstream
from tests.fakes.gemini import GeminiFake
from tests.fakes.openai import OpenAIFake
from tests.fakes.server import RunningServer, start_server

F = TypeVar("F", bound=FakeUpstream)

_SERVERS = pytest.StashKey[dict[str, RunningServer]]()


class StartFake(Protocol):
    """The ``start_fake`` fixture: serve a fake for this test and return it (``url`` set)."""

    def __call__(self, fake: F, /) -> F: ...


def _shared(request: pytest.FixtureRequest, name: str, make: Callable[[], F]) -> Iterator[F]:
    servers = request.config.stash.setdefault(_SERVERS, {})
    if name not in servers:
        server = start_server(make())
        servers[name] = server
        request.config.add_cleanup(server.stop)
    fake: F = servers[name].app
    fake.reset()
    try:
        yield fake
    finally:
        fake.reset()


@pytest.fixture
def openai_fake(request: pytest.FixtureRequest) -> Iterator[OpenAIFake]:
    """The session's fake OpenAI upstream, reset for this test."""
    yield from _shared(request, "openai", OpenAIFake)


@pytest.fixture
def anthropic_fake(request: pytest.FixtureRequest) -> Iterator[AnthropicFake]:
    """The session's fake Anthropic upstream, reset for this test."""
    yield from _shared(request, "anthropic", AnthropicFake)


@pytest.fixture
def gemini_fake(request: pytest.FixtureRequest) -> Iterator[GeminiFake]:
    """The session's fake Gemini upstream, reset for this test."""
    yield from _shared(request, "gemini", GeminiFake)


@pytest.fixture
def start_fake() -> Iterator[StartFake]:
    """Start private fakes for this test: ``fake = start_fake(OpenAIFake(keys=["k1"]))``."""
    servers: list[RunningServer] = []

    def start(fake: F) -> F:
        servers.append(start_server(fake))
        return fake

    yield start
    for server in servers:
        server.stop()
