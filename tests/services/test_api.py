"""The admin/user route table: every seed route is served; bad bodies never write."""

from __future__ import annotations

from typing import Any

import pytest

from gatewayctl.errors import Forbidden, GatewayError, InvalidInput, NotFound
from gatewayctl.services import api, credentials, keys, providers, users
from gatewayctl.services.context import Context

SEED_ADMIN_ROUTES = {
    ("GET", "/admin/global-settings"),
    ("POST", "/admin/global-settings/upsert"),
    ("GET", "/admin/config/export-toml"),
    ("POST", "/admin/config/import-toml"),
    *(
        ("POST", f"/admin/{noun}/{verb}")
        for noun in ("providers", "credentials", "credential-statuses", "users", "user-keys")
        for verb in ("query", "upsert", "delete")
    ),
    ("POST", "/admin/requests/upstream/query"),
    ("POST", "/admin/requests/downstream/query"),
    ("POST", "/admin/usages/query"),
    ("POST", "/admin/usages/summary"),
}
SEED_USER_ROUTES = {
    ("POST", "/user/keys/query"),
    ("POST", "/user/keys/upsert"),
    ("POST", "/user/keys/delete"),
    ("POST", "/user/usages/query"),
    ("POST", "/user/usages/summary"),
}
BODY_ROUTES = sorted(
    r for r in api.ADMIN_ROUTES if r[0] == "POST"
)  # every POST route decodes a JSON object


def test_every_seed_route_has_a_handler() -> None:
    assert set(api.ADMIN_ROUTES) == SEED_ADMIN_ROUTES
    assert set(api.USER_ROUTES) == SEED_USER_ROUTES
    assert api.WRITE_ROUTES <= {path for _, path in api.ADMIN_ROUTES} | {
        path for _, path in api.USER_ROUTES
    }


@pytest.fixture
def seeded(ctx: Context) -> Context:
    providers.add_provider(ctx, None, "openai")
    credentials.add_credential(ctx, "openai", api_key="sk-1234567890abcdefghij", label="a")
    users.add_user(ctx, "alice")
    keys.create_key(ctx, "alice", raw="alice")
    keys.ensure_admin_key(ctx)
    return ctx


@pytest.mark.parametrize("route", BODY_ROUTES)
@pytest.mark.parametrize("body", [[1], "text", 3, True])
def test_non_object_bodies_are_invalid_input(
    seeded: Context, route: tuple[str, str], body: Any
) -> None:
    version = seeded.store.config_version()
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        api.ADMIN_ROUTES[route](seeded, body)
    assert seeded.store.config_version() == version


WRONG_FIELDS: dict[str, list[dict[str, Any]]] = {
    "/admin/global-settings/upsert": [{"port": "x"}, {"mask_sensitive_info": 1}],
    "/admin/config/import-toml": [{}, {"toml": 5}, {"toml": "[[x"}],
    "/admin/providers/query": [{"name": 5}, {"limit": "1"}],
    "/admin/providers/upsert": [{}, {"name": "z", "channel": "zz"}, {"id": "1"}],
    "/admin/providers/delete": [{}, {"id": "1"}, {"id": 77}],
    "/admin/credentials/query": [{"provider_id": "All!"}],
    "/admin/credentials/upsert": [{}, {"provider_id": 1, "secret_json": "{"}, {"provider_id": 77}],
    "/admin/credentials/delete": [{}, {"id": 77}],
    "/admin/credential-statuses/query": [{"id": {"Eq": "x"}}],
    "/admin/credential-statuses/upsert": [{}, {"credential_id": 1, "health_kind": "meh"}],
    "/admin/credential-statuses/delete": [{}, {"id": 77}],
    "/admin/users/query": [{"id": {"Eq": True}}],
    "/admin/users/upsert": [{}, {"name": ""}, {"id": 0, "enabled": False}],
    "/admin/users/delete": [{}, {"id": 0}, {"id": 77}],
    "/admin/user-keys/query": [{"user_id": {"Eq": "1"}}],
    "/admin/user-keys/upsert": [{}, {"user_id": 1}, {"user_id": 77, "api_key": "k"}],
    "/admin/user-keys/delete": [{}, {"id": 77}],
    "/admin/requests/upstream/query": [{"provider_id": 1}, {"limit": -1}],
    "/admin/requests/downstream/query": [{"user_id": {"Eq": None}}],
    "/admin/usages/query": [{"from_unix_ms": "x"}],
    "/admin/usages/summary": [{"model": ["x"]}],
}


def test_wrong_fields_table_covers_every_body_route() -> None:
    assert set(WRONG_FIELDS) == {path for _, path in BODY_ROUTES}


@pytest.mark.parametrize(
    ("path", "body"), [(p, b) for p, bodies in WRONG_FIELDS.items() for b in bodies]
)
def test_wrong_fields_are_4xx_and_write_nothing(seeded: Context, path: str, body: Any) -> None:
    version = seeded.store.config_version()
    with pytest.raises(GatewayError) as exc:
        api.ADMIN_ROUTES[("POST", path)](seeded, body)
    assert 400 <= exc.value.status < 500 and exc.value.message
    assert seeded.store.config_version() == version


def test_user_routes_scope_to_the_caller(seeded: Context) -> None:
    alice = seeded.store.get_user_by_name("alice").id  # type: ignore[union-attr]
    admin_key_id = seeded.store.list_user_keys(user_id=0)[0].id
    rows = api.USER_ROUTES[("POST", "/user/keys/query")](seeded, alice, None)
    assert [r["user_id"] for r in rows] == [alice]
    with pytest.raises(Forbidden):
        api.USER_ROUTES[("POST", "/user/keys/delete")](seeded, alice, {"id": admin_key_id})
    with pytest.raises(NotFound):
        api.USER_ROUTES[("POST", "/user/keys/delete")](seeded, alice, {"id": 999})
    created = api.USER_ROUTES[("POST", "/user/keys/upsert")](seeded, alice, {"api_key": "new"})
    assert created["api_key"] == f"u{alice}_new"
    assert api.USER_ROUTES[("POST", "/user/usages/summary")](seeded, alice, None)["count"] == 0
    assert api.USER_ROUTES[("POST", "/user/usages/query")](seeded, alice, {}) == []


def test_export_and_import_through_the_table(seeded: Context) -> None:
    text = api.ADMIN_ROUTES[("GET", "/admin/config/export-toml")](seeded, None)
    assert isinstance(text, str) and "[[providers]]" in text
    result = api.ADMIN_ROUTES[("POST", "/admin/config/import-toml")](seeded, {"toml": text})
    assert result["ok"] is True and result["created"] == {}
    view = api.ADMIN_ROUTES[("GET", "/admin/global-settings")](seeded, None)
    assert view["admin_key"] and "…" in view["admin_key"]
