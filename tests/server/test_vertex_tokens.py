"""A vertex access token refreshed on the request path is stored with the credential (off the
request path), so another worker or a restart reuses it; the save causes no further refresh."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gatewayctl.services.context import open_context
from gatewayctl.settings import resolve_settings
from tests.fakes import RunningServer, start_server
from tests.server.conftest import unique
from tests.server.harness import LiveServer, _secret_key_env

MODEL = "gemini-2.5-flash"
ANSWER = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 1, "totalTokenCount": 3},
}


class FakeVertex:
    """The token endpoint and generateContent, counting token grants."""

    def __init__(self) -> None:
        self.grants = 0
        self.bearers: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        if scope["path"] == "/token":
            self.grants += 1
            body: Any = {"access_token": f"ya29.grant-{self.grants}", "expires_in": 3600}
        else:
            self.bearers.append(headers.get("authorization", ""))
            body = ANSWER
        data = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": data})


@pytest.fixture(scope="module")
def vertex() -> Iterator[tuple[FakeVertex, RunningServer]]:
    fake = FakeVertex()
    server = start_server(fake)
    try:
        yield fake, server
    finally:
        server.stop()


def service_account() -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {"project_id": "proj-1", "client_email": "sa@proj-1.iam", "private_key": pem}


def stored_secret(server: LiveServer, credential_id: int) -> dict[str, Any]:
    with _secret_key_env(), open_context(resolve_settings(data_dir=str(server.data_dir))) as ctx:
        row = ctx.store.get_credential(credential_id)
        assert row is not None
        secret: dict[str, Any] = ctx.secrets().decrypt_json(row.secret_token)
        return secret["Builtin"]["Vertex"]


def test_refreshed_token_is_stored_once_and_reused(
    live_server: LiveServer, vertex: tuple[FakeVertex, RunningServer]
) -> None:
    fake, upstream = vertex
    name = unique("vtx")
    provider = live_server.ok(
        "/admin/providers/upsert",
        {
            "name": name,
            "channel": "vertex",
            "settings_json": {"base_url": upstream.url, "oauth_token_url": upstream.url + "/token"},
        },
    )
    account = service_account()
    cred = live_server.ok(
        "/admin/credentials/upsert",
        {"provider_id": provider["id"], "secret_json": {"Builtin": {"Vertex": account}}},
    )
    user_key = live_server.admin_key
    path = f"/{name}/v1beta/models/{MODEL}:generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the provider reaches the running snapshot
        first = live_server.post(path, body, key=user_key)
        if first.status_code != 404:
            break
        time.sleep(0.05)
    assert first.status_code == 200, first.text
    assert first.json()["candidates"][0]["content"]["parts"][0]["text"] == "hi"
    grants = fake.grants
    assert fake.bearers[-1] == f"Bearer ya29.grant-{grants}"

    deadline = time.monotonic() + 5
    while stored_secret(live_server, cred["id"]).get("access_token") is None:
        assert time.monotonic() < deadline, "the refreshed token was never stored"
        time.sleep(0.05)
    stored = stored_secret(live_server, cred["id"])
    assert stored["access_token"] == f"ya29.grant-{grants}"
    assert stored["expires_at"] > time.time() * 1000 + 3_000_000
    assert stored["private_key"] == account["private_key"].strip()  # the rest kept
    updated_at = live_server.ok("/admin/credentials/query", {"id": cred["id"]})
    saved_at = next(c["updated_at"] for c in updated_at if c["id"] == cred["id"])

    time.sleep(0.6)  # a snapshot poll or two: the save is reloaded like any other change
    for _ in range(3):
        again = live_server.post(path, body, key=user_key)
        assert again.status_code == 200, again.text
    assert fake.grants == grants  # the cached token serves; no refresh, nothing to store
    assert fake.bearers[-1] == f"Bearer ya29.grant-{grants}"
    rows = live_server.ok("/admin/credentials/query", {"id": cred["id"]})
    assert next(c["updated_at"] for c in rows if c["id"] == cred["id"]) == saved_at
    # and the token never leaves the server in clear
    assert f"ya29.grant-{grants}" not in json.dumps(rows)
