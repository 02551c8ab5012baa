"""Import a TOML configuration (CONTRACT §6) or a gproxy v0.3 ``gproxy.toml``.

Two phases. :func:`parse_document` validates the whole document without touching the
database — names, channels, settings, dispatch tables, secret shapes, health states, duplicate
names/labels/keys — and produces a plan; errors name the place (``providers[1].credentials[0]:
…``). :func:`apply_plan` then merges the plan in **one** write transaction: providers and users
are matched by name, credentials by label (unlabelled ones by identical secret), keys by value;
matches are updated, the rest created; nothing is ever deleted. A conflict found while applying
(a key owned by another user…) rolls everything back.

gproxy v0.3 documents use ``[[channels]]`` with ``id`` (the provider name = the channel id),
``[global]`` (``dsn``/``data_dir``/``update_source``/``spoof_emulation`` ignored) and
``[runtime]`` (ignored); their credential ``id`` is ignored too (ids are local to a database).
User keys are imported verbatim when they already carry a ``u<N>_`` prefix (a backup restores
the exact keys clients use); other keys get the owner's prefix. Admin keys are stored as is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from gatewayctl.catalog import channel_spec, normalize_secret, secret_body
from gatewayctl.errors import Conflict, InvalidInput
from gatewayctl.services import credentials as credential_svc
from gatewayctl.services import global_settings as settings_svc
from gatewayctl.services import keys as key_svc
from gatewayctl.services import providers as provider_svc
from gatewayctl.services import users as user_svc
from gatewayctl.services.common import check_url, is_masked, now_ms
from gatewayctl.services.context import Context
from gatewayctl.services.statuses import parse_health
from gatewayctl.store.models import ADMIN_USER_ID, ADMIN_USER_NAME, StatusRow

GLOBAL_KEYS = ("host", "port", "proxy", "hf_url", "hf_token", "admin_key", "mask_sensitive_info")
GPROXY_IGNORED_GLOBAL = ("dsn", "data_dir", "update_source", "spoof_emulation")
_PREFIXED = re.compile(r"^u\d+_")


@dataclass(slots=True)
class CredentialPlan:
    label: str | None
    secret: dict[str, Any]
    enabled: bool
    settings: dict[str, Any] | None
    state: tuple[str, list[dict[str, Any]] | None, int | None, str | None] | None


@dataclass(slots=True)
class ProviderPlan:
    name: str
    channel: str
    enabled: bool
    settings: dict[str, Any]
    dispatch: dict[str, Any] | None
    credentials: list[CredentialPlan]


@dataclass(slots=True)
class KeyPlan:
    api_key: str
    label: str | None
    enabled: bool


@dataclass(slots=True)
class UserPlan:
    name: str
    enabled: bool
    keys: list[KeyPlan]


@dataclass(slots=True)
class ImportPlan:
    global_changes: dict[str, Any]
    providers: list[ProviderPlan]
    users: list[UserPlan]


@dataclass(slots=True)
class ImportResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        bucket = self.created if created else self.updated
        bucket[kind] = bucket.get(kind, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {"ok": True, "created": dict(self.created), "updated": dict(self.updated)}


# --------------------------------------------------------------------------------------
# phase 1: parse and validate (no database writes)
# --------------------------------------------------------------------------------------


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be a table")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{where} must be an array of tables")
    return value


def _unknown(table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise InvalidInput(f"{where}: unknown key(s) {', '.join(extra)}")


def _bool(table: dict[str, Any], key: str, where: str, default: bool = True) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"{where}.{key} must be true or false")
    return value


def _opt_str(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where}.{key} must be a string")
    return value.strip() or None


def _at(where: str, fn: Any, *args: Any) -> Any:
    """Run a validator, prefixing its InvalidInput message with the document location."""
    try:
        return fn(*args)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.message}") from exc


def _check_not_masked(secret: dict[str, Any], where: str) -> None:
    for key, value in secret_body(secret).items():
        if is_masked(value):
            raise InvalidInput(
                f"{where}: secret field `{key}` is redacted (…); import an export made "
                "without --redact"
            )


def _credential(raw: Any, channel: str, where: str) -> CredentialPlan:
    c = _obj(raw, where)
    _unknown(c, ("id", "label", "enabled", "secret", "builtin", "settings", "state"), where)
    has_secret, has_builtin = c.get("secret") is not None, c.get("builtin") is not None
    if has_secret == has_builtin:
        raise InvalidInput(f"{where}: exactly one of `secret` or `builtin` is required")
    if has_builtin:
        builtin = _obj(c["builtin"], where + ".builtin")
        if channel_spec(channel) is None:
            raise InvalidInput(f"{where}: a custom channel takes `secret`, not `builtin`")
        secret = _at(where, normalize_secret, channel, {"Builtin": builtin})
    else:
        value = c["secret"]
        if not isinstance(value, str | dict):
            raise InvalidInput(f"{where}.secret must be a string or a table")
        if isinstance(value, dict) and channel_spec(channel) is not None:
            value = {"Builtin": {channel_spec(channel).variant: value}}  # type: ignore[union-attr]
        secret = _at(where, normalize_secret, channel, value)
    _check_not_masked(secret, where)
    state = None
    if c.get("state") is not None:
        s = _obj(c["state"], where + ".state")
        _unknown(s, ("health", "checked_at_unix_ms", "last_error"), where + ".state")
        health = _obj(s.get("health", {"kind": "healthy"}), where + ".state.health")
        _unknown(health, ("kind", "models"), where + ".state.health")
        kind, models = _at(
            where + ".state.health", parse_health, health.get("kind"), health.get("models")
        )
        checked = s.get("checked_at_unix_ms")
        if checked is not None and (isinstance(checked, bool) or not isinstance(checked, int)):
            raise InvalidInput(f"{where}.state.checked_at_unix_ms must be an integer")
        state = (kind, models, checked, _opt_str(s, "last_error", where + ".state"))
    settings = c.get("settings")
    return CredentialPlan(
        label=_opt_str(c, "label", where),
        secret=secret,
        enabled=_bool(c, "enabled", where),
        settings=_obj(settings, where + ".settings") if settings is not None else None,
        state=state,
    )


def _provider(raw: Any, where: str, gproxy: bool) -> ProviderPlan:
    p = _obj(raw, where)
    channel_raw: Any
    if gproxy:
        _unknown(p, ("id", "enabled", "settings", "dispatch", "credentials"), where)
        ident = p.get("id")
        if not isinstance(ident, str) or not ident.strip():
            raise InvalidInput(f"{where}.id is required (the channel id)")
        name, channel_raw = ident.strip().lower(), ident
    else:
        _unknown(p, ("name", "channel", "enabled", "settings", "dispatch", "credentials"), where)
        channel_raw = p.get("channel")
        name_raw = p.get("name", channel_raw)
        if not isinstance(name_raw, str):
            raise InvalidInput(f"{where}.name must be a string")
        name = name_raw
    channel = _at(where, provider_svc.check_channel, channel_raw)
    name = _at(where, provider_svc.check_provider_name, name)
    settings = _at(where, provider_svc.validate_settings, channel, p.get("settings") or {})
    dispatch = _at(where, provider_svc.validate_dispatch, channel, settings, p.get("dispatch"))
    creds = [
        _credential(c, channel, f"{where}.credentials[{i}]")
        for i, c in enumerate(_list(p.get("credentials"), where + ".credentials"))
    ]
    labels = [c.label for c in creds if c.label]
    dup = next((x for x in labels if labels.count(x) > 1), None)
    if dup:
        raise InvalidInput(f"{where}: credential label {dup!r} appears twice")
    return ProviderPlan(name, channel, _bool(p, "enabled", where), settings, dispatch, creds)


def _user(raw: Any, where: str) -> UserPlan:
    u = _obj(raw, where)
    _unknown(u, ("name", "enabled", "keys"), where)
    name = _at(where, user_svc.check_user_name, u.get("name"))
    enabled = _bool(u, "enabled", where)
    if name == ADMIN_USER_NAME and not enabled:
        raise InvalidInput(f"{where}: the admin user cannot be disabled")
    keys = []
    for i, raw_key in enumerate(_list(u.get("keys"), where + ".keys")):
        kw = f"{where}.keys[{i}]"
        k = _obj(raw_key, kw)
        _unknown(k, ("api_key", "label", "enabled"), kw)
        api_key = k.get("api_key")
        if not isinstance(api_key, str) or not api_key.strip():
            raise InvalidInput(f"{kw}.api_key must be a non-empty string")
        if is_masked(api_key):
            raise InvalidInput(f"{kw}.api_key is redacted (…); import an unredacted export")
        keys.append(KeyPlan(api_key.strip(), _opt_str(k, "label", kw), _bool(k, "enabled", kw)))
    return UserPlan(name, enabled, keys)


def _global(raw: Any, gproxy: bool) -> dict[str, Any]:
    g = _obj(raw, "[global]")
    allowed = GLOBAL_KEYS + (GPROXY_IGNORED_GLOBAL if gproxy else ())
    _unknown(g, allowed, "[global]")
    changes = {k: g[k] for k in GLOBAL_KEYS if k in g}
    for key in ("host", "proxy", "hf_url", "hf_token", "admin_key"):
        if key in changes and not isinstance(changes[key], str):
            raise InvalidInput(f"[global].{key} must be a string")
    if "port" in changes and (
        isinstance(changes["port"], bool) or not isinstance(changes["port"], int)
    ):
        raise InvalidInput("[global].port must be an integer")
    if "mask_sensitive_info" in changes and not isinstance(changes["mask_sensitive_info"], bool):
        raise InvalidInput("[global].mask_sensitive_info must be true or false")
    if "port" in changes and not 1 <= changes["port"] <= 65535:
        raise InvalidInput("[global].port must be between 1 and 65535")
    for key in ("proxy", "hf_url"):
        if changes.get(key):
            schemes = settings_svc.PROXY_SCHEMES if key == "proxy" else ("http", "https")
            _at(
                "[global]", lambda v, f, sc: check_url(v, f, schemes=sc), changes[key], key, schemes
            )
    if changes.get("hf_token") and is_masked(changes["hf_token"]):
        raise InvalidInput("[global].hf_token is redacted (…); import an unredacted export")
    return changes


def parse_document(text: str) -> ImportPlan:
    """Validate a TOML document (ours or gproxy v0.3) into an import plan."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"invalid toml: {exc}") from exc
    gproxy = "channels" in data
    allowed = {"global", "providers", "users", "channels", "runtime"}
    extra = sorted(set(data) - allowed)
    if extra:
        raise InvalidInput(f"unknown top-level key(s): {', '.join(extra)}")
    if "runtime" in data and not gproxy:
        raise InvalidInput("[runtime] is a gproxy section; remove it")
    providers = [
        _provider(p, f"channels[{i}]", True)
        for i, p in enumerate(_list(data.get("channels"), "channels"))
    ] + [
        _provider(p, f"providers[{i}]", False)
        for i, p in enumerate(_list(data.get("providers"), "providers"))
    ]
    names = [p.name for p in providers]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise InvalidInput(f"provider {dup!r} appears twice")
    users = [_user(u, f"users[{i}]") for i, u in enumerate(_list(data.get("users"), "users"))]
    user_names = [u.name for u in users]
    dup = next((n for n in user_names if user_names.count(n) > 1), None)
    if dup:
        raise InvalidInput(f"user {dup!r} appears twice")
    all_keys = [k.api_key for u in users for k in u.keys]
    if len(set(all_keys)) != len(all_keys):
        raise InvalidInput("the same api key appears twice in [[users.keys]]")
    changes = _global(data["global"], gproxy) if "global" in data else {}
    return ImportPlan(changes, providers, users)


