"""Request and response shaping: what each channel rewrites, and that nothing else changes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from gatewayctl.channels import build_channel
from gatewayctl.channels.base import UpstreamCall
from tests.channels.helpers import api_secret, call, route

KEY = "sk-upstream-key-123456"
VERTEX_SECRET = {
    "Builtin": {"Vertex": {"project_id": "p", "client_email": "e", "private_key": "k"}}
}


def sent(
    channel: str, c: UpstreamCall, secret: dict[str, Any] | None = None, **settings: Any
) -> Any:
    adapter = build_channel(channel, settings or None)
    if channel == "vertex":
        req = adapter.build(c, VERTEX_SECRET, access_token="tok")
    else:
        req = adapter.build(c, secret or {"api_key": KEY})
    assert req.body is not None
    return json.loads(req.body)


# --------------------------------------------------------------------------------------
# openai gpt-5 sampling guard
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gpt-5", "GPT-5-mini", "gpt-5.1-codex", "ft:gpt-5-nano:org"])
@pytest.mark.parametrize(
    "key",
    [
        ("GenerateContent", "OpenAi"),
        ("StreamGenerateContent", "OpenAiChatCompletion"),
        ("Compact", "OpenAi"),
    ],
)
def test_gpt5_strips_temperature_and_top_p(model: str, key: tuple[str, str]) -> None:
    body = {
        "model": model,
        "temperature": 0.2,
        "top_p": 0.9,
        "max_output_tokens": 10,
        "input": "hi",
    }
    out = sent("openai", call(*key, model=model, body=body))
    assert "temperature" not in out and "top_p" not in out
    assert out["model"] == model and out["max_output_tokens"] == 10 and out["input"] == "hi"


def test_other_models_keep_sampling() -> None:
    body = {"model": "gpt-4.1", "temperature": 0.2, "top_p": 0.9}
    out = sent("openai", call("GenerateContent", "OpenAi", model="gpt-4.1", body=body))
    assert out["temperature"] == 0.2 and out["top_p"] == 0.9


def test_gpt5_guard_is_openai_only() -> None:
    body = {"model": "gpt-5", "temperature": 0.2, "messages": []}
    out = sent("groq", call("GenerateContent", "OpenAiChatCompletion", model="gpt-5", body=body))
    assert out["temperature"] == 0.2


# --------------------------------------------------------------------------------------
# stream flags
# --------------------------------------------------------------------------------------

CHAT_STREAM_CHANNELS = ["openai", "anthropic", "aistudio", "nvidia", "deepseek", "groq", "vertex"]


@pytest.mark.parametrize("channel", CHAT_STREAM_CHANNELS)
def test_chat_streams_force_include_usage(channel: str) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    out = sent(channel, call("StreamGenerateContent", "OpenAiChatCompletion", model="m", body=body))
    assert out["stream"] is True
    assert out["stream_options"] == {"include_usage": True}


def test_include_usage_keeps_other_stream_options_and_overrides_false() -> None:
    body = {"model": "m", "stream": True, "stream_options": {"include_usage": False, "x": 1}}
    out = sent(
        "openai", call("StreamGenerateContent", "OpenAiChatCompletion", model="m", body=body)
    )
    assert out["stream_options"] == {"include_usage": True, "x": 1}


def test_stream_routes_set_stream_true_and_generate_routes_are_untouched() -> None:
    out = sent(
        "anthropic", call("StreamGenerateContent", "Claude", body={"model": "c", "max_tokens": 5})
    )
    assert out["stream"] is True
    out = sent("openai", call("StreamGenerateContent", "OpenAi", body={"model": "m"}))
    assert out == {"model": "m", "stream": True}
    out = sent("openai", call("GenerateContent", "OpenAiChatCompletion", body={"model": "m"}))
    assert out == {"model": "m"}


def test_non_stream_chat_gets_no_stream_options() -> None:
    out = sent(
        "openai",
        call("GenerateContent", "OpenAiChatCompletion", body={"model": "m", "messages": []}),
    )
    assert "stream_options" not in out


def test_gemini_stream_body_has_no_stream_field() -> None:
    out = sent(
        "aistudio", call("StreamGenerateContent", "Gemini", model="g", body={"contents": []})
    )
    assert out == {"contents": []}


# --------------------------------------------------------------------------------------
# bytes: untouched bodies go out verbatim; inputs are never mutated
# --------------------------------------------------------------------------------------


def test_raw_body_is_forwarded_when_nothing_changes() -> None:
    raw = b'{ "model" : "gpt-4.1",  "input": "h\\u00e9"}'
    body = json.loads(raw)
    c = UpstreamCall(route("GenerateContent", "OpenAi"), model="gpt-4.1", body=body, raw_body=raw)
    req = build_channel("openai").build(c, {"api_key": KEY})
    assert req.body is raw


def test_raw_body_is_reserialised_when_shaping_changes_it() -> None:
    raw = b'{"model":"gpt-5","temperature":1}'
    c = UpstreamCall(
        route("GenerateContent", "OpenAi"), model="gpt-5", body=json.loads(raw), raw_body=raw
    )
    req = build_channel("openai").build(c, {"api_key": KEY})
    assert req.body == b'{"model":"gpt-5"}'


def test_non_ascii_is_sent_as_utf8() -> None:
    c = call("GenerateContent", "OpenAi", body={"model": "gpt-5", "input": "héllo ☃", "top_p": 1})
    req = build_channel("openai").build(c, {"api_key": KEY})
    assert req.body == '{"model":"gpt-5","input":"héllo ☃"}'.encode()


@pytest.mark.parametrize(
    ("channel", "c"),
    [
        ("openai", call("StreamGenerateContent", "OpenAiChatCompletion", model="gpt-5")),
        ("deepseek", call("StreamGenerateContent", "OpenAiChatCompletion", model="chat")),
        ("vertex", call("CountToken", "Gemini", model="g")),
        ("vertex", call("Embedding", "Gemini", model="g")),
        ("vertexexpress", call("GenerateContent", "Gemini", model="g")),
    ],
)
def test_input_body_is_never_mutated(channel: str, c: UpstreamCall) -> None:
    c.body = {
        "model": c.model,
        "temperature": 1,
        "top_p": 1,
        "stream_options": {"include_usage": False},
        "messages": [{"role": "developer", "content": "x"}],
        "contents": [{"parts": [{"text": "a"}]}],
        "content": {"parts": [{"text": "a"}]},
        "generateContentRequest": {"contents": []},
    }
    before = copy.deepcopy(c.body)
    sent(channel, c)
    assert c.body == before


# --------------------------------------------------------------------------------------
# deepseek
# --------------------------------------------------------------------------------------


def test_deepseek_developer_role_and_aliases() -> None:
    body = {
        "model": "reasoner",
        "messages": [
            {"role": "developer", "content": "be brief"},
            {"role": "user", "content": "hi"},
        ],
    }
    out = sent(
        "deepseek", call("GenerateContent", "OpenAiChatCompletion", model="reasoner", body=body)
    )
    assert out["model"] == "deepseek-reasoner"
    assert [m["role"] for m in out["messages"]] == ["system", "user"]


def test_deepseek_unknown_models_pass_unchanged() -> None:
    body = {"model": "deepseek-v4-preview", "messages": []}
    out = sent(
        "deepseek",
        call("GenerateContent", "OpenAiChatCompletion", model="deepseek-v4-preview", body=body),
    )
    assert out["model"] == "deepseek-v4-preview"
    adapter = build_channel("deepseek")
    assert (
        adapter.upstream_model(call("GenerateContent", "Claude", model="models/chat"))
        == "deepseek-chat"
    )


def test_deepseek_claude_body_keeps_system() -> None:
    body = {
        "model": "chat",
        "system": "s",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 9,
    }
    out = sent("deepseek", call("GenerateContent", "Claude", model="chat", body=body))
    assert out == {**body, "model": "deepseek-chat"}


# --------------------------------------------------------------------------------------
# vertex / vertexexpress
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["vertex", "vertexexpress"])
def test_vertex_count_tokens_flattens_generate_request(channel: str) -> None:
    body = {
        "generateContentRequest": {
            "model": "models/gemini-2.5-flash",
            "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "systemInstruction": {"parts": [{"text": "sys"}]},
            "tools": [{"functionDeclarations": []}],
            "generationConfig": {"temperature": 0},
            "safetySettings": [],
        }
    }
    out = sent(channel, call("CountToken", "Gemini", model="models/gemini-2.5-flash", body=body))
    assert out == {
        "model": "publishers/google/models/gemini-2.5-flash",
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "systemInstruction": {"parts": [{"text": "sys"}]},
        "tools": [{"functionDeclarations": []}],
        "generationConfig": {"temperature": 0},
    }


def test_vertex_count_tokens_plain_contents() -> None:
    body = {"contents": [{"parts": [{"text": "hi"}]}]}
    out = sent("vertex", call("CountToken", "Gemini", model="gemini-2.5-pro", body=body))
    assert out == {"model": "publishers/google/models/gemini-2.5-pro", "contents": body["contents"]}


def test_vertex_generate_rewrites_only_a_present_model_field() -> None:
    out = sent("vertex", call("GenerateContent", "Gemini", model="g", body={"contents": []}))
    assert out == {"contents": []}
    out = sent(
        "vertex",
        call("GenerateContent", "Gemini", model="g", body={"model": "models/g", "contents": []}),
    )
    assert out["model"] == "publishers/google/models/g"


def test_vertex_embedding_becomes_predict() -> None:
    body = {
        "model": "models/text-embedding-005",
        "content": {"parts": [{"text": "alpha"}, {"text": "beta"}]},
        "taskType": "RETRIEVAL_QUERY",
        "title": "t",
        "outputDimensionality": 256,
    }
    out = sent("vertex", call("Embedding", "Gemini", model="text-embedding-005", body=body))
    assert out == {
        "instances": [{"content": "alpha\nbeta", "task_type": "RETRIEVAL_QUERY", "title": "t"}],
        "parameters": {"autoTruncate": True, "outputDimensionality": 256},
    }


def test_vertex_batch_embedding_becomes_one_predict_with_an_instance_per_request() -> None:
    body = {
        "requests": [
            {
                "model": "models/text-embedding-005",
                "content": {"parts": [{"text": "alpha"}]},
                "taskType": "RETRIEVAL_DOCUMENT",
                "outputDimensionality": 64,
            },
            {"model": "models/text-embedding-005", "content": {"parts": [{"text": "beta"}]}},
        ]
    }
    c = call("Embedding", "Gemini", model="text-embedding-005", body=body, batch=True)
    assert sent("vertex", c) == {
        "instances": [
            {"content": "alpha", "task_type": "RETRIEVAL_DOCUMENT"},
            {"content": "beta"},
        ],
        "parameters": {"autoTruncate": True, "outputDimensionality": 64},
    }
    answer = {
        "predictions": [
            {"embeddings": {"values": [0.1], "statistics": {"token_count": 1}}},
            {"embeddings": {"values": [0.2], "statistics": {"token_count": 1}}},
        ]
    }
    assert build_channel("vertex").shape_response(c, 200, answer) == {
        "embeddings": [{"values": [0.1]}, {"values": [0.2]}]
    }


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gemini-2.5-flash", "google/gemini-2.5-flash"),
        ("models/gemini-2.5-flash", "google/gemini-2.5-flash"),
        ("google/gemini-2.5-flash", "google/gemini-2.5-flash"),
        ("meta/llama-3.3-70b", "meta/llama-3.3-70b"),
        ("publishers/google/models/gemini-2.5-pro", "google/gemini-2.5-pro"),
    ],
)
def test_vertex_chat_model_names(model: str, expected: str) -> None:
    out = sent(
        "vertex",
        call("GenerateContent", "OpenAiChatCompletion", model=model, body={"model": model}),
    )
    assert out["model"] == expected


def test_vertex_upstream_model_is_bare_id() -> None:
    adapter = build_channel("vertex")
    assert adapter.upstream_model(call("GenerateContent", "Gemini", model="models/g-1")) == "g-1"
    assert (
        adapter.upstream_model(call("GenerateContent", "OpenAiChatCompletion", model="g-1"))
        == "google/g-1"
    )


def test_vertex_response_shapes() -> None:
    adapter = build_channel("vertex")
    listed = adapter.shape_response(
        call("ModelList", "Gemini", model=None),
        200,
        {
            "publisherModels": [
                {
                    "name": "publishers/google/models/gemini-2.5-flash",
                    "versionId": "001",
                    "launchStage": "GA",
                }
            ],
            "nextPageToken": "n1",
        },
    )
    assert listed == {
        "models": [
            {"name": "models/gemini-2.5-flash", "version": "001", "baseModelId": "gemini-2.5-flash"}
        ],
        "nextPageToken": "n1",
    }
    got = adapter.shape_response(
        call("ModelGet", "Gemini", model="gemini-2.5-pro"),
        200,
        {"name": "publishers/google/models/gemini-2.5-pro", "versionId": "002"},
    )
    assert got["name"] == "models/gemini-2.5-pro" and got["version"] == "002"
    embedded = adapter.shape_response(
        call("Embedding", "Gemini", model="text-embedding-005"),
        200,
        {"predictions": [{"embeddings": {"values": [0.1, 0.2], "statistics": {"token_count": 2}}}]},
    )
    assert embedded == {"embedding": {"values": [0.1, 0.2]}}
    error = {"error": {"code": 404, "message": "nope", "status": "NOT_FOUND"}}
    assert adapter.shape_response(call("ModelGet", "Gemini", model="x"), 404, error) is error
    already = {"models": [{"name": "models/a"}]}
    assert adapter.shape_response(call("ModelList", "Gemini", model=None), 200, already) is already


def test_other_channels_leave_responses_alone() -> None:
    body = {"object": "list", "data": []}
    for channel in ("openai", "aistudio", "groq"):
        assert (
            build_channel(channel).shape_response(
                call("ModelList", "OpenAi", model=None), 200, body
            )
            is body
        )


def test_secret_variants_are_read() -> None:
    out = sent(
        "openai",
        call("GenerateContent", "OpenAi", body={"model": "m"}),
        secret=api_secret("OpenAi", KEY),
    )
    assert out == {"model": "m"}
