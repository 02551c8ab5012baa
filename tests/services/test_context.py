"""Unlocking secrets through a Context: every key source, wrong/missing keys, nothing in clear."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from gatewayctl.errors import SecretStoreUnavailable
from gatewayctl.secrets import KEYRING_SERVICE, keyring_entry
from gatewayctl.services import credentials, global_settings, keys, providers, users
from gatewayctl.services.context import Context, open_context
from gatewayctl.store.logrows import normalize_log_row
from tests.services.conftest import db_bytes

API_KEY = "sk-proj-VERYSECRET-0123456789abcdefXYZ"


def test_keyring_holds_the_key(ctx: Context) -> None:
    box = ctx.secrets()
    db_id = ctx.store.get_meta("db_id")
    assert db_id and keyring.get_password(KEYRING_SERVICE, keyring_entry(db_id))
    assert not (ctx.settings.data_dir / "secret.key").exists()
    assert box.source.startswith("keyring")
    # a second process (context) finds the same key
    with open_context() as other:
        assert other.secrets().hash_key("k") == box.hash_key("k")


def test_commands_without_secrets_never_touch_the_keyring(ctx: Context) -> None:
    providers.add_provider(ctx, None, "openai")
    providers.list_providers(ctx)
    assert ctx.store.get_meta("key_check") is None
    assert keyring.get_keyring().store == {}  # type: ignore[attr-defined]


def test_headless_falls_back_to_key_file_with_notice(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring.set_keyring(fail.Keyring())
    with open_context() as c:
        credentials.add_credential(
            c, providers.add_provider(c, None, "openai")["name"], api_key=API_KEY
        )
    err = capsys.readouterr().err
    path = isolated_env / "secret.key"
    assert err.count("\n") == 1 and str(path) in err and "no OS keyring" in err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with open_context() as c:  # later runs read the file silently
        assert credentials.list_credentials(c)[0]["secret_json"]["Builtin"]["OpenAi"]["api_key"]
    assert capsys.readouterr().err == ""


def test_env_key_then_missing_key_is_a_clear_error(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAYCTL_SECRET_KEY", "11" * 32)
    with open_context() as c:
        users.add_user(c, "alice")
        keys.create_key(c, "alice", raw="alice-key")
        assert c.secrets().source == "GATEWAYCTL_SECRET_KEY"
    monkeypatch.delenv("GATEWAYCTL_SECRET_KEY")
    with open_context() as c, pytest.raises(SecretStoreUnavailable) as exc:
        keys.list_keys(c)
    assert "no master key was found" in str(exc.value)
    assert "GATEWAYCTL_SECRET_KEY" in str(exc.value)


def test_wrong_key_is_a_clear_error(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAYCTL_SECRET_KEY", "11" * 32)
    with open_context() as c:
        users.add_user(c, "alice")
        keys.create_key(c, "alice", raw="alice-key")
    monkeypatch.setenv("GATEWAYCTL_SECRET_KEY", "22" * 32)
    with open_context() as c:
        with pytest.raises(SecretStoreUnavailable, match="does not match this database"):
            keys.list_keys(c)
        with pytest.raises(SecretStoreUnavailable):  # and no write goes through either
            keys.create_key(c, "alice", raw="other")
    monkeypatch.setenv("GATEWAYCTL_SECRET_KEY", "11" * 32)
    with open_context() as c:
        assert len(keys.list_keys(c)) == 1


def test_no_secret_in_clear_in_the_database_files(ctx: Context) -> None:
    providers.add_provider(ctx, None, "openai")
    credentials.add_credential(ctx, "openai", api_key=API_KEY, label="main")
    users.add_user(ctx, "alice")
    keys.create_key(ctx, "alice", raw="ALICE-RAW-KEY-424242")
    keys.set_admin_key(ctx, "ADMIN-KEY-31337-31337")
    global_settings.update_settings(ctx, {"hf_token": "hf_TOKEN_987654321"})
    # the gateway logs the upstream call with the key in a header and a query parameter
    ctx.store.append_rows(
        "upstream_requests",
        [
            normalize_log_row(
                "upstream_requests",
                {
                    "request_method": "POST",
                    "request_url": f"https://up/v1?key={API_KEY}",
                    "request_headers_json": {"authorization": f"Bearer {API_KEY}"},
                },
            )
        ],
        normalized=True,
    )
    raw = db_bytes(ctx)
    for secret in (API_KEY, "ALICE-RAW-KEY-424242", "ADMIN-KEY-31337-31337", "hf_TOKEN_987654321"):
        assert secret.encode() not in raw
    # …while everything still decrypts
    assert keys.get_admin_key(ctx) == "ADMIN-KEY-31337-31337"
