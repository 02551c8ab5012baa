"""What every CLI command shares: the open service context, error handling, output.

Errors are handled in one place, :class:`GatewayGroup.main`: a usage error prints one line and
exits 2; a :class:`~gatewayctl.errors.GatewayError` prints ``error: <message>`` and exits 1;
anything unexpected prints one line too (``GATEWAYCTL_DEBUG=1`` re-raises it with its
traceback). ``--json`` output is pure JSON on stdout; human output is a rich table; notices go
to stderr. Rich and the service layer are imported lazily so the CLI starts fast.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer.core import TyperGroup

from gatewayctl.errors import GatewayError

if TYPE_CHECKING:
    from gatewayctl.services.context import Context


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` (one line) on stderr and exit with ``code``."""
    one_line = " ".join(str(message).split())
    sys.stderr.write(f"error: {one_line}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def _click_exceptions() -> tuple[Any, Any, Any]:
    """Click's exception classes: vendored in Typer >= 0.29, the click package before."""
    try:
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - older Typer on the click package
        from click import exceptions  # type: ignore[no-redef]
    return exceptions.ClickException, exceptions.NoArgsIsHelpError, exceptions.UsageError


class GatewayGroup(TyperGroup):
    """The root group: maps every failure to one stderr line and an exit code."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        ClickException, NoArgsIsHelpError, UsageError = _click_exceptions()
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:
            exc.show()
            raise SystemExit(exc.exit_code) from None
        except UsageError as exc:
            hint = ""
            if exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            fail(exc.format_message() + hint, exc.exit_code)
        except ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except typer.Abort:
            fail("aborted", 1)
        except GatewayError as exc:
            fail(exc.message, 1)
        except BrokenPipeError:
            raise SystemExit(1) from None
        except Exception as exc:
            if os.environ.get("GATEWAYCTL_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc}", 1)
        raise SystemExit(rv if isinstance(rv, int) else 0)


@dataclass
class CliState:
    """Global options, and the service context opened on first use."""

    data_dir: Path | None = None
    dsn: str | None = None
    _ctx: Context | None = field(default=None, repr=False)

    def context(self) -> Context:
        if self._ctx is None:
            from gatewayctl.services.context import open_context

            self._ctx = open_context(
                data_dir=str(self.data_dir) if self.data_dir else None, dsn=self.dsn
            )
        return self._ctx

    def close(self) -> None:
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None


def services(ctx: typer.Context) -> Context:
    """The service context for this invocation (closed when the command ends)."""
    root = ctx.find_root()
    state = root.obj
    if not isinstance(state, CliState):
        state = root.obj = CliState()
    if state._ctx is None:
        root.call_on_close(state.close)
    return state.context()


# --------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------

JSON_OPTION = typer.Option(False, "--json", help="Output JSON on stdout (nothing else).")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def notice(message: str) -> None:
    """A human message on stderr (keeps stdout clean for values and JSON)."""
    sys.stderr.write(message + "\n")


def say(message: str) -> None:
    """A human confirmation on stdout."""
    sys.stdout.write(message + "\n")


def fmt_time(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def fmt_bool(value: bool) -> str:
    return "yes" if value else "no"


def print_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    empty: str = "nothing to show",
) -> None:
    """A rich table on stdout (``empty`` on stderr when there are no rows)."""
    materialized = [["" if v is None else str(v) for v in row] for row in rows]
    if not materialized:
        notice(empty)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in materialized:
        table.add_row(*row)
    # Piped output (no terminal, no COLUMNS) gets room instead of 80-column folding.
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    Console(soft_wrap=False, width=240 if wide else None).print(table)


def read_value(value: str, what: str, reader: Callable[[], str] | None = None) -> str:
    """``-`` reads ``what`` from stdin, ``@path`` from a file; anything else is literal."""
    if value == "-":
        text = (reader or sys.stdin.read)()
        return text.strip()
    if value.startswith("@"):
        try:
            return Path(value[1:]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {what} from {value[1:]}: {exc}") from exc
    return value


# --------------------------------------------------------------------------------------
# shared commands
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """``remove`` / ``enable`` / ``disable`` of one noun, by service function names (the
    service module is imported when a command runs, so the CLI starts fast)."""

    noun: str  # "provider", "credential", "user"
    service: str  # module under gatewayctl.services
    remove: str  # service(ctx, ref) -> ...
    set_enabled: str  # service(ctx, ref, enabled: bool) -> ...
    argument_help: str
    by_id: bool  # the argument is an integer id (else a name or an id)
    remove_help: str
    enable_help: str
    disable_help: str


def lifecycle_commands(app: typer.Typer, spec: Lifecycle) -> None:
    """Register ``remove``, ``enable`` and ``disable`` for ``spec`` on ``app``."""

    def call(ctx: typer.Context, name: str, *args: Any) -> None:
        module = importlib.import_module(f"gatewayctl.services.{spec.service}")
        getattr(module, name)(services(ctx), *args)

    ref_type = int if spec.by_id else str
    argument = typer.Argument(..., help=spec.argument_help, metavar="ID" if spec.by_id else "NAME")

    def remove(ctx: typer.Context, ref: Any = argument) -> None:
        call(ctx, spec.remove, ref)
        say(f"removed {spec.noun} {ref}")

    def enable(ctx: typer.Context, ref: Any = argument) -> None:
        call(ctx, spec.set_enabled, ref, True)
        say(f"enabled {spec.noun} {ref}")

    def disable(ctx: typer.Context, ref: Any = argument) -> None:
        call(ctx, spec.set_enabled, ref, False)
        say(f"disabled {spec.noun} {ref}")

    for name, command, doc in (
        ("remove", remove, spec.remove_help),
        ("enable", enable, spec.enable_help),
        ("disable", disable, spec.disable_help),
    ):
        command.__annotations__ = {"ctx": typer.Context, "ref": ref_type, "return": None}
        app.command(name, help=doc)(command)
