"""Scripts, replays and stream lifecycles, seen through the official SDKs and raw httpx."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors, types

from tests.conftest import RECORDED
from tests.fakes import (
    Answer,
    AnthropicFake,
    Chunk,
    GeminiFake,
    OpenAIFake,
    Reply,
    replay,
    replay_exchange,
    serving,
)
from tests.fakes.fixtures import StartFake

CHAT_BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def _openai(fake: OpenAIFake, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.url + "/v1", api_key=key or fake.key, max_retries=0)


def _auth(fake: OpenAIFake) -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.key}"}


# --- scripted errors --------------------------------------------------------------------------


def test_openai_429_with_retry_after_reaches_the_sdk(openai_fake: OpenAIFake) -> None:
    openai_fake.script(openai_fake.error(429, retry_after=7), route="chat")
    client = _openai(openai_fake)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.body["code"] == "rate_limit_exceeded"
    ok = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert ok.choices[0].message.content == "echo: x"
    assert openai_fake.pending_scripts == 0


def test_anthropic_429_and_529(anthropic_fake: AnthropicFake) -> None:
    anthropic_fake.script(anthropic_fake.error(429, retry_after=3), anthropic_fake.error(529))
    client = anthropic.Anthropic(
        base_url=anthropic_fake.url, api_key=anthropic_fake.key, max_retries=0
    )
    body = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "x"}],
    }
    with pytest.raises(anthropic.RateLimitError) as limited:
        client.messages.create(**body)
    assert limited.value.response.headers["retry-after"] == "3"
    assert limited.value.response.headers["x-should-retry"] == "true"
    with pytest.raises(anthropic.APIStatusError) as overloaded:
        client.messages.create(**body)
    assert overloaded.value.status_code == 529
    assert overloaded.value.body["error"]["type"] == "overloaded_error"


def test_gemini_429_carries_retry_info(gemini_fake: GeminiFake) -> None:
    gemini_fake.script(gemini_fake.error(429, retry_after=30))
    client = genai.Client(
        api_key=gemini_fake.key,
        http_options=types.HttpOptions(
            base_url=gemini_fake.url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model="gemini-2.5-flash", contents="x")
    assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"
    (detail,) = caught.value.details["error"]["details"]
    assert detail == {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}


def test_scripts_by_key_route_and_times(start_fake: StartFake) -> None:
    fake = start_fake(OpenAIFake(keys=["k1", "k2"]))
    fake.script(fake.error(429, retry_after=1), key="k1", times=None)
    fake.script(Answer(text="scripted once"), route="chat")
    one, two = _openai(fake, "k1"), _openai(fake, "k2")
    messages = [{"role": "user", "content": "q"}]
    for _ in range(3):
        with pytest.raises(openai.RateLimitError):
            one.chat.completions.create(model="m", messages=messages)
    assert [m.id for m in two.models.list()][0] == "gpt-4o"  # route-limited script not used
    first = two.chat.completions.create(model="m", messages=messages)
    second = two.chat.completions.create(model="m", messages=messages)
    assert first.choices[0].message.content == "scripted once"
    assert second.choices[0].message.content == "echo: q"
    assert [r.key for r in fake.requests_to("chat")] == ["k1", "k1", "k1", "k2", "k2"]
    assert [r.status for r in fake.requests_to("chat")] == [429, 429, 429, 200, 200]
    with pytest.raises(ValueError, match="no route 'nope'"):
        fake.script(Answer(), route="nope")


def test_exchange_replay_drives_an_sdk_retry_sequence(anthropic_fake: AnthropicFake) -> None:
    replies = replay_exchange(RECORDED / "anthropic" / "exchange_429_429_then_200_stream.json")
    anthropic_fake.script(*replies, route="messages")
    client = anthropic.Anthropic(
        base_url=anthropic_fake.url, api_key=anthropic_fake.key, max_retries=0
    )
    body: dict[str, Any] = {
        "model": "m",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "x"}],
    }
    for _ in range(2):
        with pytest.raises(anthropic.RateLimitError):
            client.messages.create(**body)
    with client.messages.stream(**body) as stream:
        text = "".join(stream.text_stream)
    assert text == "[12345,67890]"


# --- replays of recorded fixtures -------------------------------------------------------------


def test_replay_is_byte_for_byte(openai_fake: OpenAIFake) -> None:
    path = RECORDED / "openai" / "chat_text_stream.sse"
    openai_fake.script(replay(path, split=37))
    with httpx.stream(
        "POST", openai_fake.url + "/v1/chat/completions", json=CHAT_BODY, headers=_auth(openai_fake)
    ) as response:
        body = response.read()
    assert body == path.read_bytes()
    assert openai_fake.last_request.chunks_sent == -(-len(body) // 37)


def test_replayed_fixtures_parse_in_the_sdks(
    openai_fake: OpenAIFake, anthropic_fake: AnthropicFake, gemini_fake: GeminiFake
) -> None:
    openai_fake.script(replay(RECORDED / "openai" / "chat_text_stream.sse"), route="chat")
    openai_fake.script(replay(RECORDED / "openai" / "responses_text_stream.sse"), route="responses")
    client = _openai(openai_fake)
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "x"}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("I'm unable to provide real-time weather updates.")
    with client.responses.stream(model="gpt-4o", input="x") as stream:
        final = stream.get_final_response()
    assert final.status == "completed" and final.output_text

    anthropic_fake.script(replay(RECORDED / "anthropic" / "text_stream.sse"))
    claude = anthropic.Anthropic(
        base_url=anthropic_fake.url, api_key=anthropic_fake.key, max_retries=0
    )
    with claude.messages.stream(
        model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
    ) as stream:
        message = stream.get_final_message()
    assert message.content[0].text.endswith("a nice sunny day!")
    assert message.usage.output_tokens == 38

    gemini_fake.script(replay(RECORDED / "gemini" / "text_stream.sse"))
    gemini_fake.script(replay(RECORDED / "gemini" / "text.json"))
    google = genai.Client(api_key=gemini_fake.key, http_options={"base_url": gemini_fake.url})
    streamed = "".join(
        c.text or ""
        for c in google.models.generate_content_stream(model="gemini-2.0-flash", contents="x")
    )
    assert streamed == "The capital of Wyoming is **Cheyenne**.\n"
    whole = google.models.generate_content(model="gemini-2.0-flash", contents="x")
    assert "Mountain View" in (whole.text or "")


# --- stream lifecycles ------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", ["openai", "anthropic", "gemini"])
def test_client_disconnect_is_seen_with_a_timestamp(
    vendor: str,
    openai_fake: OpenAIFake,
    anthropic_fake: AnthropicFake,
    gemini_fake: GeminiFake,
) -> None:
    fake, path, headers, body = {
        "openai": (openai_fake, "/v1/chat/completions", _auth(openai_fake), CHAT_BODY),
        "anthropic": (
            anthropic_fake,
            "/v1/messages",
            {"x-api-key": anthropic_fake.key, "anthropic-version": "2023-06-01"},
            {
                "model": "m",
                "max_tokens": 9,
                "stream": True,
                "messages": [{"role": "user", "content": "x"}],
            },
        ),
        "gemini": (
            gemini_fake,
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            {"x-goog-api-key": gemini_fake.key},
            {"contents": [{"parts": [{"text": "x"}]}]},
        ),
    }[vendor]
    fake.script(Answer(endless=True, endless_interval=0.01))
    with (
        httpx.Client() as client,
        client.stream("POST", fake.url + path, json=body, headers=headers) as response,
    ):
        frames = response.iter_raw()
        for _ in range(5):
            assert next(frames)
        closed_at = time.monotonic()
    request = fake.last_request
    assert request.wait_ended(timeout=5)
    assert request.outcome == "disconnected" and request.disconnected
    assert request.disconnected_at is not None and request.disconnected_at >= closed_at
    assert request.chunks_sent >= 5
    assert fake.active_responses == 0


async def test_async_sdk_disconnect(openai_fake: OpenAIFake) -> None:
    openai_fake.script(Answer(endless=True, endless_interval=0.01))
    client = openai.AsyncOpenAI(
        base_url=openai_fake.url + "/v1", api_key=openai_fake.key, max_retries=0
    )
    async with client:
        stream = await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "x"}], stream=True
        )
        received = 0
        async for _ in stream:
            received += 1
            if received == 4:
                break
        await stream.close()
    request = await openai_fake.wait_for_request_async(route="chat")
    async with asyncio.timeout(5):
        await request.wait_ended_async()
    assert request.outcome == "disconnected"


def test_disconnect_during_the_delay_before_headers(openai_fake: OpenAIFake) -> None:
    openai_fake.script(Answer(delay=30))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            openai_fake.url + "/v1/chat/completions",
            json=CHAT_BODY,
            headers=_auth(openai_fake),
            timeout=0.3,
        )
    request = openai_fake.last_request
    assert request.wait_ended(timeout=5)
    assert request.outcome == "disconnected"
    assert request.status is None  # nothing was ever sent


def _messages(exc: BaseException) -> str:
    """Every message down an exception's cause chain (the SDKs wrap transport errors)."""
    out: list[str] = []
    seen: BaseException | None = exc
    while seen is not None:
        out.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    return " | ".join(out)


