"""Users, user keys (normalization, masking, ownership) and the admin key."""

from __future__ import annotations

from typing import Any

import pytest

from gatewayctl.errors import Conflict, Forbidden, InvalidInput, NotFound
from gatewayctl.services import keys, users
from gatewayctl.services.context import Context
from gatewayctl.services.keys import normalize_user_key


def key_rows(ctx: Context) -> list[tuple[Any, ...]]:
    return [(k.id, k.user_id, k.key_hash, k.label, k.enabled) for k in ctx.store.list_user_keys()]


def test_normalization_rule() -> None:
    assert normalize_user_key(12, "  raw ") == "u12_raw"
    assert normalize_user_key(12, "u12_raw") == "u12_raw"
    assert normalize_user_key(12, "u1_raw") == "u12_u1_raw"
    with pytest.raises(InvalidInput, match="must not be empty"):
        normalize_user_key(1, "  ")


def test_users_lifecycle_and_admin_protection(ctx: Context) -> None:
    assert users.list_users(ctx) == [{"id": 0, "name": "admin", "enabled": True}]
    alice = users.add_user(ctx, " alice ")
    assert alice == {"id": 1, "name": "alice", "enabled": True}
    with pytest.raises(Conflict, match="already exists"):
        users.add_user(ctx, "alice")
    with pytest.raises(InvalidInput, match="must not be empty"):
        users.add_user(ctx, " ")
    with pytest.raises(Conflict):
        users.add_user(ctx, "admin")
    assert users.set_user_enabled(ctx, "alice", False)["enabled"] is False
    for action in (
        lambda: users.remove_user(ctx, "admin"),
        lambda: users.set_user_enabled(ctx, "admin", False),
        lambda: users.upsert(ctx, {"id": 0, "name": "root"}),
    ):
        with pytest.raises(InvalidInput, match="admin user cannot"):
            action()
    users.remove_user(ctx, "alice")
    with pytest.raises(NotFound):
        users.remove_user(ctx, "alice")


def test_user_bodies(ctx: Context) -> None:
    created = users.upsert(ctx, {"name": "bob"})
    assert users.upsert(ctx, {"name": "bob", "enabled": False}) == {**created, "enabled": False}
    assert users.upsert(ctx, {"id": 9, "name": "nine"})["id"] == 9
    assert users.upsert(ctx, {"name": "ten"})["id"] == 10  # max + 1
    assert [u["name"] for u in users.query(ctx, {"name": {"Eq": "bob"}})] == ["bob"]
    assert users.query(ctx, {"id": {"Eq": 0}})[0]["name"] == "admin"
    for body, error in (
        ({}, InvalidInput),
        ({"name": 5}, InvalidInput),
        ({"name": "x", "enabled": "no"}, InvalidInput),
        ({"id": created["id"], "name": "nine"}, Conflict),
    ):
        before = users.list_users(ctx)
        with pytest.raises(error):
            users.upsert(ctx, body)
        assert users.list_users(ctx) == before
    users.delete(ctx, {"id": 9})
    with pytest.raises(NotFound):
        users.delete(ctx, {"id": 9})
    with pytest.raises(InvalidInput):
        users.delete(ctx, {"id": 0})


def test_keys_create_list_revoke(ctx: Context) -> None:
    users.add_user(ctx, "alice")
    created = keys.create_key(ctx, "alice", raw="laptop-key", label="laptop")
    assert created["api_key"] == "u1_laptop-key"  # shown once, in clear
    generated = keys.create_key(ctx, "alice")
    assert generated["api_key"].startswith("u1_") and len(generated["api_key"]) > 20
    listed = keys.list_keys(ctx, user="alice")
    assert [k["api_key"] for k in listed] == [
        "****",
        generated["api_key"][:3] + "…" + generated["api_key"][-4:],
    ]
    assert listed[0]["user"] == "alice"
    with pytest.raises(Conflict, match="user key already exists"):
        keys.create_key(ctx, "alice", raw="u1_laptop-key")
    with pytest.raises(NotFound):
        keys.create_key(ctx, "nobody")
    keys.revoke_key(ctx, created["id"])
    with pytest.raises(NotFound):
        keys.revoke_key(ctx, created["id"])


