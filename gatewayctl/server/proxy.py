"""The provider routes blueprint: ``/v1/*``, ``/v1beta/*``, ``/{provider}/v1/*``, ``/{provider}/v1beta/*``.

HTTP only: authenticate the key (``x-api-key``, ``x-goog-api-key``, ``?key=``, Bearer) against
the in-memory snapshot, classify the route (:func:`gatewayctl.gateway.entrance.classify`),
let the :class:`~gatewayctl.gateway.pipeline.Gateway` answer, and turn its answer into a Quart
response — streamed ones with ``timeout = None`` so Quart's 60-second ``RESPONSE_TIMEOUT``
never cuts a long stream. Every provider-route request leaves a downstream audit row, and
admin/user requests leave metadata-only ones (:mod:`gatewayctl.server.audit`, through the
recorder this blueprint owns).

Per-process resources are opened with the app and closed with it: the upstream HTTP client
(built lazily on the first request, with the egress proxy of the settings in force, and
rebuilt when that proxy changes), the batched log writer, and the saver of refreshed
credential tokens (:mod:`gatewayctl.server.secret_updates`).

``HEAD /{provider}`` (and ``HEAD /``, served by the console route) answer harmlessly: coding
agents send one as a connection warm-up before their first call.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from quart import Blueprint, Response, request
from werkzeug.datastructures import Headers

from gatewayctl.errors import GatewayError
from gatewayctl.gateway.entrance import Version, classify, sized_call
from gatewayctl.gateway.pipeline import Gateway, Principal
from gatewayctl.gateway.recording import Recorder
from gatewayctl.gateway.response import GatewayResponse, error_response
from gatewayctl.gateway.upstream import ClientOptions, make_client
from gatewayctl.server.audit import audit_api_routes, record_downstream
from gatewayctl.server.auth import authenticate, extract_api_key
from gatewayctl.server.runtime import ServerRuntime, current_runtime
from gatewayctl.server.secret_updates import SecretSaver
from gatewayctl.store import open_writer
from gatewayctl.store.writer import BatchWriter

log = logging.getLogger("gatewayctl.server")

METHODS = ["GET", "POST"]


class ProxyResources:
    """The upstream client, the writer and the gateway of one server process."""

    def __init__(self, options: ClientOptions | None = None) -> None:
        self.options = options or ClientOptions()
        self.writer: BatchWriter | None = None
        self.recorder: Recorder | None = None
        self.secrets: SecretSaver | None = None
        self.gateway: Gateway | None = None
        self._proxy: str | None = None
        self._retired: list[httpx.AsyncClient] = []
        self._runtime: ServerRuntime | None = None

    def open(self, runtime: ServerRuntime) -> None:
        """Start the writer (its thread opens its own store connection on first write)."""
        settings = runtime.settings
        self._runtime = runtime
        self.writer = open_writer(settings)
        self.secrets = SecretSaver(runtime)
        self.recorder = Recorder(
            self.writer, mask_bodies=self._mask_bodies, secret_updates=self.secrets.submit
        )

    def _mask_bodies(self) -> bool:
        runtime = self._runtime
        if runtime is None:
            return True
        try:
            return bool(runtime.state.current().settings.mask_sensitive_info)
        except Exception:
            return True

    def gateway_for(self, snapshot: Any) -> Gateway:
        """The gateway, with an upstream client for the snapshot's egress proxy."""
        proxy = getattr(snapshot.settings, "proxy", None) or None
        gateway = self.gateway
        if gateway is None:
            assert self.recorder is not None, "proxy resources are not open"
            self._proxy = proxy
            gateway = self.gateway = Gateway(make_client(self.options, proxy=proxy), self.recorder)
        elif proxy != self._proxy:
            log.info("egress proxy changed: new upstream client")
            self._retired.append(gateway.client)
            gateway.client = make_client(self.options, proxy=proxy)
            self._proxy = proxy
        return gateway

    async def close(self) -> None:
        if self.secrets is not None:
            await self.secrets.close()
        clients = list(self._retired)
        if self.gateway is not None:
            clients.append(self.gateway.client)
        for client in clients:
            try:
                await client.aclose()
            except Exception as exc:  # pragma: no cover - shutdown must go on
                log.warning("closing an upstream client failed: %s", exc)
        recorder, writer = self.recorder, self.writer
        if recorder is not None:
            await asyncio.to_thread(recorder.close)
        if writer is not None:
            await asyncio.to_thread(writer.close)


