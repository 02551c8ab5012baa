"""Auth headers per channel and route family; client headers forwarded or dropped; log masking."""

from __future__ import annotations

from typing import Any

import pytest

from gatewayctl.channels import build_channel
from gatewayctl.channels.base import UpstreamCall, mask_secret
from tests.channels.helpers import api_secret, call

KEY = "sk-upstream-key-123456"

# What a client sends to the gateway: its own gateway key in every place it may hide.
CLIENT_HEADERS = {
    "authorization": "Bearer gw-client-key",
    "x-api-key": "gw-client-key",
    "x-goog-api-key": "gw-client-key",
    "cookie": "session=1",
    "host": "127.0.0.1:8787",
    "content-length": "123",
    "connection": "keep-alive",
    "anthropic-version": "2023-01-01",
    "anthropic-beta": "prompt-caching-2024-07-31,output-128k-2025-02-19",
    "user-agent": "some-sdk/1.0",
    "openai-organization": "org-client",
}


def headers_for(
    channel: str, c: UpstreamCall, secret: dict[str, Any], settings: dict[str, Any] | None = None
) -> dict[str, str]:
    c.headers = CLIENT_HEADERS
    req = build_channel(channel, settings).build(c, secret)
    assert "gw-client-key" not in str(req.headers)
    assert "gw-client-key" not in req.url
    for dropped in (
        "cookie",
        "host",
        "content-length",
        "connection",
        "user-agent",
        "openai-organization",
    ):
        assert dropped not in req.headers
    return req.headers


@pytest.mark.parametrize(
    ("channel", "variant", "c"),
    [
        ("openai", "OpenAi", call("GenerateContent", "OpenAi")),
        ("openai", "OpenAi", call("ModelList", "OpenAi", model=None)),
        ("nvidia", "Nvidia", call("GenerateContent", "OpenAiChatCompletion")),
        ("groq", "Groq", call("StreamGenerateContent", "OpenAi")),
        ("deepseek", "Deepseek", call("GenerateContent", "OpenAiChatCompletion")),
        ("aistudio", "AiStudio", call("GenerateContent", "OpenAiChatCompletion")),
        ("aistudio", "AiStudio", call("ModelList", "OpenAi", model=None)),
    ],
)
def test_bearer_channels(channel: str, variant: str, c: UpstreamCall) -> None:
    headers = headers_for(channel, c, api_secret(variant, KEY))
    assert headers["authorization"] == f"Bearer {KEY}"
    assert "x-api-key" not in headers and "x-goog-api-key" not in headers
    assert "anthropic-beta" not in headers and "anthropic-version" not in headers


@pytest.mark.parametrize(
    "c",
    [
        call("GenerateContent", "Claude"),
        call("StreamGenerateContent", "Claude"),
        call("CountToken", "Claude"),
        call("ModelList", "Claude", model=None),
    ],
)
def test_anthropic_headers_forward_version_and_beta(c: UpstreamCall) -> None:
    headers = headers_for("anthropic", c, api_secret("Anthropic", KEY))
    assert headers["x-api-key"] == KEY
    assert headers["anthropic-version"] == "2023-01-01"
    assert headers["anthropic-beta"] == "prompt-caching-2024-07-31,output-128k-2025-02-19"
    assert "authorization" not in headers


def test_anthropic_version_defaults_when_client_sends_none() -> None:
    req = build_channel("anthropic").build(
        call("GenerateContent", "Claude"), api_secret("Anthropic", KEY)
    )
    assert req.headers["anthropic-version"] == "2023-06-01"
    assert "anthropic-beta" not in req.headers


def test_anthropic_openai_compat_routes_use_x_api_key() -> None:
    headers = headers_for(
        "anthropic", call("GenerateContent", "OpenAiChatCompletion"), api_secret("Anthropic", KEY)
    )
    assert headers["x-api-key"] == KEY
    assert "authorization" not in headers


def test_deepseek_claude_route_uses_anthropic_headers() -> None:
    headers = headers_for(
        "deepseek", call("GenerateContent", "Claude"), api_secret("Deepseek", KEY)
    )
    assert headers["x-api-key"] == KEY
    assert headers["anthropic-version"] == "2023-01-01"


