"""The user API (``/user/*``, spec §12): any active key, scoped to the caller's user.

The caller's user id comes from the authenticated key, never from the body: ``/user/keys/*``
only sees and touches the caller's keys (the service answers 403 for another user's key id,
404 for an unknown one) and usage queries are forced to the caller. ``/user/keys/upsert``
answers with the stored key row (v0.3); the other writes answer ``{"ok": true}``
(:func:`gatewayctl.server.api_views.api_view`).
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from gatewayctl.server.api_views import api_view
from gatewayctl.server.auth import authenticate_request, current_principal
from gatewayctl.server.runtime import ServerRuntime
from gatewayctl.services.api import USER_ROUTES, UserHandler


def _runner(handler: UserHandler) -> Any:
    async def run(runtime: ServerRuntime, body: Any) -> Any:
        return await runtime.call(handler, runtime.ctx, current_principal().user_id, body)

    return run


async def _require_user() -> None:
    authenticate_request(admin=False)


def user_blueprint() -> Blueprint:
    """A fresh ``user`` blueprint with every route of the service table."""
    bp = Blueprint("user", __name__)
    bp.before_request(_require_user)
    for (method, path), handler in USER_ROUTES.items():
        bp.add_url_rule(path, view_func=api_view(method, path, _runner(handler)), methods=[method])
    return bp
