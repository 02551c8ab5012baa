"""Upstream URLs: the base-URL join rule and every route each channel sends upstream."""

from __future__ import annotations

from typing import Any

import pytest

from gatewayctl.channels import build_channel
from gatewayctl.channels.base import UnsupportedUpstreamRoute, UpstreamCall, join_url
from gatewayctl.dispatch import PASSTHROUGH, RouteKey, TransformTo, default_dispatch
from gatewayctl.errors import InvalidInput, NotImplementedByGateway
from tests.channels.helpers import api_secret, call, route

LOOPBACK = "http://127.0.0.1:9"

VERTEX_SECRET = {
    "Builtin": {
        "Vertex": {
            "project_id": "proj-1",
            "client_email": "sa@proj-1.iam.gserviceaccount.com",
            "private_key": "unused-here",
        }
    }
}
SECRETS: dict[str, dict[str, Any]] = {
    "openai": api_secret("OpenAi"),
    "anthropic": api_secret("Anthropic"),
    "aistudio": api_secret("AiStudio"),
    "vertexexpress": api_secret("VertexExpress", "AQ.express-key"),
    "vertex": VERTEX_SECRET,
    "nvidia": api_secret("Nvidia"),
    "deepseek": api_secret("Deepseek"),
    "groq": api_secret("Groq"),
    "mycustom": api_secret("Custom"),
}


def url_of(channel: str, c: UpstreamCall, settings: dict[str, Any] | None = None) -> str:
    adapter = build_channel(
        channel, settings or ({"base_url": LOOPBACK} if channel == "mycustom" else None)
    )
    token = "ya29.token" if channel == "vertex" else None
    req = adapter.build(c, SECRETS[channel], access_token=token)
    return f"{req.method} {req.url}"


# --------------------------------------------------------------------------------------
# join rule
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://api.openai.com", "/v1/models", "https://api.openai.com/v1/models"),
        ("https://api.openai.com/", "/v1/models", "https://api.openai.com/v1/models"),
        ("https://api.openai.com/v1", "/v1/models", "https://api.openai.com/v1/models"),
        ("https://api.openai.com/v1/", "/v1/models", "https://api.openai.com/v1/models"),
        ("https://api.openai.com/v1//", "/v1/models", "https://api.openai.com/v1/models"),
        ("https://h/api/v1", "/v1/chat/completions", "https://h/api/v1/chat/completions"),
        ("https://h/v1", "v1/models", "https://h/v1/models"),
        ("https://h/v1", "/v1", "https://h/v1"),
        ("https://h/v10", "/v1/models", "https://h/v10/v1/models"),
        ("https://h/xv1", "/v1/models", "https://h/xv1/v1/models"),
        ("https://h/v1", "/v1beta/models", "https://h/v1/v1beta/models"),
        ("https://h/v1beta", "/v1beta/models", "https://h/v1beta/models"),
        ("https://h/v1beta1/", "/v1beta1/publishers", "https://h/v1beta1/publishers"),
        ("https://h/openai", "/v1/models", "https://h/openai/v1/models"),
    ],
)
def test_join_url(base: str, path: str, expected: str) -> None:
    assert join_url(base, path) == expected


@pytest.mark.parametrize("base", [LOOPBACK, LOOPBACK + "/", LOOPBACK + "/v1", LOOPBACK + "/v1/"])
def test_openai_base_with_or_without_v1(base: str) -> None:
    assert url_of(
        "openai", call("GenerateContent", "OpenAiChatCompletion"), {"base_url": base}
    ) == (f"POST {LOOPBACK}/v1/chat/completions")


def test_default_base_urls_come_from_the_catalogue() -> None:
    c = call("GenerateContent", "OpenAiChatCompletion")
    assert url_of("openai", c) == "POST https://api.openai.com/v1/chat/completions"
    assert url_of("groq", c) == "POST https://api.groq.com/openai/v1/chat/completions"
    assert url_of("nvidia", c) == "POST https://integrate.api.nvidia.com/v1/chat/completions"
    assert url_of("deepseek", c) == "POST https://api.deepseek.com/v1/chat/completions"


