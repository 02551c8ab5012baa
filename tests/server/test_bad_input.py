"""Bad input on every admin and user route: a 4xx ``{"error": ...}``, never a 500, and
nothing written — checked by comparing a full ``export-toml`` before and after each call."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gatewayctl.services.api import ADMIN_ROUTES, USER_ROUTES
from tests.server.harness import LiveServer, live_server_at


@dataclass(frozen=True)
class Ids:
    provider: int
    credential: int
    user: int
    user_key: str  # a key of that (non-admin) user


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Ids]]:
    with live_server_at(tmp_path_factory.mktemp("bad-input") / "data") as server:
        pid = server.ok("/admin/providers/upsert", {"name": "p", "channel": "openai"})["id"]
        cid = server.ok(
            "/admin/credentials/upsert", {"provider_id": pid, "api_key": "sk-" + "b" * 30}
        )["id"]
        uid = server.ok("/admin/users/upsert", {"name": "u"})["id"]
        server.ok("/admin/user-keys/upsert", {"user_id": uid, "api_key": "k"})
        server.ok(
            "/admin/credential-statuses/upsert",
            {"credential_id": cid, "channel": "openai", "health_kind": "dead"},
        )
        yield server, Ids(pid, cid, uid, f"u{uid}_k")


Body = Callable[[Ids], Any]

# (path, body, expected status or None for "any 4xx")
CASES: list[tuple[str, Body, int | None]] = [
    # providers
    ("/admin/providers/query", lambda i: {"channel": 5}, 400),
    ("/admin/providers/query", lambda i: {"name": {"Eq": 1}}, 400),
    ("/admin/providers/query", lambda i: {"enabled": {"Eq": "yes"}}, 400),
    ("/admin/providers/query", lambda i: {"limit": "ten"}, 400),
    ("/admin/providers/query", lambda i: {"limit": -1}, 400),
    ("/admin/providers/upsert", lambda i: {}, 400),
    ("/admin/providers/upsert", lambda i: {"name": 5, "channel": "openai"}, 400),
    ("/admin/providers/upsert", lambda i: {"name": "x", "channel": ["openai"]}, 400),
    ("/admin/providers/upsert", lambda i: {"channel": "openai", "name": "admin"}, 400),
    ("/admin/providers/upsert", lambda i: {"channel": "openai", "name": "a b"}, 400),
    ("/admin/providers/upsert", lambda i: {"channel": "openai", "settings_json": "{bad"}, 400),
    ("/admin/providers/upsert", lambda i: {"channel": "openai", "settings_json": [1]}, 400),
    (
        "/admin/providers/upsert",
        lambda i: {"channel": "openai", "settings_json": {"base_url": "ftp://x"}},
        400,
    ),
    ("/admin/providers/upsert", lambda i: {"channel": "openai", "dispatch_json": {"r": 5}}, 400),
    ("/admin/providers/upsert", lambda i: {"channel": "openai", "enabled": "yes"}, 400),
    ("/admin/providers/upsert", lambda i: {"id": "one", "channel": "openai"}, 400),
    ("/admin/providers/upsert", lambda i: {"name": "mycustom", "channel": "mycustom"}, 400),
    ("/admin/providers/delete", lambda i: {}, 400),
    ("/admin/providers/delete", lambda i: {"id": "x"}, 400),
    ("/admin/providers/delete", lambda i: {"id": True}, 400),
    ("/admin/providers/delete", lambda i: {"id": 999999}, 404),
    # credentials
    ("/admin/credentials/query", lambda i: {"provider_id": {"Eq": "x"}}, 400),
    ("/admin/credentials/query", lambda i: {"kind": 3}, 400),
    ("/admin/credentials/upsert", lambda i: {}, 400),
    ("/admin/credentials/upsert", lambda i: {"provider_id": 999999, "api_key": "sk-x"}, 404),
    ("/admin/credentials/upsert", lambda i: {"provider_id": i.provider}, 400),
    (
        "/admin/credentials/upsert",
        lambda i: {"provider_id": i.provider, "secret_json": "{bad"},
        400,
    ),
    (
        "/admin/credentials/upsert",
        lambda i: {"provider_id": i.provider, "secret_json": {"Builtin": {"Nope": {}}}},
        400,
    ),
    ("/admin/credentials/upsert", lambda i: {"provider_id": i.provider, "api_key": 7}, 400),
    ("/admin/credentials/upsert", lambda i: {"provider_id": "p", "api_key": "sk-x"}, 400),
    ("/admin/credentials/delete", lambda i: {}, 400),
    ("/admin/credentials/delete", lambda i: {"id": 999999}, 404),
    # credential statuses
    ("/admin/credential-statuses/query", lambda i: {"health_kind": {"Eq": 3}}, 400),
    ("/admin/credential-statuses/upsert", lambda i: {}, 400),
    (
        "/admin/credential-statuses/upsert",
        lambda i: {"credential_id": i.credential, "health_kind": "zombie"},
        400,
    ),
    (
        "/admin/credential-statuses/upsert",
        lambda i: {"credential_id": i.credential, "health_kind": "partial", "health_json": "{x"},
        400,
    ),
    (
        "/admin/credential-statuses/upsert",
        lambda i: {"credential_id": 999999, "health_kind": "dead"},
        None,
    ),
    ("/admin/credential-statuses/delete", lambda i: {}, 400),
    ("/admin/credential-statuses/delete", lambda i: {"id": 999999}, 404),
    # users
    ("/admin/users/query", lambda i: {"id": {"Eq": "x"}}, 400),
    ("/admin/users/upsert", lambda i: {}, 400),
    ("/admin/users/upsert", lambda i: {"name": ""}, 400),
    ("/admin/users/upsert", lambda i: {"name": 5}, 400),
    ("/admin/users/upsert", lambda i: {"id": 0, "name": "root"}, 400),
    ("/admin/users/upsert", lambda i: {"id": i.user, "name": "admin"}, 400),
    ("/admin/users/upsert", lambda i: {"id": 0, "enabled": False}, 400),
    ("/admin/users/upsert", lambda i: {"name": "u", "enabled": "no"}, 400),
    ("/admin/users/delete", lambda i: {}, 400),
    ("/admin/users/delete", lambda i: {"id": 0}, 400),
    ("/admin/users/delete", lambda i: {"id": 999999}, 404),
    # user keys
    ("/admin/user-keys/query", lambda i: {"user_id": {"Eq": "x"}}, 400),
    ("/admin/user-keys/upsert", lambda i: {}, 400),
    ("/admin/user-keys/upsert", lambda i: {"user_id": 999999, "api_key": "x"}, 404),
    ("/admin/user-keys/upsert", lambda i: {"user_id": i.user, "api_key": ""}, 400),
    ("/admin/user-keys/upsert", lambda i: {"user_id": i.user, "api_key": 5}, 400),
    ("/admin/user-keys/upsert", lambda i: {"user_id": i.user, "api_key": "k"}, 400),  # dup
    ("/admin/user-keys/delete", lambda i: {}, 400),
    ("/admin/user-keys/delete", lambda i: {"id": 999999}, 404),
    # logs and usage
    ("/admin/requests/upstream/query", lambda i: {"provider_id": {"Eq": "x"}}, 400),
    ("/admin/requests/upstream/query", lambda i: {"from_unix_ms": "yesterday"}, 400),
    ("/admin/requests/downstream/query", lambda i: {"user_id": 5}, 400),
    ("/admin/usages/query", lambda i: {"model": {"Eq": 5}}, 400),
    ("/admin/usages/query", lambda i: {"limit": "x"}, 400),
    ("/admin/usages/summary", lambda i: {"from_unix_ms": "x"}, 400),
    ("/admin/usages/summary", lambda i: {"channel": {"Ne": "openai"}}, 400),
    # settings and TOML
    ("/admin/global-settings/upsert", lambda i: {"port": "x"}, 400),
    ("/admin/global-settings/upsert", lambda i: {"port": 70000}, 400),
    ("/admin/global-settings/upsert", lambda i: {"proxy": "not a url"}, 400),
    ("/admin/global-settings/upsert", lambda i: {"host": ""}, 400),
    ("/admin/global-settings/upsert", lambda i: {"mask_sensitive_info": "yes"}, 400),
    ("/admin/config/import-toml", lambda i: {}, 400),
    ("/admin/config/import-toml", lambda i: {"toml": 5}, 400),
    ("/admin/config/import-toml", lambda i: {"toml": "[[[bad"}, 400),
    ("/admin/config/import-toml", lambda i: {"toml": '[global]\nport = "x"'}, 400),
    (
        "/admin/config/import-toml",
        # valid first provider, invalid second: all or nothing
        lambda i: {
            "toml": '[[providers]]\nname = "half"\nchannel = "openai"\n'
            '[[providers]]\nname = "half2"\nchannel = "nope"\n'
        },
        400,
    ),
    # user API (as the non-admin user)
    ("/user/keys/upsert", lambda i: {"id": "x"}, 400),
    ("/user/keys/upsert", lambda i: {"api_key": 5}, 400),
    ("/user/keys/upsert", lambda i: {"api_key": "   "}, 400),
    ("/user/keys/upsert", lambda i: {"api_key": "new", "enabled": "no"}, 400),
    ("/user/keys/upsert", lambda i: {"id": 1, "api_key": "mine-now"}, 403),  # admin's key
    ("/user/keys/delete", lambda i: {}, 400),
    ("/user/keys/delete", lambda i: {"id": "x"}, 400),
    ("/user/keys/delete", lambda i: {"id": 999999}, 404),
    ("/user/usages/query", lambda i: {"model": 5}, 400),
    ("/user/usages/summary", lambda i: {"limit": "x"}, 400),
]

POST_ROUTES = sorted(path for (method, path) in [*ADMIN_ROUTES, *USER_ROUTES] if method == "POST")
RAW_BAD_BODIES = [
    (b"{bad", "invalid JSON body"),
    (b'{"id": 1,}', "invalid JSON body"),
    (b"\xff\xfe\x00garbage", "invalid JSON body"),
    (b"[" * 100_000, "invalid JSON body"),
]
NON_OBJECT_BODIES = [b"[1, 2]", b'"text"', b"42", b"null x"]
BODY_IGNORED = {"/user/keys/query"}  # spec: "(no body)"


def _key_for(path: str, server: LiveServer, ids: Ids) -> str:
    return ids.user_key if path.startswith("/user/") else server.admin_key


def _export(server: LiveServer) -> str:
    response = server.request("GET", "/admin/config/export-toml")
    assert response.status_code == 200
    return response.text


def _assert_error(response: httpx.Response, expected: int | None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if expected is not None:
        assert response.status_code == expected, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in body["error"]


@pytest.mark.parametrize(("path", "body", "expected"), CASES)
def test_bad_body_is_4xx_and_writes_nothing(
    world: tuple[LiveServer, Ids], path: str, body: Body, expected: int | None
) -> None:
    server, ids = world
    before = _export(server)
    response = server.post(path, body(ids), key=_key_for(path, server, ids))
    _assert_error(response, expected)
    assert _export(server) == before


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize(("raw", "message"), RAW_BAD_BODIES)
def test_malformed_json_on_every_route(
    world: tuple[LiveServer, Ids], path: str, raw: bytes, message: str
) -> None:
    server, ids = world
    response = server.request(
        "POST",
        path,
        key=_key_for(path, server, ids),
        content=raw,
        headers={"content-type": "application/json"},
    )
    _assert_error(response, 400)
    assert response.json()["error"].startswith(message)


@pytest.mark.parametrize("path", [p for p in POST_ROUTES if p not in BODY_IGNORED])
@pytest.mark.parametrize("raw", NON_OBJECT_BODIES)
def test_non_object_body_on_every_route(
    world: tuple[LiveServer, Ids], path: str, raw: bytes
) -> None:
    server, ids = world
    before = _export(server)
    response = server.request("POST", path, key=_key_for(path, server, ids), content=raw)
    _assert_error(response, 400)
    assert _export(server) == before


def test_every_route_has_a_bad_input_case() -> None:
    covered = {path for path, _, _ in CASES}
    expected = {p for p in POST_ROUTES if p not in BODY_IGNORED and not p.endswith("/query")}
    assert expected - covered == set()
