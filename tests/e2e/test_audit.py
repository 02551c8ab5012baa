"""Audit rows (upstream and downstream), body masking, and the egress proxy setting.

This module changes global settings, so it has its own server (the module-scoped fixtures).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import GatewayEnv


def call(env: GatewayEnv, model: str) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "audit me"}]}
    return httpx.post(
        env.url + "/oai/v1/chat/completions?trace=1",
        json=body,
        headers={"x-api-key": env.key},
        timeout=10,
    )


def upstream_rows(env: GatewayEnv) -> list[dict[str, Any]]:
    env.flush()
    provider = {"Eq": env.providers["oai"]}
    rows: list[dict[str, Any]] = env.admin(
        "/admin/requests/upstream/query", {"provider_id": provider}
    )
    return rows


def downstream_rows(env: GatewayEnv) -> list[dict[str, Any]]:
    env.flush()
    rows: list[dict[str, Any]] = env.admin(
        "/admin/requests/downstream/query", {"user_id": {"Eq": env.user_id}}
    )
    return rows


def set_global(env: GatewayEnv, **changes: Any) -> None:
    env.admin("/admin/global-settings/upsert", changes)
    state = env.server.app.extensions["gatewayctl"].state
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        settings = state.current().settings
        if all(
            getattr(settings, k) == (v or None if k == "proxy" else v) for k, v in changes.items()
        ):
            return
        time.sleep(0.02)
    raise AssertionError(f"settings {changes} never reached the snapshot")


def test_audit_rows_mask_credentials_and_bodies(env: GatewayEnv) -> None:
    assert call(env, "audit-masked").status_code == 200
    (up,) = [r for r in upstream_rows(env) if r["response_status"] == 200][-1:]
    assert up["request_url"].endswith("/v1/chat/completions")
    assert up["credential_id"] == env.credentials["oai"][0]
    headers = json.dumps(up["request_headers_json"])
    assert "sk-oai-1" not in headers  # the upstream key never in clear
    assert up["request_body"] is None and up["response_body"] is None  # masked by default
    down = [r for r in downstream_rows(env) if r["request_path"] == "/oai/v1/chat/completions"]
    assert down, "no downstream row"
    row = down[0]
    assert row["response_status"] == 200
    assert row["user_key_id"] == env.key_id
    assert env.key not in json.dumps(row["request_headers_json"])
    assert row["request_body"] is None


def test_unmasked_mode_keeps_bodies(env: GatewayEnv) -> None:
    set_global(env, mask_sensitive_info=False)
    try:
        assert call(env, "audit-open").status_code == 200
        rows = [
            r for r in upstream_rows(env) if r["request_body"] and "audit-open" in r["request_body"]
        ]
        assert rows, "no upstream row with the request body"
        assert "echo: audit me" in rows[0]["response_body"]
        assert "sk-oai-1" not in json.dumps(rows[0]["request_headers_json"])
        down = [
            r
            for r in downstream_rows(env)
            if r["request_body"] and "audit-open" in r["request_body"]
        ]
        assert down and "echo: audit me" in down[0]["response_body"]
    finally:
        set_global(env, mask_sensitive_info=True)


def db_bytes(env: GatewayEnv) -> bytes:
    """Every byte SQLite keeps for the server's database: the file, its WAL and shm."""
    out = b""
    for suffix in ("", "-wal", "-shm"):
        path = env.server.data_dir / f"gatewayctl.db{suffix}"
        if path.exists():
            out += path.read_bytes()
    return out


def test_admin_and_user_routes_leave_metadata_only_rows(env: GatewayEnv) -> None:
    """Spec §10.1 logs every route; /admin and /user bodies carry secrets (credentials, keys),
    so their rows never keep bodies — not even with ``mask_sensitive_info = false``."""
    secret = "sk-audit-never-in-clear-0123456789"
    raw_key = "audit-user-key-never-in-clear-42"
    provider = env.admin("/admin/providers/upsert", {"name": "audited", "channel": "openai"})
    set_global(env, mask_sensitive_info=False)
    try:
        env.admin("/admin/credentials/upsert", {"provider": "audited", "api_key": secret})
        created = httpx.post(
            env.url + "/user/keys/upsert",
            json={"api_key": raw_key, "label": "audited"},
            headers={"x-api-key": env.key},
            timeout=10,
        )
        assert created.status_code == 200, created.text
        denied = httpx.post(env.url + "/admin/users/query", json={}, timeout=10)
        assert denied.status_code == 401
        env.flush()
        rows = env.admin("/admin/requests/downstream/query", {})
    finally:
        set_global(env, mask_sensitive_info=True)
        env.admin("/admin/providers/delete", {"id": provider["id"]})

    def row(path: str, status: int) -> dict[str, Any]:
        found = [r for r in rows if r["request_path"] == path and r["response_status"] == status]
        assert found, f"no downstream row for {path} ({status})"
        return found[0]

    admin_row = row("/admin/credentials/upsert", 200)
    assert (admin_row["user_id"], admin_row["request_method"]) == (0, "POST")
    assert admin_row["internal"] == 1
    assert admin_row["request_body"] is None and admin_row["response_body"] is None
    assert admin_row["request_headers_json"]["x-api-key"] == ["[redacted]"]
    assert "application/json" in json.dumps(admin_row["response_headers_json"])
    user_row = row("/user/keys/upsert", 200)
    assert (user_row["user_id"], user_row["user_key_id"]) == (env.user_id, env.key_id)
    assert user_row["request_body"] is None and user_row["response_body"] is None
    anonymous = row("/admin/users/query", 401)
    assert anonymous["user_id"] is None and anonymous["user_key_id"] is None
    stored = db_bytes(env)
    assert secret.encode() not in stored
    assert raw_key.encode() not in stored


class TinyProxy:
    """A loopback 'HTTP proxy' that records request lines and answers 502."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
                conn.sendall(
                    b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\n"
                    b'content-length: 22\r\nconnection: close\r\n\r\n{"error":"via proxy!"}'
                )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def tiny_proxy() -> Iterator[TinyProxy]:
    proxy = TinyProxy()
    yield proxy
    proxy.close()


def test_egress_proxy_setting_is_honoured(env: GatewayEnv, tiny_proxy: TinyProxy) -> None:
    set_global(env, proxy=tiny_proxy.url)
    try:
        response = call(env, "via-proxy")
        assert tiny_proxy.lines, "the upstream call did not go through the proxy"
        assert tiny_proxy.lines[0].startswith("POST http://127.0.0.1:")
        assert "/v1/chat/completions" in tiny_proxy.lines[0]
        assert response.status_code == 503  # 502 from the 'proxy' is failed over, then exhausted
        assert env.fakes.openai.requests == []
    finally:
        set_global(env, proxy="")
    assert call(env, "direct-again").status_code in (200, 409)


def test_an_unexpected_gateway_failure_is_a_json_500_with_its_audit_row(
    env: GatewayEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = env.resources.gateway
    assert gateway is not None

    async def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug somewhere below")

    monkeypatch.setattr(gateway, "handle", boom)
    response = call(env, "audit-boom")
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}  # no traceback, no detail
    rows = [
        r
        for r in downstream_rows(env)
        if r["request_path"] == "/oai/v1/chat/completions" and r["response_status"] == 500
    ]
    assert rows and rows[0]["user_key_id"] == env.key_id