@pytest.mark.parametrize(
    "c",
    [
        call("GenerateContent", "Gemini", model="g"),
        call("StreamGenerateContent", "GeminiNDJson", model="g"),
        call("ModelList", "Gemini", model=None),
        call("Embedding", "Gemini", model="g"),
    ],
)
def test_aistudio_gemini_routes_use_goog_key(c: UpstreamCall) -> None:
    headers = headers_for("aistudio", c, api_secret("AiStudio", KEY))
    assert headers["x-goog-api-key"] == KEY
    assert "authorization" not in headers


def test_vertexexpress_key_in_query_only() -> None:
    c = call("StreamGenerateContent", "Gemini", model="gemini-2.5-flash")
    c.headers = CLIENT_HEADERS
    req = build_channel("vertexexpress").build(c, api_secret("VertexExpress", KEY))
    assert f"key={KEY}" in req.url
    assert "authorization" not in req.headers and "x-goog-api-key" not in req.headers
    assert KEY not in req.log_url()
    assert mask_secret(KEY) in req.log_url()


def test_vertex_bearer_access_token() -> None:
    secret = {"Builtin": {"Vertex": {"project_id": "p", "client_email": "e", "private_key": "k"}}}
    c = call("GenerateContent", "Gemini", model="g")
    c.headers = CLIENT_HEADERS
    req = build_channel("vertex").build(c, secret, access_token="ya29.access-token-xyz")
    assert req.headers["authorization"] == "Bearer ya29.access-token-xyz"
    assert "gw-client-key" not in str(req.headers)


@pytest.mark.parametrize(
    ("c", "header", "value"),
    [
        (call("GenerateContent", "OpenAiChatCompletion"), "authorization", f"Bearer {KEY}"),
        (call("ModelList", "OpenAi", model=None), "authorization", f"Bearer {KEY}"),
        (call("GenerateContent", "Claude"), "x-api-key", KEY),
        (call("ModelGet", "Claude", model="c"), "x-api-key", KEY),
        (call("GenerateContent", "Gemini", model="g"), "x-goog-api-key", KEY),
        (call("ModelList", "Gemini", model=None), "x-goog-api-key", KEY),
    ],
)
def test_custom_auth_follows_route_family(c: UpstreamCall, header: str, value: str) -> None:
    for shape in ("openai", "anthropic", "gemini"):
        headers = headers_for(
            "mycustom",
            c,
            api_secret("Custom", KEY),
            {"base_url": "http://127.0.0.1:9", "protocol": shape},
        )
        assert headers[header] == value
        others = {"authorization", "x-api-key", "x-goog-api-key"} - {header}
        assert not others & set(headers)


def test_content_type_only_with_a_body() -> None:
    adapter = build_channel("openai")
    post = adapter.build(call("GenerateContent", "OpenAi"), api_secret("OpenAi", KEY))
    get = adapter.build(call("ModelList", "OpenAi", model=None), api_secret("OpenAi", KEY))
    assert post.headers["content-type"] == "application/json"
    assert "content-type" not in get.headers
    assert get.body is None


def test_log_headers_mask_the_upstream_key() -> None:
    req = build_channel("openai").build(
        call("GenerateContent", "OpenAi"), api_secret("OpenAi", KEY)
    )
    logged = req.log_headers()
    assert KEY not in str(logged)
    assert logged["authorization"] == f"Bearer {mask_secret(KEY)}"
    assert req.headers["authorization"] == f"Bearer {KEY}"  # the real request is untouched


def test_credentials_without_material() -> None:
    adapter = build_channel("openai")
    assert adapter.has_material(api_secret("OpenAi", KEY))
    assert not adapter.has_material(api_secret("OpenAi", "   "))
    assert not adapter.has_material({})
    assert not adapter.has_material({"Builtin": {"OpenAi": {}}})
    assert not adapter.has_material({"Builtin": "garbage"})
    assert adapter.has_material({"api_key": KEY})  # bare body


def test_mask_secret() -> None:
    assert mask_secret("sk-abcdefghijkl") == "sk-…ijkl"
    assert mask_secret("short") == "…"


def test_user_agent_setting() -> None:
    c = call("GenerateContent", "OpenAi")
    c.headers = CLIENT_HEADERS
    req = build_channel("openai", {"user_agent": "gatewayctl/0.1"}).build(
        c, api_secret("OpenAi", KEY)
    )
    assert req.headers["user-agent"] == "gatewayctl/0.1"
    plain = build_channel("openai").build(
        call("GenerateContent", "OpenAi"), api_secret("OpenAi", KEY)
    )
    assert "user-agent" not in plain.headers  # the client's is never forwarded
