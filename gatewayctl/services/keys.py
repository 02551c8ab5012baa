"""User API keys and the admin key (spec §6.2, §6.3).

Keys are stored encrypted with a keyed hash beside them (unique, indexed) for O(1) auth.
Normalization: a key for user N is stored as ``uN_<raw>`` (raw trimmed) unless it already
starts with ``uN_``; an empty key is an error; a key that already exists → Conflict
("user key already exists"). The admin key is a key of user 0 labelled
``bootstrap-admin-key``, stored as given (no prefix) and mirrored (encrypted) in
``global_settings.admin_key``.

Queries return keys **masked**. The one place a stored key comes back in clear is the answer
to a create/upsert (``keys create``, ``/user/keys/upsert``, ``/admin/user-keys/upsert``): that
is how a caller learns a generated or normalized key. ``admin-key show|rotate`` print the
admin key: that is their purpose.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from gatewayctl.errors import Conflict, Forbidden, InvalidInput, NotFound
from gatewayctl.services.common import (
    MISSING,
    body_id,
    body_object,
    get_bool,
    get_int,
    is_masked,
    mask_secret,
    now_ms,
    scope,
)
from gatewayctl.services.context import Context
from gatewayctl.services.users import resolve_user
from gatewayctl.store.models import ADMIN_USER_ID, UserKeyRow

ADMIN_KEY_LABEL = "bootstrap-admin-key"


def normalize_user_key(user_id: int, raw: str) -> str:
    """``u{user_id}_<raw>`` unless ``raw`` already carries that prefix; raw is trimmed."""
    key = raw.strip()
    if not key:
        raise InvalidInput("api key must not be empty")
    prefix = f"u{user_id}_"
    return key if key.startswith(prefix) else prefix + key


def generate_raw_key() -> str:
    return secrets.token_urlsafe(24)


def key_view(ctx: Context, row: UserKeyRow, *, reveal: bool = False) -> dict[str, Any]:
    key = ctx.secrets().decrypt(row.key_token)
    return {
        "id": row.id,
        "user_id": row.user_id,
        "api_key": key if reveal else mask_secret(key),
        "label": row.label,
        "enabled": row.enabled,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def save_key(
    ctx: Context,
    *,
    user_id: int,
    api_key: str | None,
    id: int | None = None,
    label: Any = MISSING,
    enabled: bool | None = None,
) -> UserKeyRow:
    """Create or update a key row; ``api_key`` is stored exactly as given (already normalized).

    ``api_key=None`` on update keeps the stored key. Conflict when the key exists elsewhere.
    """
    if label is not MISSING and label is not None and not isinstance(label, str):
        raise InvalidInput("`label` must be a string")
    clean_label = None if label is MISSING or label is None else (label.strip() or None)
    box = ctx.secrets()
    now = now_ms()
    with ctx.store.transaction():
        if ctx.store.get_user(user_id) is None:
            raise NotFound(f"user {user_id} not found")
        existing = ctx.store.get_user_key(id) if id is not None else None
        if existing is not None and existing.user_id != user_id:
            raise InvalidInput(f"user key {id} belongs to user {existing.user_id}")
        if existing is None and api_key is None:
            raise InvalidInput("`api_key` is required")
        token = key_hash = None
        if api_key is not None:
            key_hash = box.hash_key(api_key)
            clash = ctx.store.get_user_key_by_hash(key_hash)
            if clash is not None and clash.id != id:
                raise Conflict("user key already exists")
            token = box.encrypt(api_key)
        if existing is None:
            assert token is not None and key_hash is not None
            row = UserKeyRow(
                id, user_id, token, key_hash, clean_label,
                True if enabled is None else enabled, now, now,
            )  # fmt: skip
        else:
            row = replace(
                existing,
                key_token=token or existing.key_token,
                key_hash=key_hash or existing.key_hash,
                label=existing.label if label is MISSING else clean_label,
                enabled=existing.enabled if enabled is None else enabled,
                updated_at=now,
            )
        return ctx.store.save_user_key(row)


def _incoming_key(ctx: Context, user_id: int, raw: Any, existing: UserKeyRow | None) -> str | None:
    """The key to store from a body's ``api_key`` (None = keep the existing one)."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidInput("`api_key` must be a string")
    if existing is not None and is_masked(raw):
        current = ctx.secrets().decrypt(existing.key_token)
        if raw == mask_secret(current):
            return None
    if is_masked(raw):
        raise InvalidInput("`api_key` looks masked (…); give the real key")
    return normalize_user_key(user_id, raw)