def test_bad_base_url_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="base_url"):
        build_channel("openai", {"base_url": "api.openai.com"})
    with pytest.raises(InvalidInput, match="base_url"):
        build_channel("openai", {"base_url": 42})


# --------------------------------------------------------------------------------------
# every route the default dispatch sends upstream is buildable
# --------------------------------------------------------------------------------------


def upstream_keys(channel: str) -> set[RouteKey]:
    keys = set()
    for key, impl in default_dispatch(channel, {}).rules:
        if impl == PASSTHROUGH:
            keys.add(key)
        elif isinstance(impl, TransformTo):
            keys.add(impl.destination)
    return keys


@pytest.mark.parametrize("channel", sorted(SECRETS))
def test_every_default_upstream_route_is_served(channel: str) -> None:
    settings = {"base_url": LOOPBACK}
    adapter = build_channel(channel, settings)
    keys = upstream_keys(channel)
    assert keys
    for key in keys:
        c = call(key.operation, key.protocol, model="some-model")
        assert adapter.supports(key), key
        if adapter.local_response(c) is not None:
            continue
        req = adapter.build(
            c, SECRETS[channel], access_token="tok" if channel == "vertex" else None
        )
        assert req.url.startswith(LOOPBACK + "/"), (key, req.url)
        assert req.stream == (key.operation == "StreamGenerateContent")
        assert (req.body is None) == (key.operation in ("ModelList", "ModelGet")), key


# --------------------------------------------------------------------------------------
# per-channel URL tables
# --------------------------------------------------------------------------------------

OPENAI_CASES = [
    (call("ModelList", "OpenAi", model=None), "GET /v1/models"),
    (call("ModelGet", "OpenAi", model="gpt-4.1"), "GET /v1/models/gpt-4.1"),
    (call("CountToken", "OpenAi"), "POST /v1/responses/input_tokens"),
    (call("GenerateContent", "OpenAi"), "POST /v1/responses"),
    (call("StreamGenerateContent", "OpenAi"), "POST /v1/responses"),
    (call("GenerateContent", "OpenAiChatCompletion"), "POST /v1/chat/completions"),
    (call("StreamGenerateContent", "OpenAiChatCompletion"), "POST /v1/chat/completions"),
    (call("Embedding", "OpenAi"), "POST /v1/embeddings"),
    (call("Compact", "OpenAi"), "POST /v1/responses/compact"),
]


@pytest.mark.parametrize(("c", "expected"), OPENAI_CASES)
@pytest.mark.parametrize("suffix", ["", "/v1"])
def test_openai_routes(c: UpstreamCall, expected: str, suffix: str) -> None:
    method, path = expected.split(" ")
    assert url_of("openai", c, {"base_url": LOOPBACK + suffix}) == f"{method} {LOOPBACK}{path}"


def test_openai_has_no_claude_or_gemini_routes() -> None:
    adapter = build_channel("openai")
    for key in (route("GenerateContent", "Claude"), route("GenerateContent", "Gemini")):
        assert not adapter.supports(key)
        with pytest.raises(UnsupportedUpstreamRoute) as info:
            adapter.build(call(key.operation, key.protocol), SECRETS["openai"])
        assert info.value.status == 501
        assert str(info.value) == "unsupported request for upstream execution"


def test_model_get_ids_are_path_safe() -> None:
    c = call("ModelGet", "OpenAi", model="meta/llama-3.1 8b?x#y")
    assert url_of("nvidia", c, {"base_url": LOOPBACK}) == (
        f"GET {LOOPBACK}/v1/models/meta/llama-3.1%208b%3Fx%23y"
    )


ANTHROPIC_CASES = [
    (call("ModelList", "Claude", model=None), "GET /v1/models"),
    (
        call("ModelList", "Claude", model=None, query={"after_id": "m_1", "limit": "5", "x": "y"}),
        "GET /v1/models?after_id=m_1&limit=5",
    ),
    (call("ModelGet", "Claude", model="claude-sonnet-4-5"), "GET /v1/models/claude-sonnet-4-5"),
    (call("CountToken", "Claude"), "POST /v1/messages/count_tokens"),
    (call("GenerateContent", "Claude"), "POST /v1/messages"),
    (call("StreamGenerateContent", "Claude"), "POST /v1/messages"),
    (call("ModelList", "OpenAi", model=None), "GET /v1/models"),
    (call("ModelGet", "OpenAi", model="claude-x"), "GET /v1/models/claude-x"),
    (call("GenerateContent", "OpenAiChatCompletion"), "POST /v1/chat/completions"),
    (call("StreamGenerateContent", "OpenAiChatCompletion"), "POST /v1/chat/completions"),
]


