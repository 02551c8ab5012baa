"""TOML export/import: byte-identical round trip, gproxy v0.3 import, validation, merging."""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatewayctl.errors import Conflict, InvalidInput
from gatewayctl.services import (
    credentials,
    global_settings,
    keys,
    providers,
    statuses,
    toml_io,
    users,
)
from gatewayctl.services.context import Context, open_context
from gatewayctl.settings import resolve_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Context]:
    """A second, empty data dir."""
    c = open_context(resolve_settings(data_dir=tmp_path / "other"))
    try:
        yield c
    finally:
        c.close()


def populate(ctx: Context) -> None:
    global_settings.update_settings(
        ctx,
        {
            "host": "0.0.0.0",
            "port": 9999,
            "proxy": "http://proxy.test:3128",
            "hf_token": "hf_secret_token_0123456789",
            "mask_sensitive_info": False,
        },
    )
    providers.add_provider(ctx, None, "openai")
    providers.add_provider(ctx, "openai-eu", "openai", settings={"base_url": "https://eu.test"})
    providers.add_provider(ctx, None, "anthropic", enabled=False)
    providers.add_provider(ctx, None, "codex")
    providers.add_provider(
        ctx,
        None,
        "mycustom",
        settings={
            "base_url": "https://c.test",
            "mask_table": {"rules": [{"path": "/v1/*", "remove_fields": ["a.b"]}]},
            "credential_round_robin_enabled": False,
        },
        dispatch={
            "rules": [
                {
                    "route": {"operation": "GenerateContent", "protocol": "Claude"},
                    "implementation": {
                        "TransformTo": {
                            "destination": {
                                "operation": "GenerateContent",
                                "protocol": "OpenAiChatCompletion",
                            }
                        }
                    },
                },
                {
                    "route": {"operation": "ModelList", "protocol": "OpenAi"},
                    "implementation": "Local",
                },
            ]
        },
    )
    a = credentials.add_credential(ctx, "openai", api_key="sk-openai-main-0123456789", label="main")
    credentials.add_credential(ctx, "openai", api_key="sk-openai-off", label="off", enabled=False)
    credentials.add_credential(ctx, "openai", api_key="sk-openai-unlabelled")
    b = credentials.add_credential(ctx, "anthropic", api_key="sk-ant-0123456789", label="k")
    credentials.add_credential(
        ctx,
        "codex",
        secret={"Codex": {"access_token": "at", "refresh_token": "rt", "account_id": "acc",
                          "user_email": "me@example.com", "expires_at": 1767225600000}},
        label="oauth",
    )  # fmt: skip
    credentials.add_credential(ctx, "mycustom", secret={"api_key": "ck-1"}, label="c")
    statuses.set_status(
        ctx, a["id"], "partial", health=[{"model": "gpt-4.1", "until_unix_ms": 5}],
        checked_at=4, last_error="429 too many",
    )  # fmt: skip
    statuses.set_status(ctx, b["id"], "dead", last_error="401")
    users.add_user(ctx, "alice")
    users.add_user(ctx, "bob", enabled=False)
    keys.create_key(ctx, "alice", raw="alice-laptop", label="laptop")
    keys.create_key(ctx, "alice", raw="alice-ci", enabled=False)
    keys.create_key(ctx, "bob", raw="bob-key", label="b")
    keys.set_admin_key(ctx, "admin-key-0123456789")


def test_round_trip_is_byte_identical(ctx: Context, other: Context) -> None:
    populate(ctx)
    first = toml_io.export_toml(ctx)
    result = toml_io.import_toml(other, first)
    assert result.created == {"providers": 5, "credentials": 6, "users": 2, "keys": 3}
    second = toml_io.export_toml(other)
    assert second == first
    toml_io.import_toml(other, first)  # importing again changes nothing
    assert toml_io.export_toml(other) == first
    assert keys.get_admin_key(other) == "admin-key-0123456789"
    assert global_settings.runtime_settings(other).hf_token == "hf_secret_token_0123456789"
    # structure: dispatch only where it differs from the default; secret/builtin forms
    doc = tomllib.loads(first)
    by_name = {p["name"]: p for p in doc["providers"]}
    assert "dispatch" not in by_name["openai"] and "dispatch" in by_name["mycustom"]
    assert by_name["openai"]["credentials"][0]["secret"] == "sk-openai-main-0123456789"
    assert by_name["openai"]["credentials"][0]["state"]["health"]["kind"] == "partial"
    assert by_name["codex"]["credentials"][0]["builtin"]["Codex"]["account_id"] == "acc"
    assert by_name["mycustom"]["credentials"][0]["secret"] == "ck-1"
    assert [u["name"] for u in doc["users"]] == ["admin", "alice", "bob"]


def test_empty_database_round_trip(ctx: Context, other: Context) -> None:
    text = toml_io.export_toml(ctx)
    toml_io.import_toml(other, text)
    assert toml_io.export_toml(other) == text