# --------------------------------------------------------------------------------------
# phase 2: apply in one transaction
# --------------------------------------------------------------------------------------


def _apply_provider(ctx: Context, plan: ProviderPlan, result: ImportResult) -> None:
    existing = ctx.store.get_provider_by_name(plan.name)
    row = provider_svc.save_provider(
        ctx,
        id=existing.id if existing else None,
        name=plan.name,
        channel=plan.channel,
        settings=plan.settings,
        dispatch=plan.dispatch,
        enabled=plan.enabled,
    )
    result.count("providers", existing is None)
    box = ctx.secrets()
    for cred in plan.credentials:
        current = ctx.store.list_credentials(provider_id=row.id)
        if cred.label:
            match = next((c for c in current if c.name == cred.label), None)
        else:
            match = next(
                (
                    c
                    for c in current
                    if c.name is None and box.decrypt_json(c.secret_token) == cred.secret
                ),
                None,
            )
        saved = credential_svc.save_credential(
            ctx,
            provider=row,
            id=match.id if match else None,
            label=cred.label,
            secret=cred.secret,
            settings=cred.settings,
            enabled=cred.enabled,
        )
        result.count("credentials", match is None)
        if cred.state is not None:
            kind, models, checked, last_error = cred.state
            assert saved.id is not None
            ctx.store.upsert_statuses(
                [
                    StatusRow(
                        None, saved.id, row.channel, kind, models, checked, last_error, now_ms()
                    )
                ]
            )


