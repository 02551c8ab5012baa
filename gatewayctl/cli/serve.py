"""``gatewayctl serve``: run the HTTP server (Quart on Hypercorn) on the configured store.

Every option also reads a ``GATEWAYCTL_*`` environment variable; a flag wins over the
variable, both win over ``--config`` and the stored global settings (see
:mod:`gatewayctl.server.config`). The store is the one the global ``--data-dir`` / ``--dsn``
options (or ``GATEWAYCTL_DATA_DIR`` / ``GATEWAYCTL_DSN``) name.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gatewayctl.cli.common import CliState, fail
from gatewayctl.server.config import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_GRACEFUL_TIMEOUT,
    DEFAULT_MAX_BODY_MB,
    MAX_WORKERS,
)


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(
        None,
        "--host",
        envvar="GATEWAYCTL_HOST",
        help="Listen address (default: stored setting, else 127.0.0.1).",
    ),
    port: int | None = typer.Option(
        None,
        "--port",
        envvar="GATEWAYCTL_PORT",
        min=0,
        max=65535,
        help="Listen port, 0 = any free port (default: stored setting, else 8787).",
    ),
    workers: int = typer.Option(
        1, "--workers", envvar="GATEWAYCTL_WORKERS", min=1, max=MAX_WORKERS, help="Processes."
    ),
    admin_key: str | None = typer.Option(
        None,
        "--admin-key",
        envvar="GATEWAYCTL_ADMIN_KEY",
        help="Make this the admin key (stored). Default: keep the stored one, else generate.",
    ),
    proxy: str | None = typer.Option(
        None,
        "--proxy",
        envvar="GATEWAYCTL_PROXY",
        help='Upstream egress proxy for this run ("" = none); overrides the stored setting.',
    ),
    config_file: Path | None = typer.Option(
        None,
        "--config",
        envvar="GATEWAYCTL_CONFIG",
        dir_okay=False,
        help="TOML file imported (merged) into the store at start: global settings, providers, users.",
    ),
    mask_sensitive_info: bool | None = typer.Option(
        None,
        "--mask-sensitive-info/--no-mask-sensitive-info",
        envvar="GATEWAYCTL_MASK_SENSITIVE_INFO",
        help="Do not store request/response bodies in the logs (overrides the stored setting).",
        show_default=False,
    ),
    max_body_mb: int = typer.Option(
        DEFAULT_MAX_BODY_MB,
        "--max-body-mb",
        envvar="GATEWAYCTL_MAX_BODY_MB",
        min=1,
        help="Largest accepted request body, in MiB.",
    ),
    body_timeout: float = typer.Option(
        DEFAULT_BODY_TIMEOUT,
        "--body-timeout",
        envvar="GATEWAYCTL_BODY_TIMEOUT",
        min=1,
        help="Seconds to receive a request body.",
    ),
    graceful_timeout: float = typer.Option(
        DEFAULT_GRACEFUL_TIMEOUT,
        "--graceful-timeout",
        envvar="GATEWAYCTL_GRACEFUL_TIMEOUT",
        min=0,
        help="Seconds in-flight requests (streams) get to finish at shutdown.",
    ),
) -> None:
    """Run the gateway's HTTP server (admin/user API, provider routes)."""
    from gatewayctl.server.config import ServerConfig
    from gatewayctl.server.run import serve as run_server

    state = ctx.find_root().obj
    state = state if isinstance(state, CliState) else CliState()
    try:
        config = ServerConfig(
            data_dir=str(state.data_dir) if state.data_dir else None,
            dsn=state.dsn,
            host=host.strip() if host is not None else None,
            port=port,
            workers=workers,
            admin_key=admin_key,
            config_file=str(config_file) if config_file is not None else None,
            proxy=proxy.strip() if proxy is not None else None,
            mask_sensitive_info=mask_sensitive_info,
            max_body_mb=max_body_mb,
            body_timeout=body_timeout,
            graceful_timeout=graceful_timeout,
        )
        code = run_server(config)
    except OSError as exc:  # the listen address is taken or not ours; GatewayError: the group
        fail(exc.strerror or str(exc))
    except KeyboardInterrupt:  # Ctrl-C before serving started (afterwards it is a clean stop)
        raise SystemExit(130) from None
    if code:
        raise typer.Exit(code)
