"""Route classification: paths and bodies → route key, provider, model (spec §4.1, §5.3–§5.5)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatewayctl.dispatch import RouteKey
from gatewayctl.errors import InvalidInput, NotFound
from gatewayctl.gateway.entrance import classify, replace_model_bytes, split_prefixed_model


def body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("rest", "fields", "route"),
    [
        ("chat/completions", {}, RouteKey("GenerateContent", "OpenAiChatCompletion")),
        (
            "chat/completions",
            {"stream": True},
            RouteKey("StreamGenerateContent", "OpenAiChatCompletion"),
        ),
        ("responses", {}, RouteKey("GenerateContent", "OpenAi")),
        ("responses", {"stream": True}, RouteKey("StreamGenerateContent", "OpenAi")),
        ("messages", {"stream": False}, RouteKey("GenerateContent", "Claude")),
        ("messages", {"stream": True}, RouteKey("StreamGenerateContent", "Claude")),
        ("messages/count_tokens", {}, RouteKey("CountToken", "Claude")),
        ("responses/input_tokens", {}, RouteKey("CountToken", "OpenAi")),
        ("embeddings", {}, RouteKey("Embedding", "OpenAi")),
        ("responses/compact", {}, RouteKey("Compact", "OpenAi")),
    ],
)
def test_v1_body_routes(rest: str, fields: dict[str, Any], route: RouteKey) -> None:
    scoped = classify("POST", "v1", rest, provider="p", body=body(model="m", **fields))
    assert (scoped.route, scoped.provider, scoped.model, scoped.scoped) == (route, "p", "m", True)
    raw = body(model="p/m", **fields)
    unscoped = classify("POST", "v1", rest, body=raw)
    assert (unscoped.route, unscoped.provider, unscoped.model) == (route, "p", "m")
    assert unscoped.body is not None and unscoped.body["model"] == "m"
    assert unscoped.raw_body is not None and json.loads(unscoped.raw_body)["model"] == "m"


def test_scoped_passthrough_keeps_the_callers_bytes() -> None:
    raw = b'{"model":"gpt-4o",  "messages":[]}'
    entrance = classify("POST", "v1", "chat/completions", provider="oai", body=raw)
    assert entrance.raw_body is raw


def test_model_prefix_splits_at_the_first_slash() -> None:
    assert split_prefixed_model("openrouter/meta/llama") == ("openrouter", "meta/llama")
    entrance = classify("POST", "v1", "chat/completions", body=body(model="or/meta/llama"))
    assert (entrance.provider, entrance.model) == ("or", "meta/llama")


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (None, "model is empty"),
        ("", "model is empty"),
        ("gpt-4o", "model must be prefixed as `<provider>/...`: gpt-4o"),
        ("/gpt-4o", "invalid provider-prefixed model: /gpt-4o"),
        ("openai/", "invalid provider-prefixed model: openai/"),
    ],
)
def test_bad_prefixes_are_400(model: str | None, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        classify("POST", "v1", "messages", body=body(model=model))
    assert info.value.message == message


def test_responses_without_model() -> None:
    with pytest.raises(InvalidInput, match="missing `model` in OpenAI responses request body"):
        classify("POST", "v1", "responses", provider="p", body=body(input="x"))


@pytest.mark.parametrize("raw", [b"", b"{nope", b"[1,2]", b'"text"'])
def test_bad_bodies_are_400(raw: bytes) -> None:
    with pytest.raises(InvalidInput):
        classify("POST", "v1", "chat/completions", provider="p", body=raw)


def test_stream_must_be_boolean() -> None:
    with pytest.raises(InvalidInput, match="stream"):
        classify("POST", "v1", "messages", provider="p", body=body(model="m", stream="yes"))


@pytest.mark.parametrize(
    ("version", "rest", "query", "route", "method"),
    [
        ("v1beta", "models/g:generateContent", {}, ("GenerateContent", "Gemini"), None),
        (
            "v1beta",
            "models/g:streamGenerateContent",
            {"alt": "sse"},
            ("StreamGenerateContent", "Gemini"),
            None,
        ),
        (
            "v1beta",
            "models/g:streamGenerateContent",
            {},
            ("StreamGenerateContent", "GeminiNDJson"),
            None,
        ),
        ("v1beta", "models/g:countTokens", {}, ("CountToken", "Gemini"), None),
        ("v1beta", "models/g:embedContent", {}, ("Embedding", "Gemini"), "embedContent"),
        (
            "v1beta",
            "models/g:batchEmbedContents",
            {},
            ("Embedding", "Gemini"),
            "batchEmbedContents",
        ),
        ("v1", "models/g:generateContent", {}, ("GenerateContent", "Gemini"), None),
    ],
)
def test_gemini_targets(
    version: str, rest: str, query: dict[str, str], route: tuple[str, str], method: str | None
) -> None:
    scoped = classify("POST", version, rest, provider="gm", query=query, body=b"{}")  # type: ignore[arg-type]
    assert (scoped.route.operation, scoped.route.protocol) == route
    assert (scoped.provider, scoped.model) == ("gm", "g")
    if method:
        assert scoped.gemini_method == method
    unscoped_rest = rest.replace("models/g", "models/gm/gemini-2.5-flash")
    unscoped = classify("POST", version, unscoped_rest, query=query, body=b"{}")  # type: ignore[arg-type]
    assert (unscoped.provider, unscoped.model) == ("gm", "gemini-2.5-flash")


def test_gemini_alt_other_than_sse_is_400() -> None:
    with pytest.raises(InvalidInput, match="alt"):
        classify(
            "POST",
            "v1beta",
            "models/g:streamGenerateContent",
            provider="p",
            query={"alt": "proto"},
            body=b"{}",
        )


@pytest.mark.parametrize("rest", ["models/g:explode", "nothing-here", "files/x:generateContent"])
def test_unknown_v1_targets_are_404(rest: str) -> None:
    with pytest.raises(NotFound):
        classify("POST", "v1", rest, provider="p", body=b"{}")


def test_model_lists_pick_the_callers_shape() -> None:
    openai = classify("GET", "v1", "models", provider="p")
    assert openai.candidates[0] == "OpenAi" and openai.kind == "model_list"
    claude = classify("GET", "v1", "models", provider="p", headers={"anthropic-version": "x"})
    assert claude.candidates[0] == "Claude"
    gemini = classify("GET", "v1", "models", provider="p", headers={"x-goog-api-key": "k"})
    assert gemini.candidates[0] == "Gemini"
    beta = classify("GET", "v1beta", "models")
    assert beta.route == RouteKey("ModelList", "Gemini") and beta.provider is None


def test_model_gets() -> None:
    scoped = classify("GET", "v1", "models/gpt-4o", provider="p")
    assert (scoped.kind, scoped.model) == ("model_get", "gpt-4o")
    unscoped = classify("GET", "v1", "models/oai/gpt-4o")
    assert (unscoped.provider, unscoped.model) == ("oai", "gpt-4o")
    gemini = classify("GET", "v1beta", "models/studio/gemini-2.5-flash")
    assert (gemini.provider, gemini.model, gemini.route.protocol) == (
        "studio",
        "gemini-2.5-flash",
        "Gemini",
    )


def test_upgrade_and_unsupported_entrances() -> None:
    assert classify("GET", "v1", "responses").kind == "upgrade"
    assert classify("GET", "v1", "responses", provider="p").kind == "upgrade"
    assert classify("GET", "v1", "realtime/calls", provider="p").kind == "upgrade"
    assert classify("GET", "v1", "usage", provider="p").kind == "unsupported"
    with pytest.raises(NotFound):
        classify("GET", "v1", "realtime")  # only scoped realtime exists


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"model":"a/b","x":1}', b'{"model":"b","x":1}'),
        (b'{"x":1, "model" : "a/b"}', b'{"x":1, "model":"b"}'),
        # the same text elsewhere, escaped inside a string, does not count
        (
            b'{"model":"a/b","note":"{\\"model\\":\\"a/b\\"}"}',
            b'{"model":"b","note":"{\\"model\\":\\"a/b\\"}"}',
        ),
    ],
)
def test_replace_model_bytes(raw: bytes, expected: bytes) -> None:
    assert replace_model_bytes(raw, "a/b", "b") == expected


@pytest.mark.parametrize(
    "raw",
    [
        b'{"model":"a\\/b"}',  # escaped slash: not the literal text
        b'{"model":"a/b","meta":{"model":"a/b"}}',  # ambiguous: two matches
    ],
)
def test_replace_model_bytes_refuses_when_unsure(raw: bytes) -> None:
    assert replace_model_bytes(raw, "a/b", "b") is None
    entrance = classify("POST", "v1", "chat/completions", body=raw)
    assert entrance.raw_body is None  # the channel serializes the parsed body instead
    assert entrance.body is not None and entrance.body["model"] == "b"
    assert entrance.size == len(raw)  # what the caller sent, for size-based estimates
