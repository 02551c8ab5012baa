"""Entry and housekeeping routes: ``/``, ``/healthz``, ``/favicon.ico``, ``/metrics``.

``/`` is a placeholder page until the admin console lands (it will replace this view and add
``/assets/*``). ``/healthz`` needs no key. ``/metrics`` (Prometheus text) is open to loopback
clients and otherwise needs the admin key — behind a reverse proxy on the same host every
client looks like loopback, so restrict ``/metrics`` at the proxy there.
"""

from __future__ import annotations

import html
import ipaddress

from quart import Blueprint, Response, jsonify, request

from gatewayctl import __version__
from gatewayctl.server.auth import authenticate_request
from gatewayctl.server.runtime import current_runtime

PLACEHOLDER_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>gatewayctl</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem;">
<h1>gatewayctl — console coming soon</h1>
<p>Version {version}. The admin and user APIs are under <code>/admin/*</code> and
<code>/user/*</code>; <code>gatewayctl --help</code> manages everything from the shell.</p>
</body>
</html>
"""

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


async def index() -> Response:
    page = PLACEHOLDER_PAGE.format(version=html.escape(__version__))
    return Response(page, status=200, content_type="text/html; charset=utf-8")


async def healthz() -> Response:
    return jsonify({"ok": True})


async def favicon() -> Response:
    return Response(b"", status=204)


async def metrics() -> Response:
    if not is_loopback(request.remote_addr):
        authenticate_request(admin=True)
    text = current_runtime().metrics.render()
    return Response(text, status=200, content_type=PROMETHEUS_CONTENT_TYPE)


def static_blueprint() -> Blueprint:
    bp = Blueprint("static", __name__)
    bp.add_url_rule("/", view_func=index, methods=["GET"])
    bp.add_url_rule("/healthz", view_func=healthz, methods=["GET"])
    bp.add_url_rule("/favicon.ico", view_func=favicon, methods=["GET"])
    bp.add_url_rule("/metrics", view_func=metrics, methods=["GET"])
    return bp
