"""The admin API (``/admin/*``, spec §11): a thin mapping onto the service route table.

Every route authenticates with a key of the admin user (401 without a valid key, 403 with
another user's key), decodes the JSON body, runs the service function from
:data:`gatewayctl.services.api.ADMIN_ROUTES` on the service thread pool, and answers:

* queries: the service's JSON value;
* writes: ``{"ok": true}`` (plus the row's ``"id"`` for upserts, so a caller that created a row
  without giving an id learns it; ``import-toml`` also reports what it created/updated) —
  after the runtime snapshot has been reloaded, so the next request already sees the change;
* ``GET /admin/config/export-toml``: the TOML text as a ``gatewayctl.toml`` attachment.

``POST /admin/system/self_update`` answers 501: self-update is its own issue.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify

from gatewayctl.errors import NotImplementedByGateway
from gatewayctl.server.auth import authenticate_request
from gatewayctl.server.bodies import read_json_body
from gatewayctl.server.runtime import current_runtime
from gatewayctl.services.api import ADMIN_ROUTES, WRITE_ROUTES, AdminHandler

EXPORT_TOML_PATH = "/admin/config/export-toml"
EXPORT_FILENAME = "gatewayctl.toml"


def write_answer(result: Any) -> dict[str, Any]:
    """The answer to a write: ``{"ok": true}``, the saved row's id, import counts."""
    answer: dict[str, Any] = {"ok": True}
    if isinstance(result, dict):
        row_id = result.get("id")
        if isinstance(row_id, int) and not isinstance(row_id, bool):
            answer["id"] = row_id
        for key in ("created", "updated"):
            if isinstance(result.get(key), dict):
                answer[key] = result[key]
    return answer


def _text_attachment(text: str) -> Response:
    return Response(
        text,
        status=200,
        content_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{EXPORT_FILENAME}"'},
    )


def _view(method: str, path: str, handler: AdminHandler) -> Any:
    is_write = path in WRITE_ROUTES

    async def view() -> Response:
        body = await read_json_body() if method == "POST" else None
        runtime = current_runtime()
        result = await runtime.call(handler, runtime.ctx, body)
        if is_write:
            await runtime.state.reload()
            return jsonify(write_answer(result))
        if path == EXPORT_TOML_PATH:
            return _text_attachment(result)
        return jsonify(result)

    view.__name__ = "admin_" + path.removeprefix("/admin/").replace("/", "_").replace("-", "_")
    return view


async def _self_update() -> Response:
    raise NotImplementedByGateway("self-update is not available in this build")


async def _require_admin() -> None:
    authenticate_request(admin=True)


def admin_blueprint() -> Blueprint:
    """A fresh ``admin`` blueprint with every route of the service table."""
    bp = Blueprint("admin", __name__)
    bp.before_request(_require_admin)
    for (method, path), handler in ADMIN_ROUTES.items():
        bp.add_url_rule(path, view_func=_view(method, path, handler), methods=[method])
    bp.add_url_rule("/admin/system/self_update", view_func=_self_update, methods=["POST"])
    return bp
