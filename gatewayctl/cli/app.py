"""The ``gatewayctl`` command line: the root app, its global options, and the nouns.

Each noun lives in its own module exposing ``register(app)``; :data:`COMMAND_MODULES` lists
them, so adding a command group (``serve``) is one entry in that tuple. Commands are thin:
parse options, call a service, render the result. The CLI works directly on the store — no
running server is needed, and a running server picks the changes up by itself.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import typer

from gatewayctl.cli.common import CliState, GatewayGroup

# Modules under gatewayctl.cli that register commands, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "serve",
    "providers",
    "credentials",
    "users",
    "keys",
    "admin_key",
    "config",
    "usage",
)

app = typer.Typer(
    cls=GatewayGroup,
    name="gatewayctl",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help="Data directory (default: $GATEWAYCTL_DATA_DIR, else ~/.local/share/gatewayctl).",
        file_okay=False,
    ),
    dsn: str | None = typer.Option(
        None,
        "--dsn",
        help="Store DSN: sqlite:///abs/path.db, sqlite://rel.db or a file path "
        "(default: $GATEWAYCTL_DSN, else <data-dir>/gatewayctl.db).",
    ),
) -> None:
    """gatewayctl — a CLI-first LLM API gateway.

    Manage providers, credentials, users and keys in the local store; export/import the
    configuration as TOML; inspect usage and request logs.
    """
    ctx.obj = CliState(data_dir=data_dir, dsn=dsn)


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"gatewayctl.cli.{name}").register(app)


_register_commands()


def main() -> None:
    """Console-script entry point (also ``python -m gatewayctl``)."""
    app()
