"""Every admin route of spec §11 against a live server: v0.3 bodies, CONTRACT §5 relaxations."""

from __future__ import annotations

import tomllib

import httpx

from tests.server.conftest import unique
from tests.server.harness import LiveServer, live_server_at


def _provider(server: LiveServer, name: str, channel: str = "openai") -> int:
    answer = server.ok("/admin/providers/upsert", {"name": name, "channel": channel})
    assert answer["ok"] is True
    return int(answer["id"])


def _providers_named(server: LiveServer, name: str) -> list[dict]:
    return server.ok("/admin/providers/query", {"name": {"Eq": name}})


def test_providers_query_upsert_delete(live_server: LiveServer) -> None:
    name = unique("prov")
    pid = _provider(live_server, name)
    (row,) = _providers_named(live_server, name)
    assert row["id"] == pid and row["channel"] == "openai" and row["enabled"] is True
    assert row["settings_json"]["base_url"] == "https://api.openai.com"
    assert isinstance(row["dispatch_json"], dict)

    # update by id; settings_json given as a JSON string (relaxation)
    live_server.ok(
        "/admin/providers/upsert",
        {
            "id": pid,
            "name": name,
            "channel": "openai",
            "settings_json": '{"base_url": "https://eu.example.com/"}',
            "enabled": False,
        },
    )
    (row,) = _providers_named(live_server, name)
    assert row["settings_json"]["base_url"] == "https://eu.example.com"
    assert row["enabled"] is False
    assert live_server.ok("/admin/providers/query", {"enabled": {"Eq": False}, "name": "All"})

    assert live_server.ok("/admin/providers/delete", {"id": pid}) == {"ok": True}
    assert _providers_named(live_server, name) == []


def test_custom_provider_needs_base_url(live_server: LiveServer) -> None:
    name = unique("custom")
    response = live_server.post("/admin/providers/upsert", {"name": name, "channel": name})
    assert response.status_code == 400
    assert "base_url" in response.json()["error"]
    live_server.ok(
        "/admin/providers/upsert",
        {"name": name, "channel": name, "settings_json": {"base_url": "http://127.0.0.1:9"}},
    )
    (row,) = _providers_named(live_server, name)
    assert row["channel"] == name


def test_credentials_query_upsert_delete_masked(live_server: LiveServer) -> None:
    pid = _provider(live_server, unique("credprov"))
    secret = "sk-test-" + "x" * 24 + "abcd"
    answer = live_server.ok(
        "/admin/credentials/upsert",
        {
            "provider_id": pid,
            "name": "primary",
            "secret_json": {"Builtin": {"OpenAi": {"api_key": secret}}},
            "enabled": True,
        },
    )
    cid = answer["id"]
    (row,) = live_server.ok("/admin/credentials/query", {"provider_id": {"Eq": pid}})
    assert row["id"] == cid and row["name"] == "primary"
    masked = row["secret_json"]["Builtin"]["OpenAi"]["api_key"]
    assert masked != secret and masked.endswith("abcd")
    assert secret not in live_server.post("/admin/credentials/query", {}).text

    # query → edit → upsert round trip keeps the (masked) secret
    live_server.ok("/admin/credentials/upsert", {**row, "enabled": False})
    (row,) = live_server.ok("/admin/credentials/query", {"provider_id": {"Eq": pid}})
    assert row["enabled"] is False
    assert row["secret_json"]["Builtin"]["OpenAi"]["api_key"] == masked

    assert live_server.ok("/admin/credentials/delete", {"id": cid}) == {"ok": True}
    assert live_server.ok("/admin/credentials/query", {"provider_id": {"Eq": pid}}) == []


def test_credential_statuses_query_upsert_delete(live_server: LiveServer) -> None:
    pid = _provider(live_server, unique("statprov"))
    cid = live_server.ok(
        "/admin/credentials/upsert", {"provider_id": pid, "api_key": "sk-" + "s" * 30}
    )["id"]
    answer = live_server.ok(
        "/admin/credential-statuses/upsert",
        {
            "credential_id": cid,
            "channel": "openai",
            "health_kind": "partial",
            "health_json": '[{"model": "gpt-4.1", "until_unix_ms": 4102444800000}]',
            "last_error": "rate limited",
        },
    )
    sid = answer["id"]
    (row,) = live_server.ok("/admin/credential-statuses/query", {"credential_id": {"Eq": cid}})
    assert row["id"] == sid and row["health_kind"] == "partial"
    assert row["last_error"] == "rate limited"
    assert live_server.ok(
        "/admin/credential-statuses/query", {"health_kind": {"Eq": "partial"}, "id": {"Eq": sid}}
    )
    # the snapshot (what the gateway reads) has it right after the write
    snapshot = live_server.app.extensions["gatewayctl"].state.current()
    assert snapshot.statuses[cid].health_kind == "partial"

    live_server.ok("/admin/credential-statuses/delete", {"id": sid})
    assert live_server.ok("/admin/credential-statuses/query", {"id": {"Eq": sid}}) == []


