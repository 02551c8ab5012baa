"""Providers: named, configured instances of a channel (CONTRACT §4).

Rules enforced here: the name is unique, URL-safe and not reserved (default = channel id);
an unknown channel id is a *custom* channel and needs ``settings.base_url``; settings are
validated per known key; a dispatch table is parsed and stored only when it differs from the
channel default (``None`` in the store = follow the default). Several providers may share a
channel. Views are JSON-ready dicts in the v0.3 shape
``{id, name, channel, settings_json, dispatch_json, enabled, created_at, updated_at}``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gatewayctl.catalog import (
    CHANNELS,
    RESERVED_PROVIDER_NAMES,
    canonical_channel,
    channel_spec,
)
from gatewayctl.dispatch import default_dispatch, parse_dispatch, parse_shape
from gatewayctl.errors import Conflict, InvalidInput, NotFound
from gatewayctl.services.common import (
    MISSING,
    body_id,
    body_object,
    check_name,
    check_url,
    get_bool,
    get_int,
    get_str,
    json_object,
    json_value,
    limit_of,
    now_ms,
    scope,
)
from gatewayctl.services.context import Context
from gatewayctl.store.models import ProviderRow

URL_SETTINGS = frozenset(
    {
        "base_url",
        "oauth_token_url",
        "oauth_authorize_url",
        "oauth_userinfo_url",
        "oauth_issuer_url",
        "claudecode_ai_base_url",
        "claudecode_platform_base_url",
    }
)
BOOL_SETTINGS = frozenset(
    {
        "credential_round_robin_enabled",
        "credential_cache_affinity_enabled",
        "anthropic_append_beta_query",
        "claudecode_append_beta_query",
        "claudecode_flatten_system_text_before_cache_control",
    }
)
INT_SETTINGS = frozenset({"credential_cache_affinity_max_keys"})
STR_SETTINGS = frozenset({"claudecode_prelude_text", "user_agent"})
PICK_MODES = ("sticky_no_cache", "round_robin_with_cache", "round_robin_no_cache")


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------


def check_channel(channel: Any) -> str:
    """The canonical channel id (built-in or custom); raises InvalidInput when malformed."""
    if not isinstance(channel, str) or not channel.strip():
        raise InvalidInput("`channel` is required")
    cid = canonical_channel(channel)
    if channel_spec(cid) is None:
        check_name(cid, "custom channel id")
    return cid


def default_name(channel: str) -> str:
    """A provider's default name: the channel id as given (``claude`` stays ``claude``)."""
    return channel.strip().lower()


def check_provider_name(name: str) -> str:
    clean = check_name(name, "provider name")
    if clean.lower() in RESERVED_PROVIDER_NAMES:
        raise InvalidInput(
            f"provider name {clean!r} is reserved ({', '.join(sorted(RESERVED_PROVIDER_NAMES))})"
        )
    return clean


def _check_mask_table(value: Any) -> dict[str, Any]:
    where = "settings.mask_table"
    if not isinstance(value, dict) or not isinstance(value.get("rules"), list):
        raise InvalidInput(f'{where} must be an object {{"rules": [...]}}')
    for i, rule in enumerate(value["rules"]):
        at = f"{where}.rules[{i}]"
        if not isinstance(rule, dict):
            raise InvalidInput(f"{at} must be an object")
        for key in ("method", "path"):
            if key in rule and not isinstance(rule[key], str):
                raise InvalidInput(f"{at}.{key} must be a string")
        fields = rule.get("remove_fields")
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise InvalidInput(f"{at}.remove_fields must be a list of strings")
    return value