@pytest.mark.parametrize(("c", "expected"), ANTHROPIC_CASES)
@pytest.mark.parametrize("channel", ["anthropic", "claude"])
def test_anthropic_routes(c: UpstreamCall, expected: str, channel: str) -> None:
    method, path = expected.split(" ")
    adapter = build_channel(channel, {"base_url": LOOPBACK + "/v1"})
    req = adapter.build(c, SECRETS["anthropic"])
    assert f"{req.method} {req.url}" == f"{method} {LOOPBACK}{path}"


def test_anthropic_beta_query_setting() -> None:
    adapter = build_channel("anthropic", {"anthropic_append_beta_query": "true"})
    req = adapter.build(call("GenerateContent", "Claude"), SECRETS["anthropic"])
    assert req.url == "https://api.anthropic.com/v1/messages?beta=true"
    req = adapter.build(call("ModelList", "Claude", model=None), SECRETS["anthropic"])
    assert req.url == "https://api.anthropic.com/v1/models"


G = "gemini-2.5-flash"
AISTUDIO_CASES = [
    (call("ModelList", "Gemini", model=None), "GET /v1beta/models"),
    (
        call("ModelList", "Gemini", model=None, query={"pageSize": "2", "pageToken": "abc"}),
        "GET /v1beta/models?pageSize=2&pageToken=abc",
    ),
    (call("ModelGet", "Gemini", model=G), f"GET /v1beta/models/{G}"),
    (call("ModelGet", "Gemini", model=f"models/{G}"), f"GET /v1beta/models/{G}"),
    (call("CountToken", "Gemini", model=G), f"POST /v1beta/models/{G}:countTokens"),
    (
        call("GenerateContent", "Gemini", model=f"models/{G}"),
        f"POST /v1beta/models/{G}:generateContent",
    ),
    (
        call("StreamGenerateContent", "Gemini", model=G),
        f"POST /v1beta/models/{G}:streamGenerateContent?alt=sse",
    ),
    (
        call("StreamGenerateContent", "GeminiNDJson", model=G),
        f"POST /v1beta/models/{G}:streamGenerateContent",
    ),
    (
        call("Embedding", "Gemini", model="gemini-embedding-001"),
        "POST /v1beta/models/gemini-embedding-001:embedContent",
    ),
    (
        call(
            "Embedding", "Gemini", model="gemini-embedding-001", body={"requests": []}, batch=True
        ),
        "POST /v1beta/models/gemini-embedding-001:batchEmbedContents",
    ),
    (call("ModelList", "OpenAi", model=None), "GET /v1beta/openai/models"),
    (call("ModelGet", "OpenAi", model=G), f"GET /v1beta/openai/models/{G}"),
    (call("GenerateContent", "OpenAiChatCompletion"), "POST /v1beta/openai/chat/completions"),
    (call("StreamGenerateContent", "OpenAiChatCompletion"), "POST /v1beta/openai/chat/completions"),
]


@pytest.mark.parametrize(("c", "expected"), AISTUDIO_CASES)
@pytest.mark.parametrize("suffix", ["", "/", "/v1beta"])
def test_aistudio_routes(c: UpstreamCall, expected: str, suffix: str) -> None:
    method, path = expected.split(" ")
    assert url_of("aistudio", c, {"base_url": LOOPBACK + suffix}) == f"{method} {LOOPBACK}{path}"


def test_aistudio_default_host() -> None:
    assert url_of("aistudio", call("GenerateContent", "Gemini", model=G)) == (
        f"POST https://generativelanguage.googleapis.com/v1beta/models/{G}:generateContent"
    )