def test_gproxy_v03_import(ctx: Context, other: Context) -> None:
    result = toml_io.import_toml_file(ctx, EXAMPLES / "gproxy.example.toml")
    assert result.created == {"providers": 4, "credentials": 5}
    got = {p["name"]: (p["channel"], p["enabled"]) for p in providers.list_providers(ctx)}
    assert got == {
        "openai": ("openai", True),
        "claude": ("anthropic", True),
        "codex": ("codex", False),
        "mycustom": ("mycustom", True),
    }
    box = ctx.secrets()
    secrets = {
        (p.name, c.name): box.decrypt_json(c.secret_token)
        for p in ctx.store.list_providers()
        for c in ctx.store.list_credentials(provider_id=p.id)
    }
    assert secrets[("openai", "primary")] == {
        "Builtin": {"OpenAi": {"api_key": "sk-gproxy-openai-0123456789abcdef"}}
    }
    assert secrets[("claude", "main")] == {
        "Builtin": {"Anthropic": {"api_key": "sk-ant-gproxy-0123456789abcdef"}}
    }
    assert secrets[("codex", "oauth")]["Builtin"]["Codex"]["account_id"] == "acct-123"
    assert secrets[("mycustom", "custom")] == {"Custom": {"api_key": "custom-key-0123456789abcdef"}}
    health = {
        (r["provider"], r["label"]): r["health_kind"] for r in statuses.credential_health(ctx)
    }
    assert health[("openai", "backup")] == "partial" and health[("claude", "main")] == "dead"
    mycustom = providers.get_provider(ctx, "mycustom")
    assert len(mycustom["dispatch_json"]["rules"]) == 3
    assert mycustom["settings_json"]["mask_table"]["rules"][0]["remove_fields"] == ["metadata"]
    assert keys.get_admin_key(ctx) == "gproxy-admin-key-0123456789"
    # and what we export from it survives our own round trip
    text = toml_io.export_toml(ctx)
    toml_io.import_toml(other, text)
    assert toml_io.export_toml(other) == text


def test_gatewayctl_example_imports(ctx: Context) -> None:
    toml_io.import_toml_file(ctx, EXAMPLES / "gatewayctl.example.toml")
    names = [p["name"] for p in providers.list_providers(ctx)]
    assert names == ["openai", "openai-eu", "anthropic", "codex", "local-llm"]
    assert keys.list_keys(ctx, user="alice")[0]["label"] == "laptop"


