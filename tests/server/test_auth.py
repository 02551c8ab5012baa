"""Auth: key extraction per route family, the 401/403 matrix, disabled keys and users."""

from __future__ import annotations

import pytest

from gatewayctl.server.auth import bearer_token, extract_api_key
from tests.server.conftest import unique
from tests.server.harness import LiveServer

# --------------------------------------------------------------------------------------
# extraction (pure)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "query", "provider_route", "expected"),
    [
        ({"x-api-key": "a"}, {}, False, "a"),
        ({"x-api-key": " a "}, {}, False, "a"),
        ({"authorization": "Bearer b"}, {}, False, "b"),
        ({"authorization": "bearer b"}, {}, False, "b"),
        ({"x-api-key": "a", "authorization": "Bearer b"}, {}, False, "a"),
        ({"x-goog-api-key": "g"}, {}, False, None),  # admin/user: not read
        ({}, {"key": "q"}, False, None),
        ({"x-goog-api-key": "g"}, {}, True, "g"),
        ({}, {"key": "q"}, True, "q"),
        ({"x-goog-api-key": "g"}, {"key": "q"}, True, "g"),
        ({"authorization": "Bearer b"}, {"key": "q"}, True, "q"),
        ({"x-api-key": "a", "x-goog-api-key": "g"}, {"key": "q"}, True, "a"),
        ({"authorization": "Basic Zm9vOmJhcg=="}, {}, True, None),
        ({"x-api-key": "   ", "authorization": "Bearer b"}, {}, False, "b"),
        ({}, {}, True, None),
    ],
)
def test_extract_api_key(
    headers: dict[str, str], query: dict[str, str], provider_route: bool, expected: str | None
) -> None:
    assert extract_api_key(headers, query, provider_route=provider_route) == expected


def test_bearer_token_edge_cases() -> None:
    assert bearer_token({"authorization": "Bearer"}) is None
    assert bearer_token({"authorization": "Bearer   "}) is None
    assert bearer_token({"authorization": "BEARER tok"}) == "tok"


# --------------------------------------------------------------------------------------
# the matrix, live
# --------------------------------------------------------------------------------------


def _user_with_key(server: LiveServer, raw: str) -> tuple[int, int, str]:
    uid = server.ok("/admin/users/upsert", {"name": unique("authuser")})["id"]
    kid = server.ok("/admin/user-keys/upsert", {"user_id": uid, "api_key": raw})["id"]
    return uid, kid, f"u{uid}_{raw}"


def test_admin_route_matrix(live_server: LiveServer) -> None:
    _, _, user_key = _user_with_key(live_server, "matrix")
    path = "/admin/users/query"
    none = live_server.post(path, {}, key=None)
    assert (none.status_code, none.json()) == (401, {"error": "unauthorized"})
    wrong = live_server.post(path, {}, key="not-a-key")
    assert (wrong.status_code, wrong.json()) == (401, {"error": "unauthorized"})
    user = live_server.post(path, {}, key=user_key)
    assert (user.status_code, user.json()) == (403, {"error": "forbidden"})
    assert live_server.post(path, {}).status_code == 200


def test_bearer_and_get_routes(live_server: LiveServer) -> None:
    with live_server.client(key=None) as client:
        bearer = {"authorization": f"Bearer {live_server.admin_key}"}
        assert client.get("/admin/global-settings", headers=bearer).status_code == 200
        assert client.get("/admin/global-settings").status_code == 401
        assert client.get("/admin/config/export-toml").status_code == 401
        # admin routes ignore Gemini-style keys (provider routes only)
        goog = {"x-goog-api-key": live_server.admin_key}
        assert client.get("/admin/global-settings", headers=goog).status_code == 401
        assert client.get(f"/admin/global-settings?key={live_server.admin_key}").status_code == 401


def test_user_routes_accept_any_active_key(live_server: LiveServer) -> None:
    uid, _, user_key = _user_with_key(live_server, "any")
    assert live_server.post("/user/keys/query", key=user_key).status_code == 200
    assert live_server.post("/user/keys/query").status_code == 200  # admin key too
    assert live_server.post("/user/keys/query", key=None).status_code == 401
    assert live_server.post("/user/keys/query", key="u999_nope").status_code == 401


def test_disabled_key_and_disabled_user_are_401(live_server: LiveServer) -> None:
    uid, kid, user_key = _user_with_key(live_server, "disable-me")
    assert live_server.post("/user/keys/query", key=user_key).status_code == 200

    live_server.ok("/admin/user-keys/upsert", {"id": kid, "user_id": uid, "enabled": False})
    assert live_server.post("/user/keys/query", key=user_key).status_code == 401
    live_server.ok("/admin/user-keys/upsert", {"id": kid, "user_id": uid, "enabled": True})
    assert live_server.post("/user/keys/query", key=user_key).status_code == 200

    live_server.ok("/admin/users/upsert", {"id": uid, "enabled": False})
    assert live_server.post("/user/keys/query", key=user_key).status_code == 401
    live_server.ok("/admin/users/upsert", {"id": uid, "enabled": True})
    assert live_server.post("/user/keys/query", key=user_key).status_code == 200


def test_state_key_lookup(live_server: LiveServer) -> None:
    """The lookup the gateway will use: O(1) in the snapshot, None for unknown keys."""
    uid, kid, user_key = _user_with_key(live_server, "lookup")
    state = live_server.app.extensions["gatewayctl"].state
    entry = state.key(user_key)
    assert (entry.key_id, entry.user_id, entry.is_admin) == (kid, uid, False)
    assert state.key(live_server.admin_key).is_admin is True
    assert state.key("u1_unknown") is None
