"""The admin and user HTTP API as data: route → service function.

The server stays a thin mapping: authenticate, decode the JSON body (``None`` when empty),
look the route up here, run the handler in a thread, and answer with its result — or, for a
:class:`~gatewayctl.errors.GatewayError`, with ``err.status`` and ``{"error": err.message}``.

Handlers return JSON-ready values. ``WRITE_ROUTES`` lists the routes whose v0.3 answer is
``{"ok": true}``; their handler's return value (the saved row) may be sent instead or
alongside, as the server prefers — except ``/user/keys/upsert``, whose answer *is* the stored
key row (v0.3). ``GET /admin/config/export-toml`` returns TOML text (``text/plain``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gatewayctl.services import (
    credentials,
    global_settings,
    keys,
    providers,
    statuses,
    toml_io,
    usage,
    users,
)
from gatewayctl.services.common import body_object, get_str
from gatewayctl.services.context import Context

AdminHandler = Callable[[Context, Any], Any]
UserHandler = Callable[[Context, int, Any], Any]  # (ctx, caller's user id, body)


def _export_toml(ctx: Context, body: Any) -> str:
    return toml_io.export_toml(ctx)


def _import_toml(ctx: Context, body: Any) -> dict[str, Any]:
    text = get_str(body_object(body), "toml", required=True, strip=False)
    assert text is not None
    return toml_io.import_toml(ctx, text).as_dict()


ADMIN_ROUTES: dict[tuple[str, str], AdminHandler] = {
    ("GET", "/admin/global-settings"): global_settings.get,
    ("POST", "/admin/global-settings/upsert"): global_settings.upsert,
    ("GET", "/admin/config/export-toml"): _export_toml,
    ("POST", "/admin/config/import-toml"): _import_toml,
    ("POST", "/admin/providers/query"): providers.query,
    ("POST", "/admin/providers/upsert"): providers.upsert,
    ("POST", "/admin/providers/delete"): providers.delete,
    ("POST", "/admin/credentials/query"): credentials.query,
    ("POST", "/admin/credentials/upsert"): credentials.upsert,
    ("POST", "/admin/credentials/delete"): credentials.delete,
    ("POST", "/admin/credential-statuses/query"): statuses.query,
    ("POST", "/admin/credential-statuses/upsert"): statuses.upsert,
    ("POST", "/admin/credential-statuses/delete"): statuses.delete,
    ("POST", "/admin/users/query"): users.query,
    ("POST", "/admin/users/upsert"): users.upsert,
    ("POST", "/admin/users/delete"): users.delete,
    ("POST", "/admin/user-keys/query"): keys.query,
    ("POST", "/admin/user-keys/upsert"): keys.upsert,
    ("POST", "/admin/user-keys/delete"): keys.delete,
    ("POST", "/admin/requests/upstream/query"): usage.query_upstream,
    ("POST", "/admin/requests/downstream/query"): usage.query_downstream,
    ("POST", "/admin/usages/query"): lambda ctx, body: usage.query_usages(ctx, body),
    ("POST", "/admin/usages/summary"): lambda ctx, body: usage.summarize(ctx, body),
}

USER_ROUTES: dict[tuple[str, str], UserHandler] = {
    ("POST", "/user/keys/query"): keys.user_query,
    ("POST", "/user/keys/upsert"): keys.user_upsert,
    ("POST", "/user/keys/delete"): keys.user_delete,
    ("POST", "/user/usages/query"): lambda ctx, uid, body: usage.query_usages(
        ctx, body, user_id=uid
    ),
    ("POST", "/user/usages/summary"): lambda ctx, uid, body: usage.summarize(
        ctx, body, user_id=uid
    ),
}

WRITE_ROUTES = frozenset(
    {
        "/admin/global-settings/upsert",
        "/admin/config/import-toml",
        "/admin/providers/upsert",
        "/admin/providers/delete",
        "/admin/credentials/upsert",
        "/admin/credentials/delete",
        "/admin/credential-statuses/upsert",
        "/admin/credential-statuses/delete",
        "/admin/users/upsert",
        "/admin/users/delete",
        "/admin/user-keys/upsert",
        "/admin/user-keys/delete",
        "/user/keys/delete",
    }
)
