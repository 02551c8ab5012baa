"""Credentials: the secrets a provider uses upstream (spec §2.4).

``secret_json`` is validated with :func:`gatewayctl.catalog.normalize_secret` for the
provider's channel, encrypted with the context's secret box, and never returned in clear: views
carry a masked copy. An update that sends back a masked value (what a query returned) keeps
the stored value for that field, so "query, edit ``enabled``, upsert" round-trips safely.
The credential *label* is the v0.3 ``name`` column; labels are unique per provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from gatewayctl.catalog import (
    CHANNELS,
    VARIANT_ALIASES,
    credential_kind,
    normalize_secret,
    secret_body,
    secret_from_api_key,
)
from gatewayctl.errors import Conflict, InvalidInput, NotFound
from gatewayctl.services.common import (
    MISSING,
    body_id,
    body_object,
    get_bool,
    get_int,
    get_str,
    is_masked,
    json_object,
    json_value,
    limit_of,
    mask_secret_json,
    now_ms,
    scope,
)
from gatewayctl.services.context import Context
from gatewayctl.services.providers import resolve_provider
from gatewayctl.store.models import CredentialRow, ProviderRow, StatusRow

# Variant names (``Codex``, ``OpenAi``…): a secret given as ``{"Codex": {...}}`` is a Builtin one.
_VARIANTS = frozenset(spec.variant for spec in CHANNELS.values()) | frozenset(VARIANT_ALIASES)


def credential_view(
    ctx: Context,
    row: CredentialRow,
    provider: ProviderRow | None = None,
    status: StatusRow | None = None,
) -> dict[str, Any]:
    """The v0.3 credential row with ``secret_json`` masked, plus provider name and health."""
    secret = ctx.secrets().decrypt_json(row.secret_token)
    return {
        "id": row.id,
        "provider_id": row.provider_id,
        "provider": provider.name if provider else None,
        "name": row.name,
        "kind": row.kind,
        "settings_json": row.settings,
        "secret_json": mask_secret_json(secret),
        "enabled": row.enabled,
        "health_kind": status.health_kind if status else "healthy",
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _views(ctx: Context, rows: list[CredentialRow]) -> list[dict[str, Any]]:
    providers = {p.id: p for p in ctx.store.list_providers()}
    statuses = {(s.credential_id, s.channel): s for s in ctx.store.list_statuses()}
    views = []
    for r in rows:
        prov = providers.get(r.provider_id)
        status = statuses.get((r.id or -1, prov.channel)) if prov else None
        views.append(credential_view(ctx, r, prov, status))
    return views


def check_label(label: Any) -> str | None:
    if label is None:
        return None
    if not isinstance(label, str):
        raise InvalidInput("credential label (`name`) must be a string")
    return label.strip() or None


def build_secret(
    channel: str,
    *,
    secret: Any = None,
    api_key: str | None = None,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The canonical ``secret_json`` from a secret object/JSON string or a bare API key.

    Masked field values (as returned by queries) are replaced by ``previous``'s values.
    """
    if api_key is not None and secret is not None:
        raise InvalidInput("give either an api key or a secret_json, not both")
    if api_key is not None:
        if is_masked(api_key):
            raise InvalidInput("the api key looks masked (…); give the real key")
        return secret_from_api_key(channel, api_key)
    value = json_value(secret, "secret_json")
    if value is None:
        raise InvalidInput("a credential needs a secret (`secret_json` or an api key)")
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _VARIANTS:
        value = {"Builtin": value}  # the TOML `builtin` form: {"Codex": {...}}
    if previous is not None:
        value = _unmask(value, previous)
    normalized = normalize_secret(channel, value)
    for key, field in secret_body(normalized).items():
        if is_masked(field):
            raise InvalidInput(f"secret field `{key}` looks masked (…); give the real value")
    return normalized


def _unmask(value: Any, previous: dict[str, Any]) -> Any:
    """Put back stored values where ``value`` carries their masked form."""
    old = secret_body(previous)
    masked_old = secret_body(mask_secret_json(previous))

    def fix(body: Any) -> Any:
        if not isinstance(body, dict):
            return body
        return {
            k: (old[k] if k in old and is_masked(v) and v == masked_old.get(k) else v)
            for k, v in body.items()
        }

    if isinstance(value, str):
        return old.get("api_key", value) if is_masked(value) else value
    if not isinstance(value, dict):
        return value
    if "Custom" in value and isinstance(value["Custom"], dict):
        return {"Custom": fix(value["Custom"])}
    if "Builtin" in value and isinstance(value["Builtin"], dict) and len(value["Builtin"]) == 1:
        ((variant, body),) = value["Builtin"].items()
        return {"Builtin": {variant: fix(body)}}
    return fix(value)


