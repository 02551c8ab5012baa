"""The OpenAI fake, judged by the official ``openai`` SDK pointed straight at it."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.fakes import Answer, OpenAIFake, Usage

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
RESPONSES_TOOL = {"type": "function", "name": "get_weather", **WEATHER_TOOL["function"]}


@pytest.fixture
def client(openai_fake: OpenAIFake) -> openai.OpenAI:
    return openai.OpenAI(base_url=openai_fake.url + "/v1", api_key=openai_fake.key, max_retries=0)


def test_chat_non_stream(client: openai.OpenAI, openai_fake: OpenAIFake) -> None:
    done = client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": "be terse"},
            {"role": "user", "content": [{"type": "text", "text": "hello there"}]},
        ],
    )
    assert done.object == "chat.completion"
    assert done.model == "gpt-4o"
    assert done.choices[0].message.content == "echo: hello there"
    assert done.choices[0].finish_reason == "stop"
    assert done.usage is not None
    assert done.usage.completion_tokens == 3
    assert done.usage.total_tokens == done.usage.prompt_tokens + 3
    assert done.usage.prompt_tokens_details is not None
    assert done.usage.prompt_tokens_details.cached_tokens == 0
    request = openai_fake.last_request
    assert request.route == "chat"
    assert request.headers["authorization"] == f"Bearer {openai_fake.key}"
    assert request.json["messages"][0] == {"role": "system", "content": "be terse"}
    assert not request.scripted


def test_chat_stream_usage_chunk_only_when_asked(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "stream this"}]
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: stream this"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
    assert all(c.usage is None for c in chunks[:-1])

    plain = list(client.chat.completions.create(model="gpt-4o", messages=messages, stream=True))
    assert all(c.choices for c in plain)
    assert all(c.usage is None for c in plain)


def test_chat_stream_wire_format(openai_fake: OpenAIFake) -> None:
    response = httpx.post(
        openai_fake.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {openai_fake.key}"},
        json={"model": "m", "messages": [{"role": "user", "content": "a"}], "stream": True},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert all(e.startswith("data: ") for e in events if e)
    assert events[-2:] == ["data: [DONE]", ""]
    assert "event:" not in response.text


def test_chat_tool_call_round_trip(client: openai.OpenAI) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "Use get_weather for Paris"}]
    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "test"}
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "18C sunny"})
    second = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].message.content == "tool result: 18C sunny"


def test_chat_streamed_tool_call_assembles(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "weather please"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
        stream=True,
    )
    name, arguments, ids = "", "", set()
    finish = None
    for chunk in stream:
        choice = chunk.choices[0]
        for delta in choice.delta.tool_calls or []:
            assert delta.index == 0
            if delta.id:
                ids.add(delta.id)
            name += (delta.function and delta.function.name) or ""
            arguments += (delta.function and delta.function.arguments) or ""
        finish = choice.finish_reason or finish
    assert (name, json.loads(arguments), finish) == ("get_weather", {"city": "test"}, "tool_calls")
    assert len(ids) == 1


def test_chat_conversation_errors_like_openai(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="must be a response to a preceeding message"):
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "tool", "tool_call_id": "x", "content": "r"}]
        )
    with pytest.raises(openai.BadRequestError, match="did not have response messages: call_1"):
        client.chat.completions.create(
            model="gpt-4o",
            messages=[
                {"role": "user", "content": "q"},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "user", "content": "again"},
            ],
        )
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[])
    assert caught.value.body["param"] == "messages"


def test_chat_max_tokens_finishes_with_length(client: openai.OpenAI) -> None:
    done = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "one two three four"}],
        max_completion_tokens=2,
    )
    assert done.choices[0].finish_reason == "length"
    assert done.choices[0].message.content == "echo: one"


def test_responses_non_stream(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="hi responses", instructions="terse")
    assert response.status == "completed"
    assert response.output_text == "echo: hi responses"
    assert response.instructions == "terse"
    assert response.usage is not None
    assert response.usage.output_tokens == 3
    assert response.usage.input_tokens_details.cached_tokens == 0


def test_responses_stream_event_sequence(client: openai.OpenAI) -> None:
    with client.responses.stream(
        model="gpt-5",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "think then say"}]}],
        reasoning={"effort": "low", "summary": "auto"},
        include=["reasoning.encrypted_content"],
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = [e.type for e in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    assert "response.reasoning_summary_text.delta" in types
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert final.output_text == "echo: think then say"
    reasoning = final.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.summary[0].text == "Thinking about: think then say"
    assert reasoning.encrypted_content
    assert final.usage is not None and final.usage.output_tokens_details.reasoning_tokens == 5


def test_responses_tool_call_round_trip(client: openai.OpenAI) -> None:
    first = client.responses.create(
        model="gpt-4o",
        input="call the tool",
        tools=[RESPONSES_TOOL],
    )
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather"
    assert call.id.startswith("fc_") and call.call_id.startswith("call_")
    with client.responses.stream(
        model="gpt-4o",
        input=[
            {"role": "user", "content": "call the tool"},
            call.model_dump(exclude_none=True),
            {"type": "function_call_output", "call_id": call.call_id, "output": "18C"},
        ],
        tools=[RESPONSES_TOOL],
    ) as stream:
        final = stream.get_final_response()
    assert final.output_text == "tool result: 18C"
    with pytest.raises(openai.BadRequestError, match="No tool call found"):
        client.responses.create(
            model="gpt-4o",
            input=[{"type": "function_call_output", "call_id": "call_x", "output": "?"}],
        )


def test_responses_streamed_function_call(client: openai.OpenAI) -> None:
    with client.responses.stream(
        model="gpt-4o",
        input="weather",
        tools=[RESPONSES_TOOL],
        tool_choice={"type": "function", "name": "get_weather"},
    ) as stream:
        types = [e.type for e in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.delta" in types
    assert "response.function_call_arguments.done" in types
    (call,) = final.output
    assert call.type == "function_call"
    assert json.loads(call.arguments) == {"city": "test"}


def test_responses_incomplete_on_output_limit(client: openai.OpenAI) -> None:
    response = client.responses.create(model="gpt-4o", input="a b c d", max_output_tokens=2)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"


def test_input_tokens_and_compact(client: openai.OpenAI) -> None:
    count = client.responses.input_tokens.count(model="gpt-4o", input="hello")
    created = client.responses.create(model="gpt-4o", input="hello")
    assert count.input_tokens == created.usage.input_tokens
    compacted = client.responses.compact(
        model="gpt-4o",
        input=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "answer"},
            {"role": "user", "content": "second"},
        ],
    )
    assert compacted.object == "response.compaction"
    kinds = [item.type for item in compacted.output]
    assert kinds == ["message", "message", "compaction"]
    assert compacted.output[-1].encrypted_content


def test_embeddings_float_and_base64(client: openai.OpenAI, openai_fake: OpenAIFake) -> None:
    default = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert openai_fake.last_request.json["encoding_format"] == "base64"
    assert [d.index for d in default.data] == [0, 1]
    assert len(default.data[0].embedding) == 1536
    floats = client.embeddings.create(
        model="text-embedding-3-small", input="a", dimensions=8, encoding_format="float"
    )
    assert len(floats.data[0].embedding) == 8
    assert floats.usage.prompt_tokens == 1
    again = client.embeddings.create(model="text-embedding-3-small", input="a", dimensions=8)
    assert again.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)


def test_models_list_and_retrieve(client: openai.OpenAI, openai_fake: OpenAIFake) -> None:
    assert [m.id for m in client.models.list()] == openai_fake.models
    assert client.models.retrieve("gpt-4o").owned_by == "openai"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-nope")
    assert caught.value.body["code"] == "model_not_found"
    openai_fake.models = ["only-one"]
    assert [m.id for m in client.models.list()] == ["only-one"]


def test_wrong_and_missing_key(openai_fake: OpenAIFake) -> None:
    wrong = openai.OpenAI(
        base_url=openai_fake.url + "/v1", api_key="sk-wrong-key-1234", max_retries=0
    )
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.models.list()
    assert caught.value.status_code == 401
    assert caught.value.body["code"] == "invalid_api_key"
    assert "sk-**********1234" in caught.value.message
    missing = httpx.get(openai_fake.url + "/v1/models")
    assert missing.status_code == 401
    assert missing.json()["error"]["message"].startswith("You didn't provide an API key")


def test_any_key_mode_and_bad_json(openai_fake: OpenAIFake) -> None:
    openai_fake.keys = None
    ok = httpx.get(openai_fake.url + "/v1/models", headers={"Authorization": "Bearer whatever"})
    assert ok.status_code == 200
    bad = httpx.post(
        openai_fake.url + "/v1/chat/completions",
        headers={"Authorization": "Bearer whatever"},
        content=b"{not json",
    )
    assert bad.status_code == 400
    assert "could not parse the JSON body" in bad.json()["error"]["message"]
    unknown = httpx.post(openai_fake.url + "/v1/nothing", headers={"Authorization": "Bearer x"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == "Invalid URL (POST /v1/nothing)"


def test_scripted_usage_with_cache_fields(client: openai.OpenAI, openai_fake: OpenAIFake) -> None:
    openai_fake.script(
        Answer(usage=Usage(100, 20, cache_read_tokens=64, reasoning_tokens=5)), route="chat"
    )
    done = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}]
    )
    usage = done.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (100, 20, 120)
    assert usage.prompt_tokens_details.cached_tokens == 64
    assert usage.completion_tokens_details.reasoning_tokens == 5
    assert openai_fake.last_request.scripted


async def test_async_client(openai_fake: OpenAIFake) -> None:
    client = openai.AsyncOpenAI(
        base_url=openai_fake.url + "/v1", api_key=openai_fake.key, max_retries=0
    )
    async with client:
        stream = await client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "async"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream])
    assert text == "echo: async"
