"""Provider rules: names, channels, settings, dispatch; CLI and HTTP-body entry points."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatewayctl.dispatch import default_dispatch
from gatewayctl.errors import Conflict, InvalidInput, NotFound
from gatewayctl.services import credentials, providers
from gatewayctl.services.context import Context

CUSTOM_DISPATCH = {
    "rules": [
        {
            "route": {"operation": "GenerateContent", "protocol": "Claude"},
            "implementation": "Passthrough",
        }
    ]
}


def snapshot(ctx: Context) -> list[dict[str, Any]]:
    return providers.list_providers(ctx)


def test_builtin_defaults(ctx: Context) -> None:
    p = providers.add_provider(ctx, None, "OpenAI")
    assert (p["name"], p["channel"], p["enabled"]) == ("openai", "openai", True)
    assert p["settings_json"] == {"base_url": "https://api.openai.com"}
    assert p["dispatch_json"] == default_dispatch("openai").to_json()
    assert isinstance(p["created_at"], int) and p["created_at"] == p["updated_at"]


def test_claude_is_an_alias_of_anthropic(ctx: Context) -> None:
    p = providers.add_provider(ctx, "claude", "claude")
    assert (p["name"], p["channel"]) == ("claude", "anthropic")


def test_custom_channel_requires_base_url(ctx: Context) -> None:
    with pytest.raises(InvalidInput, match="custom channel requires settings.base_url"):
        providers.add_provider(ctx, None, "mycustom")
    p = providers.add_provider(ctx, None, "mycustom", settings={"base_url": "https://x.test/v1/"})
    assert p["channel"] == "mycustom" and p["settings_json"]["base_url"] == "https://x.test/v1"


def test_several_providers_share_a_channel(ctx: Context) -> None:
    providers.add_provider(ctx, "openai-eu", "openai")
    providers.add_provider(ctx, "openai-us", "openai")
    assert [p["name"] for p in providers.list_providers(ctx, channel="openai")] == [
        "openai-eu",
        "openai-us",
    ]


@pytest.mark.parametrize(
    ("name", "channel", "settings", "dispatch", "match"),
    [
        ("admin", "openai", None, None, "reserved"),
        ("V1", "openai", None, None, "reserved"),
        ("a/b", "openai", None, None, "invalid"),
        ("", "bad id!", None, None, "custom channel id"),
        (None, "openai", {"base_url": "ftp://x"}, None, "http/https URL"),
        (None, "openai", {"base_url": 5}, None, "string URL"),
        (None, "openai", "{not json", None, "not valid JSON"),
        (None, "openai", "[1]", None, "must be a JSON object"),
        (None, "openai", {"credential_round_robin_enabled": "yes"}, None, "true or false"),
        (None, "openai", {"credential_cache_affinity_max_keys": -1}, None, "non-negative"),
        (None, "openai", {"credential_pick_mode": "random"}, None, "one of"),
        (None, "mycustom", {"base_url": "https://x", "mask_table": {"rules": [{}]}}, None, "remove_fields"),
        (None, "openai", None, {"rules": [{"route": {"operation": "Nope", "protocol": "OpenAi"}, "implementation": "Local"}]}, "unknown operation"),
        (None, "openai", None, "{]", "not valid JSON"),
        (None, "openai", None, {"rules": "x"}, "dispatch must be an object"),
    ],
)  # fmt: skip
def test_invalid_input_writes_nothing(
    ctx: Context, name: str | None, channel: str, settings: Any, dispatch: Any, match: str
) -> None:
    before = snapshot(ctx)
    with pytest.raises(InvalidInput, match=match):
        providers.add_provider(ctx, name, channel, settings=settings, dispatch=dispatch)
    assert snapshot(ctx) == before


def test_duplicate_name_is_a_conflict(ctx: Context) -> None:
    providers.add_provider(ctx, None, "openai")
    with pytest.raises(Conflict, match="already exists"):
        providers.add_provider(ctx, "openai", "groq")


def test_dispatch_equal_to_default_is_not_stored(ctx: Context) -> None:
    p = providers.add_provider(ctx, None, "openai", dispatch=default_dispatch("openai").to_json())
    assert ctx.store.get_provider(p["id"]).dispatch is None  # type: ignore[union-attr]
    q = providers.add_provider(ctx, "o2", "openai", dispatch=json.dumps(CUSTOM_DISPATCH))
    assert q["dispatch_json"] == CUSTOM_DISPATCH
    assert ctx.store.get_provider(q["id"]).dispatch == CUSTOM_DISPATCH  # type: ignore[union-attr]


def test_show_remove_enable_disable(ctx: Context) -> None:
    p = providers.add_provider(ctx, None, "openai", enabled=False)
    assert providers.get_provider(ctx, "openai")["enabled"] is False
    assert providers.get_provider(ctx, p["id"])["name"] == "openai"
    assert providers.set_provider_enabled(ctx, "openai", True)["enabled"] is True
    providers.remove_provider(ctx, "openai")
    with pytest.raises(NotFound, match="provider 'openai' not found"):
        providers.get_provider(ctx, "openai")
    with pytest.raises(NotFound):
        providers.remove_provider(ctx, "openai")
    with pytest.raises(NotFound):
        providers.set_provider_enabled(ctx, "nope", False)


# --------------------------------------------------------------------------------------
# HTTP bodies
# --------------------------------------------------------------------------------------


def test_upsert_creates_then_matches_by_name(ctx: Context) -> None:
    created = providers.upsert(
        ctx,
        {
            "name": "openai",
            "channel": "openai",
            "settings_json": '{"base_url": "https://proxy.test"}',
            "dispatch_json": "",
            "enabled": True,
        },
    )
    updated = providers.upsert(ctx, {"name": "openai", "enabled": False})
    assert updated["id"] == created["id"]
    assert updated["enabled"] is False
    assert updated["settings_json"] == {"base_url": "https://proxy.test"}  # kept
    by_id = providers.upsert(
        ctx, {"id": created["id"], "name": "renamed", "channel": "openai", "settings_json": {}}
    )
    assert (by_id["name"], by_id["settings_json"]["base_url"]) == (
        "renamed",
        "https://api.openai.com",
    )
    with_id = providers.upsert(ctx, {"id": 42, "channel": "groq"})
    assert (with_id["id"], with_id["name"]) == (42, "groq")


def test_upsert_rejects_channel_change_with_credentials(ctx: Context) -> None:
    providers.add_provider(ctx, None, "openai")
    credentials.add_credential(ctx, "openai", api_key="sk-1")
    with pytest.raises(InvalidInput, match="has credentials"):
        providers.upsert(ctx, {"name": "openai", "channel": "groq"})


def test_upsert_rename_conflict(ctx: Context) -> None:
    providers.add_provider(ctx, None, "openai")
    g = providers.add_provider(ctx, None, "groq")
    before = snapshot(ctx)
    with pytest.raises(Conflict):
        providers.upsert(ctx, {"id": g["id"], "name": "openai"})
    assert snapshot(ctx) == before


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], InvalidInput),
        ({}, InvalidInput),
        ({"name": "x"}, InvalidInput),  # unknown name and no channel
        ({"name": "x", "channel": 3}, InvalidInput),
        ({"name": "x", "channel": "openai", "enabled": "yes"}, InvalidInput),
        ({"id": "1", "channel": "openai"}, InvalidInput),
        ({"id": 0, "channel": "openai"}, InvalidInput),
        ({"channel": "openai", "settings_json": "{"}, InvalidInput),
    ],
)
def test_upsert_bad_bodies(ctx: Context, body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        providers.upsert(ctx, body)
    assert snapshot(ctx) == []


def test_query_scopes_and_order(ctx: Context) -> None:
    providers.add_provider(ctx, None, "openai")
    providers.add_provider(ctx, None, "groq", enabled=False)
    assert [p["name"] for p in providers.query(ctx, {})] == ["groq", "openai"]
    assert [p["name"] for p in providers.query(ctx, None)] == ["groq", "openai"]
    assert [p["name"] for p in providers.query(ctx, {"enabled": {"Eq": True}})] == ["openai"]
    assert [p["name"] for p in providers.query(ctx, {"channel": {"Eq": "groq"}})] == ["groq"]
    assert [p["name"] for p in providers.query(ctx, {"name": "All", "limit": 1})] == ["groq"]
    with pytest.raises(InvalidInput, match='must be "All"'):
        providers.query(ctx, {"channel": "openai"})
    with pytest.raises(InvalidInput, match="must hold a boolean"):
        providers.query(ctx, {"enabled": {"Eq": "yes"}})
    with pytest.raises(InvalidInput, match="limit"):
        providers.query(ctx, {"limit": -1})


def test_delete_body(ctx: Context) -> None:
    p = providers.add_provider(ctx, None, "openai")
    with pytest.raises(InvalidInput, match="`id` is required"):
        providers.delete(ctx, {})
    with pytest.raises(NotFound):
        providers.delete(ctx, {"id": 999})
    providers.delete(ctx, {"id": p["id"]})
    assert snapshot(ctx) == []


def test_custom_default_dispatch_follows_the_protocol_setting(ctx: Context) -> None:
    """A gemini-shaped custom provider shows the gemini table; upserting the view back keeps it
    (stored as "default"), and changing `protocol` changes the effective table."""
    settings = {"base_url": "https://g.test", "protocol": "Gemini"}
    p = providers.add_provider(ctx, "g", "mygemini", settings=settings)
    assert p["settings_json"]["protocol"] == "gemini"
    gemini_table = default_dispatch("mygemini", {"protocol": "gemini"}).to_json()
    assert p["dispatch_json"] == gemini_table != default_dispatch("mygemini").to_json()
    providers.upsert(ctx, {**p, "dispatch_json": json.dumps(p["dispatch_json"])})
    assert providers.get_provider(ctx, "g")["dispatch_json"] == gemini_table
    providers.upsert(ctx, {"name": "g", "settings_json": {"base_url": "https://g.test"}})
    assert providers.get_provider(ctx, "g")["dispatch_json"] == default_dispatch("x").to_json()
    with pytest.raises(InvalidInput, match="setting `protocol` must be"):
        providers.add_provider(
            ctx, "h", "other", settings={"base_url": "https://h", "protocol": "x"}
        )
