"""``gatewayctl export-toml [FILE] [--redact]`` and ``gatewayctl import-toml FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from gatewayctl.cli.common import JSON_OPTION, notice, print_json, say, services


def register(root: typer.Typer) -> None:
    root.command("export-toml")(export_toml)
    root.command("import-toml")(import_toml)


def export_toml(
    ctx: typer.Context,
    file: Path | None = typer.Argument(
        None,
        help="Write here (mode 0600; an existing file keeps its comments). Default: stdout.",
        dir_okay=False,
    ),
    redact: bool = typer.Option(False, "--redact", help="Mask every secret (for sharing)."),
) -> None:
    """Export the whole configuration as TOML — a full backup, secrets included."""
    from gatewayctl.services import toml_io

    c = services(ctx)
    if file is None:
        sys.stdout.write(toml_io.export_toml(c, redact=redact))
        return
    toml_io.write_export_file(c, file, redact=redact)
    notice(f"wrote {file} (mode 0600{', secrets redacted' if redact else ''})")


def import_toml(
    ctx: typer.Context,
    file: str = typer.Argument(
        ..., help="TOML file (ours or a gproxy v0.3 gproxy.toml); '-' = stdin."
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Import a TOML configuration: merges by name/label, never deletes, all or nothing."""
    from gatewayctl.services import toml_io

    c = services(ctx)
    if file == "-":
        result = toml_io.import_toml(c, sys.stdin.read())
    else:
        result = toml_io.import_toml_file(c, file)
    if json_out:
        print_json(result.as_dict())
        return

    def counts(d: dict[str, int]) -> str:
        return ", ".join(f"{n} {k}" for k, n in d.items()) or "nothing"

    say(f"imported {file}: created {counts(result.created)}; updated {counts(result.updated)}")
