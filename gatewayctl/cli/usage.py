"""``gatewayctl usage summary|list`` and ``gatewayctl requests list``."""

from __future__ import annotations

from typing import Literal

import typer

from gatewayctl.cli.common import JSON_OPTION, fmt_time, print_json, print_table, services

usage_app = typer.Typer(help="Token usage recorded by the gateway.", no_args_is_help=True)
requests_app = typer.Typer(help="Request audit logs.", no_args_is_help=True)

PROVIDER = typer.Option(None, "--provider", "-p", help="Provider name (or id).")
MODEL = typer.Option(None, "--model", "-m", help="Model (as requested, prefix stripped).")
USER = typer.Option(None, "--user", "-u", help="User name (or id).")
SINCE = typer.Option(None, "--since", help="Only the last DURATION: 30m, 24h, 7d, 2w.")


def register(root: typer.Typer) -> None:
    root.add_typer(usage_app, name="usage")
    root.add_typer(requests_app, name="requests")


@usage_app.command("summary")
def summary(
    ctx: typer.Context,
    provider: str | None = PROVIDER,
    model: str | None = MODEL,
    user: str | None = USER,
    since: str | None = SINCE,
    json_out: bool = JSON_OPTION,
) -> None:
    """Totals: request count and input/output/cache tokens."""
    from gatewayctl.services import usage

    c = services(ctx)
    flt = usage.usage_filter(c, provider=provider, model=model, user=user, since=since)
    s = usage.summarize_usages(c, flt)
    if json_out:
        print_json(s)
        return
    print_table(["METRIC", "VALUE"], ([k, f"{v:,}"] for k, v in s.items()), title="usage")


@usage_app.command("list")
def list_usage(
    ctx: typer.Context,
    provider: str | None = PROVIDER,
    model: str | None = MODEL,
    user: str | None = USER,
    since: str | None = SINCE,
    limit: int = typer.Option(50, "--limit", "-n", min=0, help="At most N rows (0 = all)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Usage records, newest first."""
    from gatewayctl.services import usage

    c = services(ctx)
    flt = usage.usage_filter(c, provider=provider, model=model, user=user, since=since, limit=limit)
    rows = usage.list_usages(c, flt)
    if json_out:
        print_json(rows)
        return
    print_table(
        ["AT", "PROVIDER", "MODEL", "OPERATION", "PROTOCOL", "USER", "KEY", "IN", "OUT",
         "CACHE R", "CACHE W"],
        (
            [fmt_time(r["at"]), r["provider_name"] or r["provider_id"], r["model"],
             r["operation"], r["protocol"], r["user_id"], r["user_key_id"], r["input_tokens"],
             r["output_tokens"], r["cache_read_input_tokens"], r["cache_creation_input_tokens"]]
            for r in rows
        ),
        empty="no usage recorded",
    )  # fmt: skip


@requests_app.command("list")
def list_requests(
    ctx: typer.Context,
    upstream: bool = typer.Option(
        False,
        "--upstream/--downstream",
        help="Calls to providers, or calls from clients (default).",
    ),
    provider: str | None = typer.Option(None, "--provider", "-p", help="Upstream: provider."),
    user: str | None = typer.Option(None, "--user", "-u", help="Downstream: user."),
    since: str | None = SINCE,
    limit: int = typer.Option(50, "--limit", "-n", min=0, help="At most N rows (0 = all)."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Request log rows, newest first (bodies only when body masking is off)."""
    from gatewayctl.services import usage

    kind: Literal["upstream", "downstream"] = "upstream" if upstream else "downstream"
    if upstream and user is not None:
        raise typer.BadParameter("--user filters downstream requests")
    if not upstream and provider is not None:
        raise typer.BadParameter("--provider filters upstream requests (add --upstream)")
    rows = usage.list_requests(
        services(ctx), kind, provider=provider, user=user, since=since, limit=limit
    )
    if json_out:
        print_json(rows)
        return
    if upstream:
        print_table(
            ["TRACE", "AT", "PROVIDER", "CREDENTIAL", "METHOD", "URL", "STATUS"],
            ([r["trace_id"], fmt_time(r["at"]), r["provider_id"], r["credential_id"],
              r["request_method"], r["request_url"], r["response_status"]] for r in rows),
            empty="no upstream requests recorded",
        )  # fmt: skip
    else:
        print_table(
            ["TRACE", "AT", "USER", "KEY", "METHOD", "PATH", "STATUS"],
            ([r["trace_id"], fmt_time(r["at"]), r["user_id"], r["user_key_id"],
              r["request_method"], r["request_path"], r["response_status"]] for r in rows),
            empty="no downstream requests recorded",
        )  # fmt: skip
