"""The user API (``/user/*``, spec §12): any active key, scoped to the caller's user.

The caller's user id comes from the authenticated key, never from the body: ``/user/keys/*``
only sees and touches the caller's keys (the service answers 403 for another user's key id,
404 for an unknown one) and usage queries are forced to the caller. ``/user/keys/upsert``
answers with the stored key row (v0.3); the other writes answer ``{"ok": true}``.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify

from gatewayctl.server.admin import write_answer
from gatewayctl.server.auth import authenticate_request, current_principal
from gatewayctl.server.bodies import read_json_body
from gatewayctl.server.runtime import current_runtime
from gatewayctl.services.api import USER_ROUTES, WRITE_ROUTES, UserHandler

KEY_UPSERT_PATH = "/user/keys/upsert"


def _view(method: str, path: str, handler: UserHandler) -> Any:
    changes_state = path in WRITE_ROUTES or path == KEY_UPSERT_PATH

    async def view() -> Response:
        body = await read_json_body() if method == "POST" else None
        runtime = current_runtime()
        result = await runtime.call(handler, runtime.ctx, current_principal().user_id, body)
        if changes_state:
            await runtime.state.reload()
        if path in WRITE_ROUTES:
            return jsonify(write_answer(result))
        return jsonify(result)

    view.__name__ = "user_" + path.removeprefix("/user/").replace("/", "_").replace("-", "_")
    return view


async def _require_user() -> None:
    authenticate_request(admin=False)


def user_blueprint() -> Blueprint:
    """A fresh ``user`` blueprint with every route of the service table."""
    bp = Blueprint("user", __name__)
    bp.before_request(_require_user)
    for (method, path), handler in USER_ROUTES.items():
        bp.add_url_rule(path, view_func=_view(method, path, handler), methods=[method])
    return bp
