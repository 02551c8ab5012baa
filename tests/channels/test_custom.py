"""Custom channels: ``protocol`` shape, default dispatch per shape, and ``mask_table``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatewayctl.channels import build_channel
from gatewayctl.channels.masking import parse_mask_table, remove_path
from gatewayctl.dispatch import (
    LOCAL,
    PASSTHROUGH,
    RouteKey,
    TransformTo,
    default_dispatch,
    parse_shape,
    shape_dispatch,
)
from gatewayctl.errors import InvalidInput
from tests.channels.helpers import call, route

BASE = {"base_url": "http://127.0.0.1:9"}


# --------------------------------------------------------------------------------------
# shape → dispatch
# --------------------------------------------------------------------------------------


def test_shape_parsing() -> None:
    assert parse_shape(None) == "openai"
    assert parse_shape("") == "openai"
    assert parse_shape(" Claude ") == "anthropic"
    assert parse_shape("GEMINI") == "gemini"
    with pytest.raises(InvalidInput, match="protocol"):
        parse_shape("cohere")
    with pytest.raises(InvalidInput, match="protocol"):
        build_channel("mycustom", {**BASE, "protocol": 3})


def test_openai_shape_is_the_gproxy_custom_table() -> None:
    assert shape_dispatch("openai") == default_dispatch("custom")
    assert default_dispatch("mycustom", {}) == default_dispatch("custom")
    assert default_dispatch("openai", {"protocol": "gemini"}) == default_dispatch("openai")


@pytest.mark.parametrize(("shape", "native"), [("anthropic", "Claude"), ("gemini", "Gemini")])
def test_hub_tables_send_everything_in_the_native_protocol(shape: str, native: str) -> None:
    table = default_dispatch("mycustom", {"protocol": shape})
    assert table == build_channel("mycustom", {**BASE, "protocol": shape}).default_dispatch()  # type: ignore[attr-defined]
    adapter = build_channel("mycustom", {**BASE, "protocol": shape})
    for key, impl in table.rules:
        if key.operation == "CountToken":
            assert impl == LOCAL
            continue
        if impl == PASSTHROUGH:
            assert key.protocol in (native, "GeminiNDJson")
            dest = key
        else:
            assert isinstance(impl, TransformTo)
            dest = impl.destination
            assert dest.protocol == native
        assert adapter.supports(dest), dest
    gen = table.resolve(route("GenerateContent", "OpenAiChatCompletion"))
    assert gen == TransformTo(RouteKey("GenerateContent", native))  # type: ignore[arg-type]
    compact = table.resolve(route("Compact", "OpenAi"))
    assert compact == TransformTo(RouteKey("GenerateContent", native))  # type: ignore[arg-type]
    stream = table.resolve(route("StreamGenerateContent", native))
    assert stream == PASSTHROUGH


def test_gemini_shape_passes_ndjson_and_embeddings() -> None:
    table = shape_dispatch("gemini")
    assert table.resolve(route("StreamGenerateContent", "GeminiNDJson")) == PASSTHROUGH
    assert table.resolve(route("Embedding", "Gemini")) == PASSTHROUGH
    assert table.resolve(route("Embedding", "OpenAi")) == TransformTo(route("Embedding", "Gemini"))
    assert table.resolve(route("ModelList", "OpenAi")) == TransformTo(route("ModelList", "Gemini"))
    anthropic = shape_dispatch("anthropic")
    assert anthropic.resolve(route("Embedding", "OpenAi")).to_json() == "Unsupported"


# --------------------------------------------------------------------------------------
# mask_table
# --------------------------------------------------------------------------------------


def masked(rules: list[dict[str, Any]], c: Any, body: dict[str, Any]) -> Any:
    adapter = build_channel("mycustom", {**BASE, "mask_table": {"rules": rules}})
    c.body = body
    req = adapter.build(c, {"Custom": {"api_key": "k-123456789"}})
    assert req.body is not None
    return json.loads(req.body)


BODY: dict[str, Any] = {
    "model": "m",
    "temperature": 1,
    "metadata": {"user": "u", "trace": {"id": 1, "tags": ["a"]}},
    "messages": [
        {"role": "user", "content": "a", "name": "x"},
        {"role": "assistant", "content": "b", "name": "y"},
    ],
}


def test_mask_removes_top_level_and_nested_fields() -> None:
    out = masked(
        [{"remove_fields": ["temperature", "metadata.trace.id", "missing.field"]}],
        call("GenerateContent", "OpenAiChatCompletion"),
        BODY,
    )
    assert "temperature" not in out
    assert out["metadata"] == {"user": "u", "trace": {"tags": ["a"]}}
    assert out["messages"] == BODY["messages"]


def test_mask_wildcard_over_array_and_object() -> None:
    out = masked(
        [{"remove_fields": ["messages.*.name", "metadata.*"]}],
        call("GenerateContent", "OpenAiChatCompletion"),
        BODY,
    )
    assert out["messages"] == [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
    ]
    assert out["metadata"] == {}


def test_mask_array_index() -> None:
    out = masked(
        [{"remove_fields": ["messages.0"]}], call("GenerateContent", "OpenAiChatCompletion"), BODY
    )
    assert out["messages"] == [BODY["messages"][1]]
    out = masked(
        [{"remove_fields": ["messages.1.content", "messages.9"]}],
        call("GenerateContent", "OpenAiChatCompletion"),
        BODY,
    )
    assert out["messages"][1] == {"role": "assistant", "name": "y"}


@pytest.mark.parametrize(
    ("rule", "applies"),
    [
        ({}, True),
        ({"method": "post"}, True),
        ({"method": "GET"}, False),
        ({"path": "/v1/chat/completions"}, True),
        ({"path": "/v1/chat"}, False),
        ({"path": "/v1/chat*"}, True),
        ({"path": "/v1/responses*"}, False),
        ({"path": "*"}, True),
        ({"method": "POST", "path": "/v1/*"}, True),
    ],
)
def test_mask_rule_matching(rule: dict[str, Any], applies: bool) -> None:
    out = masked(
        [{**rule, "remove_fields": ["temperature"]}],
        call("GenerateContent", "OpenAiChatCompletion"),
        BODY,
    )
    assert ("temperature" not in out) == applies


def test_mask_matches_the_upstream_path_not_the_client_route() -> None:
    # a Claude request goes to /v1/messages; a rule for /v1/chat/completions must not touch it
    out = masked(
        [
            {"path": "/v1/chat/completions", "remove_fields": ["temperature"]},
            {"path": "/v1/messages", "remove_fields": ["metadata"]},
        ],
        call("GenerateContent", "Claude"),
        BODY,
    )
    assert "temperature" in out and "metadata" not in out


def test_mask_table_accepts_json_text_and_validates() -> None:
    adapter = build_channel(
        "mycustom", {**BASE, "mask_table": json.dumps({"rules": [{"remove_fields": ["x"]}]})}
    )
    assert adapter.mask_table.rules[0].remove_fields == (("x",),)  # type: ignore[attr-defined]
    for bad, message in [
        ("{not json", "not valid JSON"),
        ([], "must be an object"),
        ({"rules": {}}, "rules must be a list"),
        ({"rules": ["x"]}, r"rules\[0\] must be an object"),
        ({"rules": [{"remove_fields": "x"}]}, r"rules\[0\].remove_fields"),
        ({"rules": [{"method": 1, "remove_fields": []}]}, r"rules\[0\].method"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            parse_mask_table(bad)


def test_no_mask_table_sends_raw_bytes() -> None:
    raw = b'{"model":"m","messages":[]}'
    c = call("GenerateContent", "OpenAiChatCompletion", body=json.loads(raw))
    c.raw_body = raw
    req = build_channel("mycustom", BASE).build(c, {"Custom": {"api_key": "k-123456789"}})
    assert req.body is raw


def test_remove_path_shares_untouched_branches() -> None:
    body: dict[str, Any] = {"a": {"b": 1}, "c": [{"d": 1}, {"e": 2}]}
    out = remove_path(body, ["c", "0", "d"])
    assert out == {"a": {"b": 1}, "c": [{}, {"e": 2}]}
    assert out["a"] is body["a"] and out["c"][1] is body["c"][1]
    assert body == {"a": {"b": 1}, "c": [{"d": 1}, {"e": 2}]}
    assert remove_path(body, ["zzz"]) is body
    assert remove_path(body, ["c", "*", "zzz"]) is body
    assert remove_path(body, ["c", "x"]) is body
    assert remove_path(body, ["c", "*"]) == {"a": {"b": 1}, "c": []}
