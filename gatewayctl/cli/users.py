"""``gatewayctl users add|list|remove|enable|disable``."""

from __future__ import annotations

import typer

from gatewayctl.cli.common import (
    JSON_OPTION,
    Lifecycle,
    fmt_bool,
    lifecycle_commands,
    print_json,
    print_table,
    say,
    services,
)

app = typer.Typer(
    help="Users who may call the gateway (user 0 is the admin).", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="users")


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name (unique)."),
    disabled: bool = typer.Option(False, "--disabled", help="Create the user disabled."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Add a user (then give them a key: gatewayctl keys create --user NAME)."""
    from gatewayctl.services import users

    view = users.add_user(services(ctx), name, enabled=not disabled)
    if json_out:
        print_json(view)
    else:
        say(f"added user {view['name']} (id {view['id']})")


@app.command("list")
def list_(ctx: typer.Context, json_out: bool = JSON_OPTION) -> None:
    """List users."""
    from gatewayctl.services import users

    rows = users.list_users(services(ctx))
    if json_out:
        print_json(rows)
        return
    print_table(
        ["ID", "NAME", "ENABLED"], ([u["id"], u["name"], fmt_bool(u["enabled"])] for u in rows)
    )


lifecycle_commands(
    app,
    Lifecycle(
        noun="user",
        service="users",
        remove="remove_user",
        set_enabled="set_user_enabled",
        argument_help="User name (or id).",
        by_id=False,
        remove_help="Remove a user and their keys.",
        enable_help="Let a user's keys work again.",
        disable_help="Block all of a user's keys.",
    ),
)
