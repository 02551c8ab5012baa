"""Global settings (spec §14.1): listen address, egress proxy, HF token/url, body masking.

One row. ``admin_key`` and ``hf_token`` are stored encrypted and returned masked; setting
``admin_key`` here goes through :func:`gatewayctl.services.keys.set_admin_key`, so the
admin's key row and the mirror column stay in step. ``dsn``/``data_dir`` are informational
(where the running server keeps its data); they are recorded, never used to open a store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.services.common import (
    body_object,
    check_url,
    get_bool,
    get_int,
    get_str,
    is_masked,
    mask_secret,
    now_ms,
)
from gatewayctl.services.context import Context
from gatewayctl.store.models import GlobalSettingsRow

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
DEFAULT_HF_URL = "https://huggingface.co"


@dataclass(frozen=True, slots=True)
class RuntimeSettings:
    """What the server needs at run time, secrets decrypted."""

    host: str
    port: int
    proxy: str | None
    hf_url: str
    hf_token: str | None
    mask_sensitive_info: bool


def settings_view(ctx: Context, row: GlobalSettingsRow | None = None) -> dict[str, Any]:
    """``GET /admin/global-settings``: the row with secrets masked."""
    row = row or ctx.store.get_global_settings()

    def masked(token: str | None) -> str | None:
        return mask_secret(ctx.secrets().decrypt(token)) if token else None

    return {
        "id": 1,
        "host": row.host,
        "port": row.port,
        "admin_key": masked(row.admin_key_token),
        "hf_token": masked(row.hf_token_token),
        "hf_url": row.hf_url,
        "proxy": row.proxy,
        "dsn": row.dsn,
        "data_dir": row.data_dir,
        "mask_sensitive_info": row.mask_sensitive_info,
        "updated_at": row.updated_at,
    }


def runtime_settings(ctx: Context) -> RuntimeSettings:
    row = ctx.store.get_global_settings()
    return RuntimeSettings(
        host=row.host,
        port=row.port,
        proxy=row.proxy,
        hf_url=row.hf_url or DEFAULT_HF_URL,
        hf_token=ctx.secrets().decrypt(row.hf_token_token) if row.hf_token_token else None,
        mask_sensitive_info=row.mask_sensitive_info,
    )


def _optional_url(value: str | None, field: str, schemes: tuple[str, ...]) -> str | None:
    if value is None or not value.strip():
        return None
    return check_url(value, field, schemes=schemes)


def update_settings(ctx: Context, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the present fields of ``changes`` (v0.3 names); absent fields are kept.

    Empty ``proxy``/``hf_token``/``hf_url`` unset them. A masked ``admin_key``/``hf_token``
    (as a query returned it) leaves the stored value alone.
    """
    b = body_object(changes)
    host = get_str(b, "host")
    if host is not None and not host:
        raise InvalidInput("`host` must not be empty")
    port = get_int(b, "port", minimum=1, maximum=65535)
    mask = get_bool(b, "mask_sensitive_info")
    proxy = get_str(b, "proxy")
    hf_url = get_str(b, "hf_url")
    hf_token = get_str(b, "hf_token")
    admin_key = get_str(b, "admin_key")
    dsn = get_str(b, "dsn")
    data_dir = get_str(b, "data_dir")
    clean_proxy = _optional_url(proxy, "proxy", PROXY_SCHEMES)
    clean_hf_url = _optional_url(hf_url, "hf_url", ("http", "https"))
    from gatewayctl.services.keys import set_admin_key

    box = ctx.secrets() if hf_token or admin_key else None
    with ctx.store.transaction():
        row = ctx.store.get_global_settings()
        if admin_key and not (
            is_masked(admin_key)
            and row.admin_key_token
            and box is not None
            and mask_secret(box.decrypt(row.admin_key_token)) == admin_key
        ):
            set_admin_key(ctx, admin_key)
            row = ctx.store.get_global_settings()
        hf_token_token = row.hf_token_token
        if hf_token is not None:
            if not hf_token:
                hf_token_token = None
            elif is_masked(hf_token):
                current = box.decrypt(row.hf_token_token) if box and row.hf_token_token else None
                if current is None or mask_secret(current) != hf_token:
                    raise InvalidInput("`hf_token` looks masked (…); give the real token")
            else:
                assert box is not None
                hf_token_token = box.encrypt(hf_token)
        row = replace(
            row,
            host=host or row.host,
            port=row.port if port is None else port,
            mask_sensitive_info=row.mask_sensitive_info if mask is None else mask,
            proxy=row.proxy if proxy is None else clean_proxy,
            hf_url=row.hf_url if hf_url is None else clean_hf_url,
            hf_token_token=hf_token_token,
            dsn=row.dsn if dsn is None else (dsn or None),
            data_dir=row.data_dir if data_dir is None else (data_dir or None),
            updated_at=now_ms(),
        )
        saved = ctx.store.save_global_settings(row)
    return settings_view(ctx, saved)


# --------------------------------------------------------------------------------------
# HTTP-body API
# --------------------------------------------------------------------------------------


def get(ctx: Context, body: Any = None) -> dict[str, Any]:
    """``GET /admin/global-settings``."""
    return settings_view(ctx)


def upsert(ctx: Context, body: Any) -> dict[str, Any]:
    """``POST /admin/global-settings/upsert``: present fields replace stored ones."""
    return update_settings(ctx, body_object(body))
