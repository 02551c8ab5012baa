"""``gatewayctl credentials add|list|remove|enable|disable|status``."""

from __future__ import annotations

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
    read_value,
    say,
    services,
)

app = typer.Typer(help="Provider credentials (API keys, OAuth tokens, service accounts).",
                  no_args_is_help=True)  # fmt: skip


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="credentials")


def _secret_summary(secret_json: dict[str, Any]) -> str:
    """The masked secret in one cell: the api key, or the masked field list."""
    body = next(iter(secret_json.values()))
    if "Builtin" in secret_json:
        body = next(iter(body.values()))
    if set(body) == {"api_key"}:
        return str(body["api_key"])
    return ", ".join(f"{k}={v}" for k, v in body.items())


@app.command("add")
def add(
    ctx: typer.Context,
    provider: str = typer.Argument(..., help="Provider name (or id)."),
    api_key: str | None = typer.Option(
        None, "--api-key", help="API key (API-key channels). '-' reads it from stdin."
    ),
    secret_json: str | None = typer.Option(
        None,
        "--secret-json",
        help='Credential JSON, e.g. {"Builtin": {"Codex": {...}}} or the bare fields. '
        "'-' reads stdin, '@FILE' reads a file.",
    ),
    label: str | None = typer.Option(None, "--label", "-l", help="Label, unique per provider."),
    disabled: bool = typer.Option(False, "--disabled", help="Add it disabled."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Add a credential to a provider (exactly one of --api-key / --secret-json)."""
    from gatewayctl.services import credentials

    if (api_key is None) == (secret_json is None):
        raise typer.BadParameter("give exactly one of --api-key or --secret-json")
    view = credentials.add_credential(
        services(ctx),
        provider,
        api_key=read_value(api_key, "the api key") if api_key is not None else None,
        secret=read_value(secret_json, "the secret JSON") if secret_json is not None else None,
        label=label,
        enabled=not disabled,
    )
    if json_out:
        print_json(view)
    else:
        say(f"added credential {view['id']} to provider {view['provider']} ({view['kind']})")


@app.command("list")
def list_(
    ctx: typer.Context,
    provider: str | None = typer.Option(None, "--provider", "-p", help="Only this provider."),
    json_out: bool = JSON_OPTION,
) -> None:
    """List credentials (secrets masked, health shown)."""
    from gatewayctl.services import credentials

    rows = credentials.list_credentials(services(ctx), provider=provider)
    if json_out:
        print_json(rows)
        return
    print_table(
        ["ID", "PROVIDER", "LABEL", "KIND", "SECRET", "ENABLED", "HEALTH"],
        (
            [
                c["id"],
                c["provider"],
                c["name"] or "",
                c["kind"],
                _secret_summary(c["secret_json"]),
                fmt_bool(c["enabled"]),
                c["health_kind"],
            ]
            for c in rows
        ),
        empty="no credentials",
    )


lifecycle_commands(
    app,
    Lifecycle(
        noun="credential",
        service="credentials",
        remove="remove_credential",
        set_enabled="set_credential_enabled",
        argument_help="Credential id.",
        by_id=True,
        remove_help="Remove a credential.",
        enable_help="Use a credential again.",
        disable_help="Stop using a credential (kept in the store).",
    ),
)


@app.command("status")
def status(
    ctx: typer.Context,
    provider: str | None = typer.Option(None, "--provider", "-p", help="Only this provider."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Credential health: healthy, partial (per-model cooldowns) or dead."""
    from gatewayctl.services import statuses

    rows = statuses.credential_health(services(ctx), provider)
    if json_out:
        print_json(rows)
        return
    print_table(
        ["ID", "PROVIDER", "LABEL", "ENABLED", "HEALTH", "COOLDOWNS", "CHECKED", "LAST ERROR"],
        (
            [
                r["credential_id"],
                r["provider"],
                r["label"] or "",
                fmt_bool(r["enabled"]),
                r["health_kind"],
                ", ".join(
                    f"{m['model']} until {fmt_time(m['until_unix_ms'])}" for m in r["cooldowns"]
                ),  # fmt: skip
                fmt_time(r["checked_at"]),
                r["last_error"] or "",
            ]
            for r in rows
        ),
        empty="no credentials",
    )
