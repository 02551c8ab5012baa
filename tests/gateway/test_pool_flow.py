"""The pool and the channels together through the real failover loop
(:func:`gatewayctl.gateway.attempt.call_upstream`), upstreams mocked with pytest-httpx."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpx import HTTPXMock

from gatewayctl.channels import UpstreamCall, VertexTokenSource, httpx_post
from gatewayctl.dispatch import RouteKey
from gatewayctl.gateway.attempt import call_upstream
from gatewayctl.gateway.pool import AllCredentialsExhausted, CredentialPool
from gatewayctl.gateway.providers import ProviderRegistry
from gatewayctl.gateway.recording import Recorder
from gatewayctl.services.snapshot import SnapshotCredential, SnapshotProvider
from tests.gateway.test_recording import Sink

T0 = 1_750_000_000_000
BASE = "http://127.0.0.1:9"


class Flow:
    """One provider behind the real registry, pool and failover loop, on a fake clock."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        channel: str,
        settings: dict[str, Any],
        secrets: list[dict[str, Any]],
        first_id: int = 1,
    ) -> None:
        self.now = [T0]
        self.client = client
        self.pool = CredentialPool(clock=lambda: self.now[0], rng=random.Random(0))
        self.tokens = VertexTokenSource(httpx_post(client), clock=lambda: self.now[0])
        self.registry = ProviderRegistry(self.pool, self.tokens)
        self.learned: list[tuple[int, Mapping[str, Any], Mapping[str, Any]]] = []
        self.recorder = Recorder(
            Sink(),
            mask_bodies=lambda: True,
            secret_updates=lambda *update: self.learned.append(update),
        )
        creds = tuple(
            SnapshotCredential(first_id + i, 1, None, f"builtin/{channel}", secret, None)
            for i, secret in enumerate(secrets)
        )
        row = SnapshotProvider(1, channel, channel, settings, None, creds)

        class Snap:
            providers = MappingProxyType({channel: row})
            statuses: Mapping[int, Any] = MappingProxyType({})

        self.registry.follow(Snap())
        self.provider = self.registry.get(channel)

    async def run(self, call: UpstreamCall) -> tuple[int | None, int, bytes]:
        """(credential id, status, body) of the answer the client would get."""
        answer = await call_upstream(
            self.client, self.registry, self.recorder, self.provider, call, stream=False
        )
        return answer.credential_id, answer.status, await answer.read()


def openai_flow(client: httpx.AsyncClient, *keys: str) -> Flow:
    secrets = [{"Builtin": {"OpenAi": {"api_key": k}}} for k in keys]
    settings = {"base_url": BASE + "/v1", "credential_round_robin_enabled": False}
    return Flow(client, "openai", settings, secrets)


def chat_call() -> UpstreamCall:
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}
    return UpstreamCall(RouteKey("GenerateContent", "OpenAiChatCompletion"), body=body)


def statuses(flow: Flow) -> dict[int, tuple[str, Any, str | None]]:
    """What the loop handed to the writer, by credential."""
    sink = flow.recorder._sink
    assert isinstance(sink, Sink)
    return {r.credential_id: (r.health_kind, r.health, r.last_error) for r in sink.statuses}


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
    async with httpx.AsyncClient() as client:
        flow = openai_flow(client, "key-one-123", "key-two-456")
        cred, status, body = await flow.run(chat_call())
    assert (cred, status, json.loads(body)) == (2, 200, {"id": "chatcmpl-1"})
    sent = json.loads(httpx_mock.get_requests()[1].content)
    assert sent == chat_call().body
    cooldown = [{"model": "gpt-4.1", "until_unix_ms": T0 + 30_000}]
    assert statuses(flow) == {1: ("partial", cooldown, "upstream status 429")}
    assert [c.id for c in flow.pool.eligible("openai", "gpt-4.1")] == [2]
    flow.now[0] += 30_000
    assert [c.id for c in flow.pool.eligible("openai", "gpt-4.1")] == [1, 2]