def _apply_user(ctx: Context, plan: UserPlan, result: ImportResult) -> None:
    existing = ctx.store.get_user_by_name(plan.name)
    if plan.name == ADMIN_USER_NAME:
        user_id = ADMIN_USER_ID
    else:
        user = user_svc.save_user(ctx, name=plan.name, enabled=plan.enabled)
        assert user.id is not None
        user_id = user.id
        result.count("users", existing is None)
    box = ctx.secrets()
    for key in plan.keys:
        if user_id == ADMIN_USER_ID and key.label == key_svc.ADMIN_KEY_LABEL:
            key_svc.set_admin_key(ctx, key.api_key)
            result.count("keys", False)
            continue
        stored = (
            key.api_key
            if user_id == ADMIN_USER_ID or _PREFIXED.match(key.api_key)
            else key_svc.normalize_user_key(user_id, key.api_key)
        )
        match = ctx.store.get_user_key_by_hash(box.hash_key(stored))
        if match is not None and match.user_id != user_id:
            raise Conflict(f"user {plan.name!r}: key {key.label or ''} belongs to another user")
        key_svc.save_key(
            ctx,
            user_id=user_id,
            api_key=stored,
            id=match.id if match else None,
            label=key.label,
            enabled=key.enabled,
        )
        result.count("keys", match is None)


def apply_plan(ctx: Context, plan: ImportPlan) -> ImportResult:
    """Merge a validated plan into the store, all or nothing."""
    result = ImportResult()
    ctx.secrets()  # unlock before taking the write lock
    with ctx.store.transaction():
        if plan.global_changes:
            settings_svc.update_settings(ctx, plan.global_changes)
        for provider in plan.providers:
            _apply_provider(ctx, provider, result)
        for user in plan.users:
            _apply_user(ctx, user, result)
    return result
