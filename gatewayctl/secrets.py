"""Secrets at rest: AES-GCM encryption under one master key, and keyed hashes for lookups.

Credential ``secret_json``, user/admin API keys and ``hf_token`` are stored as versioned
tokens ``gc1:<base64url(nonce ‖ ciphertext ‖ tag)>`` (AES-256-GCM, random 96-bit nonce per
value). API keys are also stored as ``HMAC-SHA256(hash_key, key)`` in an indexed column, so
authentication is one index lookup without decrypting anything. The encryption and hash keys
are derived from the 256-bit master key with HKDF, so neither is the master key itself.

Where the master key comes from (:func:`load_master_key`), first match wins:

1. ``GATEWAYCTL_SECRET_KEY`` (64 hex chars or base64 of 32 bytes) — explicit, for servers.
2. The OS keyring (service ``gatewayctl``, entry ``master-key/<database id>``) when a real
   backend works. ``keyring.backends.fail``/``null`` and ``keyrings.alt`` (plaintext) never
   count as working.
3. A 0600 key file ``<data-dir>/secret.key``; created only when no keyring works, with a
   one-line notice on stderr saying where it is.

Nothing falls back to plaintext. A database that already holds encrypted data refuses to
run with a missing or different key (:class:`~gatewayctl.errors.SecretStoreUnavailable`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gatewayctl.errors import SecretStoreUnavailable

ENV_SECRET_KEY = "GATEWAYCTL_SECRET_KEY"
KEYRING_SERVICE = "gatewayctl"
KEY_FILE_NAME = "secret.key"
TOKEN_PREFIX = "gc1:"
_AAD = b"gatewayctl/gc1"
_CHECK_PLAINTEXT = "gatewayctl master key check"

Notice = Callable[[str], None]


def keyring_entry(db_id: str) -> str:
    """The keyring username under which a database's master key is kept."""
    return f"master-key/{db_id}"


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def generate_master_key() -> bytes:
    return os.urandom(32)


def encode_master_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def parse_master_key(text: str, where: str) -> bytes:
    """Decode a master key given as 64 hex chars or (url-safe) base64 of 32 bytes."""
    raw = text.strip()
    candidates: list[bytes] = []
    if len(raw) == 64:
        try:
            candidates.append(bytes.fromhex(raw))
        except ValueError:
            pass
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            candidates.append(decode(raw + "=" * (-len(raw) % 4)))
        except (binascii.Error, ValueError):
            pass
    for key in candidates:
        if len(key) == 32:
            return key
    raise SecretStoreUnavailable(
        f"{where} must be 32 random bytes as 64 hex chars or base64 "
        "(generate one: python -c 'import secrets; print(secrets.token_hex(32))')"
    )


class SecretBox:
    """Encrypts/decrypts secret values and hashes API keys under one master key."""

    def __init__(self, master_key: bytes, source: str = "") -> None:
        if len(master_key) != 32:
            raise ValueError("master key must be 32 bytes")
        self.source = source  # where the key came from, for error messages
        self._aead = AESGCM(_derive(master_key, b"gatewayctl aes-256-gcm v1"))
        self._hash_key = _derive(master_key, b"gatewayctl api-key hmac v1")

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), _AAD)
        return TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        if not is_token(token):
            raise SecretStoreUnavailable("a stored secret is not an encrypted token")
        try:
            blob = base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :])
            return self._aead.decrypt(blob[:12], blob[12:], _AAD).decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise SecretStoreUnavailable(
                f"cannot decrypt a stored secret: the master key ({self.source or 'given'}) "
                "does not match the one this database was encrypted with"
            ) from exc

    def encrypt_json(self, value: Any) -> str:
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def decrypt_json(self, token: str) -> Any:
        return json.loads(self.decrypt(token))

    def hash_key(self, api_key: str) -> str:
        """The keyed hash stored next to an API key (hex HMAC-SHA256)."""
        return hmac.new(self._hash_key, api_key.encode("utf-8"), hashlib.sha256).hexdigest()

    def hasher(self) -> Callable[[str], str]:
        """A standalone ``hash_key`` (holds only the derived hash key), for auth tables."""
        key = self._hash_key
        return lambda api_key: hmac.new(key, api_key.encode("utf-8"), hashlib.sha256).hexdigest()

    def make_check(self) -> str:
        """A token the database keeps to recognise its own key later."""
        return self.encrypt(_CHECK_PLAINTEXT)

    def matches(self, check_token: str) -> bool:
        try:
            return self.decrypt(check_token) == _CHECK_PLAINTEXT
        except SecretStoreUnavailable:
            return False


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


