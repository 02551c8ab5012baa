from __future__ import annotations

from typing import Any

import pytest

from gatewayctl.errors import InvalidInput
from gatewayctl.services import global_settings, keys
from gatewayctl.services.context import Context


def test_defaults(ctx: Context) -> None:
    view = global_settings.get(ctx)
    assert (view["host"], view["port"], view["mask_sensitive_info"]) == ("127.0.0.1", 8787, True)
    assert view["admin_key"] is None and view["hf_token"] is None
    rt = global_settings.runtime_settings(ctx)
    assert rt.hf_url == "https://huggingface.co" and rt.proxy is None


def test_update_and_mask(ctx: Context) -> None:
    view = global_settings.upsert(
        ctx,
        {
            "host": "0.0.0.0",
            "port": 9000,
            "proxy": "socks5://127.0.0.1:1080",
            "hf_token": "hf_abcdefghijklmnopqrstuvwxyz",
            "mask_sensitive_info": False,
            "admin_key": "admin-key-from-settings-0001",
        },
    )
    assert view["hf_token"] == "hf_…wxyz" and view["admin_key"] == "adm…0001"
    assert keys.get_admin_key(ctx) == "admin-key-from-settings-0001"
    # the masked values sent back change nothing
    again = global_settings.upsert(ctx, {**view, "port": 9001})
    assert again["port"] == 9001
    assert global_settings.runtime_settings(ctx).hf_token == "hf_abcdefghijklmnopqrstuvwxyz"
    assert keys.get_admin_key(ctx) == "admin-key-from-settings-0001"
    cleared = global_settings.upsert(ctx, {"proxy": "", "hf_token": ""})
    assert cleared["proxy"] is None and cleared["hf_token"] is None


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"port": 0},
        {"port": "80"},
        {"host": ""},
        {"proxy": "ftp://x"},
        {"hf_url": "nope"},
        {"mask_sensitive_info": "true"},
        {"hf_token": "hf_…abcd"},
        {"port": 9000, "proxy": "bad"},
    ],
)
def test_bad_bodies_write_nothing(ctx: Context, body: Any) -> None:
    before = ctx.store.get_global_settings()
    with pytest.raises(InvalidInput):
        global_settings.upsert(ctx, body)
    assert ctx.store.get_global_settings() == before
