"""Count tokens, embeddings, model lists and Responses compact, through the official SDKs.

Each is tried on a provider that passes it through to its native upstream, on ones that
translate it to another protocol, and (count tokens) on ones that answer locally.
"""

from __future__ import annotations

import pytest

from tests.e2e.clients import anthropic_client, gemini_client, model_for, openai_client
from tests.e2e.conftest import GatewayEnv

MESSAGES = [{"role": "user", "content": "count these words for me please"}]

# --------------------------------------------------------------------------------------
# count tokens
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["claude", "oai", "studio", "anth", "chat", "gem"])
def test_anthropic_count_tokens(env: GatewayEnv, provider: str) -> None:
    client = anthropic_client(env, provider)
    count = client.messages.count_tokens(model=model_for(provider, True), messages=MESSAGES)  # type: ignore[arg-type]
    assert count.input_tokens > 0
    rows = env.wait_usages(1, model=model_for(provider, True))
    assert any(r["operation"] == "CountToken" and r["protocol"] == "Claude" for r in rows)


@pytest.mark.parametrize("provider", ["oai", "claude", "studio", "chat", "gem"])
def test_openai_input_tokens(env: GatewayEnv, provider: str) -> None:
    client = openai_client(env, provider)
    count = client.responses.input_tokens.count(
        model=model_for(provider, True), input="count these words for me please"
    )
    assert count.input_tokens > 0


@pytest.mark.parametrize("provider", ["studio", "claude", "oai", "gem", "anth"])
def test_gemini_count_tokens(env: GatewayEnv, provider: str) -> None:
    client = gemini_client(env, provider)
    count = client.models.count_tokens(
        model=model_for(provider, True), contents="count these words for me please"
    )
    assert (count.total_tokens or 0) > 0


def test_local_count_is_counted_offline(env: GatewayEnv) -> None:
    client = anthropic_client(env, "chat")
    count = client.messages.count_tokens(model="gpt-4o", messages=MESSAGES)  # type: ignore[arg-type]
    assert count.input_tokens > 0
    assert env.fakes.openai.requests == []  # nothing went upstream


# --------------------------------------------------------------------------------------
# embeddings
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["oai", "studio", "gem"])
def test_openai_embeddings(env: GatewayEnv, provider: str) -> None:
    client = openai_client(env, provider)
    model = "text-embedding-3-small" if provider == "oai" else "text-embedding-004"
    result = client.embeddings.create(model=model, input=["first text", "second text"])
    assert len(result.data) == 2
    assert [d.index for d in result.data] == [0, 1]
    assert all(len(d.embedding) > 8 for d in result.data)
    assert result.usage.prompt_tokens > 0


@pytest.mark.parametrize("provider", ["studio", "gem", "oai"])
def test_gemini_embeddings(env: GatewayEnv, provider: str) -> None:
    client = gemini_client(env, provider)
    model = "text-embedding-3-small" if provider == "oai" else "text-embedding-004"
    single = client.models.embed_content(model=model, contents="just one")
    assert single.embeddings and len(single.embeddings) == 1
    assert len(single.embeddings[0].values or []) > 8
    several = client.models.embed_content(model=model, contents=["one", "two", "three"])
    assert several.embeddings and len(several.embeddings) == 3


def test_embeddings_unsupported_on_anthropic_is_501(env: GatewayEnv) -> None:
    import openai

    client = openai_client(env, "claude")
    with pytest.raises(openai.APIStatusError) as info:
        client.embeddings.create(model="x", input="nope")
    assert info.value.status_code == 501
    assert info.value.body == {"error": "unsupported request for upstream execution"} or (
        "unsupported" in str(info.value.body)
    )


# --------------------------------------------------------------------------------------
# model lists
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["oai", "anth", "gem", "claude", "studio"])
def test_openai_model_list_scoped(env: GatewayEnv, provider: str) -> None:
    client = openai_client(env, provider)
    ids = [m.id for m in client.models.list()]
    assert ids
    assert not any(i.startswith(f"{provider}/") for i in ids)


def test_openai_model_list_unscoped_merges_every_provider(env: GatewayEnv) -> None:
    client = openai_client(env, None)
    ids = [m.id for m in client.models.list()]
    for provider in ("oai", "chat", "anth", "claude", "gem", "studio"):
        assert any(i.startswith(f"{provider}/") for i in ids), provider
    assert "oai/gpt-4o" in ids
    assert len(ids) == len(set(ids))


def test_openai_model_retrieve(env: GatewayEnv) -> None:
    assert openai_client(env, "oai").models.retrieve("gpt-4o").id == "gpt-4o"
    assert openai_client(env, None).models.retrieve("oai/gpt-4o").id == "oai/gpt-4o"


@pytest.mark.parametrize("provider", ["claude", "oai", "gem"])
def test_anthropic_model_list(env: GatewayEnv, provider: str) -> None:
    client = anthropic_client(env, provider)
    models = list(client.models.list())
    assert models and all(m.id for m in models)


def test_anthropic_model_list_unscoped(env: GatewayEnv) -> None:
    client = anthropic_client(env, None)
    ids = [m.id for m in client.models.list()]
    assert any(i.startswith("claude/") for i in ids)
    assert any(i.startswith("oai/") for i in ids)


@pytest.mark.parametrize("provider", ["studio", "oai", "claude"])
def test_gemini_model_list(env: GatewayEnv, provider: str) -> None:
    client = gemini_client(env, provider)  # keep a reference: the pager uses it lazily
    names = [m.name for m in client.models.list()]
    assert names and all(n and n.startswith("models/") for n in names)


def test_gemini_model_list_unscoped(env: GatewayEnv) -> None:
    client = gemini_client(env, None)
    names = [m.name for m in client.models.list()]
    assert "models/oai/gpt-4o" in names
    assert any(n and n.startswith("models/studio/") for n in names)


def test_gemini_model_get(env: GatewayEnv) -> None:
    client = gemini_client(env, "studio")
    model = client.models.get(model="gemini-2.5-flash")
    assert model.name == "models/gemini-2.5-flash"


# --------------------------------------------------------------------------------------
# compact
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["oai", "anth", "gem", "chat"])
def test_responses_compact(env: GatewayEnv, provider: str) -> None:
    client = openai_client(env, provider)
    compacted = client.responses.compact(
        model=model_for(provider, True),
        input=[
            {"role": "user", "content": "remember the number 42"},
            {"role": "assistant", "content": "I will remember 42."},
        ],
    )
    assert compacted.output
    rows = env.wait_usages(1, model=model_for(provider, True))
    assert any(r["operation"] == "Compact" for r in rows)
