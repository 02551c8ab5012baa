"""The pool and the channels together: the failover loop the pipeline will run, over httpx.

Upstreams are mocked with pytest-httpx; the loop below is the documented way to drive an
:class:`AttemptPlan` (see ``gatewayctl.gateway.pool``).
"""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpx import HTTPXMock

from gatewayctl.channels import (
    Channel,
    TokenRefreshError,
    UpstreamCall,
    VertexTokenSource,
    build_channel,
    classify_exception,
    httpx_post,
)
from gatewayctl.dispatch import RouteKey
from gatewayctl.gateway.pool import AllCredentialsExhausted, CredentialPool, PoolCredential

T0 = 1_750_000_000_000
BASE = "http://127.0.0.1:9"


async def run(
    pool: CredentialPool,
    provider: str,
    channel: Channel,
    call: UpstreamCall,
    client: httpx.AsyncClient,
) -> tuple[PoolCredential, httpx.Response]:
    plan = pool.attempts(provider, call.model)
    while (cred := plan.next()) is not None:
        force = False
        while True:
            try:
                req = await channel.prepare(call, cred.id, cred.secret, force_refresh=force)
            except TokenRefreshError as exc:
                decision = plan.report(cred, exc.outcome())
            else:
                try:
                    resp = await client.request(
                        req.method, req.url, headers=req.headers, content=req.body
                    )
                except httpx.HTTPError as exc:
                    decision = plan.report(cred, classify_exception(exc))
                else:
                    decision = plan.report(cred, channel.classify(resp.status_code, resp.headers))
                    if decision == "return":
                        return cred, resp
            if decision != "retry_same":
                break
            force = True
    raise plan.exhausted()


def openai_setup(*keys: str) -> tuple[CredentialPool, Channel, list[int]]:
    now = [T0]
    pool = CredentialPool(clock=lambda: now[0], rng=random.Random(0))
    channel = build_channel("openai", {"base_url": BASE + "/v1"})
    creds = [
        PoolCredential(i + 1, {"Builtin": {"OpenAi": {"api_key": k}}}) for i, k in enumerate(keys)
    ]
    pool.set_provider("openai", channel, creds)
    return pool, channel, now


def chat_call() -> UpstreamCall:
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}
    return UpstreamCall(RouteKey("GenerateContent", "OpenAiChatCompletion"), body=body)


async def test_429_then_200_fails_over_and_cools_the_first(httpx_mock: HTTPXMock) -> None:
    url = BASE + "/v1/chat/completions"
    httpx_mock.add_response(
        url=url,
        match_headers={"authorization": "Bearer key-one-123"},
        status_code=429,
        headers={"retry-after": "30"},
        json={"error": {"message": "slow down"}},
    )
    httpx_mock.add_response(
        url=url, match_headers={"authorization": "Bearer key-two-456"}, json={"id": "chatcmpl-1"}
    )
    pool, channel, now = openai_setup("key-one-123", "key-two-456")
    async with httpx.AsyncClient() as client:
        cred, resp = await run(pool, "openai", channel, chat_call(), client)
    assert (cred.id, resp.status_code, resp.json()) == (2, 200, {"id": "chatcmpl-1"})
    sent = json.loads(httpx_mock.get_requests()[1].content)
    assert sent == chat_call().body
    (record,) = pool.take_dirty()
    assert record.to_row()["health_json"] == [{"model": "gpt-4.1", "until_unix_ms": T0 + 30_000}]
    assert [c.id for c in pool.eligible("openai", "gpt-4.1")] == [2]
    now[0] += 30_000
    assert [c.id for c in pool.eligible("openai", "gpt-4.1")] == [1, 2]


async def test_client_errors_are_returned_not_failed_over(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=400, json={"error": {"message": "bad"}})
    pool, channel, _ = openai_setup("key-one-123", "key-two-456")
    async with httpx.AsyncClient() as client:
        cred, resp = await run(pool, "openai", channel, chat_call(), client)
    assert (cred.id, resp.status_code) == (1, 400)
    assert len(httpx_mock.get_requests()) == 1


