"""Stream relay behaviour: client disconnects, long streams, headers.

A client that goes away mid-stream must make the gateway close its upstream connection at
once (the fake records when its client — the gateway — went away), on both upstream
transports, and still leave a usage row. A stream longer than Quart's 60-second response
timeout (and than 90 s) must be relayed whole.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from gatewayctl.gateway.upstream import ClientOptions, aiohttp_available, make_client
from tests.e2e.conftest import GatewayEnv
from tests.fakes import Answer

_ids = itertools.count(1)


@pytest.fixture(params=["httpx", "aiohttp"])
def transport(request: pytest.FixtureRequest, env: GatewayEnv) -> Iterator[str]:
    """Run the test with the gateway's upstream client on the given transport."""
    kind = request.param
    if kind == "aiohttp" and not aiohttp_available():
        pytest.skip("httpx-aiohttp is not installed")
    gateway = env.resources.gateway
    assert gateway is not None  # the module's earlier requests created it
    original = gateway.client
    gateway.client = make_client(ClientOptions(transport=kind))
    try:
        yield kind
    finally:
        replaced, gateway.client = gateway.client, original
        asyncio.run_coroutine_threadsafe(replaced.aclose(), env.server._loop).result(10)


@pytest.fixture(autouse=True)
def warm(env: GatewayEnv) -> None:
    """Make sure the gateway (and its client) exists before a transport is swapped in."""
    httpx.get(env.url + "/oai/v1/models", headers={"x-api-key": env.key}, timeout=10)


@pytest.mark.parametrize(
    ("provider", "fake_name", "path"),
    [
        ("oai", "openai", "/oai/v1/chat/completions"),  # passthrough
        ("anth", "anthropic", "/anth/v1/chat/completions"),  # translated
    ],
)
def test_client_disconnect_closes_the_upstream_at_once(
    env: GatewayEnv, transport: str, provider: str, fake_name: str, path: str
) -> None:
    fake = getattr(env.fakes, fake_name)
    fake.script(Answer(text="start of an endless answer", endless=True, endless_interval=0.02))
    model = f"endless-{next(_ids)}"
    body = {"model": model, "messages": [{"role": "user", "content": "go"}], "stream": True}
    with httpx.Client(timeout=10) as client:
        with client.stream(
            "POST", env.url + path, json=body, headers={"x-api-key": env.key}
        ) as response:
            assert response.status_code == 200
            received = 0
            chunks = response.iter_raw()  # kept referenced: closing it would close the response
            for chunk in chunks:
                received += len(chunk)
                if received > 2000:
                    break
            upstream = fake.requests[-1]
            assert upstream.outcome is None  # still streaming
            closed_at = time.monotonic()
    assert upstream.wait_ended(5), "the upstream stream was never closed"
    assert upstream.outcome == "disconnected"
    assert upstream.ended_at is not None
    assert upstream.ended_at - closed_at < 1.0
    # a usage row is still written for the cut-short stream (estimated output)
    (row,) = env.wait_usages(1, model=model)
    assert row["provider_name"] == provider
    assert row["operation"] == "StreamGenerateContent"
    assert (row["output_tokens"] or 0) > 0


def test_stream_headers(env: GatewayEnv) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    response = httpx.post(
        env.url + "/anth/v1/chat/completions", json=body, headers={"x-api-key": env.key}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert "content-length" not in response.headers


def test_gemini_stream_without_alt_is_a_json_stream(env: GatewayEnv) -> None:
    url = env.url + "/anth/v1beta/models/claude-x:streamGenerateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    response = httpx.post(url, json=body, headers={"x-goog-api-key": env.key}, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    text = "".join(
        part.get("text", "")
        for doc in lines
        for cand in doc.get("candidates", [])
        for part in cand.get("content", {}).get("parts", [])
    )
    assert text == "echo: hi"


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_stream_longer_than_90_seconds_is_relayed_whole(env: GatewayEnv) -> None:
    words = " ".join(f"w{i}" for i in range(14))
    env.fakes.anthropic.script(Answer(text=words, chunk_delay=5.0))
    body = {"model": "slow", "messages": [{"role": "user", "content": "go"}], "stream": True}
    started = time.monotonic()
    text = ""
    done = False
    with httpx.stream(
        "POST",
        env.url + "/anth/v1/chat/completions",
        json=body,
        headers={"x-api-key": env.key},
        timeout=httpx.Timeout(30.0),
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                done = True
                continue
            for choice in json.loads(data)["choices"]:
                text += choice["delta"].get("content") or ""
    assert done
    assert text == words
    assert time.monotonic() - started > 90


def test_gemini_json_array_stream_passes_through_as_it_comes(env: GatewayEnv) -> None:
    """Gemini without alt=sse streams one JSON array as application/json: relayed as it
    arrives (an endless answer would never finish if it were read whole first)."""
    env.fakes.gemini.script(Answer(text="an endless answer", endless=True))
    url = env.url + "/studio/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "go"}]}]}
    with httpx.stream(
        "POST", url, json=body, headers={"x-goog-api-key": env.key}, timeout=10
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        first = next(response.iter_raw())
    assert first.lstrip().startswith(b"[")
    (upstream,) = env.fakes.gemini.requests_to("streamGenerateContent")
    assert "alt" not in upstream.query
    assert upstream.wait_ended(5)
