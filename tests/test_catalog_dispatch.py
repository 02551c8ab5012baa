"""The channel catalogue and the default dispatch tables."""

from __future__ import annotations

import pytest

from gatewayctl import catalog
from gatewayctl.dispatch import (
    LOCAL,
    PASSTHROUGH,
    UNSUPPORTED,
    RouteKey,
    TransformTo,
    default_dispatch,
    parse_dispatch,
)
from gatewayctl.errors import InvalidInput


def test_aliases_and_custom() -> None:
    assert catalog.canonical_channel(" Claude ") == "anthropic"
    assert catalog.is_builtin("claude")
    assert not catalog.is_builtin("mycustom")
    assert catalog.credential_kind("openai") == "builtin/openai"
    assert catalog.credential_kind("mycustom") == "custom/apikey"


def test_secret_normalization() -> None:
    assert catalog.normalize_secret("openai", "sk-1") == {
        "Builtin": {"OpenAi": {"api_key": "sk-1"}}
    }
    assert catalog.normalize_secret("claude", {"Builtin": {"Claude": {"api_key": "k"}}}) == {
        "Builtin": {"Anthropic": {"api_key": "k"}}
    }
    assert catalog.normalize_secret("x", {"api_key": " k "}) == {"Custom": {"api_key": "k"}}
    codex = catalog.normalize_secret("codex", {"access_token": "a", "account_id": "acc"})
    assert catalog.secret_body(codex) == {"access_token": "a", "account_id": "acc"}
    assert catalog.api_key_of(catalog.normalize_secret("groq", "gk")) == "gk"


@pytest.mark.parametrize(
    ("channel", "secret", "message"),
    [
        ("openai", "", "empty"),
        ("openai", {"Builtin": {"Groq": {"api_key": "k"}}}, "does not match"),
        ("openai", {"Custom": {"api_key": "k"}}, "built-in"),
        ("vertex", "key", "builtin credential"),
        ("vertex", {"project_id": "p"}, "missing `client_email`"),
        ("codex", {"expires_at": "soon"}, "must be int"),
        ("mycustom", ["k"], "JSON object"),
        ("mycustom", {"Builtin": {"OpenAi": {"api_key": "k"}}}, "custom channel"),
    ],
)
def test_bad_secrets(channel: str, secret: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        catalog.normalize_secret(channel, secret)


def test_default_tables_follow_the_matrix() -> None:
    openai = default_dispatch("openai")
    assert openai.resolve(RouteKey("GenerateContent", "OpenAiChatCompletion")) == PASSTHROUGH
    assert openai.resolve(RouteKey("GenerateContent", "Claude")) == TransformTo(
        RouteKey("GenerateContent", "OpenAi")
    )
    codex = default_dispatch("codex")
    assert codex.resolve(RouteKey("GenerateContent", "Claude")) == TransformTo(
        RouteKey("StreamGenerateContent", "OpenAi")
    )
    assert default_dispatch("vertexexpress").resolve(RouteKey("ModelList", "Gemini")) == LOCAL
    assert default_dispatch("anthropic").resolve(RouteKey("Embedding", "OpenAi")) == UNSUPPORTED
    assert default_dispatch("antigravity") == default_dispatch("geminicli")
    assert default_dispatch("mycustom").resolve(RouteKey("CountToken", "Claude")) == LOCAL
    assert default_dispatch("deepseek").resolve(RouteKey("Compact", "OpenAi")) == TransformTo(
        RouteKey("GenerateContent", "OpenAiChatCompletion")
    )


def test_dispatch_json_round_trip() -> None:
    table = default_dispatch("claudecode")
    assert parse_dispatch(table.to_json()) == table


@pytest.mark.parametrize(
    "obj",
    [
        [],
        {"rules": {}},
        {"rules": [1]},
        {
            "rules": [
                {"route": {"operation": "Nope", "protocol": "OpenAi"}, "implementation": "Local"}
            ]
        },
        {
            "rules": [
                {
                    "route": {"operation": "ModelList", "protocol": "OpenAi"},
                    "implementation": "Maybe",
                }
            ]
        },
        {
            "rules": [
                {
                    "route": {"operation": "ModelList", "protocol": "OpenAi"},
                    "implementation": {"TransformTo": {}},
                }
            ]
        },
    ],
)
def test_bad_dispatch_json(obj: object) -> None:
    with pytest.raises(InvalidInput, match="dispatch"):
        parse_dispatch(obj)


def test_builtin_secret_must_carry_known_fields() -> None:
    with pytest.raises(InvalidInput, match="unknown field"):
        catalog.normalize_secret("codex", {"acess_token": "a"})
    with pytest.raises(InvalidInput, match="none of the fields"):
        catalog.normalize_secret("codex", {})
    with pytest.raises(InvalidInput, match="none of the fields"):
        catalog.normalize_secret("claudecode", {"Builtin": {"ClaudeCode": {"expires_at": 0}}})