async def test_everyone_failing_is_503_and_every_state_is_persisted(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(match_headers={"authorization": "Bearer key-one-123"}, status_code=500)
    httpx_mock.add_response(match_headers={"authorization": "Bearer key-two-456"}, status_code=401)
    httpx_mock.add_exception(
        httpx.ConnectError("refused"), match_headers={"authorization": "Bearer key-three-789"}
    )
    pool, channel, _ = openai_setup("key-one-123", "key-two-456", "key-three-789")
    async with httpx.AsyncClient() as client:
        with pytest.raises(AllCredentialsExhausted) as info:
            await run(pool, "openai", channel, chat_call(), client)
    assert str(info.value) == (
        "all eligible credentials exhausted for provider=openai, attempts=3, "
        "last_status=none, last_error=ConnectError: refused"
    )
    kinds = {r.credential_id: (r.health_kind, r.last_error) for r in pool.take_dirty()}
    assert kinds == {
        1: ("partial", "upstream status 500"),
        2: ("dead", "upstream status 401"),
        3: ("partial", "ConnectError: refused"),
    }


# --------------------------------------------------------------------------------------
# vertex: a 401 forces one token refresh on the same credential
# --------------------------------------------------------------------------------------


def vertex_secret() -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "Builtin": {
            "Vertex": {"project_id": "proj-1", "client_email": "sa@proj-1.iam", "private_key": pem}
        }
    }


async def test_vertex_401_refreshes_the_token_then_succeeds(httpx_mock: HTTPXMock) -> None:
    token_url = BASE + "/token"
    httpx_mock.add_response(url=token_url, json={"access_token": "ya29.first", "expires_in": 3600})
    httpx_mock.add_response(url=token_url, json={"access_token": "ya29.second", "expires_in": 3600})
    gen = (
        BASE + "/v1beta1/projects/proj-1/locations/us-central1/publishers/google/models/"
        "gemini-2.5-flash:generateContent"
    )
    httpx_mock.add_response(
        url=gen, match_headers={"authorization": "Bearer ya29.first"}, status_code=401
    )
    httpx_mock.add_response(
        url=gen, match_headers={"authorization": "Bearer ya29.second"}, json={"candidates": []}
    )
    now = [T0]
    async with httpx.AsyncClient() as client:
        tokens = VertexTokenSource(httpx_post(client), clock=lambda: now[0])
        channel = build_channel(
            "vertex", {"base_url": BASE, "oauth_token_url": token_url}, vertex_tokens=tokens
        )
        pool = CredentialPool(clock=lambda: now[0])
        pool.set_provider("vertex", channel, [PoolCredential(9, vertex_secret())])
        call = UpstreamCall(
            RouteKey("GenerateContent", "Gemini"), model="gemini-2.5-flash", body={"contents": []}
        )
        cred, resp = await run(pool, "vertex", channel, call, client)
    assert (cred.id, resp.status_code) == (9, 200)
    assert pool.health(9).kind == "healthy"


async def test_vertex_invalid_grant_marks_dead(httpx_mock: HTTPXMock) -> None:
    token_url = BASE + "/token"
    httpx_mock.add_response(url=token_url, status_code=400, json={"error": "invalid_grant"})
    now = [T0]
    async with httpx.AsyncClient() as client:
        tokens = VertexTokenSource(httpx_post(client), clock=lambda: now[0])
        channel = build_channel(
            "vertex", {"base_url": BASE, "oauth_token_url": token_url}, vertex_tokens=tokens
        )
        pool = CredentialPool(clock=lambda: now[0])
        pool.set_provider("vertex", channel, [PoolCredential(9, vertex_secret())])
        call = UpstreamCall(RouteKey("GenerateContent", "Gemini"), model="g", body={"contents": []})
        with pytest.raises(AllCredentialsExhausted, match="invalid_grant"):
            await run(pool, "vertex", channel, call, client)
    assert pool.health(9).kind == "dead"
