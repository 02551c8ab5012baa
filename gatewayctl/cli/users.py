"""``gatewayctl users add|list|remove|enable|disable``."""

from __future__ import annotations

import typer

from gatewayctl.cli.common import JSON_OPTION, fmt_bool, print_json, print_table, say, services

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


@app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(..., help="User name (or id).")) -> None:
    """Remove a user and their keys."""
    from gatewayctl.services import users

    users.remove_user(services(ctx), name)
    say(f"removed user {name}")


@app.command("enable")
def enable(ctx: typer.Context, name: str = typer.Argument(..., help="User name (or id).")) -> None:
    """Let a user's keys work again."""
    from gatewayctl.services import users

    users.set_user_enabled(services(ctx), name, True)
    say(f"enabled user {name}")


@app.command("disable")
def disable(ctx: typer.Context, name: str = typer.Argument(..., help="User name (or id).")) -> None:
    """Block all of a user's keys."""
    from gatewayctl.services import users

    users.set_user_enabled(services(ctx), name, False)
    say(f"disabled user {name}")