def to_quart(answer: GatewayResponse) -> Response:
    """A Quart response; streams get no response timeout."""
    if answer.stream is not None:
        response = Response(answer.stream, status=answer.status, headers=Headers(answer.headers))
        response.timeout = None
        return response
    return Response(answer.body, status=answer.status, headers=Headers(answer.headers))


def proxy_blueprint(options: ClientOptions | None = None) -> Blueprint:
    """The blueprint of every provider route (register it after admin/user/static)."""
    bp = Blueprint("proxy", __name__)
    resources = ProxyResources(options)
    bp.proxy_resources = resources  # type: ignore[attr-defined]

    @bp.before_app_serving
    async def _open() -> None:
        resources.open(current_runtime())

    @bp.after_app_serving
    async def _close() -> None:
        await resources.close()

    audit_api_routes(bp, lambda: resources.recorder)

    async def serve(provider: str | None, version: Version, rest: str) -> Response:
        runtime = current_runtime()
        snapshot = runtime.state.current()
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = dict(request.args.items())
        data = await request.get_data() if request.method == "POST" else b""
        body = data if isinstance(data, bytes) else data.encode()
        principal = Principal(None, None)
        try:
            entry = authenticate(snapshot, extract_api_key(headers, query, provider_route=True))
            principal = Principal(entry.user_id, entry.key_id)
            entrance = await sized_call(
                len(body),
                classify,
                request.method,
                version,
                rest,
                provider=provider,
                query=query,
                headers=headers,
                body=body,
            )
            answer = await resources.gateway_for(snapshot).handle(
                snapshot, entrance, principal, headers
            )
        except GatewayError as exc:
            if exc.status >= 500:
                log.error("%s %s failed: %s", request.method, request.path, exc.message)
            answer = error_response(exc.status, exc.message)
        except Exception as exc:  # a bug: logged with its traceback, answered without it
            log.error("%s %s: unexpected error", request.method, request.path, exc_info=exc)
            answer = error_response(500, "internal error")
        if resources.recorder is not None:
            record_downstream(
                resources.recorder,
                principal.user_id,
                principal.key_id,
                status=answer.status,
                response_headers=answer.headers,
                request_body=body,
                response_body=answer.body if answer.stream is None else None,
            )
        return to_quart(answer)

    @bp.route("/v1/<path:rest>", methods=METHODS)
    async def unscoped_v1(rest: str) -> Response:
        return await serve(None, "v1", rest)

    @bp.route("/v1beta/<path:rest>", methods=METHODS)
    async def unscoped_v1beta(rest: str) -> Response:
        return await serve(None, "v1beta", rest)

    @bp.route("/<provider>/v1/<path:rest>", methods=METHODS)
    async def scoped_v1(provider: str, rest: str) -> Response:
        return await serve(provider, "v1", rest)

    @bp.route("/<provider>/v1beta/<path:rest>", methods=METHODS)
    async def scoped_v1beta(provider: str, rest: str) -> Response:
        return await serve(provider, "v1beta", rest)

    @bp.route("/<provider>", methods=["GET"])
    @bp.route("/<provider>/", methods=["GET"])
    async def provider_root(provider: str) -> Response:
        if request.method == "HEAD":  # a client's connection warm-up
            return Response(b"", status=200)
        return to_quart(error_response(404, f"not found: {request.path}"))

    return bp
