"""The Gemini fake, judged by the official ``google-genai`` SDK pointed straight at it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from google import genai
from google.genai import errors, types

from tests.fakes import Answer, GeminiFake, Usage
from tests.fakes.gemini import DUMMY_SIGNATURES


@pytest.fixture
def client(gemini_fake: GeminiFake) -> genai.Client:
    return genai.Client(
        api_key=gemini_fake.key,
        http_options=types.HttpOptions(
            base_url=gemini_fake.url,
            api_version="v1beta",
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )


def _post(fake: GeminiFake, path: str, body: dict[str, Any], **params: str) -> httpx.Response:
    return httpx.post(
        fake.url + path, headers={"x-goog-api-key": fake.key}, params=params, json=body
    )


def test_generate_content(client: genai.Client, gemini_fake: GeminiFake) -> None:
    response = client.models.generate_content(
        model="gemini-2.5-flash",
        contents="hello gemini",
        config=types.GenerateContentConfig(system_instruction="be terse"),
    )
    assert response.text == "echo: hello gemini"
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    usage = response.usage_metadata
    assert usage is not None
    assert usage.candidates_token_count == 3
    assert usage.total_token_count == (usage.prompt_token_count or 0) + 3
    request = gemini_fake.last_request
    assert request.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert request.route == "generateContent"
    assert request.params["model"] == "gemini-2.5-flash"
    assert request.headers["x-goog-api-key"] == gemini_fake.key
    assert request.json["systemInstruction"]["parts"] == [{"text": "be terse"}]


def test_default_sdk_api_version_is_v1(gemini_fake: GeminiFake) -> None:
    client = genai.Client(api_key=gemini_fake.key, http_options={"base_url": gemini_fake.url})
    assert (
        client.models.generate_content(model="gemini-2.5-flash", contents="v1?").text == "echo: v1?"
    )
    assert gemini_fake.last_request.path == "/v1/models/gemini-2.5-flash:generateContent"


def test_stream_sse(client: genai.Client, gemini_fake: GeminiFake) -> None:
    chunks = list(
        client.models.generate_content_stream(
            model="gemini-2.5-flash",
            contents="stream me",
            config=types.GenerateContentConfig(
                thinking_config=types.ThinkingConfig(include_thoughts=True)
            ),
        )
    )
    parts = [p for c in chunks for p in (c.candidates or [])[0].content.parts or []]
    thoughts = "".join(p.text or "" for p in parts if p.thought)
    answer = "".join(p.text or "" for p in parts if not p.thought)
    assert thoughts == "Thinking about: stream me"
    assert answer == "echo: stream me"
    last = chunks[-1]
    assert last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata.thoughts_token_count == 4
    assert all(c.candidates[0].finish_reason is None for c in chunks[:-1])
    assert gemini_fake.last_request.query == {"alt": "sse"}


def test_stream_wire_formats(gemini_fake: GeminiFake) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "a b"}]}]}
    sse = _post(
        gemini_fake, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", body, alt="sse"
    )
    assert sse.headers["content-type"] == "text/event-stream"
    frames = sse.text.split("\r\n\r\n")
    assert frames[-1] == "" and all(f.startswith("data: {") for f in frames[:-1])
    assert "event:" not in sse.text and "[DONE]" not in sse.text

    with httpx.stream(
        "POST",
        gemini_fake.url + "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        headers={"x-goog-api-key": gemini_fake.key},
        json=body,
    ) as array:
        assert array.headers["content-type"].startswith("application/json")
        pieces = list(array.iter_raw())
    raw = b"".join(pieces)
    assert raw.startswith(b"[{") and raw.endswith(b"]")
    items = json.loads(raw)
    assert "".join(i["candidates"][0]["content"]["parts"][0]["text"] for i in items) == "echo: a b"
    assert len(pieces) > 1


def test_function_call_round_trip_with_afc(client: genai.Client, gemini_fake: GeminiFake) -> None:
    calls: list[str] = []

    def get_weather(city: str) -> str:
        """Weather for a city."""
        calls.append(city)
        return "18C sunny"

    response = client.models.generate_content(
        model="gemini-3-pro-preview",
        contents="call get_weather",
        config=types.GenerateContentConfig(tools=[get_weather]),
    )
    assert calls == ["test"]
    assert response.text == "tool result: 18C sunny"
    first, second = gemini_fake.requests_to("generateContent")
    declared = first.json["tools"][0]["functionDeclarations"][0]
    assert declared["name"] == "get_weather"
    echoed = second.json["contents"][1]["parts"][0]
    assert echoed["functionCall"] == {"name": "get_weather", "args": {"city": "test"}}
    assert echoed["thoughtSignature"]  # Gemini 3 signatures must come back


def _turn(signature: str | None) -> dict[str, Any]:
    call: dict[str, Any] = {"functionCall": {"name": "f", "args": {}}}
    if signature is not None:
        call["thoughtSignature"] = signature
    return {
        "contents": [
            {"role": "user", "parts": [{"text": "go"}]},
            {"role": "model", "parts": [call]},
            {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"r": 1}}}]},
        ]
    }


@pytest.mark.parametrize("signature", [None, "sig", *DUMMY_SIGNATURES])
def test_gemini3_thought_signature_rule(gemini_fake: GeminiFake, signature: str | None) -> None:
    response = _post(
        gemini_fake, "/v1beta/models/gemini-3-pro-preview:generateContent", _turn(signature)
    )
    if signature is None:
        assert response.status_code == 400
        assert "missing a thought_signature" in response.json()["error"]["message"]
    else:
        assert response.status_code == 200
    older = _post(gemini_fake, "/v1beta/models/gemini-2.5-flash:generateContent", _turn(None))
    assert older.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"contents": [], "stream": True}, 'Unknown name "stream"'),
        ({"contents": []}, "contents is not specified"),
        ({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}, "valid role"),
        ({"contents": [{"parts": [{"text": "x", "type": "text"}]}]}, 'Unknown name "type"'),
        (
            {"contents": [{"parts": [{"functionResponse": {"name": "f", "response": {}}}]}]},
            "function response turn comes immediately after a function call turn",
        ),
    ],
)
def test_request_errors(gemini_fake: GeminiFake, body: dict[str, Any], message: str) -> None:
    response = _post(gemini_fake, "/v1beta/models/gemini-2.5-flash:generateContent", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["code"] == 400
    assert message in error["message"]


def test_snake_case_input_and_query_key(gemini_fake: GeminiFake) -> None:
    response = httpx.post(
        gemini_fake.url + "/v1beta/models/gemini-2.5-flash:generateContent",
        params={"key": gemini_fake.key},
        json={
            "system_instruction": {"parts": [{"text": "s"}]},
            "contents": [{"role": "user", "parts": [{"text": "snake"}]}],
            "generation_config": {"max_output_tokens": 1},
        },
    )
    assert response.status_code == 200
    candidate = response.json()["candidates"][0]
    assert candidate["content"]["parts"] == [{"text": "echo:"}]
    assert candidate["finishReason"] == "MAX_TOKENS"


def test_count_tokens(client: genai.Client, gemini_fake: GeminiFake) -> None:
    count = client.models.count_tokens(model="gemini-2.5-flash", contents="count me please")
    generated = client.models.generate_content(model="gemini-2.5-flash", contents="count me please")
    assert count.total_tokens == generated.usage_metadata.prompt_token_count
    wrapped = _post(
        gemini_fake,
        "/v1beta/models/gemini-2.5-flash:countTokens",
        {
            "generateContentRequest": {
                "model": "models/gemini-2.5-flash",
                "contents": [{"parts": [{"text": "x"}]}],
            }
        },
    )
    assert wrapped.json()["totalTokens"] >= 1


def test_embeddings(client: genai.Client, gemini_fake: GeminiFake) -> None:
    result = client.models.embed_content(model="text-embedding-004", contents=["a", "b"])
    assert result.embeddings is not None
    assert [len(e.values or []) for e in result.embeddings] == [768, 768]
    assert gemini_fake.last_request.route == "batchEmbedContents"
    single = _post(
        gemini_fake,
        "/v1beta/models/gemini-embedding-001:embedContent",
        {"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 4},
    )
    values = single.json()["embedding"]["values"]
    assert len(values) == 4


def test_models(client: genai.Client, gemini_fake: GeminiFake) -> None:
    names = [m.name for m in client.models.list(config={"page_size": 2})]
    assert names == [f"models/{m}" for m in gemini_fake.models]
    assert [r.query.get("pageToken") for r in gemini_fake.requests_to("models")] == [None, "2", "4"]
    model = client.models.get(model="gemini-2.5-pro")
    assert model.name == "models/gemini-2.5-pro"
    assert model.input_token_limit == 1048576
    with pytest.raises(errors.ClientError) as caught:
        client.models.get(model="gemini-nope")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"


def test_key_errors_are_google_shaped(gemini_fake: GeminiFake) -> None:
    wrong = genai.Client(api_key="AIza-wrong", http_options={"base_url": gemini_fake.url})
    with pytest.raises(errors.ClientError) as caught:
        wrong.models.generate_content(model="gemini-2.5-flash", contents="x")
    assert caught.value.code == 400
    assert caught.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    missing = httpx.get(gemini_fake.url + "/v1beta/models")
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"


def test_scripted_usage_and_tool_call(client: genai.Client, gemini_fake: GeminiFake) -> None:
    gemini_fake.script(
        Answer(
            tool_call="lookup",
            tool_args={"q": "x"},
            usage=Usage(50, 12, cache_read_tokens=30, reasoning_tokens=2),
        )
    )
    response = client.models.generate_content(model="gemini-2.5-flash", contents="anything")
    assert response.function_calls is not None
    (call,) = response.function_calls
    assert (call.name, call.args) == ("lookup", {"q": "x"})
    usage = response.usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.cached_content_token_count) == (50, 30)
    assert (usage.candidates_token_count, usage.thoughts_token_count, usage.total_token_count) == (
        10,
        2,
        62,
    )


def test_openai_compatible_layer(gemini_fake: GeminiFake) -> None:
    """AI Studio's ``/v1beta/openai`` layer, where the default dispatch sends chat and models."""
    client = openai.OpenAI(
        base_url=gemini_fake.url + "/v1beta/openai", api_key=gemini_fake.key, max_retries=0
    )
    done = client.chat.completions.create(
        model="models/gemini-2.5-flash", messages=[{"role": "user", "content": "compat"}]
    )
    assert done.choices[0].message.content == "echo: compat"
    assert done.model == "gemini-2.5-flash"
    chunks = list(
        client.chat.completions.create(
            model="gemini-2.5-flash",
            messages=[{"role": "user", "content": "compat"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: compat"
    assert chunks[-1].usage is not None
    assert gemini_fake.last_request.headers["authorization"] == f"Bearer {gemini_fake.key}"
    assert [m.id for m in client.models.list()] == [f"models/{m}" for m in gemini_fake.models]
    assert client.models.retrieve("gemini-2.5-pro").owned_by == "google"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gemini-nope")
    assert missing.value.response.json() == [
        {
            "error": {
                "code": 404,
                "message": "Model models/gemini-nope not found.",
                "status": "NOT_FOUND",
            }
        }
    ]
    wrong = openai.OpenAI(
        base_url=gemini_fake.url + "/v1beta/openai", api_key="wrong", max_retries=0
    )
    with pytest.raises(openai.BadRequestError) as rejected:
        wrong.models.list()
    assert rejected.value.response.json()[0]["error"]["status"] == "INVALID_ARGUMENT"
