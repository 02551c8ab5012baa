"""The runtime snapshot: atomic swaps, polling, failure handling, and live CLI changes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from gatewayctl.gateway.state import RuntimeState, StateNotLoaded
from tests.server.conftest import unique
from tests.server.harness import LiveServer

# --------------------------------------------------------------------------------------
# RuntimeState with a scripted source
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeSnapshot:
    config_version: int
    providers: Mapping[str, Any] = field(default_factory=dict)
    keys: Mapping[str, str] = field(default_factory=dict)

    def authenticate(self, api_key: str) -> Any:
        return self.keys.get(api_key)


class FakeSource:
    def __init__(self) -> None:
        self.version = 1
        self.seen = 0
        self.fail = 0  # number of loads that raise
        self.loads = 0

    def changed(self) -> bool:
        if self.version == self.seen:
            return False
        self.seen = self.version
        return True

    def load(self) -> FakeSnapshot:
        self.loads += 1
        if self.fail:
            self.fail -= 1
            raise RuntimeError("database is locked")
        return FakeSnapshot(self.version, {"p": self.version}, {"k": "entry"})

    def invalidate(self) -> None:
        self.seen = 0


async def _wait_version(state: RuntimeState[FakeSnapshot], version: int) -> None:
    """Wait (at most 5 s) until the poller swapped in ``version``."""
    reached = asyncio.Event()
    state.add_listener(lambda old, new: reached.set() if new.config_version == version else None)
    if state.current().config_version != version:
        async with asyncio.timeout(5):
            await reached.wait()


async def test_state_loads_polls_and_swaps() -> None:
    source = FakeSource()
    state: RuntimeState[FakeSnapshot] = RuntimeState(source, interval=0.01)
    with pytest.raises(StateNotLoaded):
        state.current()
    swaps: list[tuple[int | None, int]] = []
    state.add_listener(
        lambda old, new: swaps.append((old and old.config_version, new.config_version))
    )
    await state.start()
    try:
        first = state.current()
        assert first.config_version == 1 and state.reloads == 1
        assert state.provider("p") == 1 and state.provider("q") is None
        assert state.key("k") == "entry" and state.key("nope") is None

        source.version = 2
        await _wait_version(state, 2)
        assert first.config_version == 1  # readers holding the old snapshot keep it intact
        assert swaps == [(None, 1), (1, 2)]

        # nothing changed: a reload is a no-op; force reloads anyway
        assert await state.reload() is False
        assert await state.reload(force=True) is True
    finally:
        await state.stop()


async def test_failed_reload_keeps_the_old_snapshot_and_retries() -> None:
    source = FakeSource()
    state: RuntimeState[FakeSnapshot] = RuntimeState(source, interval=0.01)
    await state.start()
    try:
        source.fail = 2
        source.version = 3
        await _wait_version(state, 3)
        assert state.reload_errors == 2
        assert state.reloads == 2
    finally:
        await state.stop()


async def test_first_load_failure_propagates() -> None:
    source = FakeSource()
    source.fail = 1
    state: RuntimeState[FakeSnapshot] = RuntimeState(source, interval=0.01)
    with pytest.raises(RuntimeError, match="database is locked"):
        await state.start()
    assert not state.loaded


async def test_a_failing_listener_does_not_stop_the_swap() -> None:
    source = FakeSource()
    state: RuntimeState[FakeSnapshot] = RuntimeState(source, interval=10)

    def broken(old: FakeSnapshot | None, new: FakeSnapshot) -> None:
        raise ValueError("listener bug")

    state.add_listener(broken)
    await state.start()
    try:
        source.version = 5
        assert await state.reload() is True
        assert state.current().config_version == 5
    finally:
        await state.stop()


# --------------------------------------------------------------------------------------
# live: another process changes the store
# --------------------------------------------------------------------------------------


def _provider_names(server: LiveServer) -> list[str]:
    return [p["name"] for p in server.ok("/admin/providers/query", {})]


def test_provider_added_by_the_cli_shows_up_within_2s(live_server: LiveServer) -> None:
    name = unique("clip")
    result = live_server.cli("providers", "add", name, "--channel", "openai")
    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 2.0
    state = live_server.app.extensions["gatewayctl"].state
    while state.provider(name) is None:
        assert time.monotonic() < deadline, "the snapshot did not pick up the CLI change in 2 s"
        time.sleep(0.05)
    assert name in _provider_names(live_server)

    # disable it with the CLI: gone from the routing snapshot, still listed by the admin API
    assert live_server.cli("providers", "disable", name).returncode == 0
    deadline = time.monotonic() + 2.0
    while state.provider(name) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert name in _provider_names(live_server)


def test_key_created_by_the_cli_authenticates_within_2s(live_server: LiveServer) -> None:
    user = unique("cliuser")
    assert live_server.cli("users", "add", user).returncode == 0
    created = live_server.cli("keys", "create", "--user", user, "--key", "fromcli", "--json")
    assert created.returncode == 0, created.stderr
    uid = live_server.ok("/admin/users/query", {"name": {"Eq": user}})[0]["id"]
    deadline = time.monotonic() + 2.0
    while live_server.post("/user/keys/query", key=f"u{uid}_fromcli").status_code != 200:
        assert time.monotonic() < deadline, "the new key did not authenticate within 2 s"
        time.sleep(0.05)


def test_admin_write_is_visible_to_the_next_request(live_server: LiveServer) -> None:
    name = unique("immediate")
    live_server.ok("/admin/providers/upsert", {"name": name, "channel": "openai"})
    state = live_server.app.extensions["gatewayctl"].state
    assert state.provider(name) is not None  # no wait: reloaded before the answer
