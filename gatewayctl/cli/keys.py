"""``gatewayctl keys create|list|revoke``: user API keys."""

from __future__ import annotations

import typer

from gatewayctl.cli.common import (
    JSON_OPTION,
    fmt_bool,
    fmt_time,
    notice,
    print_json,
    print_table,
    say,
    services,
)

app = typer.Typer(help="User API keys (stored encrypted, shown once).", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="keys")


@app.command("create")
def create(
    ctx: typer.Context,
    user: str = typer.Option(..., "--user", "-u", help="Owner (user name or id)."),
    key: str | None = typer.Option(
        None,
        "--key",
        help="Raw key; stored as u<id>_<key> unless already so prefixed. Default: random.",
    ),
    label: str | None = typer.Option(None, "--label", "-l", help="A note to recognise the key."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Create a key and print it (the stored, normalized form) — the only time it is shown."""
    from gatewayctl.services import keys

    view = keys.create_key(services(ctx), user, raw=key, label=label)
    if json_out:
        print_json(view)
        return
    say(view["api_key"])
    notice(f"key {view['id']} for user {user}: store it now, it will not be shown again")


@app.command("list")
def list_(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", "-u", help="Only this user's keys."),
    json_out: bool = JSON_OPTION,
) -> None:
    """List keys (masked)."""
    from gatewayctl.services import keys

    rows = keys.list_keys(services(ctx), user=user)
    if json_out:
        print_json(rows)
        return
    print_table(
        ["ID", "USER", "KEY", "LABEL", "ENABLED", "CREATED"],
        (
            [
                k["id"],
                k["user"],
                k["api_key"],
                k["label"] or "",
                fmt_bool(k["enabled"]),
                fmt_time(k["created_at"]),
            ]
            for k in rows
        ),  # fmt: skip
        empty="no keys",
    )


@app.command("revoke")
def revoke(ctx: typer.Context, id: int = typer.Argument(..., help="Key id.")) -> None:
    """Delete a key: it stops working at once (a running server reloads within ~1 s)."""
    from gatewayctl.services import keys

    keys.revoke_key(services(ctx), id)
    say(f"revoked key {id}")
