"""The view every admin and user route shares: decode the body, run the service, answer.

Queries answer the service's JSON value; writes answer ``{"ok": true}`` (plus the saved row's
``"id"`` for upserts, so a caller that created a row without giving an id learns it;
``import-toml`` also reports what it created/updated) — after the runtime snapshot has been
reloaded, so the next request already sees the change. ``/user/keys/upsert`` answers the
stored key row (v0.3) and reloads too. ``GET /admin/config/export-toml`` answers the TOML text
as a ``gatewayctl.toml`` attachment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Response, jsonify

from gatewayctl.server.bodies import read_json_body
from gatewayctl.server.runtime import ServerRuntime, current_runtime
from gatewayctl.services.api import WRITE_ROUTES

EXPORT_TOML_PATH = "/admin/config/export-toml"
EXPORT_FILENAME = "gatewayctl.toml"
KEY_UPSERT_PATH = "/user/keys/upsert"

# (the runtime, the decoded body) → the service's result, run off the event loop
RouteCall = Callable[[ServerRuntime, Any], Awaitable[Any]]


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


def api_view(method: str, path: str, run: RouteCall) -> Callable[[], Awaitable[Response]]:
    """The Quart view of one admin/user route (see the module docstring)."""
    is_write = path in WRITE_ROUTES
    reloads = is_write or path == KEY_UPSERT_PATH

    async def view() -> Response:
        body = await read_json_body() if method == "POST" else None
        runtime = current_runtime()
        result = await run(runtime, body)
        if reloads:
            await runtime.state.reload()
        if is_write:
            return jsonify(write_answer(result))
        if path == EXPORT_TOML_PATH:
            return _text_attachment(result)
        return jsonify(result)

    view.__name__ = path.strip("/").replace("/", "_").replace("-", "_")
    return view
