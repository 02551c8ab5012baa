"""The Anthropic fake, judged by the official ``anthropic`` SDK pointed straight at it."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.fakes import Answer, AnthropicFake, Usage
from tests.fakes.base import RecordedRequest

MODEL = "claude-sonnet-4-6"
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture
def client(anthropic_fake: AnthropicFake) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=anthropic_fake.url, api_key=anthropic_fake.key, max_retries=0
    )


def _events(fake: AnthropicFake, body: dict[str, Any]) -> list[tuple[str, str]]:
    response = httpx.post(
        fake.url + "/v1/messages",
        headers={"x-api-key": fake.key, "anthropic-version": "2023-06-01"},
        json={**body, "stream": True},
    )
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    frames = [f for f in response.text.split("\n\n") if f]
    out = []
    for frame in frames:
        event_line, data_line = frame.split("\n")
        out.append((event_line.removeprefix("event: "), data_line.removeprefix("data: ")))
    return out


def test_messages_non_stream(client: anthropic.Anthropic, anthropic_fake: AnthropicFake) -> None:
    message = client.messages.create(
        model=MODEL,
        max_tokens=100,
        system="be terse",
        messages=[{"role": "user", "content": "hello claude"}],
    )
    assert message.type == "message" and message.role == "assistant"
    assert message.model == MODEL
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "echo: hello claude"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 3
    request = anthropic_fake.last_request
    # anthropic SDK 2.x sends the API key as a Bearer token, and a dated version header
    assert request.headers["authorization"] == f"Bearer {anthropic_fake.key}"
    assert request.key == anthropic_fake.key
    assert request.headers["anthropic-version"]
    assert request.json["system"] == "be terse"


def test_stream_with_sdk_helper(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "stream me"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "echo: stream me"
    assert final.content[0].text == text
    assert final.usage.output_tokens == 3


def test_stream_event_order(anthropic_fake: AnthropicFake) -> None:
    events = _events(
        anthropic_fake,
        {
            "model": MODEL,
            "max_tokens": 2000,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "tools": [WEATHER],
            "messages": [{"role": "user", "content": "get_weather please"}],
        },
    )
    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert '"type":"signature_delta"' in events[names.index("content_block_stop") - 1][1]
    tool_start = next(
        i for i, (n, d) in enumerate(events) if '"tool_use"' in d and n == "content_block_start"
    )
    assert events[tool_start + 1][1].endswith('"partial_json":""}}')
    assert '"stop_reason":"tool_use"' in events[-2][1]


def test_thinking_and_tool_use_round_trip(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL,
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=[WEATHER],
        messages=[{"role": "user", "content": "use the tool"}],
    ) as stream:
        first = stream.get_final_message()
    assert [b.type for b in first.content] == ["thinking", "tool_use"]
    assert first.content[0].signature
    tool_use = first.content[1]
    assert tool_use.id.startswith("toolu_01") and tool_use.input == {"city": "test"}
    assert first.stop_reason == "tool_use"
    second = client.messages.create(
        model=MODEL,
        max_tokens=2000,
        tools=[WEATHER],
        messages=[
            {"role": "user", "content": "use the tool"},
            {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": tool_use.id, "content": "18C sunny"}
                ],
            },
        ],
    )
    assert second.content[0].text == "tool result: 18C sunny"


def test_tool_pairing_errors(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="unexpected `tool_use_id`"):
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}],
                }
            ],
        )
    with pytest.raises(anthropic.BadRequestError, match="without `tool_result` blocks"):
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            messages=[
                {"role": "user", "content": "q"},
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}],
                },
                {"role": "user", "content": "no result"},
            ],
        )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"temperature": 1.5}, "temperature: Input should be less than or equal to 1"),
        ({"thinking": {"type": "enabled", "budget_tokens": 512}}, "greater than or equal to 1024"),
        (
            {"thinking": {"type": "enabled", "budget_tokens": 1024}},
            "must be greater than `thinking",
        ),
    ],
)
def test_parameter_errors(client: anthropic.Anthropic, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(anthropic.BadRequestError, match=message):
        client.messages.create(
            model=MODEL,
            max_tokens=1024,
            messages=[{"role": "user", "content": "x"}],
            extra_body=extra,
        )


def test_missing_fields_and_version(anthropic_fake: AnthropicFake) -> None:
    headers = {"x-api-key": anthropic_fake.key, "anthropic-version": "2023-06-01"}
    response = httpx.post(
        anthropic_fake.url + "/v1/messages",
        headers=headers,
        json={"model": MODEL, "messages": []},
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "max_tokens: Field required"
    no_version = httpx.post(
        anthropic_fake.url + "/v1/messages",
        headers={"x-api-key": anthropic_fake.key},
        json={"model": MODEL, "max_tokens": 5, "messages": []},
    )
    assert no_version.status_code == 400
    assert no_version.json()["error"]["message"] == "anthropic-version: header is required"


def test_count_tokens_matches_usage(client: anthropic.Anthropic) -> None:
    messages = [{"role": "user", "content": "count these words please"}]
    count = client.messages.count_tokens(model=MODEL, messages=messages, system="s")
    message = client.messages.create(model=MODEL, max_tokens=50, messages=messages, system="s")
    assert count.input_tokens == message.usage.input_tokens > 0


def test_cache_usage_rendering(client: anthropic.Anthropic, anthropic_fake: AnthropicFake) -> None:
    anthropic_fake.script(
        Answer(usage=Usage(100, 10, cache_read_tokens=60, cache_write_tokens=20)), times=2
    )
    message = client.messages.create(
        model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "x"}]
    )
    usage = message.usage
    assert (
        usage.input_tokens,
        usage.cache_read_input_tokens,
        usage.cache_creation_input_tokens,
    ) == (
        20,
        60,
        20,
    )
    with client.messages.stream(
        model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "x"}]
    ) as stream:
        streamed = stream.get_final_message().usage
    assert (streamed.input_tokens, streamed.cache_read_input_tokens, streamed.output_tokens) == (
        20,
        60,
        10,
    )


def test_models(client: anthropic.Anthropic, anthropic_fake: AnthropicFake) -> None:
    assert [m.id for m in client.models.list()] == anthropic_fake.models
    page = client.models.list(limit=1)
    assert [m.id for m in page.data] == anthropic_fake.models[:1]
    assert page.has_more is True
    assert client.models.retrieve(anthropic_fake.models[1]).type == "model"
    with pytest.raises(anthropic.NotFoundError, match="model: claude-nope"):
        client.models.retrieve("claude-nope")


def test_auth_errors(anthropic_fake: AnthropicFake) -> None:
    wrong = anthropic.Anthropic(base_url=anthropic_fake.url, api_key="sk-ant-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        wrong.models.list()
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        "request_id": caught.value.response.headers["request-id"],
    }
    api_key_header = httpx.get(
        anthropic_fake.url + "/v1/models",
        headers={"x-api-key": anthropic_fake.key, "anthropic-version": "2023-06-01"},
    )
    assert api_key_header.status_code == 200
    missing = httpx.get(
        anthropic_fake.url + "/v1/models", headers={"anthropic-version": "2023-06-01"}
    )
    assert missing.status_code == 401
    assert missing.json()["error"]["message"] == "x-api-key header is required"


def test_callable_script_sees_the_request(
    client: anthropic.Anthropic, anthropic_fake: AnthropicFake
) -> None:
    def answer(request: RecordedRequest) -> Answer:
        return Answer(text=f"model was {request.json['model']}")

    anthropic_fake.script(answer, route="messages")
    message = client.messages.create(
        model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "x"}]
    )
    assert message.content[0].text == f"model was {MODEL}"


def test_openai_compatible_chat(anthropic_fake: AnthropicFake) -> None:
    """Anthropic's OpenAI-compatible layer, where the default dispatch sends chat traffic."""
    client = openai.OpenAI(
        base_url=anthropic_fake.url + "/v1", api_key=anthropic_fake.key, max_retries=0
    )
    done = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "compat"}]
    )
    assert done.choices[0].message.content == "echo: compat"
    assert done.model == MODEL
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "compat"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream) == "echo: compat"
    request = anthropic_fake.last_request
    assert request.route == "chat"
    assert "anthropic-version" not in request.headers