def test_admin_key(ctx: Context) -> None:
    assert keys.get_admin_key(ctx) is None
    key, generated = keys.ensure_admin_key(ctx)
    assert generated and keys.get_admin_key(ctx) == key
    assert keys.ensure_admin_key(ctx) == (key, False)
    assert keys.ensure_admin_key(ctx, " configured-admin-key ") == ("configured-admin-key", False)
    assert keys.get_admin_key(ctx) == "configured-admin-key"  # stored as is: no u0_ prefix
    rotated = keys.rotate_admin_key(ctx)
    assert rotated != "configured-admin-key" and keys.get_admin_key(ctx) == rotated
    rows = ctx.store.list_user_keys(user_id=0)
    assert len(rows) == 1 and rows[0].label == "bootstrap-admin-key"
    with pytest.raises(InvalidInput, match="admin-key rotate"):
        keys.revoke_key(ctx, rows[0].id)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        keys.set_admin_key(ctx, "  ")
    assert ctx.store.get_global_settings().admin_key_token is not None


def test_admin_key_bodies(ctx: Context) -> None:
    users.add_user(ctx, "alice")
    saved = keys.upsert(ctx, {"user_id": 1, "api_key": "k1", "label": "l", "enabled": True})
    assert saved["api_key"] == "u1_k1"
    # sending back the masked key from a query keeps the key
    masked = keys.query(ctx, {"user_id": {"Eq": 1}})[0]
    assert masked["api_key"] == "****"
    keys.upsert(ctx, {**masked, "enabled": False})
    assert keys.query(ctx, {"api_key": {"Eq": "u1_k1"}})[0]["enabled"] is False
    for body, error in (
        ({"user_id": 1}, InvalidInput),  # api_key required on create
        ({"user_id": 1, "api_key": ""}, InvalidInput),
        ({"user_id": 1, "api_key": 5}, InvalidInput),
        ({"user_id": 99, "api_key": "x"}, NotFound),
        ({"user_id": 1, "api_key": "u1_k1"}, Conflict),
        ({"user_id": 1, "api_key": "x", "label": 3}, InvalidInput),
        ({"id": saved["id"], "user_id": 0, "api_key": "x"}, InvalidInput),
    ):
        before = key_rows(ctx)
        with pytest.raises(error):
            keys.upsert(ctx, body)
        assert key_rows(ctx) == before


def test_user_routes_only_touch_the_callers_keys(ctx: Context) -> None:
    users.add_user(ctx, "alice")
    users.add_user(ctx, "bob")
    mine = keys.user_upsert(ctx, 1, {"api_key": "mine", "label": "x"})
    assert mine["api_key"] == "u1_mine"
    generated = keys.user_upsert(ctx, 1, {})
    assert generated["api_key"].startswith("u1_")
    bobs = keys.create_key(ctx, "bob", raw="bobs")
    assert [k["id"] for k in keys.user_query(ctx, 1)] == [mine["id"], generated["id"]]
    with pytest.raises(Forbidden):
        keys.user_delete(ctx, 1, {"id": bobs["id"]})
    with pytest.raises(Forbidden):
        keys.user_upsert(ctx, 1, {"id": bobs["id"], "api_key": "steal"})
    with pytest.raises(NotFound, match="not found: user_key 999"):
        keys.user_delete(ctx, 1, {"id": 999})
    with pytest.raises(Conflict, match="user key already exists"):
        keys.user_upsert(ctx, 2, {"api_key": "bobs"})
    keys.user_delete(ctx, 1, {"id": mine["id"]})
    assert len(keys.user_query(ctx, 1)) == 1