# --------------------------------------------------------------------------------------
# CLI-shaped API
# --------------------------------------------------------------------------------------


def create_key(
    ctx: Context,
    user: str | int,
    *,
    raw: str | None = None,
    label: str | None = None,
    enabled: bool = True,
) -> dict[str, Any]:
    """Create a key for ``user`` (random when ``raw`` is None); the view shows it in clear."""
    owner = resolve_user(ctx, user)
    assert owner.id is not None
    key = normalize_user_key(owner.id, raw if raw is not None else generate_raw_key())
    row = save_key(ctx, user_id=owner.id, api_key=key, label=label, enabled=enabled)
    return key_view(ctx, row, reveal=True)


def list_keys(ctx: Context, *, user: str | int | None = None) -> list[dict[str, Any]]:
    """Keys (masked), with the owner's name as ``user``."""
    user_id = resolve_user(ctx, user).id if user is not None else None
    names = {u.id: u.name for u in ctx.store.list_users()}
    return [
        {**key_view(ctx, r), "user": names.get(r.user_id)}
        for r in ctx.store.list_user_keys(user_id=user_id)
    ]


def revoke_key(ctx: Context, key_id: int) -> None:
    """Delete a key. The bootstrap admin key is replaced with ``admin-key rotate`` instead."""
    with ctx.store.transaction():
        row = ctx.store.get_user_key(key_id)
        if row is None:
            raise NotFound(f"user key {key_id} not found")
        if row.user_id == ADMIN_USER_ID and row.label == ADMIN_KEY_LABEL:
            raise InvalidInput(
                "the admin key cannot be revoked; replace it with `admin-key rotate`"
            )
        ctx.store.delete_user_key(key_id)


# --------------------------------------------------------------------------------------
# admin key
# --------------------------------------------------------------------------------------


def _admin_key_row(ctx: Context) -> UserKeyRow | None:
    rows = ctx.store.list_user_keys(user_id=ADMIN_USER_ID)
    labelled = [r for r in rows if r.label == ADMIN_KEY_LABEL]
    enabled = [r for r in rows if r.enabled]
    candidates = labelled or enabled
    return candidates[0] if candidates else None


def get_admin_key(ctx: Context) -> str | None:
    """The admin key in clear, or None when none exists yet."""
    row = _admin_key_row(ctx)
    return ctx.secrets().decrypt(row.key_token) if row else None


def set_admin_key(ctx: Context, key: str) -> str:
    """Make ``key`` (stored as given, no prefix) the admin key; returns it."""
    clean = key.strip()
    if not clean:
        raise InvalidInput("admin key must not be empty")
    if is_masked(clean):
        raise InvalidInput("admin key looks masked (…); give the real key")
    box = ctx.secrets()
    with ctx.store.transaction():
        row = _admin_key_row(ctx)
        labelled = row if row is not None and row.label == ADMIN_KEY_LABEL else None
        save_key(
            ctx,
            user_id=ADMIN_USER_ID,
            api_key=clean,
            id=labelled.id if labelled else None,
            label=ADMIN_KEY_LABEL,
            enabled=True,
        )
        settings = ctx.store.get_global_settings()
        ctx.store.save_global_settings(
            replace(settings, admin_key_token=box.encrypt(clean), updated_at=now_ms())
        )
    return clean