def test_users_and_user_keys(live_server: LiveServer) -> None:
    name = unique("user")
    uid = live_server.ok("/admin/users/upsert", {"name": name, "enabled": True})["id"]
    assert live_server.ok("/admin/users/query", {"name": {"Eq": name}}) == [
        {"id": uid, "name": name, "enabled": True}
    ]
    # upsert without id matches by name (relaxation)
    assert live_server.ok("/admin/users/upsert", {"name": name, "enabled": False})["id"] == uid
    assert live_server.ok("/admin/users/query", {"id": {"Eq": uid}})[0]["enabled"] is False
    live_server.ok("/admin/users/upsert", {"id": uid, "name": name, "enabled": True})

    kid = live_server.ok(
        "/admin/user-keys/upsert", {"user_id": uid, "api_key": "laptop-key", "label": "laptop"}
    )["id"]
    keys = live_server.ok("/admin/user-keys/query", {"user_id": {"Eq": uid}})
    assert [k["id"] for k in keys] == [kid]
    assert "laptop-key" not in keys[0]["api_key"]  # masked
    # the key is stored normalized: u{id}_<raw>, and authenticates at once
    found = live_server.ok("/admin/user-keys/query", {"api_key": {"Eq": f"u{uid}_laptop-key"}})
    assert [k["id"] for k in found] == [kid]
    assert live_server.post("/user/keys/query", key=f"u{uid}_laptop-key").status_code == 200

    live_server.ok("/admin/user-keys/delete", {"id": kid})
    assert live_server.ok("/admin/user-keys/query", {"user_id": {"Eq": uid}}) == []
    assert live_server.post("/user/keys/query", key=f"u{uid}_laptop-key").status_code == 401

    live_server.ok("/admin/users/delete", {"id": uid})
    assert live_server.ok("/admin/users/query", {"id": {"Eq": uid}}) == []


def test_duplicate_user_key_is_400(live_server: LiveServer) -> None:
    uid = live_server.ok("/admin/users/upsert", {"name": unique("dup")})["id"]
    live_server.ok("/admin/user-keys/upsert", {"user_id": uid, "api_key": "same"})
    response = live_server.post("/admin/user-keys/upsert", {"user_id": uid, "api_key": "same"})
    assert response.status_code == 400
    assert "already exists" in response.json()["error"]
    assert len(live_server.ok("/admin/user-keys/query", {"user_id": {"Eq": uid}})) == 1


def test_global_settings_get_and_upsert(live_server: LiveServer) -> None:
    with live_server.client() as client:
        before = client.get("/admin/global-settings").json()
        assert before["host"] == "127.0.0.1"
        assert before["data_dir"] == str(live_server.data_dir)
        assert before["admin_key"] != live_server.admin_key  # masked
        answer = client.post(
            "/admin/global-settings/upsert",
            json={"proxy": "http://127.0.0.1:3128", "mask_sensitive_info": False},
        )
        assert answer.status_code == 200 and answer.json()["ok"] is True
        after = client.get("/admin/global-settings").json()
        assert after["proxy"] == "http://127.0.0.1:3128"
        assert after["mask_sensitive_info"] is False
        # the runtime snapshot follows the stored settings (no CLI override here)
        snapshot = live_server.app.extensions["gatewayctl"].state.current()
        assert snapshot.settings.proxy == "http://127.0.0.1:3128"
        client.post(
            "/admin/global-settings/upsert", json={"proxy": "", "mask_sensitive_info": True}
        )
        assert client.get("/admin/global-settings").json()["proxy"] is None


def test_self_update_is_501(live_server: LiveServer) -> None:
    response = live_server.post("/admin/system/self_update")
    assert response.status_code == 501
    assert response.json() == {"error": "self-update is not available in this build"}
    assert live_server.post("/admin/system/self_update", key=None).status_code == 401


def test_usage_and_request_queries_answer_empty(live_server: LiveServer) -> None:
    scopes = {"user_id": "All", "user_key_id": "All", "limit": 10}
    assert live_server.ok("/admin/usages/query", {"channel": "All", "model": "All", **scopes}) == []
    summary = live_server.ok("/admin/usages/summary", {})
    assert summary == {
        "count": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
    assert live_server.ok("/admin/requests/upstream/query", {"provider_id": "All"}) == []
    # no provider traffic here: only the admin/user calls' own metadata rows (no bodies)
    rows = live_server.ok("/admin/requests/downstream/query", scopes)
    assert all(r["request_path"].startswith(("/admin/", "/user/")) for r in rows), rows
    assert all(r["request_body"] is None and r["response_body"] is None for r in rows)
    assert live_server.ok("/admin/usages/query") == []  # empty body = all scopes "All"


def test_export_import_round_trip(tmp_path, live_server: LiveServer) -> None:
    name = unique("exported")
    pid = _provider(live_server, name)
    live_server.ok("/admin/credentials/upsert", {"provider_id": pid, "api_key": "sk-" + "e" * 40})
    with live_server.client() as client:
        response = client.get("/admin/config/export-toml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="gatewayctl.toml"'
    text = response.text
    doc = tomllib.loads(text)
    assert name in [p["name"] for p in doc["providers"]]

    # import into an empty data dir, export again: identical text
    with live_server_at(tmp_path / "fresh") as fresh:
        answer = fresh.ok("/admin/config/import-toml", {"toml": text})
        assert answer["ok"] is True and answer["created"]["providers"] >= 1
        # the imported admin key (same label) replaced the fresh one, effective at once
        assert fresh.post("/admin/providers/query").status_code == 401
        fresh.admin_key = live_server.admin_key
        assert _providers_named(fresh, name)[0]["channel"] == "openai"
        with httpx.Client(base_url=fresh.url, headers={"x-api-key": fresh.admin_key}) as c:
            again = c.get("/admin/config/export-toml")
        assert again.status_code == 200
        assert again.text == text


def test_import_gproxy_toml(live_server: LiveServer) -> None:
    channel_toml = """
[[channels]]
id = "deepseek"
enabled = true
[channels.settings]
base_url = "https://api.deepseek.com"
[[channels.credentials]]
label = "main"
secret = "sk-deepseek-0000000000000000"
"""
    live_server.ok("/admin/config/import-toml", {"toml": channel_toml})
    (row,) = _providers_named(live_server, "deepseek")
    creds = live_server.ok("/admin/credentials/query", {"provider_id": {"Eq": row["id"]}})
    assert [c["name"] for c in creds] == ["main"]
