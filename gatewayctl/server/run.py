"""Launching ``gatewayctl serve``: bootstrap once, bind, print the banner, run Hypercorn.

Order of a start:

1. :func:`bootstrap` — open the store (creating it on a fresh machine), unlock secrets, import
   the ``--config`` TOML (merge, never deletes; its ``[global]`` becomes the stored settings),
   ensure the admin key (``--admin-key`` if given, else the stored one, else a generated one —
   :func:`gatewayctl.services.keys.ensure_admin_key`) and resolve the listen address
   (flag/env, else stored global settings). Any error here is a one-line message and exit 1.
2. :func:`bind_socket` — bind and listen *before* printing, so the banner shows the real port
   (``--port 0`` picks a free one) and clients that read it can connect at once.
3. :func:`banner` — printed once on stdout: ``listen: http://HOST:PORT`` and ``admin key: …``.
   The key is printed in full only when it was just generated or given with ``--admin-key``;
   a stored key is shown masked with a pointer to ``gatewayctl admin-key show``.
4. One worker: ``hypercorn.asyncio.serve`` in this process; SIGINT/SIGTERM trigger a graceful
   shutdown (in-flight requests, e.g. streams, get ``graceful_timeout`` seconds).
   N workers: Hypercorn's multi-process runner (``spawn``), every worker building its app from
   :data:`~gatewayctl.server.app.APPLICATION_PATH` and the config passed in the environment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TextIO

from hypercorn.config import Config as HypercornConfig

from gatewayctl import __version__
from gatewayctl.server.config import DEFAULT_HOST, DEFAULT_PORT, ServerConfig
from gatewayctl.services.common import mask_secret
from gatewayctl.settings import Settings, resolve_settings

BACKLOG = 1024
ENV_LOG_LEVEL = "GATEWAYCTL_LOG_LEVEL"

log = logging.getLogger("gatewayctl.server")


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """What :func:`bootstrap` settled: where to listen and which admin key is in force."""

    config: ServerConfig  # with data_dir/dsn pinned to the resolved store
    settings: Settings
    host: str
    port: int
    admin_key: str
    admin_key_generated: bool
    admin_key_given: bool


def bootstrap(config: ServerConfig) -> Bootstrap:
    """Prepare the store for serving (see the module docstring, step 1)."""
    from gatewayctl.services import global_settings, keys, toml_io
    from gatewayctl.services.context import open_context

    settings = resolve_settings(data_dir=config.data_dir, dsn=config.dsn)
    with open_context(settings) as ctx:
        ctx.secrets()  # a wrong or missing master key fails here, before binding
        if config.config_file:
            toml_io.import_toml_file(ctx, config.config_file)
        admin_key, generated = keys.ensure_admin_key(ctx, config.admin_key)
        stored = ctx.store.get_global_settings()
        where = {"data_dir": str(settings.data_dir), "dsn": settings.dsn}
        if (stored.data_dir, stored.dsn) != (where["data_dir"], where["dsn"]):
            global_settings.update_settings(ctx, where)  # informational, shown by the admin API
    host = config.host or stored.host or DEFAULT_HOST
    port = config.port if config.port is not None else (stored.port or DEFAULT_PORT)
    pinned = replace(config, data_dir=str(settings.data_dir), dsn=settings.dsn)
    return Bootstrap(
        config=pinned,
        settings=settings,
        host=host,
        port=port,
        admin_key=admin_key,
        admin_key_generated=generated,
        admin_key_given=bool(config.admin_key and config.admin_key.strip()),
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 = a free port)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    if not infos:  # pragma: no cover - getaddrinfo raises instead
        raise OSError(f"cannot resolve {host!r}")
    family, socktype, proto, _, address = infos[0]
    sock = socket.socket(family, socktype, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit it on Linux: stream frames go out at once instead of
        # waiting ~40 ms for Nagle/delayed-ACK (Hypercorn only sets it on sockets it binds).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def listen_url(sock: socket.socket) -> str:
    """``http://host:port`` for a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def banner(boot: Bootstrap, url: str) -> str:
    """The start-up lines printed on stdout."""
    if boot.admin_key_generated:
        key_line = f"admin key: {boot.admin_key}  (generated; store it now)"
    elif boot.admin_key_given:
        key_line = f"admin key: {boot.admin_key}"
    else:
        key_line = (
            f"admin key: {mask_secret(boot.admin_key)}  "
            "(stored; print it with `gatewayctl admin-key show`)"
        )
    lines = [
        f"gatewayctl {__version__}",
        f"listen: {url}",
        key_line,
        f"data dir: {boot.settings.data_dir}",
    ]
    if boot.config.workers > 1:
        lines.append(f"workers: {boot.config.workers}")
    return "\n".join(lines) + "\n"