def rotate_admin_key(ctx: Context) -> str:
    """Replace the admin key with a fresh random one; returns it."""
    return set_admin_key(ctx, generate_raw_key())


def ensure_admin_key(ctx: Context, configured: str | None = None) -> tuple[str, bool]:
    """The admin key at server start: ``configured`` if given, else the existing one, else a
    generated one. Returns ``(key, generated)``."""
    if configured and configured.strip():
        current = get_admin_key(ctx)
        if current != configured.strip():
            set_admin_key(ctx, configured)
        return configured.strip(), False
    current = get_admin_key(ctx)
    if current is not None:
        return current, False
    return rotate_admin_key(ctx), True


# --------------------------------------------------------------------------------------
# HTTP-body API: /admin/user-keys/* and /user/keys/*
# --------------------------------------------------------------------------------------


def query(ctx: Context, body: Any) -> list[dict[str, Any]]:
    """``/admin/user-keys/query`` ``{id, user_id, api_key}`` scopes → masked keys."""
    b = body_object(body)
    api_key = scope(b, "api_key", str)
    rows = ctx.store.list_user_keys(
        id=scope(b, "id", int),
        user_id=scope(b, "user_id", int),
        key_hash=ctx.secrets().hash_key(api_key.strip()) if api_key else None,
    )
    return [key_view(ctx, r) for r in rows]


def upsert(ctx: Context, body: Any) -> dict[str, Any]:
    """``/admin/user-keys/upsert`` ``{id?, user_id, api_key, label?, enabled?}`` → the stored
    key, in clear this once."""
    b = body_object(body)
    key_id = get_int(b, "id", minimum=1)
    user_id = get_int(b, "user_id", required=True, minimum=0)
    assert user_id is not None
    existing = ctx.store.get_user_key(key_id) if key_id is not None else None
    row = save_key(
        ctx,
        user_id=user_id,
        api_key=_incoming_key(ctx, user_id, b.get("api_key"), existing),
        id=key_id,
        label=b["label"] if "label" in b else MISSING,
        enabled=get_bool(b, "enabled"),
    )
    return key_view(ctx, row, reveal=True)


def delete(ctx: Context, body: Any) -> None:
    revoke_key(ctx, body_id(body))


def user_query(ctx: Context, user_id: int, body: Any = None) -> list[dict[str, Any]]:
    """``/user/keys/query``: the caller's keys (masked)."""
    return [key_view(ctx, r) for r in ctx.store.list_user_keys(user_id=user_id)]


def user_upsert(ctx: Context, user_id: int, body: Any) -> dict[str, Any]:
    """``/user/keys/upsert`` ``{id?, api_key, label?, enabled?}`` for the caller → the stored
    key in clear (a random key is generated when ``api_key`` is absent on create)."""
    b = body_object(body)
    key_id = get_int(b, "id", minimum=1)
    existing = ctx.store.get_user_key(key_id) if key_id is not None else None
    if existing is not None and existing.user_id != user_id:
        raise Forbidden(f"user key {key_id} belongs to another user")
    raw = b.get("api_key")
    if raw is None and existing is None:
        raw = generate_raw_key()
    row = save_key(
        ctx,
        user_id=user_id,
        api_key=_incoming_key(ctx, user_id, raw, existing),
        id=key_id,
        label=b["label"] if "label" in b else MISSING,
        enabled=get_bool(b, "enabled"),
    )
    return key_view(ctx, row, reveal=True)


def user_delete(ctx: Context, user_id: int, body: Any) -> None:
    """``/user/keys/delete`` ``{id}``: 403 for another user's key, 404 for an unknown one."""
    key_id = body_id(body)
    row = ctx.store.get_user_key(key_id)
    if row is None:
        raise NotFound(f"not found: user_key {key_id}")
    if row.user_id != user_id:
        raise Forbidden(f"user key {key_id} belongs to another user")
    revoke_key(ctx, key_id)
