"""The registry follows snapshots: adapters, pool membership, operator status edits."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from gatewayctl.dispatch import default_dispatch
from gatewayctl.errors import NotFound, NotImplementedByGateway
from gatewayctl.gateway.pool import CredentialPool
from gatewayctl.gateway.providers import ProviderRegistry
from gatewayctl.services.snapshot import SnapshotCredential, SnapshotProvider, SnapshotStatus

NOW = 1_800_000_000_000


def cred(cid: int, key: str, provider_id: int = 1) -> SnapshotCredential:
    return SnapshotCredential(
        cid,
        provider_id,
        f"c{cid}",
        "builtin/openai",
        {"Builtin": {"OpenAi": {"api_key": key}}},
        None,
    )


def provider(
    name: str = "oai",
    channel: str = "openai",
    settings: dict[str, Any] | None = None,
    creds: tuple[SnapshotCredential, ...] = (),
    pid: int = 1,
) -> SnapshotProvider:
    return SnapshotProvider(
        pid,
        name,
        channel,
        settings or {"base_url": "http://127.0.0.1:9"},
        None,  # the channel's default
        creds,
    )


class Snap:
    def __init__(self, providers: list[SnapshotProvider], statuses: list[SnapshotStatus]) -> None:
        self.providers = MappingProxyType({p.name: p for p in providers})
        self.statuses = MappingProxyType({s.credential_id: s for s in statuses})


def status(cid: int, kind: str, cooldowns: tuple[tuple[str, int], ...] = ()) -> SnapshotStatus:
    return SnapshotStatus(
        cid, "openai", kind, cooldowns, NOW, "upstream status 401" if kind == "dead" else None
    )


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry(CredentialPool(clock=lambda: NOW), vertex_tokens=None)


def test_follow_builds_adapters_and_pool_membership(registry: ProviderRegistry) -> None:
    snap = Snap([provider(creds=(cred(1, "sk-a"), cred(2, "sk-b")))], [])
    registry.follow(snap)
    runtime = registry.get("oai")
    assert runtime.channel.id == "openai"
    assert [c.id for c in registry.pool.eligible("oai", "gpt-4o")] == [1, 2]
    with pytest.raises(NotFound, match="provider not found: other"):
        registry.get("other")


def test_unchanged_snapshot_is_not_rebuilt(registry: ProviderRegistry) -> None:
    row = provider(creds=(cred(1, "sk-a"),))
    registry.follow(Snap([row], []))
    first = registry.get("oai")
    registry.follow(Snap([row], []))  # a new snapshot object, same provider row
    assert registry.get("oai") is first
    registry.follow(Snap([replace(row, settings={"base_url": "http://127.0.0.1:10"})], []))
    assert registry.get("oai") is not first
    assert registry.get("oai").channel.base_url == "http://127.0.0.1:10"


def test_removed_provider_is_gone(registry: ProviderRegistry) -> None:
    registry.follow(Snap([provider(creds=(cred(1, "sk-a"),))], []))
    registry.follow(Snap([], []))
    with pytest.raises(NotFound):
        registry.get("oai")
    assert registry.pool.provider_names() == []


def test_broken_settings_are_reported_not_hidden(registry: ProviderRegistry) -> None:
    registry.follow(
        Snap(
            [
                provider("cx", "codex", {}),
                provider("bad", "openai", {"base_url": "ftp://x"}, pid=2),
            ],
            [],
        )
    )
    with pytest.raises(NotImplementedByGateway):
        registry.get("cx")
    with pytest.raises(Exception, match="base_url"):
        registry.get("bad")
    assert registry.all() == []


def test_custom_channels_default_to_their_protocols_table(registry: ProviderRegistry) -> None:
    settings = {"base_url": "http://127.0.0.1:9", "protocol": "anthropic"}
    registry.follow(Snap([provider("my", "mycustom", settings)], []))
    assert registry.get("my").dispatch == default_dispatch("mycustom", settings)
    assert registry.get("my").dispatch != default_dispatch("mycustom")


def test_explicit_dispatch_wins_and_builtins_default_to_their_channel(
    registry: ProviderRegistry,
) -> None:
    own = default_dispatch("groq")  # any table that is not the custom channel's default
    settings = {"base_url": "http://127.0.0.1:9", "protocol": "anthropic"}
    registry.follow(
        Snap(
            [provider("oai", pid=1), replace(provider("my", "mycustom", settings), dispatch=own)],
            [],
        )
    )
    assert registry.get("oai").dispatch == default_dispatch("openai")
    assert registry.get("my").dispatch is own


def test_statuses_load_and_operator_edits_apply(registry: ProviderRegistry) -> None:
    row = provider(creds=(cred(1, "sk-a"), cred(2, "sk-b")))
    registry.follow(Snap([row], [status(1, "dead")]))
    assert [c.id for c in registry.pool.eligible("oai", "m")] == [2]
    # an operator revives it
    registry.follow(Snap([row], [status(1, "healthy")]))
    assert [c.id for c in registry.pool.eligible("oai", "m")] == [1, 2]
    # an operator sets a cooldown
    registry.follow(Snap([row], [status(1, "partial", (("m", NOW + 5_000),))]))
    assert [c.id for c in registry.pool.eligible("oai", "m")] == [2]
    assert [c.id for c in registry.pool.eligible("oai", "other")] == [1, 2]
    # the status row is deleted: healthy again
    registry.follow(Snap([row], []))
    assert [c.id for c in registry.pool.eligible("oai", "m")] == [1, 2]


def test_our_own_writes_coming_back_do_not_undo_newer_state(registry: ProviderRegistry) -> None:
    row = provider(creds=(cred(1, "sk-a"),))
    registry.follow(Snap([row], []))
    registry.pool.mark_cooldown(1, "m", 10_000, "upstream status 429")
    (written,) = registry.take_status_rows()
    assert written.health_kind == "partial" and written.channel == "openai"
    registry.pool.mark_success(1)  # newer than what was written
    echo = SnapshotStatus(
        1, "openai", "partial", (("m", NOW + 10_000),), NOW, "upstream status 429"
    )
    registry.follow(Snap([row], [echo]))  # our cooldown write arrives in the snapshot
    assert [c.id for c in registry.pool.eligible("oai", "m")] == [1]