@pytest.mark.parametrize("vendor", ["openai", "anthropic"])
def test_abort_mid_stream_breaks_the_sdk(
    vendor: str, openai_fake: OpenAIFake, anthropic_fake: AnthropicFake
) -> None:
    if vendor == "openai":
        openai_fake.script(Answer(abort_after=2))
        with pytest.raises(openai.APIConnectionError) as caught:
            list(
                _openai(openai_fake).chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "a b c"}], stream=True
                )
            )
        message, request = _messages(caught.value), openai_fake.last_request
    else:
        anthropic_fake.script(Answer(abort_after=3))
        client = anthropic.Anthropic(
            base_url=anthropic_fake.url, api_key=anthropic_fake.key, max_retries=0
        )
        # the anthropic SDK lets the transport's own error through
        with (
            pytest.raises(Exception) as caught_any,
            client.messages.stream(
                model="m", max_tokens=9, messages=[{"role": "user", "content": "x"}]
            ) as stream,
        ):
            stream.get_final_message()
        message, request = _messages(caught_any.value), anthropic_fake.last_request
    assert "incomplete chunked read" in message
    assert request.wait_ended(timeout=5)
    assert request.outcome == "aborted"
    assert request.chunks_sent == (2 if vendor == "openai" else 3)


def test_timed_chunks_arrive_separately(openai_fake: OpenAIFake) -> None:
    openai_fake.script(
        Reply(chunks=[b"data: {}\n\n", Chunk(b"data: [DONE]\n\n", delay=0.2)], chunk_delay=0.05)
    )
    with httpx.stream(
        "POST", openai_fake.url + "/v1/chat/completions", json=CHAT_BODY, headers=_auth(openai_fake)
    ) as response:
        pieces = list(response.iter_raw())
    assert pieces == [b"data: {}\n\n", b"data: [DONE]\n\n"]
    assert openai_fake.last_request.outcome == "completed"


