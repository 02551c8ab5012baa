"""Every entrance × every upstream protocol × stream or not, judged by the official SDKs.

The fakes answer ``echo: <last user text>``; whatever protocol the gateway translated through,
the SDK must read exactly that text, a sane finish reason and the usage the upstream reported.
"""

from __future__ import annotations

import pytest

from tests.e2e.clients import (
    ENTRANCES,
    anthropic_client,
    gemini_client,
    model_for,
    openai_client,
)
from tests.e2e.conftest import UPSTREAMS, GatewayEnv

PROMPT = "hello there"
EXPECTED = f"echo: {PROMPT}"


def ask(env: GatewayEnv, entrance: str, provider: str, *, stream: bool, scoped: bool) -> str:
    """One generation through ``entrance``; returns the text the SDK read."""
    model = model_for(provider, scoped)
    where = provider if scoped else None
    if entrance == "chat":
        client = openai_client(env, where)
        messages = [{"role": "user", "content": PROMPT}]
        if not stream:
            chat = client.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]
            assert chat.choices[0].finish_reason == "stop"
            assert chat.usage is not None and chat.usage.completion_tokens > 0
            return chat.choices[0].message.content or ""
        chunks = client.chat.completions.create(
            model=model,
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
        text, finish, usage = "", None, None
        for chunk in chunks:
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
        assert finish == "stop"
        assert usage is not None and usage.completion_tokens > 0
        return text
    if entrance == "responses":
        client = openai_client(env, where)
        if not stream:
            response = client.responses.create(model=model, input=PROMPT)
            assert response.status == "completed"
            assert response.usage is not None and response.usage.output_tokens > 0
            return response.output_text
        with client.responses.stream(model=model, input=PROMPT) as events:
            for _ in events:
                pass
            final = events.get_final_response()
        assert final.status == "completed"
        return final.output_text
    if entrance == "messages":
        client = anthropic_client(env, where)
        messages = [{"role": "user", "content": PROMPT}]
        if not stream:
            message = client.messages.create(model=model, max_tokens=256, messages=messages)  # type: ignore[arg-type]
            assert message.stop_reason == "end_turn"
            assert message.usage.output_tokens > 0
            return "".join(b.text for b in message.content if b.type == "text")
        with client.messages.stream(model=model, max_tokens=256, messages=messages) as events:  # type: ignore[arg-type]
            text = "".join(events.text_stream)
            final = events.get_final_message()
        assert final.stop_reason == "end_turn"
        assert final.usage.output_tokens > 0
        return text
    gclient = gemini_client(env, where)
    if not stream:
        answer = gclient.models.generate_content(model=model, contents=PROMPT)
        assert answer.usage_metadata is not None
        return answer.text or ""
    return "".join(
        chunk.text or ""
        for chunk in gclient.models.generate_content_stream(model=model, contents=PROMPT)
    )


@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
@pytest.mark.parametrize("upstream", UPSTREAMS)
@pytest.mark.parametrize("entrance", ENTRANCES)
def test_every_entrance_reaches_every_upstream(
    env: GatewayEnv, entrance: str, upstream: str, stream: bool
) -> None:
    assert ask(env, entrance, upstream, stream=stream, scoped=True) == EXPECTED


@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
@pytest.mark.parametrize(
    ("entrance", "upstream"),
    [
        ("chat", "oai"),
        ("responses", "oai"),
        ("messages", "claude"),
        ("gemini", "studio"),
        ("chat", "claude"),  # Anthropic's OpenAI-compatible /v1/chat/completions
        ("chat", "studio"),  # AI Studio's /v1beta/openai layer
    ],
)
def test_native_passthrough(env: GatewayEnv, entrance: str, upstream: str, stream: bool) -> None:
    assert ask(env, entrance, upstream, stream=stream, scoped=True) == EXPECTED


@pytest.mark.parametrize("stream", [False, True], ids=["body", "stream"])
@pytest.mark.parametrize(
    ("entrance", "upstream"),
    [("chat", "anth"), ("responses", "gem"), ("messages", "chat"), ("gemini", "resp")],
)
def test_unscoped_routes_take_the_provider_from_the_model(
    env: GatewayEnv, entrance: str, upstream: str, stream: bool
) -> None:
    assert ask(env, entrance, upstream, stream=stream, scoped=False) == EXPECTED


def test_gemini_sdk_default_api_version_v1(env: GatewayEnv) -> None:
    client = gemini_client(env, "anth", api_version="v1")
    assert client.models.generate_content(model="claude-x", contents=PROMPT).text == EXPECTED


def bridge_dispatch() -> dict[str, object]:
    """A table that makes every bridge happen: non-stream Chat callers are served by a
    *streamed* Responses call (aggregated, as for stream-only upstreams like Codex), stream
    Chat callers by a *non-stream* Anthropic call (synthesized into a stream)."""

    def to(operation: str, protocol: str) -> dict[str, object]:
        return {"TransformTo": {"destination": {"operation": operation, "protocol": protocol}}}

    return {
        "rules": [
            {
                "route": {"operation": "GenerateContent", "protocol": "OpenAiChatCompletion"},
                "implementation": to("StreamGenerateContent", "OpenAi"),
            },
            {
                "route": {
                    "operation": "StreamGenerateContent",
                    "protocol": "OpenAiChatCompletion",
                },
                "implementation": to("GenerateContent", "Claude"),
            },
        ]
    }


@pytest.fixture
def bridged(env: GatewayEnv) -> str:
    if "bridge" not in env.providers:
        env.add_provider(
            "bridge",
            "bridgeup",
            {"base_url": env.fakes.openai.url, "protocol": "openai"},
            ["sk-bridge"],
            dispatch=bridge_dispatch(),
        )
    return "bridge"


def test_stream_only_upstream_is_aggregated_for_a_non_stream_caller(
    env: GatewayEnv, bridged: str
) -> None:
    client = openai_client(env, bridged)
    chat = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": PROMPT}]
    )
    assert chat.choices[0].message.content == EXPECTED
    assert chat.usage is not None and chat.usage.completion_tokens > 0
    (sent,) = env.fakes.openai.requests_to("responses")
    assert sent.json["stream"] is True


def test_non_stream_upstream_is_synthesized_for_a_stream_caller(env: GatewayEnv) -> None:
    if "bridge-an" not in env.providers:  # the same table on an Anthropic-shaped upstream
        env.add_provider(
            "bridge-an",
            "bridgeup",
            {"base_url": env.fakes.anthropic.url, "protocol": "anthropic"},
            ["sk-bridge-an"],
            dispatch=bridge_dispatch(),
        )
    client = openai_client(env, "bridge-an")
    text = "".join(
        choice.delta.content or ""
        for chunk in client.chat.completions.create(
            model="claude-x", messages=[{"role": "user", "content": PROMPT}], stream=True
        )
        for choice in chunk.choices
    )
    assert text == EXPECTED
    (sent,) = env.fakes.anthropic.requests_to("messages")
    assert not sent.json.get("stream")
