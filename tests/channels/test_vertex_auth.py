"""Vertex service-account tokens: the signed JWT, the exchange, caching, refresh and failures."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pytest_httpx import HTTPXMock

from gatewayctl.channels import build_channel
from gatewayctl.channels.vertex_auth import (
    JWT_GRANT,
    SCOPE,
    ServiceAccount,
    TokenRefreshError,
    VertexTokenSource,
    httpx_post,
)
from tests.channels.helpers import call

TOKEN_URL = "http://127.0.0.1:9/token"
T0 = 1_750_000_000_000  # unix ms


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def secret(key: rsa.RSAPrivateKey, **extra: Any) -> dict[str, Any]:
    body = {
        "project_id": "proj-1",
        "client_email": "sa@proj-1.iam.gserviceaccount.com",
        "private_key": pem(key),
        "private_key_id": "kid-1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    body.update(extra)
    return {"Builtin": {"Vertex": body}}


class Clock:
    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class FakeTokenEndpoint:
    """Scriptable token endpoint: answers (status, body) in turn; records every request."""

    def __init__(self, *answers: tuple[int, Any]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, dict[str, str], dict[str, list[str]]]] = []
        self.issued = 0

    async def __call__(self, url: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        self.requests.append((url, dict(headers), parse_qs(body.decode())))
        await asyncio.sleep(0)
        if self.answers:
            status, payload = self.answers.pop(0)
        else:
            self.issued += 1
            status, payload = 200, {"access_token": f"ya29.tok-{self.issued}", "expires_in": 3600}
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return status, raw


def b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_assertion_is_rs256_signed_with_the_service_account_key(rsa_key: rsa.RSAPrivateKey) -> None:
    endpoint = FakeTokenEndpoint()
    source = VertexTokenSource(endpoint, clock=Clock())
    token = asyncio.run(source.get("c1", ServiceAccount.from_secret(secret(rsa_key)), TOKEN_URL))
    assert token.token == "ya29.tok-1" and token.refreshed
    assert token.expires_at_ms == T0 + 3600 * 1000
    url, headers, form = endpoint.requests[0]
    assert url == TOKEN_URL
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert form["grant_type"] == [JWT_GRANT]
    header_b64, claims_b64, sig_b64 = form["assertion"][0].split(".")
    header = json.loads(b64d(header_b64))
    claims = json.loads(b64d(claims_b64))
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "kid-1"}
    assert claims == {
        "iss": "sa@proj-1.iam.gserviceaccount.com",
        "scope": SCOPE,
        "aud": TOKEN_URL,
        "iat": T0 // 1000,
        "exp": T0 // 1000 + 3600,
    }
    public = rsa_key.public_key()
    public.verify(
        b64d(sig_b64), f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    with pytest.raises(InvalidSignature):
        public.verify(
            b64d(sig_b64),
            f"{header_b64}.{claims_b64}x".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )


def test_escaped_newlines_in_private_key_are_accepted(rsa_key: rsa.RSAPrivateKey) -> None:
    endpoint = FakeTokenEndpoint()
    source = VertexTokenSource(endpoint, clock=Clock())
    escaped = secret(rsa_key, private_key=pem(rsa_key).replace("\n", "\\n"))
    token = asyncio.run(source.get("c1", ServiceAccount.from_secret(escaped), TOKEN_URL))
    assert token.token == "ya29.tok-1"


async def test_token_is_cached_until_sixty_seconds_before_expiry(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    endpoint = FakeTokenEndpoint()
    clock = Clock()
    source = VertexTokenSource(endpoint, clock=clock)
    account = ServiceAccount.from_secret(secret(rsa_key))
    first = await source.get("c1", account, TOKEN_URL)
    clock.now = T0 + 3600_000 - 60_001  # still outside the skew window
    again = await source.get("c1", account, TOKEN_URL)
    assert again.token == first.token and not again.refreshed
    assert len(endpoint.requests) == 1
    clock.now = T0 + 3600_000 - 60_000  # within the refresh skew
    renewed = await source.get("c1", account, TOKEN_URL)
    assert renewed.token == "ya29.tok-2" and renewed.refreshed
    assert len(endpoint.requests) == 2
    claims = json.loads(b64d(endpoint.requests[1][2]["assertion"][0].split(".")[1]))
    assert claims["iat"] == clock.now // 1000


async def test_force_refresh_and_per_credential_cache(rsa_key: rsa.RSAPrivateKey) -> None:
    endpoint = FakeTokenEndpoint()
    source = VertexTokenSource(endpoint, clock=Clock())
    account = ServiceAccount.from_secret(secret(rsa_key))
    assert (await source.get("c1", account, TOKEN_URL)).token == "ya29.tok-1"
    assert (await source.get("c2", account, TOKEN_URL)).token == "ya29.tok-2"
    assert (await source.get("c1", account, TOKEN_URL, force=True)).token == "ya29.tok-3"
    assert (await source.get("c1", account, TOKEN_URL)).token == "ya29.tok-3"


async def test_stored_access_token_is_used_while_valid(rsa_key: rsa.RSAPrivateKey) -> None:
    endpoint = FakeTokenEndpoint()
    clock = Clock()
    source = VertexTokenSource(endpoint, clock=clock)
    stored = secret(
        rsa_key, access_token="ya29.stored", expires_at=(T0 + 600_000) // 1000
    )  # seconds
    token = await source.get("c1", ServiceAccount.from_secret(stored), TOKEN_URL)
    assert token.token == "ya29.stored" and not token.refreshed
    assert endpoint.requests == []
    clock.now = T0 + 600_000
    assert (
        await source.get("c1", ServiceAccount.from_secret(stored), TOKEN_URL)
    ).token == "ya29.tok-1"


async def test_concurrent_requests_share_one_refresh(rsa_key: rsa.RSAPrivateKey) -> None:
    endpoint = FakeTokenEndpoint()
    source = VertexTokenSource(endpoint, clock=Clock())
    account = ServiceAccount.from_secret(secret(rsa_key))
    tokens = await asyncio.gather(*(source.get("c1", account, TOKEN_URL) for _ in range(8)))
    assert {t.token for t in tokens} == {"ya29.tok-1"}
    assert len(endpoint.requests) == 1


@pytest.mark.parametrize(
    ("status", "payload", "permanent"),
    [
        (400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, True),
        (401, {"error": "invalid_client"}, True),
        (403, b"forbidden", True),
        (400, {"error": "invalid_request"}, False),
        (500, b"oops", False),
        (503, {"error": "backendError"}, False),
        (200, {"token_type": "Bearer"}, False),
        (200, b"not json", False),
    ],
)
async def test_exchange_failures(
    rsa_key: rsa.RSAPrivateKey, status: int, payload: Any, permanent: bool
) -> None:
    source = VertexTokenSource(FakeTokenEndpoint((status, payload)), clock=Clock())
    with pytest.raises(TokenRefreshError) as info:
        await source.get("c1", ServiceAccount.from_secret(secret(rsa_key)), TOKEN_URL)
    assert info.value.permanent is permanent
    outcome = info.value.outcome()
    assert outcome.action == ("dead" if permanent else "transient")
    assert "vertex token endpoint" in (outcome.error or "")


async def test_network_error_is_transient(rsa_key: rsa.RSAPrivateKey) -> None:
    async def down(url: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        raise httpx.ConnectError("connection refused")

    source = VertexTokenSource(down, clock=Clock())
    with pytest.raises(TokenRefreshError) as info:
        await source.get("c1", ServiceAccount.from_secret(secret(rsa_key)), TOKEN_URL)
    assert not info.value.permanent
    assert "ConnectError" in info.value.message


async def test_bad_private_key_is_permanent() -> None:
    source = VertexTokenSource(FakeTokenEndpoint(), clock=Clock())
    account = ServiceAccount.from_secret(
        {"Builtin": {"Vertex": {"project_id": "p", "client_email": "e", "private_key": "nope"}}}
    )
    with pytest.raises(TokenRefreshError, match="not a PEM private key") as info:
        await source.get("c1", account, TOKEN_URL)
    assert info.value.permanent
    no_key = ServiceAccount.from_secret({"Builtin": {"Vertex": {"project_id": "p"}}})
    with pytest.raises(TokenRefreshError, match="client_email/private_key"):
        await source.get("c2", no_key, TOKEN_URL)


# --------------------------------------------------------------------------------------
# the channel: token URL choice, prepare(), credential update
# --------------------------------------------------------------------------------------


async def test_prepare_builds_with_token_and_reports_update(rsa_key: rsa.RSAPrivateKey) -> None:
    endpoint = FakeTokenEndpoint()
    clock = Clock()
    adapter = build_channel(
        "vertex",
        {"base_url": "http://127.0.0.1:9", "oauth_token_url": TOKEN_URL},
        vertex_tokens=VertexTokenSource(endpoint, clock=clock),
    )
    c = call("GenerateContent", "Gemini", model="gemini-2.5-flash", body={"contents": []})
    req = await adapter.prepare(c, 7, secret(rsa_key))
    assert req.headers["authorization"] == "Bearer ya29.tok-1"
    assert req.credential_update == {"access_token": "ya29.tok-1", "expires_at": T0 + 3600_000}
    assert endpoint.requests[0][0] == TOKEN_URL  # the setting beats the key file's token_uri
    assert "ya29.tok-1" not in str(req.log_headers())
    again = await adapter.prepare(c, 7, secret(rsa_key))
    assert again.credential_update is None
    forced = await adapter.prepare(c, 7, secret(rsa_key), force_refresh=True)
    assert forced.headers["authorization"] == "Bearer ya29.tok-2"
    assert forced.credential_update is not None


def test_token_url_precedence(rsa_key: rsa.RSAPrivateKey) -> None:
    from gatewayctl.channels.vertex import VertexChannel

    with_setting = VertexChannel({"oauth_token_url": TOKEN_URL})
    plain = VertexChannel({})
    file_account = ServiceAccount.from_secret(secret(rsa_key))
    bare_account = ServiceAccount.from_secret(secret(rsa_key, token_uri=None))
    assert with_setting.token_url(file_account) == TOKEN_URL
    assert plain.token_url(file_account) == "https://oauth2.googleapis.com/token"
    assert plain.token_url(bare_account) == "https://oauth2.googleapis.com/token"
    assert (
        plain.token_url(ServiceAccount.from_secret(secret(rsa_key, token_uri="http://x/t")))
        == "http://x/t"
    )


def test_vertex_material(rsa_key: rsa.RSAPrivateKey) -> None:
    adapter = build_channel("vertex")
    assert adapter.token_based
    assert adapter.has_material(secret(rsa_key))
    assert adapter.has_material({"Builtin": {"Vertex": {"project_id": "p", "access_token": "t"}}})
    assert not adapter.has_material({"Builtin": {"Vertex": {"project_id": "p"}}})
    assert not adapter.has_material(
        {"Builtin": {"Vertex": {"client_email": "e", "private_key": "k"}}}
    )


async def test_prepare_without_token_source_is_a_clear_error(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(RuntimeError, match="token source"):
        await build_channel("vertex").prepare(
            call("GenerateContent", "Gemini", model="g"), 1, secret(rsa_key)
        )


async def test_httpx_post_adapter(httpx_mock: HTTPXMock, rsa_key: rsa.RSAPrivateKey) -> None:
    httpx_mock.add_response(
        method="POST", url=TOKEN_URL, json={"access_token": "ya29.real", "expires_in": 1200}
    )
    async with httpx.AsyncClient() as client:
        source = VertexTokenSource(httpx_post(client), clock=Clock())
        token = await source.get("c1", ServiceAccount.from_secret(secret(rsa_key)), TOKEN_URL)
    assert token.token == "ya29.real" and token.expires_at_ms == T0 + 1_200_000
    sent = httpx_mock.get_requests()[0]
    form = parse_qs(sent.content.decode())
    assert form["grant_type"] == [JWT_GRANT] and form["assertion"][0].count(".") == 2
