"""Credentials: secret validation per channel, masking, label rules, upsert round trips."""

from __future__ import annotations

from typing import Any

import pytest

from gatewayctl.errors import Conflict, InvalidInput, NotFound
from gatewayctl.services import credentials, providers
from gatewayctl.services.context import Context

KEY = "sk-abcdefghijklmnopqrstuvwxyz0123"
CODEX = {
    "access_token": "at-0123456789abcdefghijklmnop",
    "refresh_token": "rt-0123456789abcdefghijklmnop",
    "account_id": "acct-1",
    "expires_at": 5,
}


@pytest.fixture
def setup(ctx: Context) -> Context:
    providers.add_provider(ctx, None, "openai")
    providers.add_provider(ctx, None, "codex")
    providers.add_provider(ctx, None, "mycustom", settings={"base_url": "https://c.test"})
    return ctx


def stored(ctx: Context) -> list[tuple[Any, ...]]:
    return [
        (c.id, c.provider_id, c.name, c.secret_token, c.enabled)
        for c in ctx.store.list_credentials()
    ]


def test_api_key_is_masked_in_views(setup: Context) -> None:
    view = credentials.add_credential(setup, "openai", api_key=KEY, label="main")
    assert view["secret_json"] == {"Builtin": {"OpenAi": {"api_key": "sk-…0123"}}}
    assert (view["kind"], view["name"], view["provider"], view["health_kind"]) == (
        "builtin/openai",
        "main",
        "openai",
        "healthy",
    )
    (listed,) = credentials.list_credentials(setup, provider="openai")
    assert listed["secret_json"] == view["secret_json"]
    short = credentials.add_credential(setup, "openai", api_key="sk-short")
    assert short["secret_json"]["Builtin"]["OpenAi"]["api_key"] == "****"


def test_secret_json_forms(setup: Context) -> None:
    a = credentials.add_credential(setup, "codex", secret={"Builtin": {"Codex": CODEX}})
    assert a["kind"] == "builtin/codex"
    body = a["secret_json"]["Builtin"]["Codex"]
    assert body["access_token"] == "at-…mnop" and body["account_id"] == "acct-1"
    b = credentials.add_credential(setup, "mycustom", secret='{"api_key": "ck-1"}')
    assert b["kind"] == "custom/apikey"
    c = credentials.add_credential(setup, "mycustom", api_key="ck-2")
    assert c["secret_json"] == {"Custom": {"api_key": "****"}}


