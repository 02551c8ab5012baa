"""Export the configuration as TOML (CONTRACT §6): a full backup, secrets included.

The document is deterministic so that export → import into an empty data dir → export is
byte-identical: fixed key order, providers/credentials/users/keys in id order, no ids and no
timestamps that change on import (ids are local to a database; names and labels are the
identity that import merges on). Credential health ``state`` is exported as stored.

``[[providers.dispatch.rules]]`` appears only when a provider overrides its channel's default
table. ``secret = "…"`` is used for plain API keys; structured secrets go to
``[providers.credentials.builtin.<Variant>]`` (built-in channels) or a ``secret`` table
(custom channels with extra fields). The admin user is exported as ``[[users]] name =
"admin"`` with its keys (the ``bootstrap-admin-key`` one is the admin key). ``redact=True``
masks every secret (the result is for sharing and cannot be imported back).
"""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.items import AoT, InlineTable, Table

from gatewayctl.catalog import accepts_api_key, channel_spec, secret_body
from gatewayctl.services.common import mask_secret, mask_secret_json
from gatewayctl.services.context import Context
from gatewayctl.store.models import CredentialRow, ProviderRow, StatusRow

HEADER = "gatewayctl configuration (export-toml). Import with: gatewayctl import-toml FILE"


def _inline(value: Any) -> Any:
    """Nested dicts as inline tables (keeps dispatch rules on one line each)."""
    if isinstance(value, dict):
        table: InlineTable = tomlkit.inline_table()
        for k, v in value.items():
            table[k] = _inline(v)
        return table
    if isinstance(value, list):
        return [_inline(v) for v in value]
    return value


def _table(values: dict[str, Any]) -> Table:
    table = tomlkit.table()
    for key, value in values.items():
        if value is not None:
            table[key] = value
    return table


def _secret_fields(ctx: Context, cred: CredentialRow, channel: str, redact: bool) -> Table:
    """``secret = "…"`` / ``[builtin.<Variant>]`` / ``[secret]`` entries for one credential."""
    secret = ctx.secrets().decrypt_json(cred.secret_token)
    shown = mask_secret_json(secret) if redact else secret
    body = secret_body(shown)
    table = tomlkit.table()
    spec = channel_spec(channel)
    if accepts_api_key(channel) and set(body) == {"api_key"}:
        table["secret"] = body["api_key"]
    elif spec is not None:
        builtin = tomlkit.table()
        builtin[spec.variant] = _table(body)
        table["builtin"] = builtin
    else:
        table["secret"] = _table(body)
    return table


def _state(status: StatusRow) -> Table:
    state = tomlkit.table()
    if status.checked_at is not None:
        state["checked_at_unix_ms"] = status.checked_at
    if status.last_error is not None:
        state["last_error"] = status.last_error
    health = tomlkit.table()
    health["kind"] = status.health_kind
    if status.health_kind == "partial":
        models = tomlkit.aot()
        for m in status.health or []:
            models.append(_table({"model": m["model"], "until_unix_ms": m["until_unix_ms"]}))
        health["models"] = models
    state["health"] = health
    return state


def _provider(
    ctx: Context,
    provider: ProviderRow,
    creds: list[CredentialRow],
    statuses: dict[tuple[int, str], StatusRow],
    redact: bool,
) -> Table:
    table = _table({"name": provider.name, "channel": provider.channel})
    table["enabled"] = provider.enabled
    table["settings"] = _table(provider.settings)
    if provider.dispatch is not None:
        rules = tomlkit.aot()
        for rule in provider.dispatch.get("rules", []):
            row = tomlkit.table()
            row["route"] = _inline(rule["route"])
            row["implementation"] = _inline(rule["implementation"])
            rules.append(row)
        dispatch = tomlkit.table()
        dispatch["rules"] = rules
        table["dispatch"] = dispatch
    entries = tomlkit.aot()
    for cred in creds:
        entry = tomlkit.table()
        if cred.name is not None:
            entry["label"] = cred.name
        entry["enabled"] = cred.enabled
        for key, value in _secret_fields(ctx, cred, provider.channel, redact).items():
            entry[key] = value
        if cred.settings:
            entry["settings"] = _table(cred.settings)
        status = statuses.get((cred.id or -1, provider.channel))
        if status is not None:
            entry["state"] = _state(status)
        entries.append(entry)
    if len(entries):
        table["credentials"] = entries
    return table


def build_document(ctx: Context, *, redact: bool = False) -> tomlkit.TOMLDocument:
    """The export as a tomlkit document (read in one consistent transaction)."""
    store = ctx.store
    box = ctx.secrets()
    with store.read():
        settings = store.get_global_settings()
        providers = store.list_providers()
        credentials = store.list_credentials()
        statuses = {(s.credential_id, s.channel): s for s in store.list_statuses()}
        users = store.list_users()
        keys = store.list_user_keys()
    doc = tomlkit.document()
    doc.add(tomlkit.comment(HEADER))
    hf_token = box.decrypt(settings.hf_token_token) if settings.hf_token_token else ""
    doc["global"] = _table(
        {
            "host": settings.host,
            "port": settings.port,
            "proxy": settings.proxy or "",
            "hf_url": settings.hf_url or "",
            "hf_token": mask_secret(hf_token) if redact and hf_token else hf_token,
        }
    )
    doc["global"]["mask_sensitive_info"] = settings.mask_sensitive_info
    by_provider: dict[int, list[CredentialRow]] = {}
    for cred in credentials:
        by_provider.setdefault(cred.provider_id, []).append(cred)
    provider_tables: AoT = tomlkit.aot()
    for provider in providers:
        provider_tables.append(
            _provider(ctx, provider, by_provider.get(provider.id or -1, []), statuses, redact)
        )
    if len(provider_tables):
        doc["providers"] = provider_tables
    user_tables: AoT = tomlkit.aot()
    for user in users:
        entry = _table({"name": user.name})
        entry["enabled"] = user.enabled
        key_tables: AoT = tomlkit.aot()
        for key in (k for k in keys if k.user_id == user.id):
            clear = box.decrypt(key.key_token)
            key_entry = _table({"api_key": mask_secret(clear) if redact else clear})
            if key.label is not None:
                key_entry["label"] = key.label
            key_entry["enabled"] = key.enabled
            key_tables.append(key_entry)
        if len(key_tables):
            entry["keys"] = key_tables
        user_tables.append(entry)
    doc["users"] = user_tables
    return doc


def export_toml(ctx: Context, *, redact: bool = False, existing: str | None = None) -> str:
    """The export as text. With ``existing`` (the current content of the target file), the
    new values are written into that document so its comments and layout survive."""
    doc = build_document(ctx, redact=redact)
    if existing is not None and existing.strip():
        from gatewayctl.services.toml_merge import merge_into

        return merge_into(existing, doc)
    return tomlkit.dumps(doc)
