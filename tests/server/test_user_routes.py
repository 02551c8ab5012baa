"""The user API (spec §12): everything scoped to the caller's own user."""

from __future__ import annotations

from tests.server.conftest import unique
from tests.server.harness import LiveServer


def _user(server: LiveServer) -> tuple[int, str]:
    uid = server.ok("/admin/users/upsert", {"name": unique("self")})["id"]
    server.ok("/admin/user-keys/upsert", {"user_id": uid, "api_key": "main"})
    return uid, f"u{uid}_main"


def test_keys_query_upsert_delete_own(live_server: LiveServer) -> None:
    uid, key = _user(live_server)
    (mine,) = live_server.ok("/user/keys/query", key=key)
    assert mine["user_id"] == uid and "main" not in mine["api_key"]  # masked

    row = live_server.ok("/user/keys/upsert", {"api_key": "second", "label": "ci"}, key=key)
    assert row["user_id"] == uid
    assert row["api_key"] == f"u{uid}_second"  # the stored (normalized) key, in clear once
    assert row["label"] == "ci" and row["enabled"] is True
    assert live_server.post("/user/keys/query", key=f"u{uid}_second").status_code == 200
    assert len(live_server.ok("/user/keys/query", key=key)) == 2

    # an already-prefixed key is stored unchanged; no api_key → a generated one
    row2 = live_server.ok("/user/keys/upsert", {"api_key": f"u{uid}_third"}, key=key)
    assert row2["api_key"] == f"u{uid}_third"
    generated = live_server.ok("/user/keys/upsert", {}, key=key)
    assert generated["api_key"].startswith(f"u{uid}_") and len(generated["api_key"]) > 10

    # update own key by id (disable it): it stops authenticating at once
    live_server.ok("/user/keys/upsert", {"id": row["id"], "enabled": False}, key=key)
    assert live_server.post("/user/keys/query", key=f"u{uid}_second").status_code == 401

    assert live_server.ok("/user/keys/delete", {"id": row["id"]}, key=key) == {"ok": True}
    ids = [k["id"] for k in live_server.ok("/user/keys/query", key=key)]
    assert row["id"] not in ids and row2["id"] in ids


def test_other_users_keys_are_forbidden(live_server: LiveServer) -> None:
    _, alice = _user(live_server)
    bob_id, bob = _user(live_server)
    (bob_key,) = live_server.ok("/user/keys/query", key=bob)

    deleted = live_server.post("/user/keys/delete", {"id": bob_key["id"]}, key=alice)
    assert deleted.status_code == 403 and "error" in deleted.json()
    updated = live_server.post(
        "/user/keys/upsert", {"id": bob_key["id"], "api_key": "stolen"}, key=alice
    )
    assert updated.status_code == 403
    # bob's key is untouched
    assert live_server.ok("/user/keys/query", key=bob) == [bob_key]
    # alice never sees bob's keys
    assert all(k["user_id"] != bob_id for k in live_server.ok("/user/keys/query", key=alice))


def test_unknown_key_id_is_404(live_server: LiveServer) -> None:
    _, key = _user(live_server)
    response = live_server.post("/user/keys/delete", {"id": 987654}, key=key)
    assert response.status_code == 404
    assert response.json() == {"error": "not found: user_key 987654"}


def test_duplicate_key_is_400(live_server: LiveServer) -> None:
    uid, key = _user(live_server)
    response = live_server.post("/user/keys/upsert", {"api_key": "main"}, key=key)
    assert response.status_code == 400
    assert response.json() == {"error": "user key already exists"}


def test_usages_are_forced_to_the_caller(live_server: LiveServer) -> None:
    _, key = _user(live_server)
    assert live_server.ok("/user/usages/query", {"user_id": {"Eq": 0}}, key=key) == []
    summary = live_server.ok("/user/usages/summary", {}, key=key)
    assert summary["count"] == 0 and summary["input_tokens"] == 0
    assert live_server.ok("/user/usages/query", key=key) == []
