"""Usage rows: who, what and how many tokens, for every protocol, streamed or not.

The upstream fake is scripted to report a known usage (with cache reads and, where the
protocol has them, cache writes); the row must carry it in gproxy's semantics — input
*including* cache tokens — with the provider, credential, user, key and model of the call.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import GatewayEnv
from tests.fakes import Answer, Usage

_ids = itertools.count(1)

USAGE = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=30, cache_write_tokens=10)

# upstream provider → (fake attribute, whether its protocol reports cache writes: Anthropic's
# cache_creation_input_tokens, OpenAI's prompt_tokens_details.cache_write_tokens; Gemini none)
UPSTREAM_FAKE = {
    "oai": ("openai", True),
    "chat": ("openai", True),
    "resp": ("openai", True),
    "anth": ("anthropic", True),
    "claude": ("anthropic", True),
    "gem": ("gemini", False),
    "studio": ("gemini", False),
}

CALLER_PROTOCOL = {
    "chat": "OpenAiChatCompletion",
    "responses": "OpenAi",
    "messages": "Claude",
    "gemini": "Gemini",
}


def request_for(entrance: str, provider: str, model: str, stream: bool) -> tuple[str, dict]:
    text = [{"role": "user", "content": "how many tokens"}]
    if entrance == "chat":
        return f"/{provider}/v1/chat/completions", {
            "model": model,
            "messages": text,
            "stream": stream,
        }
    if entrance == "responses":
        return f"/{provider}/v1/responses", {
            "model": model,
            "input": "how many tokens",
            "stream": stream,
        }
    if entrance == "messages":
        return f"/{provider}/v1/messages", {
            "model": model,
            "max_tokens": 64,
            "messages": text,
            "stream": stream,
        }
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"/{provider}/v1beta/models/{model}:{method}", {
        "contents": [{"role": "user", "parts": [{"text": "how many tokens"}]}]
    }


def call(env: GatewayEnv, entrance: str, provider: str, stream: bool) -> dict[str, Any]:
    fake_name, writes_cache = UPSTREAM_FAKE[provider]
    getattr(env.fakes, fake_name).script(Answer(usage=USAGE))
    model = f"usage-model-{next(_ids)}"
    path, body = request_for(entrance, provider, model, stream)
    response = httpx.post(env.url + path, json=body, headers={"x-api-key": env.key}, timeout=20)
    assert response.status_code == 200, response.text
    (row,) = env.wait_usages(1, model=model)
    assert row["provider_name"] == provider
    assert row["provider_id"] == env.providers[provider]
    assert row["credential_id"] == env.credentials[provider][0]
    assert row["user_id"] == env.user_id
    assert row["user_key_id"] == env.key_id
    assert row["operation"] == ("StreamGenerateContent" if stream else "GenerateContent")
    assert row["protocol"] == CALLER_PROTOCOL[entrance]
    assert row["input_tokens"] == 100
    assert row["output_tokens"] == 20
    assert row["cache_read_input_tokens"] == 30
    assert (row["cache_creation_input_tokens"] or 0) == (10 if writes_cache else 0)
    return row


@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
@pytest.mark.parametrize(
    ("entrance", "provider"),
    [
        ("chat", "oai"),
        ("responses", "oai"),
        ("messages", "claude"),
        ("gemini", "studio"),
    ],
)
def test_passthrough_usage(env: GatewayEnv, entrance: str, provider: str, stream: bool) -> None:
    call(env, entrance, provider, stream)


@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
@pytest.mark.parametrize("provider", ["chat", "resp", "anth", "gem"])
@pytest.mark.parametrize("entrance", ["chat", "responses", "messages", "gemini"])
def test_translated_usage(env: GatewayEnv, entrance: str, provider: str, stream: bool) -> None:
    call(env, entrance, provider, stream)


def test_unscoped_usage_names_the_model_without_prefix(env: GatewayEnv) -> None:
    env.fakes.anthropic.script(Answer(usage=USAGE))
    body = {"model": "anth/plain-model-x", "messages": [{"role": "user", "content": "hi"}]}
    response = httpx.post(
        env.url + "/v1/chat/completions", json=body, headers={"x-api-key": env.key}, timeout=20
    )
    assert response.status_code == 200
    (row,) = env.wait_usages(1, model="plain-model-x")
    assert row["provider_name"] == "anth" and row["input_tokens"] == 100


def test_usage_is_estimated_when_the_upstream_reports_none(env: GatewayEnv) -> None:
    """A Chat upstream streaming without a usage chunk (the fake honours include_usage only
    when asked, and the scripted reply below strips it) still leaves a row, estimated."""
    model = f"usage-model-{next(_ids)}"
    fake = env.fakes.openai
    chunks = [
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"role":"assistant","content":"one two three"},'
        b'"finish_reason":null}]}\n\n',
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
        b"data: [DONE]\n\n",
    ]
    from tests.fakes import Reply

    fake.script(Reply(chunks=chunks, content_type="text/event-stream"), route="chat")
    body = {"model": model, "messages": [{"role": "user", "content": "count me"}], "stream": True}
    response = httpx.post(
        env.url + "/oai/v1/chat/completions", json=body, headers={"x-api-key": env.key}, timeout=20
    )
    assert response.status_code == 200
    assert "one two three" in response.text
    (row,) = env.wait_usages(1, model=model)
    assert row["input_tokens"] and row["input_tokens"] > 0
    assert row["output_tokens"] == 3  # "one two three" in o200k
