"""The Quart application factory.

:func:`create_app` builds one app per process: blueprints from :func:`blueprints`, the error
mapping of :mod:`gatewayctl.server.errors`, request limits from the
:class:`~gatewayctl.server.config.ServerConfig`, and the lifecycle hooks that open the
:class:`~gatewayctl.server.runtime.ServerRuntime` (store, secrets, snapshot, refresher) in
``before_serving`` and close it in ``after_serving``.

Nothing here writes configuration: bootstrap (``--config`` import, the admin key, the banner)
is the launcher's job (:mod:`gatewayctl.server.run`), done once before any worker starts.

Worker processes (``--workers N``) are spawned by Hypercorn and import the app from
``application_path`` = :data:`APPLICATION_PATH`, i.e. :func:`create_app_from_env`.
"""

from __future__ import annotations

from collections.abc import Callable

from quart import Blueprint, Quart, Response, request

from gatewayctl.server.admin import admin_blueprint
from gatewayctl.server.config import ServerConfig, from_env
from gatewayctl.server.errors import register_error_handlers
from gatewayctl.server.proxy import proxy_blueprint
from gatewayctl.server.runtime import EXTENSION_KEY, ServerRuntime
from gatewayctl.server.static import static_blueprint
from gatewayctl.server.user import user_blueprint
from gatewayctl.settings import Settings

APPLICATION_PATH = "gatewayctl.server.app:create_app_from_env()"

BlueprintFactory = Callable[[], Blueprint]

# The registration point. The proxy blueprint (gateway issue) is appended here: it owns the
# provider routes (/v1/*, /v1beta/*, /{provider}/...) and may register its own
# before_app_serving/after_app_serving hooks (upstream client, log writer). Werkzeug routing
# prefers static path segments, so /admin/*, /user/*, /healthz… win over /{provider}/….
BLUEPRINT_FACTORIES: tuple[BlueprintFactory, ...] = (
    static_blueprint,
    admin_blueprint,
    user_blueprint,
    proxy_blueprint,
)


def blueprints() -> list[Blueprint]:
    """Fresh instances of every blueprint, in registration order."""
    return [factory() for factory in BLUEPRINT_FACTORIES]


def create_app(config: ServerConfig | None = None, *, settings: Settings | None = None) -> Quart:
    """A ready-to-serve app; the store is opened when serving starts, not here."""
    config = config or ServerConfig()
    app = Quart("gatewayctl", static_folder=None)
    # Streaming proxy responses must set ``response.timeout = None`` themselves: Quart's
    # RESPONSE_TIMEOUT (60 s) bounds sending a body and would cut long SSE streams.
    app.config.update(MAX_CONTENT_LENGTH=config.max_body_bytes, BODY_TIMEOUT=config.body_timeout)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # answers keep the services' order
    runtime = ServerRuntime(config, settings)
    app.extensions[EXTENSION_KEY] = runtime
    register_error_handlers(app)
    for bp in blueprints():
        app.register_blueprint(bp)

    @app.before_serving
    async def _open_runtime() -> None:
        await runtime.open()

    @app.after_serving
    async def _close_runtime() -> None:
        await runtime.close()

    @app.after_request
    async def _count(response: Response) -> Response:
        runtime.metrics.observe(request.path, response.status_code)
        return response

    return app


def create_app_from_env() -> Quart:
    """The app of a Hypercorn worker process: config from ``GATEWAYCTL_SERVER_CONFIG``."""
    from gatewayctl.server.run import configure_logging

    configure_logging()
    return create_app(from_env())