def validate_settings(channel: str, settings: Any) -> dict[str, Any]:
    """Validated provider settings for ``channel`` (a default ``base_url`` filled in)."""
    raw = json_object(settings, "settings_json") if not isinstance(settings, dict) else settings
    clean: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        if not isinstance(key, str) or not key:
            raise InvalidInput("settings keys must be non-empty strings")
        where = f"settings.{key}"
        if value is None:
            continue
        if key in URL_SETTINGS:
            value = check_url(value, where).rstrip("/")
        elif key in BOOL_SETTINGS:
            if not isinstance(value, bool):
                raise InvalidInput(f"`{where}` must be true or false")
        elif key in INT_SETTINGS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(f"`{where}` must be a non-negative integer")
        elif key in STR_SETTINGS:
            if not isinstance(value, str):
                raise InvalidInput(f"`{where}` must be a string")
        elif key == "credential_pick_mode":
            if value not in PICK_MODES:
                raise InvalidInput(f"`{where}` must be one of {', '.join(PICK_MODES)}")
        elif key == "mask_table":
            value = _check_mask_table(value)
        elif key == "protocol":
            value = parse_shape(value)
        elif key == "cache_breakpoints":
            if not isinstance(value, list) or len(value) > 4:
                raise InvalidInput(f"`{where}` must be a list of at most 4 rules")
        clean[key] = value
    spec = channel_spec(channel)
    if spec is None:
        if not clean.get("base_url"):
            raise InvalidInput(
                f"unknown channel {channel!r}: a custom channel requires settings.base_url "
                "(--base-url); built-in channels: " + ", ".join(CHANNELS)
            )
    else:
        clean.setdefault("base_url", spec.default_base_url)
    return clean


def validate_dispatch(
    channel: str, settings: dict[str, Any], dispatch: Any
) -> dict[str, Any] | None:
    """The dispatch JSON to store: None when absent or equal to the provider's default
    (which, for a custom channel, follows its ``protocol`` setting)."""
    value = json_value(dispatch, "dispatch_json")
    if value is None:
        return None
    table = parse_dispatch(value)
    if table == default_dispatch(channel, settings):
        return None
    return table.to_json()


# --------------------------------------------------------------------------------------
# views and lookups
# --------------------------------------------------------------------------------------