def test_gemini_ndjson_only_streams() -> None:
    adapter = build_channel("aistudio")
    assert not adapter.supports(route("GenerateContent", "GeminiNDJson"))
    assert adapter.supports(route("StreamGenerateContent", "GeminiNDJson"))


VX = "/v1beta1/publishers/google/models"
VERTEXEXPRESS_CASES = [
    (
        call("GenerateContent", "Gemini", model=G),
        f"POST {VX}/{G}:generateContent?key=AQ.express-key",
    ),
    (
        call("GenerateContent", "Gemini", model=f"models/{G}"),
        f"POST {VX}/{G}:generateContent?key=AQ.express-key",
    ),
    (
        call("StreamGenerateContent", "Gemini", model=G),
        f"POST {VX}/{G}:streamGenerateContent?key=AQ.express-key&alt=sse",
    ),
    (
        call("StreamGenerateContent", "GeminiNDJson", model=G),
        f"POST {VX}/{G}:streamGenerateContent?key=AQ.express-key",
    ),
    (call("CountToken", "Gemini", model=G), f"POST {VX}/{G}:countTokens?key=AQ.express-key"),
]


@pytest.mark.parametrize(("c", "expected"), VERTEXEXPRESS_CASES)
@pytest.mark.parametrize("suffix", ["", "/v1beta1"])
def test_vertexexpress_routes(c: UpstreamCall, expected: str, suffix: str) -> None:
    method, path = expected.split(" ")
    assert (
        url_of("vertexexpress", c, {"base_url": LOOPBACK + suffix}) == f"{method} {LOOPBACK}{path}"
    )


def test_vertexexpress_default_host_and_no_upstream_model_list() -> None:
    assert url_of("vertexexpress", call("GenerateContent", "Gemini", model=G)).startswith(
        f"POST https://aiplatform.googleapis.com{VX}/{G}:generateContent?key="
    )
    adapter = build_channel("vertexexpress")
    with pytest.raises(UnsupportedUpstreamRoute):
        adapter.target(call("ModelList", "Gemini", model=None), SECRETS["vertexexpress"])
    assert adapter.supports(route("ModelList", "Gemini"))  # answered locally
    assert not adapter.supports(route("Embedding", "Gemini"))


P = "/v1beta1/projects/proj-1/locations/us-central1"
VERTEX_CASES = [
    (
        call("GenerateContent", "Gemini", model=G),
        f"POST {P}/publishers/google/models/{G}:generateContent",
    ),
    (
        call("StreamGenerateContent", "Gemini", model=f"models/{G}"),
        f"POST {P}/publishers/google/models/{G}:streamGenerateContent?alt=sse",
    ),
    (
        call("StreamGenerateContent", "GeminiNDJson", model=G),
        f"POST {P}/publishers/google/models/{G}:streamGenerateContent",
    ),
    (call("CountToken", "Gemini", model=G), f"POST {P}/publishers/google/models/{G}:countTokens"),
    (
        call("Embedding", "Gemini", model="text-embedding-005"),
        f"POST {P}/publishers/google/models/text-embedding-005:predict",
    ),
    (
        call("Embedding", "Gemini", model="text-embedding-005", body={"requests": []}, batch=True),
        f"POST {P}/publishers/google/models/text-embedding-005:predict",
    ),
    (call("ModelList", "Gemini", model=None), "GET /v1beta1/publishers/google/models"),
    (
        call("ModelList", "Gemini", model=None, query={"pageSize": "3"}),
        "GET /v1beta1/publishers/google/models?pageSize=3",
    ),
    (call("ModelGet", "Gemini", model=f"models/{G}"), f"GET /v1beta1/publishers/google/models/{G}"),
    (
        call("GenerateContent", "OpenAiChatCompletion"),
        f"POST {P}/endpoints/openapi/chat/completions",
    ),
    (
        call("StreamGenerateContent", "OpenAiChatCompletion"),
        f"POST {P}/endpoints/openapi/chat/completions",
    ),
]


@pytest.mark.parametrize(("c", "expected"), VERTEX_CASES)
def test_vertex_routes(c: UpstreamCall, expected: str) -> None:
    method, path = expected.split(" ")
    assert url_of("vertex", c, {"base_url": LOOPBACK}) == f"{method} {LOOPBACK}{path}"


