"""Every error the server answers, mapped in one place to ``{"error": "..."}``.

* :class:`~gatewayctl.errors.GatewayError` (raised by services, auth, the gateway) → its
  ``status`` and message;
* routing and protocol errors from Werkzeug/Quart (404, 405, 408, 413, …) → their status with
  a JSON body (413 names the configured limit);
* anything else → 500 ``{"error": "internal error"}``; the traceback goes to the server log,
  never into the response.
"""

from __future__ import annotations

import logging

from quart import Quart, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from gatewayctl.errors import GatewayError

log = logging.getLogger("gatewayctl.server")

_MESSAGES = {
    400: "bad request",
    404: "not found",
    405: "method not allowed",
    408: "request body not received in time",
    411: "length required",
    415: "unsupported media type",
    431: "request headers too large",
}


def error_response(status: int, message: str) -> Response:
    """``{"error": message}`` with ``status``."""
    response = jsonify({"error": message})
    response.status_code = status
    return response


async def _gateway_error(exc: GatewayError) -> Response:
    if exc.status >= 500:
        log.error("%s %s failed: %s", request.method, request.path, exc.message)
    return error_response(exc.status, exc.message)


async def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        message = f"request body too large (limit {limit // (1024 * 1024)} MiB)"
    elif status == 404:
        message = f"not found: {request.path}"
    elif status == 405:
        message = f"method not allowed: {request.method} {request.path}"
    else:
        message = _MESSAGES.get(status, exc.name.lower())
    response = error_response(status, message)
    if status in (408, 413):
        # Answered before the body was read whole: the connection cannot carry another
        # request, and a client that is not told reuses it and fails.
        response.headers["Connection"] = "close"
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


async def _unexpected(exc: Exception) -> Response:
    log.error("%s %s: unexpected error", request.method, request.path, exc_info=exc)
    return error_response(500, "internal error")


def register_error_handlers(app: Quart) -> None:
    """Install the three handlers (most specific class wins)."""
    app.register_error_handler(GatewayError, _gateway_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