@pytest.mark.parametrize(
    ("provider", "kwargs", "error", "match"),
    [
        ("openai", {"secret": "{not json"}, InvalidInput, "not valid JSON"),
        ("openai", {"secret": "[1, 2]"}, InvalidInput, "must be a JSON object"),
        ("openai", {"secret": {"Custom": {"api_key": "x"}}}, InvalidInput, "built-in"),
        ("openai", {"secret": {"Builtin": {"Groq": {"api_key": "x"}}}}, InvalidInput, "does not match"),
        ("openai", {"secret": {"api_key": 5}}, InvalidInput, "must be str"),
        ("codex", {"api_key": "sk-1"}, InvalidInput, "requires a builtin credential"),
        ("openai", {"api_key": "   "}, InvalidInput, "empty"),
        ("openai", {}, InvalidInput, "needs a secret"),
        ("openai", {"api_key": "a", "secret": {"api_key": "b"}}, InvalidInput, "not both"),
        ("openai", {"api_key": "sk-…abcd"}, InvalidInput, "masked"),
        ("nope", {"api_key": "sk-1"}, NotFound, "provider 'nope' not found"),
    ],
)  # fmt: skip
def test_bad_secrets_write_nothing(
    setup: Context, provider: str, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        credentials.add_credential(setup, provider, **kwargs)
    assert stored(setup) == []


def test_duplicate_label_per_provider(setup: Context) -> None:
    credentials.add_credential(setup, "openai", api_key="sk-1", label="main")
    with pytest.raises(Conflict, match="already has a credential labelled 'main'"):
        credentials.add_credential(setup, "openai", api_key="sk-2", label="main")
    credentials.add_credential(setup, "mycustom", api_key="sk-2", label="main")  # other provider


def test_remove_enable_disable(setup: Context) -> None:
    c = credentials.add_credential(setup, "openai", api_key=KEY)
    assert credentials.set_credential_enabled(setup, c["id"], False)["enabled"] is False
    assert credentials.list_credentials(setup, enabled=False)[0]["id"] == c["id"]
    credentials.remove_credential(setup, c["id"])
    with pytest.raises(NotFound, match=f"credential {c['id']} not found"):
        credentials.remove_credential(setup, c["id"])
    with pytest.raises(NotFound):
        credentials.set_credential_enabled(setup, 999, True)


def test_upsert_with_masked_secret_keeps_the_stored_one(setup: Context) -> None:
    c = credentials.add_credential(setup, "codex", secret={"Builtin": {"Codex": CODEX}}, label="o")
    view = credentials.query(setup, {"id": "All"})[0]
    edited = {**view, "enabled": False}
    edited["secret_json"]["Builtin"]["Codex"]["account_id"] = "acct-2"
    credentials.upsert(setup, edited)
    secret = setup.secrets().decrypt_json(setup.store.get_credential(c["id"]).secret_token)  # type: ignore[union-attr]
    assert secret["Builtin"]["Codex"]["access_token"] == CODEX["access_token"]
    assert secret["Builtin"]["Codex"]["account_id"] == "acct-2"
    assert setup.store.get_credential(c["id"]).enabled is False  # type: ignore[union-attr]


def test_upsert_bodies(setup: Context) -> None:
    openai_id = setup.store.get_provider_by_name("openai").id  # type: ignore[union-attr]
    created = credentials.upsert(
        setup,
        {
            "provider_id": openai_id,
            "name": "main",
            "kind": "builtin/openai",
            "secret_json": '{"Builtin": {"OpenAi": {"api_key": "sk-from-json-string-000111"}}}',
            "enabled": True,
        },
    )
    # no id, same label: the same credential is updated
    again = credentials.upsert(setup, {"provider": "openai", "name": "main", "api_key": "sk-2"})
    assert again["id"] == created["id"]
    # omitted secret on update keeps it; only enabled changes
    credentials.upsert(setup, {"id": created["id"], "enabled": False})
    assert credentials.get_credential(setup, created["id"])["enabled"] is False
    explicit = credentials.upsert(
        setup, {"id": 50, "provider_id": openai_id, "secret_json": {"api_key": "sk-50"}}
    )
    assert explicit["id"] == 50


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("x", InvalidInput),
        ({}, InvalidInput),
        ({"provider_id": 999, "secret_json": {"api_key": "k"}}, NotFound),
        ({"provider": "openai"}, InvalidInput),  # no secret
        ({"provider": "openai", "secret_json": {"api_key": "k"}, "kind": "builtin/groq"}, InvalidInput),
        ({"provider": "openai", "secret_json": {"api_key": "k"}, "enabled": 1}, InvalidInput),
        ({"provider": "openai", "secret_json": {"api_key": "k"}, "name": 3}, InvalidInput),
        ({"provider": "openai", "secret_json": {"api_key": "k"}, "settings_json": "[]"}, InvalidInput),
        ({"provider_id": "1", "secret_json": {"api_key": "k"}}, InvalidInput),
    ],
)  # fmt: skip
def test_upsert_bad_bodies(setup: Context, body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        credentials.upsert(setup, body)
    assert stored(setup) == []


def test_upsert_cannot_move_a_credential_between_providers(setup: Context) -> None:
    c = credentials.add_credential(setup, "openai", api_key="sk-1")
    before = stored(setup)
    with pytest.raises(InvalidInput, match="belongs to another provider"):
        credentials.upsert(
            setup, {"id": c["id"], "provider": "mycustom", "secret_json": {"api_key": "k"}}
        )
    assert stored(setup) == before


def test_query_and_delete_bodies(setup: Context) -> None:
    a = credentials.add_credential(setup, "openai", api_key="sk-1")
    credentials.add_credential(setup, "mycustom", api_key="ck-1", enabled=False)
    assert [
        c["id"] for c in credentials.query(setup, {"provider_id": {"Eq": a["provider_id"]}})
    ] == [a["id"]]
    assert len(credentials.query(setup, {"enabled": {"Eq": False}})) == 1
    assert len(credentials.query(setup, {"kind": {"Eq": "custom/apikey"}, "limit": 5})) == 1
    with pytest.raises(InvalidInput):
        credentials.query(setup, {"provider_id": {"Eq": "1"}})
    credentials.delete(setup, {"id": a["id"]})
    with pytest.raises(NotFound):
        credentials.delete(setup, {"id": a["id"]})


def test_update_credential_secret_after_token_refresh(setup: Context) -> None:
    c = credentials.add_credential(setup, "codex", secret={"Builtin": {"Codex": CODEX}}, label="o")
    refreshed = {**CODEX, "access_token": "at-new", "expires_at": 99}
    credentials.update_credential_secret(setup, c["id"], {"Builtin": {"Codex": refreshed}})
    row = setup.store.get_credential(c["id"])
    assert row is not None and row.name == "o"
    assert setup.secrets().decrypt_json(row.secret_token)["Builtin"]["Codex"]["expires_at"] == 99
    with pytest.raises(InvalidInput):
        credentials.update_credential_secret(
            setup, c["id"], {"Builtin": {"OpenAi": {"api_key": "k"}}}
        )
    with pytest.raises(NotFound):
        credentials.update_credential_secret(setup, 999, {"api_key": "k"})


def test_merge_secret_fields_keeps_the_rest_and_skips_no_ops_and_stale_bases(
    setup: Context,
) -> None:
    from tests.services.conftest import db_bytes

    c = credentials.add_credential(setup, "codex", secret={"Builtin": {"Codex": CODEX}}, label="o")
    based_on = {"Builtin": {"Codex": CODEX}}
    fields = {"access_token": "at-fresh-0123456789abcdefghij", "expires_at": 77}

    def secret() -> dict[str, Any]:
        row = setup.store.get_credential(c["id"])
        assert row is not None
        body: dict[str, Any] = setup.secrets().decrypt_json(row.secret_token)["Builtin"]["Codex"]
        return body

    version = setup.store.config_version()
    assert credentials.merge_secret_fields(setup, c["id"], fields, based_on=based_on)
    assert secret() == {**CODEX, **fields}
    assert b"at-fresh-0123456789abcdefghij" not in db_bytes(setup)  # encrypted at rest
    bumped = setup.store.config_version()
    assert bumped > version
    # the same fields again: nothing written, no configuration change to reload
    assert not credentials.merge_secret_fields(setup, c["id"], fields, based_on=based_on)
    assert setup.store.config_version() == bumped
    # the operator replaced the secret meanwhile: a token learned from the old one is dropped
    replaced = {**CODEX, "refresh_token": "rt-replaced-0123456789abcdefgh"}
    credentials.update_credential_secret(setup, c["id"], {"Builtin": {"Codex": replaced}})
    late = {"access_token": "at-late-0123456789abcdefghijk", "expires_at": 88}
    assert not credentials.merge_secret_fields(setup, c["id"], late, based_on=based_on)
    assert secret() == replaced
    assert not credentials.merge_secret_fields(setup, 999, late)