def provider_view(row: ProviderRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "channel": row.channel,
        "settings_json": row.settings,
        "dispatch_json": row.dispatch
        if row.dispatch is not None
        else default_dispatch(row.channel, row.settings).to_json(),
        "enabled": row.enabled,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def resolve_provider(ctx: Context, ref: str | int) -> ProviderRow:
    """A provider by id (int or all-digit string that is no provider name) or by name."""
    row: ProviderRow | None
    if isinstance(ref, int):
        row = ctx.store.get_provider(ref)
    else:
        row = ctx.store.get_provider_by_name(ref.strip())
        if row is None and ref.strip().isdigit():
            row = ctx.store.get_provider(int(ref))
    if row is None:
        raise NotFound(f"provider {ref!r} not found")
    return row


# --------------------------------------------------------------------------------------
# CLI-shaped API
# --------------------------------------------------------------------------------------


def add_provider(
    ctx: Context,
    name: str | None,
    channel: str,
    *,
    settings: Any = None,
    dispatch: Any = None,
    enabled: bool = True,
) -> dict[str, Any]:
    """Create a provider; Conflict when the name is taken."""
    cid = check_channel(channel)
    clean_name = check_provider_name(name if name else default_name(channel))
    clean_settings = validate_settings(cid, settings)
    clean_dispatch = validate_dispatch(cid, clean_settings, dispatch)
    now = now_ms()
    with ctx.store.transaction():
        if ctx.store.get_provider_by_name(clean_name) is not None:
            raise Conflict(f"provider {clean_name!r} already exists")
        row = ctx.store.save_provider(
            ProviderRow(None, clean_name, cid, clean_settings, clean_dispatch, enabled, now, now)
        )
    return provider_view(row)


def list_providers(
    ctx: Context,
    *,
    channel: str | None = None,
    name: str | None = None,
    enabled: bool | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    rows = ctx.store.list_providers(
        channel=canonical_channel(channel) if channel else None,
        name=name,
        enabled=enabled,
        limit=limit,
    )
    return [provider_view(r) for r in rows]


def get_provider(ctx: Context, ref: str | int) -> dict[str, Any]:
    return provider_view(resolve_provider(ctx, ref))


def remove_provider(ctx: Context, ref: str | int) -> None:
    """Delete a provider (its credentials and statuses cascade)."""
    with ctx.store.transaction():
        row = resolve_provider(ctx, ref)
        assert row.id is not None
        ctx.store.delete_provider(row.id)


def set_provider_enabled(ctx: Context, ref: str | int, enabled: bool) -> dict[str, Any]:
    with ctx.store.transaction():
        row = resolve_provider(ctx, ref)
        saved = ctx.store.save_provider(replace(row, enabled=enabled, updated_at=now_ms()))
    return provider_view(saved)


def save_provider(
    ctx: Context,
    *,
    id: int | None = None,
    name: str | None = None,
    channel: str | None = None,
    settings: Any = MISSING,
    dispatch: Any = MISSING,
    enabled: bool | None = None,
) -> ProviderRow:
    """Create or update a provider (upsert semantics; used by HTTP upsert and TOML import).

    ``id`` given: update that row, or create it with that id. Otherwise match by ``name``
    (default = channel) and update, else create. Omitted ``settings``/``dispatch``/``enabled``
    keep the stored values on update; on create they take the defaults.
    """
    clean_name = check_provider_name(name) if name else None
    cid = check_channel(channel) if channel is not None else None
    now = now_ms()
    with ctx.store.transaction():
        existing: ProviderRow | None = None
        if id is not None:
            existing = ctx.store.get_provider(id)
        else:
            lookup = clean_name or (default_name(channel) if channel else None)
            if lookup is None:
                raise InvalidInput("`name` or `channel` is required")
            existing = ctx.store.get_provider_by_name(lookup)
        if existing is None:
            if cid is None:
                raise InvalidInput("`channel` is required to create a provider")
            clean_name = clean_name or check_provider_name(default_name(channel or cid))
            new_settings = validate_settings(cid, None if settings is MISSING else settings)
            row = ProviderRow(
                id,
                clean_name,
                cid,
                new_settings,
                None if dispatch is MISSING else validate_dispatch(cid, new_settings, dispatch),
                True if enabled is None else enabled,
                now,
                now,
            )
        else:
            new_cid = cid or existing.channel
            if new_cid != existing.channel and existing.id is not None:
                if ctx.store.list_credentials(provider_id=existing.id, limit=1):
                    raise InvalidInput(
                        f"cannot change the channel of provider {existing.name!r} from "
                        f"{existing.channel} to {new_cid}: it has credentials; remove them first"
                    )
            new_settings = validate_settings(
                new_cid, existing.settings if settings is MISSING else settings
            )
            row = replace(
                existing,
                name=clean_name or existing.name,
                channel=new_cid,
                settings=new_settings,
                dispatch=validate_dispatch(
                    new_cid, new_settings, existing.dispatch if dispatch is MISSING else dispatch
                ),
                enabled=existing.enabled if enabled is None else enabled,
                updated_at=now,
            )
        other = ctx.store.get_provider_by_name(row.name)
        if other is not None and other.id != row.id:
            raise Conflict(f"provider {row.name!r} already exists")
        return ctx.store.save_provider(row)


# --------------------------------------------------------------------------------------
# HTTP-body API (/admin/providers/*)
# --------------------------------------------------------------------------------------


def query(ctx: Context, body: Any) -> list[dict[str, Any]]:
    """``POST /admin/providers/query`` → provider rows, newest ``updated_at`` first."""
    b = body_object(body)
    channel = scope(b, "channel", str)
    rows = ctx.store.list_providers(
        channel=canonical_channel(channel) if channel else None,
        name=scope(b, "name", str),
        enabled=scope(b, "enabled", bool),
    )
    rows.sort(key=lambda r: (r.updated_at, r.id or 0), reverse=True)
    limit = limit_of(b)
    return [provider_view(r) for r in (rows[:limit] if limit else rows)]


def upsert(ctx: Context, body: Any) -> dict[str, Any]:
    """``POST /admin/providers/upsert`` → the saved provider."""
    b = body_object(body)
    row = save_provider(
        ctx,
        id=get_int(b, "id", minimum=1),
        name=get_str(b, "name"),
        channel=get_str(b, "channel"),
        settings=b["settings_json"] if "settings_json" in b else MISSING,
        dispatch=b["dispatch_json"] if "dispatch_json" in b else MISSING,
        enabled=get_bool(b, "enabled"),
    )
    return provider_view(row)


def delete(ctx: Context, body: Any) -> None:
    """``POST /admin/providers/delete`` ``{id}``."""
    provider_id = body_id(body)
    with ctx.store.transaction():
        if not ctx.store.delete_provider(provider_id):
            raise NotFound(f"provider {provider_id} not found")