def resolve_credential(ctx: Context, credential_id: int) -> CredentialRow:
    row = ctx.store.get_credential(credential_id)
    if row is None:
        raise NotFound(f"credential {credential_id} not found")
    return row


def save_credential(
    ctx: Context,
    *,
    provider: ProviderRow,
    id: int | None = None,
    label: Any = MISSING,
    secret: Any = None,
    api_key: str | None = None,
    settings: Any = MISSING,
    enabled: bool | None = None,
    kind: str | None = None,
) -> CredentialRow:
    """Create or update a credential of ``provider`` (one transaction).

    ``id`` given: update it or create it with that id. Otherwise a credential of the same
    provider with the same (non-empty) label is updated, else a new one is created. On update
    an omitted secret keeps the stored one.
    """
    assert provider.id is not None
    expected_kind = credential_kind(provider.channel)
    if kind is not None and kind != expected_kind:
        raise InvalidInput(
            f"kind {kind!r} does not match provider {provider.name!r} (expected {expected_kind})"
        )
    clean_label = None if label is MISSING else check_label(label)
    clean_settings = None if settings is MISSING else json_object(settings, "settings_json")
    box = ctx.secrets()
    now = now_ms()
    with ctx.store.transaction():
        existing: CredentialRow | None = None
        if id is not None:
            existing = ctx.store.get_credential(id)
            if existing is not None and existing.provider_id != provider.id:
                raise InvalidInput(
                    f"credential {id} belongs to another provider (id {existing.provider_id})"
                )
        elif clean_label:
            existing = next(
                (
                    c
                    for c in ctx.store.list_credentials(provider_id=provider.id)
                    if c.name == clean_label
                ),
                None,
            )
        if existing is None:
            token = box.encrypt_json(build_secret(provider.channel, secret=secret, api_key=api_key))
            row = CredentialRow(
                id,
                provider.id,
                clean_label,
                expected_kind,
                clean_settings,
                token,
                True if enabled is None else enabled,
                now,
                now,
            )
        else:
            token = existing.secret_token
            if secret is not None or api_key is not None:
                previous = box.decrypt_json(existing.secret_token)
                token = box.encrypt_json(
                    build_secret(
                        provider.channel, secret=secret, api_key=api_key, previous=previous
                    )
                )
            row = replace(
                existing,
                name=existing.name if label is MISSING else clean_label,
                kind=expected_kind,
                settings=existing.settings if settings is MISSING else clean_settings,
                secret_token=token,
                enabled=existing.enabled if enabled is None else enabled,
                updated_at=now,
            )
        if row.name is not None:
            clash = [
                c
                for c in ctx.store.list_credentials(provider_id=provider.id)
                if c.name == row.name and c.id != row.id
            ]
            if clash:
                raise Conflict(
                    f"provider {provider.name!r} already has a credential labelled {row.name!r}"
                )
        return ctx.store.save_credential(row)


# --------------------------------------------------------------------------------------
# CLI-shaped API
# --------------------------------------------------------------------------------------


def add_credential(
    ctx: Context,
    provider: str | int,
    *,
    api_key: str | None = None,
    secret: Any = None,
    label: str | None = None,
    enabled: bool = True,
) -> dict[str, Any]:
    """Add a credential to ``provider`` from an API key or a secret JSON (masked view back)."""
    if api_key is None and secret is None:
        raise InvalidInput("a credential needs a secret: --api-key KEY or --secret-json JSON")
    prov = resolve_provider(ctx, provider)
    clean_label = check_label(label)
    if clean_label and any(
        c.name == clean_label for c in ctx.store.list_credentials(provider_id=prov.id)
    ):
        raise Conflict(f"provider {prov.name!r} already has a credential labelled {clean_label!r}")
    row = save_credential(
        ctx, provider=prov, label=clean_label, secret=secret, api_key=api_key, enabled=enabled
    )
    return credential_view(ctx, row, prov)


