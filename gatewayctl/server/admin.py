"""The admin API (``/admin/*``, spec §11): a thin mapping onto the service route table.

Every route authenticates with a key of the admin user (401 without a valid key, 403 with
another user's key), then runs the service function from
:data:`gatewayctl.services.api.ADMIN_ROUTES` on the service thread pool through the shared
view (:func:`gatewayctl.server.api_views.api_view`: bodies, write answers, reloads).

``POST /admin/system/self_update`` answers 501: self-update is its own issue.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response

from gatewayctl.errors import NotImplementedByGateway
from gatewayctl.server.api_views import api_view
from gatewayctl.server.auth import authenticate_request
from gatewayctl.server.runtime import ServerRuntime
from gatewayctl.services.api import ADMIN_ROUTES, AdminHandler


def _runner(handler: AdminHandler) -> Any:
    async def run(runtime: ServerRuntime, body: Any) -> Any:
        return await runtime.call(handler, runtime.ctx, body)

    return run


async def _self_update() -> Response:
    raise NotImplementedByGateway("self-update is not available in this build")


async def _require_admin() -> None:
    authenticate_request(admin=True)


def admin_blueprint() -> Blueprint:
    """A fresh ``admin`` blueprint with every route of the service table."""
    bp = Blueprint("admin", __name__)
    bp.before_request(_require_admin)
    for (method, path), handler in ADMIN_ROUTES.items():
        bp.add_url_rule(path, view_func=api_view(method, path, _runner(handler)), methods=[method])
    bp.add_url_rule("/admin/system/self_update", view_func=_self_update, methods=["POST"])
    return bp