async def test_reset_cuts_endless_streams(openai_fake: OpenAIFake) -> None:
    openai_fake.script(Answer(endless=True))
    async with httpx.AsyncClient() as client:
        async with client.stream(
            "POST",
            openai_fake.url + "/v1/chat/completions",
            json=CHAT_BODY,
            headers=_auth(openai_fake),
        ) as response:
            frames = response.aiter_raw()
            await anext(frames)
            request = openai_fake.last_request
            await asyncio.to_thread(openai_fake.reset)
            with pytest.raises(httpx.RemoteProtocolError):
                async for _ in frames:
                    pass
    assert request.outcome == "cancelled"
    assert openai_fake.requests == []


def test_stop_does_not_hang_on_an_endless_stream() -> None:
    fake = OpenAIFake()
    with serving(fake) as server:
        fake.script(Answer(endless=True))
        client = httpx.Client()
        response = client.send(
            client.build_request(
                "POST", server.url + "/v1/chat/completions", json=CHAT_BODY, headers=_auth(fake)
            ),
            stream=True,
        )
        frames = response.iter_raw()  # keep it: a dropped iterator closes the response
        assert next(frames)
    assert fake.last_request.outcome == "cancelled"
    response.close()
    client.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/v1/models")


def test_wait_for_request_times_out_with_a_message(openai_fake: OpenAIFake) -> None:
    with pytest.raises(TimeoutError, match="0 of 1 request"):
        openai_fake.wait_for_request(route="chat", timeout=0.05)
    with pytest.raises(AssertionError, match="received no request"):
        _ = openai_fake.last_request
