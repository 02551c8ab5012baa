"""TOML import/export entry points (CONTRACT §6), shared by the CLI and the admin API.

The work lives in :mod:`toml_export` (deterministic document), :mod:`toml_import`
(validate everything, then merge in one transaction) and :mod:`toml_merge` (keep an
existing file's comments). This module adds the file handling: an export file is written
atomically with mode 0600, because it holds every secret in clear.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gatewayctl.errors import InvalidInput
from gatewayctl.services.context import Context
from gatewayctl.services.toml_export import build_document, export_toml
from gatewayctl.services.toml_import import ImportPlan, ImportResult, apply_plan, parse_document

__all__ = [
    "ImportPlan",
    "ImportResult",
    "build_document",
    "export_toml",
    "import_toml",
    "import_toml_file",
    "validate_toml",
    "write_export_file",
]


def validate_toml(text: str) -> ImportPlan:
    """Parse and validate a document without writing anything."""
    return parse_document(text)


def import_toml(ctx: Context, text: str) -> ImportResult:
    """Validate the whole document, then merge it in one transaction (never deletes)."""
    return apply_plan(ctx, parse_document(text))


def import_toml_file(ctx: Context, path: str | os.PathLike[str]) -> ImportResult:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidInput(f"no such file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from exc
    return import_toml(ctx, text)


def write_export_file(ctx: Context, path: str | os.PathLike[str], *, redact: bool = False) -> str:
    """Export into ``path`` (mode 0600, atomic replace). An existing file's comments are kept
    (see :mod:`toml_merge`). Returns the text written."""
    target = Path(path)
    existing = None
    if target.exists():
        try:
            existing = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {target}: {exc}") from exc
    text = export_toml(ctx, redact=redact, existing=existing)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidInput(f"no such directory: {directory}")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return text
