"""``gatewayctl providers add|list|show|remove|enable|disable``."""

from __future__ import annotations

import json
from typing import Any

import typer

from gatewayctl.cli.common import (
    JSON_OPTION,
    Lifecycle,
    fmt_bool,
    fmt_time,
    lifecycle_commands,
    print_json,
    print_table,
    say,
    services,
)

app = typer.Typer(
    help="Upstream providers: named instances of a channel (openai, anthropic, … or custom).",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="providers")


def _parse_setting(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--setting")
    try:
        value: Any = json.loads(raw)  # true, 42, {"rules": [...]} …
    except json.JSONDecodeError:
        value = raw  # plain strings need no quotes
    return key.strip(), value


@app.command("add")
def add(
    ctx: typer.Context,
    name: str | None = typer.Argument(
        None,
        help="Provider name used in routes (/NAME/v1/…, model prefix NAME/…). "
        "Default: the channel id.",
    ),
    channel: str | None = typer.Option(
        None,
        "--channel",
        "-c",
        help="Channel id: openai, anthropic (claude), aistudio, vertexexpress, vertex, geminicli, "
        "claudecode, codex, antigravity, nvidia, deepseek, groq; any other id is a custom "
        "channel and needs --base-url. Default: NAME.",
    ),
    base_url: str | None = typer.Option(None, "--base-url", help="Upstream base URL."),
    setting: list[str] = typer.Option(
        [], "--setting", "-s", help="Extra setting KEY=VALUE (VALUE parsed as JSON if it can be)."
    ),
    dispatch_json: str | None = typer.Option(
        None, "--dispatch-json", help='Dispatch table override: {"rules": [...]}.'
    ),
    disabled: bool = typer.Option(False, "--disabled", help="Create it disabled (not routed)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Add a provider."""
    from gatewayctl.services import providers

    if name is None and channel is None:
        raise typer.BadParameter("give a NAME or --channel")
    settings = dict(_parse_setting(s) for s in setting)
    if base_url is not None:
        settings["base_url"] = base_url
    view = providers.add_provider(
        services(ctx),
        name,
        channel or name or "",
        settings=settings,
        dispatch=dispatch_json,
        enabled=not disabled,
    )
    if json_out:
        print_json(view)
    else:
        say(f"added provider {view['name']} (channel {view['channel']}, id {view['id']})")


@app.command("list")
def list_(ctx: typer.Context, json_out: bool = JSON_OPTION) -> None:
    """List providers."""
    from gatewayctl.services import providers

    c = services(ctx)
    rows = providers.list_providers(c)
    if json_out:
        print_json(rows)
        return
    counts: dict[int, int] = {}
    for cred in c.store.list_credentials():
        counts[cred.provider_id] = counts.get(cred.provider_id, 0) + 1
    print_table(
        ["ID", "NAME", "CHANNEL", "BASE URL", "ENABLED", "CREDENTIALS"],
        (
            [
                p["id"],
                p["name"],
                p["channel"],
                p["settings_json"].get("base_url", ""),
                fmt_bool(p["enabled"]),
                counts.get(p["id"], 0),
            ]
            for p in rows
        ),
        empty="no providers (add one: gatewayctl providers add openai)",
    )


@app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Provider name (or id)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Show one provider with its settings and dispatch table."""
    from gatewayctl.services import providers

    c = services(ctx)
    view = providers.get_provider(c, name)
    if json_out:
        print_json(view)
        return
    custom = c.store.get_provider(view["id"])
    rows: list[list[Any]] = [
        ["id", view["id"]],
        ["name", view["name"]],
        ["channel", view["channel"]],
        ["enabled", fmt_bool(view["enabled"])],
        ["created", fmt_time(view["created_at"])],
        ["updated", fmt_time(view["updated_at"])],
    ]
    rows += [[f"settings.{k}", json.dumps(v) if not isinstance(v, str) else v]
             for k, v in view["settings_json"].items()]  # fmt: skip
    dispatch_kind = "channel default" if custom and custom.dispatch is None else "custom"
    for rule in view["dispatch_json"]["rules"]:
        route = rule["route"]
        impl = rule["implementation"]
        if isinstance(impl, dict):
            dest = impl["TransformTo"]["destination"]
            impl = f"→ {dest['operation']}/{dest['protocol']}"
        rows.append([f"dispatch {route['operation']}/{route['protocol']}", impl])
    print_table(
        ["FIELD", "VALUE"], rows, title=f"provider {view['name']} ({dispatch_kind} dispatch)"
    )


lifecycle_commands(
    app,
    Lifecycle(
        noun="provider",
        service="providers",
        remove="remove_provider",
        set_enabled="set_provider_enabled",
        argument_help="Provider name (or id).",
        by_id=False,
        remove_help="Remove a provider and its credentials.",
        enable_help="Route requests to a provider again.",
        disable_help="Keep a provider but stop routing to it.",
    ),
)