async def test_client_errors_are_returned_not_failed_over(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=400, json={"error": {"message": "bad"}})
    async with httpx.AsyncClient() as client:
        flow = openai_flow(client, "key-one-123", "key-two-456")
        cred, status, body = await flow.run(chat_call())
    assert (cred, status, json.loads(body)) == (1, 400, {"error": {"message": "bad"}})
    assert len(httpx_mock.get_requests()) == 1
    assert statuses(flow) == {}


async def test_everyone_failing_is_503_and_every_state_is_persisted(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(match_headers={"authorization": "Bearer key-one-123"}, status_code=500)
    httpx_mock.add_response(match_headers={"authorization": "Bearer key-two-456"}, status_code=401)
    httpx_mock.add_exception(
        httpx.ConnectError("refused"), match_headers={"authorization": "Bearer key-three-789"}
    )
    async with httpx.AsyncClient() as client:
        flow = openai_flow(client, "key-one-123", "key-two-456", "key-three-789")
        with pytest.raises(AllCredentialsExhausted) as info:
            await flow.run(chat_call())
    assert str(info.value) == (
        "all eligible credentials exhausted for provider=openai, attempts=3, "
        "last_status=none, last_error=ConnectError: refused"
    )
    kinds = {cid: (kind, error) for cid, (kind, _, error) in statuses(flow).items()}
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


def vertex_flow(client: httpx.AsyncClient, secret: dict[str, Any]) -> Flow:
    settings = {"base_url": BASE, "oauth_token_url": BASE + "/token"}
    return Flow(client, "vertex", settings, [secret], first_id=9)


GENERATE = (
    BASE + "/v1beta1/projects/proj-1/locations/us-central1/publishers/google/models/"
    "gemini-2.5-flash:generateContent"
)


def generate_call() -> UpstreamCall:
    return UpstreamCall(
        RouteKey("GenerateContent", "Gemini"), model="gemini-2.5-flash", body={"contents": []}
    )


async def test_vertex_401_refreshes_the_token_then_succeeds(httpx_mock: HTTPXMock) -> None:
    token_url = BASE + "/token"
    httpx_mock.add_response(url=token_url, json={"access_token": "ya29.first", "expires_in": 3600})
    httpx_mock.add_response(url=token_url, json={"access_token": "ya29.second", "expires_in": 3600})
    httpx_mock.add_response(
        url=GENERATE, match_headers={"authorization": "Bearer ya29.first"}, status_code=401
    )
    httpx_mock.add_response(
        url=GENERATE, match_headers={"authorization": "Bearer ya29.second"}, json={"candidates": []}
    )
    secret = vertex_secret()
    async with httpx.AsyncClient() as client:
        flow = vertex_flow(client, secret)
        cred, status, _ = await flow.run(generate_call())
        assert (cred, status) == (9, 200)
        assert flow.pool.health(9).kind == "healthy"
        # both refreshed tokens were handed over for storage, with the secret they came from
        assert [(cid, base, fields["access_token"]) for cid, base, fields in flow.learned] == [
            (9, secret, "ya29.first"),
            (9, secret, "ya29.second"),
        ]
        assert flow.learned[-1][2]["expires_at"] == T0 + 3600_000
        # the cached token serves the next call: nothing new to store
        httpx_mock.add_response(url=GENERATE, json={"candidates": []})
        assert (await flow.run(generate_call()))[:2] == (9, 200)
        assert len(flow.learned) == 2


async def test_vertex_invalid_grant_marks_dead(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=BASE + "/token", status_code=400, json={"error": "invalid_grant"})
    async with httpx.AsyncClient() as client:
        flow = vertex_flow(client, vertex_secret())
        with pytest.raises(AllCredentialsExhausted, match="invalid_grant"):
            await flow.run(generate_call())
    assert flow.pool.health(9).kind == "dead"
    assert flow.learned == []