def list_credentials(
    ctx: Context,
    *,
    provider: str | int | None = None,
    kind: str | None = None,
    enabled: bool | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    provider_id = resolve_provider(ctx, provider).id if provider is not None else None
    rows = ctx.store.list_credentials(
        provider_id=provider_id, kind=kind, enabled=enabled, limit=limit
    )
    return _views(ctx, rows)


def get_credential(ctx: Context, credential_id: int) -> dict[str, Any]:
    return _views(ctx, [resolve_credential(ctx, credential_id)])[0]


def remove_credential(ctx: Context, credential_id: int) -> None:
    with ctx.store.transaction():
        if not ctx.store.delete_credential(credential_id):
            raise NotFound(f"credential {credential_id} not found")


def set_credential_enabled(ctx: Context, credential_id: int, enabled: bool) -> dict[str, Any]:
    with ctx.store.transaction():
        row = resolve_credential(ctx, credential_id)
        saved = ctx.store.save_credential(replace(row, enabled=enabled, updated_at=now_ms()))
    return get_credential(ctx, saved.id or credential_id)


def update_credential_secret(ctx: Context, credential_id: int, secret: Any) -> None:
    """Replace a credential's secret (e.g. after an OAuth token refresh), validated for its
    provider's channel; label, enabled and settings are kept."""
    row = resolve_credential(ctx, credential_id)
    provider = ctx.store.get_provider(row.provider_id)
    assert provider is not None
    save_credential(ctx, provider=provider, id=credential_id, secret=secret)


def merge_secret_fields(
    ctx: Context,
    credential_id: int,
    fields: Mapping[str, Any],
    *,
    based_on: Mapping[str, Any] | None = None,
) -> bool:
    """Merge ``fields`` into a credential's secret (a refreshed access token and its expiry),
    in one transaction; True when something was written.

    Nothing is written when the credential is gone, when the stored secret already carries
    ``fields``, or when ``based_on`` — the secret the fields were learned from — differs from
    the stored one in any *other* field: the operator replaced the secret meanwhile, and a
    token of the old account must not be pinned to the new one.
    """
    box = ctx.secrets()
    with ctx.store.transaction():
        row = ctx.store.get_credential(credential_id)
        provider = ctx.store.get_provider(row.provider_id) if row is not None else None
        if row is None or provider is None:
            return False
        body = secret_body(box.decrypt_json(row.secret_token))
        if all(body.get(k) == v for k, v in fields.items()):
            return False
        if based_on is not None:
            others = set(body) | set(secret_body(dict(based_on)))
            learned_from = secret_body(dict(based_on))
            if any(body.get(k) != learned_from.get(k) for k in others - set(fields)):
                return False
        secret = normalize_secret(provider.channel, {**body, **fields})
        ctx.store.save_credential(
            replace(row, secret_token=box.encrypt_json(secret), updated_at=now_ms())
        )
    return True


# --------------------------------------------------------------------------------------
# HTTP-body API (/admin/credentials/*)
# --------------------------------------------------------------------------------------


def query(ctx: Context, body: Any) -> list[dict[str, Any]]:
    """``POST /admin/credentials/query`` (secrets masked)."""
    b = body_object(body)
    rows = ctx.store.list_credentials(
        provider_id=scope(b, "provider_id", int),
        kind=scope(b, "kind", str),
        enabled=scope(b, "enabled", bool),
        limit=limit_of(b),
    )
    return _views(ctx, rows)


def upsert(ctx: Context, body: Any) -> dict[str, Any]:
    """``POST /admin/credentials/upsert`` → the saved credential (masked).

    Accepts ``provider_id`` or (relaxation) ``provider`` = provider name; ``secret_json`` may be
    omitted on update; ``api_key`` is accepted as a shorthand for API-key channels.
    """
    b = body_object(body)
    credential_id = get_int(b, "id", minimum=1)
    provider_id = get_int(b, "provider_id")
    provider_name = get_str(b, "provider")
    if provider_id is None and provider_name is None:
        if credential_id is None or ctx.store.get_credential(credential_id) is None:
            raise InvalidInput("`provider_id` is required")
        existing = ctx.store.get_credential(credential_id)
        assert existing is not None
        provider_id = existing.provider_id
    prov = resolve_provider(ctx, provider_id if provider_id is not None else provider_name or "")
    secret = b.get("secret_json")
    api_key = get_str(b, "api_key")
    row = save_credential(
        ctx,
        provider=prov,
        id=credential_id,
        label=b["name"] if "name" in b else (b["label"] if "label" in b else MISSING),
        secret=secret,
        api_key=api_key,
        settings=b["settings_json"] if "settings_json" in b else MISSING,
        enabled=get_bool(b, "enabled"),
        kind=get_str(b, "kind"),
    )
    return credential_view(ctx, row, prov)


def delete(ctx: Context, body: Any) -> None:
    """``POST /admin/credentials/delete`` ``{id}``."""
    remove_credential(ctx, body_id(body))