BAD_DOCUMENTS = [
    ("[[providers]\n", "invalid toml"),
    ("[nonsense]\n", "unknown top-level"),
    ("[runtime]\nx = 1\n", "gproxy section"),
    ("[global]\nport = 'x'\n", r"\[global\].port must be an integer"),
    ("[global]\nport = 70000\n", "between 1 and 65535"),
    ("[global]\ncolour = 'red'\n", r"\[global\]: unknown key"),
    ("[global]\nproxy = 'ftp://x'\n", "proxy"),
    ("[[providers]]\nname = 'x'\nchannel = 'mystery'\n", r"providers\[1\]: unknown channel"),
    ("[[providers]]\nchannel = 'openai'\nbogus = 1\n", r"providers\[1\]: unknown key"),
    ("[[providers]]\nname = 'admin'\nchannel = 'openai'\n", "reserved"),
    ("[[providers]]\nchannel = 'openai'\n[[providers]]\nchannel = 'openai'\n", "appears twice"),
    ("[[providers]]\nchannel = 'openai'\n[providers.settings]\nbase_url = 'nope'\n", "URL"),
    ("[[providers]]\nchannel = 'openai'\n[[providers.credentials]]\nlabel = 'a'\n",
     r"credentials\[0\]: exactly one of"),
    ("[[providers]]\nchannel = 'codex'\n[[providers.credentials]]\nsecret = 'sk'\n",
     "requires a builtin credential"),
    ("[[providers]]\nchannel = 'openai'\n[[providers.credentials]]\nsecret = 'a'\nlabel = 'x'\n"
     "[[providers.credentials]]\nsecret = 'b'\nlabel = 'x'\n", "label 'x' appears twice"),
    ("[[providers]]\nchannel = 'openai'\n[[providers.credentials]]\nsecret = 'sk-…abcd'\n",
     "redacted"),
    ("[[providers]]\nchannel = 'openai'\n[[providers.credentials]]\nsecret = 'a'\n"
     "[providers.credentials.state.health]\nkind = 'zombie'\n", "invalid health_kind"),
    ("[[providers]]\nchannel = 'openai'\n[providers.dispatch]\nrules = [{route = 1}]\n",
     r"dispatch.rules\[0\]"),
    ("[[users]]\nname = ''\n", "must not be empty"),
    ("[[users]]\nname = 'admin'\nenabled = false\n", "cannot be disabled"),
    ("[[users]]\nname = 'a'\n[[users.keys]]\nlabel = 'x'\n", "api_key must be"),
    ("[[users]]\nname = 'a'\n[[users.keys]]\napi_key = 'k'\n[[users]]\nname = 'b'\n"
     "[[users.keys]]\napi_key = 'k'\n", "appears twice"),
    ("[[channels]]\nenabled = true\n", r"channels\[0\].id is required"),
    ("[[channels]]\nid = 'openai'\nname = 'x'\n", "unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "match"), BAD_DOCUMENTS)
def test_bad_documents_write_nothing(ctx: Context, text: str, match: str) -> None:
    # a valid provider first, so a half-applied import would be visible
    doc = "[[providers]]\nname = 'first'\nchannel = 'groq'\n" + text
    if text.startswith(("[global]", "[nonsense]", "[runtime]")):
        doc = text + "[[providers]]\nname = 'first'\nchannel = 'groq'\n"
    version = ctx.store.config_version()
    with pytest.raises(InvalidInput, match=match):
        toml_io.import_toml(ctx, doc)
    assert ctx.store.config_version() == version
    assert providers.list_providers(ctx) == []


def test_conflict_while_applying_rolls_back(ctx: Context) -> None:
    users.add_user(ctx, "alice")
    keys.create_key(ctx, "alice", raw="taken")
    version = ctx.store.config_version()
    doc = (
        "[[providers]]\nchannel = 'groq'\n"
        "[[users]]\nname = 'zed'\n[[users.keys]]\napi_key = 'u1_taken'\n"
    )
    with pytest.raises(Conflict, match="belongs to another user"):
        toml_io.import_toml(ctx, doc)
    assert ctx.store.config_version() == version
    assert providers.list_providers(ctx) == []
    assert [u["name"] for u in users.list_users(ctx)] == ["admin", "alice"]


def test_import_merges_and_never_deletes(ctx: Context) -> None:
    providers.add_provider(ctx, None, "groq")
    providers.add_provider(ctx, None, "openai")
    credentials.add_credential(ctx, "openai", api_key="sk-keep", label="keep")
    toml_io.import_toml(
        ctx,
        "[[providers]]\nname = 'openai'\nchannel = 'openai'\nenabled = false\n"
        "[[providers.credentials]]\nlabel = 'new'\nsecret = 'sk-new'\n",
    )
    assert [p["name"] for p in providers.list_providers(ctx)] == ["groq", "openai"]
    assert providers.get_provider(ctx, "openai")["enabled"] is False
    assert [c["name"] for c in credentials.list_credentials(ctx, provider="openai")] == [
        "keep",
        "new",
    ]


def test_keys_keep_their_prefix_on_restore(ctx: Context) -> None:
    users.add_user(ctx, "first")  # makes "alice" id 2 in this database
    toml_io.import_toml(
        ctx,
        "[[users]]\nname = 'alice'\n[[users.keys]]\napi_key = 'u1_from-backup'\n"
        "[[users.keys]]\napi_key = 'raw'\n",
    )
    box = ctx.secrets()
    stored = sorted(box.decrypt(k.key_token) for k in ctx.store.list_user_keys(user_id=2))
    assert stored == ["u1_from-backup", "u2_raw"]


def test_redacted_export(ctx: Context, other: Context) -> None:
    populate(ctx)
    text = toml_io.export_toml(ctx, redact=True)
    for secret in ("sk-openai-main-0123456789", "hf_secret_token_0123456789", "alice-laptop",
                   "admin-key-0123456789", "sk-ant-0123456789"):  # fmt: skip
        assert secret not in text
    assert "sk-…6789" in text
    with pytest.raises(InvalidInput, match="redacted"):
        toml_io.import_toml(other, text)


def test_export_file_mode_and_comments_are_kept(ctx: Context, tmp_path: Path) -> None:
    populate(ctx)
    target = tmp_path / "backup.toml"
    toml_io.write_export_file(ctx, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() == toml_io.export_toml(ctx)
    # hand-edit: comments, and a provider that no longer exists
    edited = (
        target.read_text()
        .replace('name = "openai-eu"', 'name = "openai-eu"  # the EU tenant')
        .replace("[global]", "# listen settings\n[global]")
    )
    edited += '\n[[providers]]\nname = "gone"\nchannel = "groq"\n'
    target.write_text(edited)
    providers.set_provider_enabled(ctx, "openai-eu", False)
    written = toml_io.write_export_file(ctx, target)
    assert "# the EU tenant" in written and "# listen settings" in written
    assert tomllib.loads(written) == tomllib.loads(toml_io.export_toml(ctx))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_unreadable_inputs(ctx: Context, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        toml_io.import_toml_file(ctx, tmp_path / "missing.toml")
    with pytest.raises(InvalidInput, match="no such directory"):
        toml_io.write_export_file(ctx, tmp_path / "nope" / "x.toml")
