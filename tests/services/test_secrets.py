"""Secrets at rest: the AES-GCM box and every master-key source."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from gatewayctl.errors import SecretStoreUnavailable
from gatewayctl.secrets import (
    ENV_SECRET_KEY,
    KEYRING_SERVICE,
    SecretBox,
    is_token,
    keyring_entry,
    load_master_key,
    parse_master_key,
)

KEY = bytes(range(32))


def test_encrypt_round_trip_with_random_nonce() -> None:
    box = SecretBox(KEY)
    a, b = box.encrypt("sk-secret"), box.encrypt("sk-secret")
    assert a != b and is_token(a) and a.startswith("gc1:")
    assert "sk-secret" not in a
    assert box.decrypt(a) == box.decrypt(b) == "sk-secret"
    assert box.decrypt_json(box.encrypt_json({"k": ["é"]})) == {"k": ["é"]}


def test_tampered_or_foreign_tokens_fail_clearly() -> None:
    box = SecretBox(KEY, "test key")
    token = box.encrypt("x")
    # flip a character in the middle of the base64 body (never only padding bits)
    mid = len(token) // 2
    tampered = token[:mid] + ("A" if token[mid] != "A" else "B") + token[mid + 1 :]
    with pytest.raises(SecretStoreUnavailable, match="does not match"):
        box.decrypt(tampered)
    with pytest.raises(SecretStoreUnavailable, match="does not match"):
        SecretBox(bytes(32)).decrypt(token)
    with pytest.raises(SecretStoreUnavailable, match="not an encrypted token"):
        box.decrypt("plaintext")


def test_key_hash_is_keyed_and_stable() -> None:
    box = SecretBox(KEY)
    assert box.hash_key("k") == box.hash_key("k") == box.hasher()("k")
    assert box.hash_key("k") != SecretBox(bytes(32)).hash_key("k")
    assert len(box.hash_key("k")) == 64


def test_key_check() -> None:
    check = SecretBox(KEY).make_check()
    assert SecretBox(KEY).matches(check)
    assert not SecretBox(bytes(32)).matches(check)


@pytest.mark.parametrize(
    "text",
    [KEY.hex(), base64.b64encode(KEY).decode(), base64.urlsafe_b64encode(KEY).decode().rstrip("=")],
)
def test_parse_master_key_formats(text: str) -> None:
    assert parse_master_key(text, "x") == KEY


@pytest.mark.parametrize("text", ["short", "00" * 31, "not base64 !!"])
def test_parse_master_key_rejects(text: str) -> None:
    with pytest.raises(SecretStoreUnavailable, match="must be 32 random bytes"):
        parse_master_key(text, ENV_SECRET_KEY)


def notices() -> tuple[list[str], Callable[[str], None]]:
    seen: list[str] = []
    return seen, seen.append


def test_env_key_is_explicit_and_wins(tmp_path: Path) -> None:
    seen, notice = notices()
    mk = load_master_key(
        tmp_path, "db1", create=True, notice=notice, env={ENV_SECRET_KEY: KEY.hex()}
    )
    assert (mk.key, mk.source, mk.where) == (KEY, "env", ENV_SECRET_KEY)
    assert not (tmp_path / "secret.key").exists() and seen == []
    assert keyring.get_password(KEYRING_SERVICE, keyring_entry("db1")) is None
    with pytest.raises(SecretStoreUnavailable):
        load_master_key(tmp_path, "db1", create=True, notice=notice, env={ENV_SECRET_KEY: "bad"})


def test_keyring_source(tmp_path: Path) -> None:
    """The root conftest installs an in-memory keyring: the key goes there, not to a file."""
    seen, notice = notices()
    created = load_master_key(tmp_path, "db1", create=True, notice=notice, env={})
    assert created.source == "keyring"
    assert keyring.get_password(KEYRING_SERVICE, keyring_entry("db1")) is not None
    again = load_master_key(tmp_path, "db1", create=False, notice=notice, env={})
    assert again.key == created.key and again.source == "keyring"
    assert not (tmp_path / "secret.key").exists() and seen == []
    other = load_master_key(tmp_path, "db2", create=True, notice=notice, env={})
    assert other.key != created.key  # one key per database


def test_fail_backend_falls_back_to_key_file_with_notice(tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    seen, notice = notices()
    data_dir = tmp_path / "data"
    created = load_master_key(data_dir, "db1", create=True, notice=notice, env={})
    path = data_dir / "secret.key"
    assert created.source == "file" and created.where == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(seen) == 1 and str(path) in seen[0] and "\n" not in seen[0]
    again = load_master_key(data_dir, "db1", create=False, notice=notice, env={})
    assert again.key == created.key and len(seen) == 1  # no notice on later reads


class PlaintextAltKeyring(KeyringBackend):
    """Looks like keyrings.alt's plaintext backend: must never be used."""

    priority = 1  # type: ignore[assignment]
    stored: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.stored.pop((service, username), None)


PlaintextAltKeyring.__module__ = "keyrings.alt.file"


def test_keyrings_alt_is_never_used(tmp_path: Path) -> None:
    backend = PlaintextAltKeyring()
    keyring.set_keyring(backend)
    seen, notice = notices()
    created = load_master_key(tmp_path, "db1", create=True, notice=notice, env={})
    assert created.source == "file" and backend.stored == {}


def test_missing_key_for_existing_data_is_an_error(tmp_path: Path) -> None:
    seen, notice = notices()
    with pytest.raises(SecretStoreUnavailable, match="no master key was found"):
        load_master_key(tmp_path, "db1", create=False, notice=notice, env={})


def test_world_readable_key_file_is_reported(tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    seen, notice = notices()
    load_master_key(tmp_path, "db1", create=True, notice=notice, env={})
    os.chmod(tmp_path / "secret.key", 0o644)
    load_master_key(tmp_path, "db1", create=False, notice=notice, env={})
    assert any("readable by others" in s for s in seen)
