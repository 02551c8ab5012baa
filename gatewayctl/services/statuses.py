"""Credential statuses: healthy / partial (per-model cooldowns) / dead (spec §2.5).

Stored as ``health_kind`` + ``health_json`` (partial: ``[{model, until_unix_ms}]``; the
``{"models": [...]}`` form is accepted on input). One row per ``(credential_id, channel)``; no
row means healthy. The gateway persists its in-memory changes in batches through
:func:`record_status_changes` (or the store's batched writer); admins edit them through the
``/admin/credential-statuses/*`` bodies below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gatewayctl.errors import InvalidInput, NotFound
from gatewayctl.services.common import (
    body_id,
    body_object,
    get_int,
    get_str,
    json_value,
    limit_of,
    now_ms,
    scope,
)
from gatewayctl.services.context import Context
from gatewayctl.services.providers import resolve_provider
from gatewayctl.store.models import HEALTH_KINDS, StatusRow


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One credential health change, as the gateway reports it."""

    credential_id: int
    channel: str
    health_kind: str  # healthy | partial | dead
    models: tuple[tuple[str, int], ...] = ()  # partial: (model, until_unix_ms)
    checked_at: int | None = None
    last_error: str | None = None


def parse_health(kind: Any, health: Any) -> tuple[str, list[dict[str, Any]] | None]:
    """Validate a health kind and its JSON; returns ``(kind, models-or-None)``."""
    if not isinstance(kind, str) or kind.strip().lower() not in HEALTH_KINDS:
        raise InvalidInput(f"invalid health_kind: {kind!r} (healthy, partial or dead)")
    clean_kind = kind.strip().lower()
    if clean_kind != "partial":
        return clean_kind, None
    value = json_value(health, "health_json")
    if isinstance(value, dict) and set(value) == {"models"}:
        value = value["models"]
    if value is None:
        value = []
    if not isinstance(value, list):
        raise InvalidInput(
            '`health_json` must be [{"model", "until_unix_ms"}] or {"models": [...]}'
        )
    models: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        where = f"health_json[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} must be an object with model and until_unix_ms")
        model, until = item.get("model"), item.get("until_unix_ms")
        if not isinstance(model, str) or not model.strip():
            raise InvalidInput(f"{where}.model must be a non-empty string")
        if isinstance(until, bool) or not isinstance(until, int) or until < 0:
            raise InvalidInput(f"{where}.until_unix_ms must be a non-negative integer")
        models.append({"model": model.strip(), "until_unix_ms": until})
    return clean_kind, models


def status_view(row: StatusRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "credential_id": row.credential_id,
        "channel": row.channel,
        "health_kind": row.health_kind,
        "health_json": row.health,
        "checked_at": row.checked_at,
        "last_error": row.last_error,
        "updated_at": row.updated_at,
    }


def set_status(
    ctx: Context,
    credential_id: int,
    health_kind: str,
    *,
    health: Any = None,
    checked_at: int | None = None,
    last_error: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """Upsert the status of one credential (channel defaults to its provider's)."""
    kind, models = parse_health(health_kind, health)
    with ctx.store.transaction():
        cred = ctx.store.get_credential(credential_id)
        if cred is None:
            raise NotFound(f"credential {credential_id} not found")
        provider = ctx.store.get_provider(cred.provider_id)
        assert provider is not None
        chan = channel.strip() if channel else provider.channel
        ctx.store.upsert_statuses(
            [StatusRow(None, credential_id, chan, kind, models, checked_at, last_error, now_ms())]
        )
        (row,) = ctx.store.list_statuses(credential_id=credential_id, channel=chan)
    return status_view(row)


def record_status_changes(ctx: Context, changes: Iterable[StatusChange]) -> int:
    """Persist a batch of gateway status changes in one transaction (deleted credentials are
    skipped). Returns the number of rows written."""
    now = now_ms()
    rows = []
    for change in changes:
        kind, models = parse_health(
            change.health_kind,
            [{"model": m, "until_unix_ms": u} for m, u in change.models],
        )
        rows.append(
            StatusRow(
                None,
                change.credential_id,
                change.channel,
                kind,
                models,
                change.checked_at,
                change.last_error,
                now,
            )
        )
    if not rows:
        return 0
    return ctx.store.upsert_statuses(rows)


def credential_health(ctx: Context, provider: str | int | None = None) -> list[dict[str, Any]]:
    """Every credential (of ``provider``) with its health; active cooldowns only for partial.

    Rows: ``{credential_id, provider, label, enabled, health_kind, cooldowns, checked_at,
    last_error}``; a credential without a status row is healthy.
    """
    prov_filter = resolve_provider(ctx, provider).id if provider is not None else None
    now = now_ms()
    with ctx.store.read():
        providers = {p.id: p for p in ctx.store.list_providers()}
        statuses = {(s.credential_id, s.channel): s for s in ctx.store.list_statuses()}
        creds = ctx.store.list_credentials(provider_id=prov_filter)
    out = []
    for c in creds:
        prov = providers[c.provider_id]
        status = statuses.get((c.id or -1, prov.channel))
        cooldowns = [
            m
            for m in (status.health or [] if status and status.health_kind == "partial" else [])
            if isinstance(m, dict) and int(m.get("until_unix_ms", 0)) > now
        ]
        out.append(
            {
                "credential_id": c.id,
                "provider": prov.name,
                "label": c.name,
                "enabled": c.enabled,
                "health_kind": status.health_kind if status else "healthy",
                "cooldowns": cooldowns,
                "checked_at": status.checked_at if status else None,
                "last_error": status.last_error if status else None,
            }
        )
    return out


# --------------------------------------------------------------------------------------
# HTTP-body API (/admin/credential-statuses/*)
# --------------------------------------------------------------------------------------


def query(ctx: Context, body: Any) -> list[dict[str, Any]]:
    b = body_object(body)
    kind = scope(b, "health_kind", str)
    rows = ctx.store.list_statuses(
        id=scope(b, "id", int),
        credential_id=scope(b, "credential_id", int),
        channel=scope(b, "channel", str),
        health_kind=kind.strip().lower() if kind else None,
        limit=limit_of(b),
    )
    return [status_view(r) for r in rows]


def upsert(ctx: Context, body: Any) -> dict[str, Any]:
    """``{id?, credential_id, channel?, health_kind, health_json?, checked_at_unix_ms?,
    last_error?}`` → the saved status."""
    b = body_object(body)
    credential_id = get_int(b, "credential_id", required=True)
    assert credential_id is not None
    status_id = get_int(b, "id")
    channel = get_str(b, "channel")
    if status_id is not None:
        existing = ctx.store.list_statuses(id=status_id)
        if existing and existing[0].credential_id != credential_id:
            raise InvalidInput(
                f"status {status_id} belongs to credential {existing[0].credential_id}"
            )
    checked = get_int(b, "checked_at_unix_ms", minimum=0)
    if checked is None:
        checked = get_int(b, "checked_at", minimum=0)
    return set_status(
        ctx,
        credential_id,
        b.get("health_kind"),  # type: ignore[arg-type]  # validated by parse_health
        health=b.get("health_json"),
        checked_at=checked,
        last_error=get_str(b, "last_error", strip=False),
        channel=channel,
    )


def delete(ctx: Context, body: Any) -> None:
    status_id = body_id(body)
    with ctx.store.transaction():
        if not ctx.store.delete_status(status_id):
            raise NotFound(f"credential status {status_id} not found")