# --------------------------------------------------------------------------------------
# where the master key lives
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MasterKey:
    key: bytes
    source: str  # "env", "keyring" or "file"
    where: str  # human description: env var name, keyring entry, file path


def _usable_keyring() -> Any | None:
    """The active keyring backend if it is a real one, else None (never plaintext)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except Exception:  # pragma: no cover - keyring is a dependency
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if type(backend).__module__.startswith("keyrings.alt"):
        return None  # plaintext file backends: refuse silently-insecure storage
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return None  # ChainerBackend with nothing behind it
    return backend


def _keyring_get(db_id: str) -> str | None:
    backend = _usable_keyring()
    if backend is None:
        return None
    try:
        value = backend.get_password(KEYRING_SERVICE, keyring_entry(db_id))
    except Exception:
        return None
    return value if isinstance(value, str) and value else None


def _keyring_store(db_id: str, encoded: str) -> bool:
    """Store the key in the keyring and read it back; False when that does not work."""
    backend = _usable_keyring()
    if backend is None:
        return False
    try:
        backend.set_password(KEYRING_SERVICE, keyring_entry(db_id), encoded)
        return bool(backend.get_password(KEYRING_SERVICE, keyring_entry(db_id)) == encoded)
    except Exception:
        return False


def key_file_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE_NAME


def _read_key_file(path: Path, notice: Notice) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretStoreUnavailable(f"cannot read the key file {path}: {exc}") from exc
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        notice(f"warning: key file {path} is readable by others (mode {mode:o}); chmod 600 it")
    return parse_master_key(text, f"key file {path}")


def _write_key_file(path: Path, encoded: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(encoded + "\n")


def load_master_key(
    data_dir: Path,
    db_id: str,
    *,
    create: bool,
    notice: Notice,
    env: dict[str, str] | None = None,
    file_first: bool = False,
) -> MasterKey:
    """Find the master key of database ``db_id`` (see the module docstring for the order).

    With ``create=False`` (the database already holds encrypted data) a missing key is an
    error; with ``create=True`` a new key is generated and stored in the keyring, or in the
    key file when no keyring works (announced through ``notice``). ``file_first`` (the database
    says its key lives in the key file) reads that file before asking the keyring, which
    saves importing and probing keyring backends on every command.
    """
    env_map = os.environ if env is None else env
    env_value = env_map.get(ENV_SECRET_KEY, "").strip()
    if env_value:
        return MasterKey(parse_master_key(env_value, ENV_SECRET_KEY), "env", ENV_SECRET_KEY)
    entry = f"keyring {KEYRING_SERVICE}/{keyring_entry(db_id)}"
    path = key_file_path(data_dir)
    if file_first:
        from_file = _read_key_file(path, notice)
        if from_file is not None:
            return MasterKey(from_file, "file", str(path))
    stored = _keyring_get(db_id)
    if stored:
        return MasterKey(parse_master_key(stored, entry), "keyring", entry)
    from_file = _read_key_file(path, notice)
    if from_file is not None:
        return MasterKey(from_file, "file", str(path))
    if not create:
        raise SecretStoreUnavailable(
            "this database holds encrypted secrets but no master key was found: set "
            f"{ENV_SECRET_KEY}, or restore the {entry} or the key file {path}"
        )
    key = generate_master_key()
    encoded = encode_master_key(key)
    if _keyring_store(db_id, encoded):
        return MasterKey(key, "keyring", entry)
    try:
        _write_key_file(path, encoded)
    except FileExistsError:  # another process won the race: use its key
        existing = _read_key_file(path, notice)
        assert existing is not None
        return MasterKey(existing, "file", str(path))
    except OSError as exc:
        raise SecretStoreUnavailable(
            f"no OS keyring available and cannot write the key file {path}: {exc}; "
            f"set {ENV_SECRET_KEY}"
        ) from exc
    notice(f"gatewayctl: no OS keyring available; the secret key is stored in {path} (mode 0600)")
    return MasterKey(key, "file", str(path))
