"""Typer root application (placeholder until the CLI lands)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.callback()
def _root() -> None:
    """gatewayctl — a CLI-first LLM API gateway."""


def main() -> None:
    app()