@pytest.mark.parametrize(
    ("settings", "prefix"),
    [
        (
            {},
            "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/proj-1/locations/us-central1",
        ),
        (
            {"location": "europe-west4"},
            "https://europe-west4-aiplatform.googleapis.com/v1beta1/projects/proj-1/locations/europe-west4",
        ),
        (
            {"location": "global"},
            "https://aiplatform.googleapis.com/v1beta1/projects/proj-1/locations/global",
        ),
        (
            {"base_url": "https://aiplatform.googleapis.com", "location": "asia-east1"},
            "https://asia-east1-aiplatform.googleapis.com/v1beta1/projects/proj-1/locations/asia-east1",
        ),
        (
            {"base_url": LOOPBACK + "/v1beta1", "location": "asia-east1"},
            LOOPBACK + "/v1beta1/projects/proj-1/locations/asia-east1",
        ),
    ],
)
def test_vertex_host_and_location(settings: dict[str, Any], prefix: str) -> None:
    assert url_of("vertex", call("GenerateContent", "Gemini", model=G), settings) == (
        f"POST {prefix}/publishers/google/models/{G}:generateContent"
    )


def test_vertex_bad_location() -> None:
    with pytest.raises(InvalidInput, match="location"):
        build_channel("vertex", {"location": "us/central"})


def test_vertex_needs_project_and_token() -> None:
    adapter = build_channel("vertex")
    secret = {"Builtin": {"Vertex": {"client_email": "a@b", "private_key": "k"}}}
    with pytest.raises(InvalidInput, match="project_id"):
        adapter.build(call("GenerateContent", "Gemini", model=G), secret, access_token="t")
    with pytest.raises(InvalidInput, match="usable secret"):
        adapter.build(call("GenerateContent", "Gemini", model=G), VERTEX_SECRET)


NVIDIA_CASES = [
    (call("ModelList", "OpenAi", model=None), "GET /v1/models"),
    (
        call("ModelGet", "OpenAi", model="meta/llama-3.1-8b-instruct"),
        "GET /v1/models/meta/llama-3.1-8b-instruct",
    ),
    (call("GenerateContent", "OpenAiChatCompletion"), "POST /v1/chat/completions"),
    (call("StreamGenerateContent", "OpenAiChatCompletion"), "POST /v1/chat/completions"),
    (call("Embedding", "OpenAi"), "POST /v1/embeddings"),
]


@pytest.mark.parametrize(("c", "expected"), NVIDIA_CASES)
@pytest.mark.parametrize("suffix", ["", "/v1"])
def test_nvidia_routes(c: UpstreamCall, expected: str, suffix: str) -> None:
    method, path = expected.split(" ")
    assert url_of("nvidia", c, {"base_url": LOOPBACK + suffix}) == f"{method} {LOOPBACK}{path}"


def test_nvidia_has_no_responses_api() -> None:
    adapter = build_channel("nvidia")
    assert not adapter.supports(route("GenerateContent", "OpenAi"))
    assert not adapter.supports(route("CountToken", "OpenAi"))


GROQ_CASES = [
    (call("ModelList", "OpenAi", model=None), "GET /openai/v1/models"),
    (
        call("ModelGet", "OpenAi", model="llama-3.3-70b-versatile"),
        "GET /openai/v1/models/llama-3.3-70b-versatile",
    ),
    (call("GenerateContent", "OpenAi"), "POST /openai/v1/responses"),
    (call("StreamGenerateContent", "OpenAi"), "POST /openai/v1/responses"),
    (call("GenerateContent", "OpenAiChatCompletion"), "POST /openai/v1/chat/completions"),
    (call("StreamGenerateContent", "OpenAiChatCompletion"), "POST /openai/v1/chat/completions"),
    (call("Embedding", "OpenAi"), "POST /openai/v1/embeddings"),
]


@pytest.mark.parametrize(("c", "expected"), GROQ_CASES)
@pytest.mark.parametrize("suffix", ["/openai", "/openai/v1"])
def test_groq_routes(c: UpstreamCall, expected: str, suffix: str) -> None:
    method, path = expected.split(" ")
    assert url_of("groq", c, {"base_url": LOOPBACK + suffix}) == f"{method} {LOOPBACK}{path}"


