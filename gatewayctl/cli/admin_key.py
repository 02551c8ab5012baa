"""``gatewayctl admin-key show|rotate``: the key of the admin user (id 0)."""

from __future__ import annotations

import typer

from gatewayctl.cli.common import fail, notice, say, services

app = typer.Typer(
    help="The admin key (for /admin/* and the console). Printed in clear: that is its use.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="admin-key")


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Print the admin key."""
    from gatewayctl.services import keys

    key = keys.get_admin_key(services(ctx))
    if key is None:
        fail("no admin key yet: run `gatewayctl admin-key rotate` (or `gatewayctl serve`)")
    say(key)


@app.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Replace the admin key with a new random one and print it."""
    from gatewayctl.services import keys

    c = services(ctx)
    had_key = keys.get_admin_key(c) is not None
    key = keys.rotate_admin_key(c)
    say(key)
    notice("the previous admin key no longer works" if had_key else "admin key created")
