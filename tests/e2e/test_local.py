"""Local answers: embedded model tables and offline token counts, no upstream call."""

from __future__ import annotations

import httpx

from tests.e2e.clients import gemini_client, openai_client
from tests.e2e.conftest import GatewayEnv


def no_upstream_calls(env: GatewayEnv) -> bool:
    fakes = env.fakes
    return not (fakes.openai.requests or fakes.anthropic.requests or fakes.gemini.requests)


def test_vertexexpress_model_tables_are_local(env: GatewayEnv) -> None:
    if "vx" not in env.providers:
        env.add_provider("vx", "vertexexpress", {"base_url": env.fakes.gemini.url}, ["vx-key"])
    client = gemini_client(env, "vx")
    names = [m.name for m in client.models.list()]
    assert "models/gemini-2.5-flash" in names
    assert client.models.get(model="gemini-2.5-flash").name == "models/gemini-2.5-flash"
    oai = openai_client(env, "vx")  # OpenAI callers: translated from the same local table
    assert "gemini-2.5-flash" in [m.id for m in oai.models.list()]
    missing = httpx.get(
        env.url + "/vx/v1beta/models/no-such-model",
        headers={"x-goog-api-key": env.key},
        timeout=10,
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == "NOT_FOUND"
    assert no_upstream_calls(env)


def test_deepseek_model_list_is_local(env: GatewayEnv) -> None:
    if "ds" not in env.providers:
        env.add_provider("ds", "deepseek", {"base_url": env.fakes.openai.url}, ["ds-key"])
    ids = [m.id for m in openai_client(env, "ds").models.list()]
    assert ids == ["deepseek-chat", "deepseek-reasoner"]
    assert no_upstream_calls(env)


def test_local_count_tokens_in_every_caller_shape(env: GatewayEnv) -> None:
    headers = {"x-api-key": env.key}
    claude = httpx.post(
        env.url + "/chat/v1/messages/count_tokens",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "one two three"}]},
        headers=headers,
        timeout=10,
    )
    assert claude.status_code == 200 and claude.json()["input_tokens"] > 0
    openai = httpx.post(
        env.url + "/chat/v1/responses/input_tokens",
        json={"model": "gpt-4o", "input": "one two three"},
        headers=headers,
        timeout=10,
    )
    assert openai.status_code == 200
    assert openai.json() == {
        "object": "response.input_tokens",
        "input_tokens": openai.json()["input_tokens"],
    }
    gemini = httpx.post(
        env.url + "/chat/v1beta/models/gpt-4o:countTokens",
        json={"contents": [{"role": "user", "parts": [{"text": "one two three"}]}]},
        headers=headers,
        timeout=10,
    )
    assert gemini.status_code == 200 and gemini.json()["totalTokens"] > 0
    assert no_upstream_calls(env)
