"""Users: who may call the gateway (spec §6). User 0 is ``admin``: always there, always
enabled, never renamed or deleted. Views are ``{id, name, enabled}`` (v0.3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gatewayctl.errors import Conflict, InvalidInput, NotFound
from gatewayctl.services.common import (
    body_id,
    body_object,
    get_bool,
    get_int,
    get_str,
    now_ms,
    scope,
)
from gatewayctl.services.context import Context
from gatewayctl.store.models import ADMIN_USER_ID, ADMIN_USER_NAME, UserRow


def user_view(row: UserRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "enabled": row.enabled}


def check_user_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("user name must not be empty")
    clean = name.strip()
    if len(clean) > 128 or any(ord(ch) < 32 for ch in clean):
        raise InvalidInput("user name must be at most 128 printable characters")
    return clean


def resolve_user(ctx: Context, ref: str | int) -> UserRow:
    """A user by id (int, or digits that are no user name) or by name."""
    row: UserRow | None
    if isinstance(ref, int):
        row = ctx.store.get_user(ref)
    else:
        row = ctx.store.get_user_by_name(ref.strip())
        if row is None and ref.strip().isdigit():
            row = ctx.store.get_user(int(ref))
    if row is None:
        raise NotFound(f"user {ref!r} not found")
    return row


def save_user(
    ctx: Context, *, id: int | None = None, name: str | None = None, enabled: bool | None = None
) -> UserRow:
    """Create or update a user: by ``id`` (created with that id if new), else matched by name."""
    clean = check_user_name(name) if name is not None else None
    now = now_ms()
    with ctx.store.transaction():
        existing = (
            ctx.store.get_user(id)
            if id is not None
            else ctx.store.get_user_by_name(clean)
            if clean
            else None
        )
        if existing is None:
            if clean is None:
                raise InvalidInput("`name` is required")
            if id == ADMIN_USER_ID or clean == ADMIN_USER_NAME:
                raise InvalidInput(f"the name {ADMIN_USER_NAME!r} and id 0 are the admin's")
            if id is None:
                id = max((u.id or 0 for u in ctx.store.list_users()), default=0) + 1
            row = UserRow(id, clean, True if enabled is None else enabled, now, now)
        else:
            if existing.id == ADMIN_USER_ID:
                if clean not in (None, ADMIN_USER_NAME):
                    raise InvalidInput("the admin user cannot be renamed")
                if enabled is False:
                    raise InvalidInput("the admin user cannot be disabled")
            elif clean == ADMIN_USER_NAME:
                raise InvalidInput(f"the name {ADMIN_USER_NAME!r} is reserved for the admin")
            row = replace(
                existing,
                name=clean or existing.name,
                enabled=existing.enabled if enabled is None else enabled,
                updated_at=now,
            )
        other = ctx.store.get_user_by_name(row.name)
        if other is not None and other.id != row.id:
            raise Conflict(f"user {row.name!r} already exists")
        return ctx.store.save_user(row)


# --------------------------------------------------------------------------------------
# CLI-shaped API
# --------------------------------------------------------------------------------------


def add_user(ctx: Context, name: str, *, enabled: bool = True) -> dict[str, Any]:
    clean = check_user_name(name)
    if ctx.store.get_user_by_name(clean) is not None:
        raise Conflict(f"user {clean!r} already exists")
    return user_view(save_user(ctx, name=clean, enabled=enabled))


def list_users(ctx: Context, *, limit: int | None = None) -> list[dict[str, Any]]:
    return [user_view(u) for u in ctx.store.list_users(limit=limit)]


def remove_user(ctx: Context, ref: str | int) -> None:
    """Delete a user and their keys; the admin cannot be deleted."""
    with ctx.store.transaction():
        row = resolve_user(ctx, ref)
        if row.id == ADMIN_USER_ID:
            raise InvalidInput("the admin user cannot be deleted")
        assert row.id is not None
        ctx.store.delete_user(row.id)


def set_user_enabled(ctx: Context, ref: str | int, enabled: bool) -> dict[str, Any]:
    row = resolve_user(ctx, ref)
    return user_view(save_user(ctx, id=row.id, enabled=enabled))


# --------------------------------------------------------------------------------------
# HTTP-body API (/admin/users/*)
# --------------------------------------------------------------------------------------


def query(ctx: Context, body: Any) -> list[dict[str, Any]]:
    b = body_object(body)
    rows = ctx.store.list_users(id=scope(b, "id", int), name=scope(b, "name", str))
    return [user_view(u) for u in rows]


def upsert(ctx: Context, body: Any) -> dict[str, Any]:
    """``{id?, name, enabled?}``: by id, else matched by name, else created (id = max+1)."""
    b = body_object(body)
    user_id = get_int(b, "id", minimum=0)
    name = get_str(b, "name", required=user_id is None)
    return user_view(save_user(ctx, id=user_id, name=name, enabled=get_bool(b, "enabled")))


def delete(ctx: Context, body: Any) -> None:
    remove_user(ctx, body_id(body))