def test_groq_compact_is_not_upstream() -> None:
    assert not build_channel("groq").supports(route("Compact", "OpenAi"))


@pytest.mark.parametrize("suffix", ["", "/v1"])
def test_deepseek_routes(suffix: str) -> None:
    settings = {"base_url": LOOPBACK + suffix}
    for op in ("GenerateContent", "StreamGenerateContent"):
        assert url_of("deepseek", call(op, "OpenAiChatCompletion"), settings) == (
            f"POST {LOOPBACK}/v1/chat/completions"
        )
        assert url_of("deepseek", call(op, "Claude"), settings) == (
            f"POST {LOOPBACK}/anthropic/v1/messages"
        )
    adapter = build_channel("deepseek", settings)
    assert not adapter.supports(route("CountToken", "Claude"))
    assert not adapter.supports(route("GenerateContent", "OpenAi"))


CUSTOM_CASES = [
    (call("ModelList", "OpenAi", model=None), "GET /v1/models"),
    (call("ModelGet", "OpenAi", model="x"), "GET /v1/models/x"),
    (call("CountToken", "OpenAi"), "POST /v1/responses/input_tokens"),
    (call("GenerateContent", "OpenAi"), "POST /v1/responses"),
    (call("StreamGenerateContent", "OpenAiChatCompletion"), "POST /v1/chat/completions"),
    (call("Embedding", "OpenAi"), "POST /v1/embeddings"),
    (call("Compact", "OpenAi"), "POST /v1/responses/compact"),
    (call("ModelList", "Claude", model=None, query={"limit": "2"}), "GET /v1/models?limit=2"),
    (call("ModelGet", "Claude", model="c"), "GET /v1/models/c"),
    (call("CountToken", "Claude"), "POST /v1/messages/count_tokens"),
    (call("StreamGenerateContent", "Claude"), "POST /v1/messages"),
    (call("ModelList", "Gemini", model=None), "GET /v1beta/models"),
    (call("ModelGet", "Gemini", model="g"), "GET /v1beta/models/g"),
    (call("CountToken", "Gemini", model="g"), "POST /v1beta/models/g:countTokens"),
    (call("GenerateContent", "Gemini", model="g"), "POST /v1beta/models/g:generateContent"),
    (
        call("StreamGenerateContent", "Gemini", model="g"),
        "POST /v1beta/models/g:streamGenerateContent?alt=sse",
    ),
    (
        call("StreamGenerateContent", "GeminiNDJson", model="g"),
        "POST /v1beta/models/g:streamGenerateContent",
    ),
    (call("Embedding", "Gemini", model="g"), "POST /v1beta/models/g:embedContent"),
    (
        call("Embedding", "Gemini", model="g", body={"requests": []}, batch=True),
        "POST /v1beta/models/g:batchEmbedContents",
    ),
]


@pytest.mark.parametrize(("c", "expected"), CUSTOM_CASES)
@pytest.mark.parametrize("suffix", ["", "/v1"])
def test_custom_routes(c: UpstreamCall, expected: str, suffix: str) -> None:
    method, path = expected.split(" ")
    if suffix and path.startswith("/v1beta"):
        path = "/v1" + path  # only a duplicated /v1 segment is folded
    assert url_of("mycustom", c, {"base_url": LOOPBACK + suffix}) == f"{method} {LOOPBACK}{path}"


def test_custom_requires_base_url() -> None:
    with pytest.raises(InvalidInput, match="mycustom needs a base_url"):
        build_channel("mycustom", {})


def test_oauth_channels_are_not_built_yet() -> None:
    for channel in ("codex", "claudecode", "geminicli", "antigravity"):
        with pytest.raises(NotImplementedByGateway, match=channel):
            build_channel(channel)


def test_model_is_required_where_the_path_needs_it() -> None:
    with pytest.raises(InvalidInput, match="model is empty"):
        build_channel("aistudio").build(
            call("GenerateContent", "Gemini", model=" "), SECRETS["aistudio"]
        )