def configure_logging() -> None:
    """Log records to stderr (once per process); level from ``GATEWAYCTL_LOG_LEVEL``."""
    root = logging.getLogger()
    if root.handlers:
        return
    level = os.environ.get(ENV_LOG_LEVEL, "INFO").strip().upper() or "INFO"
    logging.basicConfig(
        level=level if level in logging.getLevelNamesMapping() else "INFO",
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def hypercorn_config(config: ServerConfig, sock: socket.socket) -> HypercornConfig:
    """Hypercorn settings serving on ``sock`` (which it takes over)."""
    hc = HypercornConfig()
    hc.bind = [f"fd://{sock.detach()}"]
    hc.workers = config.workers
    hc.graceful_timeout = config.graceful_timeout
    hc.keep_alive_timeout = 75  # longer than typical client pool idle times
    hc.backlog = BACKLOG
    hc.include_server_header = False
    hc.accesslog = None
    hc.errorlog = logging.getLogger("hypercorn.error")  # through our handler, not a second one
    return hc


async def serve_app(
    app: object, hc: HypercornConfig, shutdown_trigger: Callable[[], Awaitable[object]]
) -> None:
    """Serve ``app`` in the running loop until ``shutdown_trigger`` returns."""
    from hypercorn.asyncio import serve

    await serve(app, hc, shutdown_trigger=shutdown_trigger)  # type: ignore[arg-type]


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """SIGINT/SIGTERM mean "stop cleanly" from the moment the banner is out.

    A client that reads the banner may signal at once, before the event loop (one worker) or
    Hypercorn's runner (N workers) has installed its own handlers; :meth:`install` records
    such an early signal so serving then stops right away instead of the process dying.
    """

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._record)

    def _record(self, signum: int, frame: object) -> None:
        self.requested = True


async def _serve_single(config: ServerConfig, hc: HypercornConfig, early: StopRequest) -> None:
    from gatewayctl.server.app import create_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    if early.requested:
        stop.set()
    await serve_app(create_app(config), hc, stop.wait)


def _serve_workers(config: ServerConfig, hc: HypercornConfig, early: StopRequest) -> int:
    from hypercorn.run import run

    from gatewayctl.server.app import APPLICATION_PATH

    if early.requested:
        return 0
    os.environ.update(config.to_env())  # spawned workers inherit it
    hc.application_path = APPLICATION_PATH
    return run(hc)


def serve(config: ServerConfig, *, out: TextIO | None = None) -> int:
    """Bootstrap, bind, print the banner and serve until SIGINT/SIGTERM; the exit code.

    Errors before serving (bad TOML, unusable store, port in use) propagate as
    :class:`~gatewayctl.errors.GatewayError` / :class:`OSError` for the CLI to report.
    """
    configure_logging()
    boot = bootstrap(config)
    try:
        sock = bind_socket(boot.host, boot.port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OSError(exc.errno, f"cannot listen on {boot.host}:{boot.port}: {reason}") from exc
    early = StopRequest()
    early.install()
    out = out or sys.stdout
    out.write(banner(boot, listen_url(sock)))
    out.flush()
    hc = hypercorn_config(boot.config, sock)
    if boot.config.workers > 1:
        return _serve_workers(boot.config, hc, early)
    asyncio.run(_serve_single(boot.config, hc, early))
    return 0
