"""Where gatewayctl keeps its data: the data dir and the SQLite file.

Resolved once per process from, in order of precedence, explicit arguments (the CLI's global
``--data-dir`` / ``--dsn`` options), the environment (``GATEWAYCTL_DATA_DIR`` /
``GATEWAYCTL_DSN``) and the platform default (``$XDG_DATA_HOME/gatewayctl`` or
``~/.local/share/gatewayctl``). Only SQLite DSNs are understood today; anything else is
refused with a clear error rather than silently falling back to the default file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gatewayctl.errors import InvalidInput

DB_FILENAME = "gatewayctl.db"
ENV_DATA_DIR = "GATEWAYCTL_DATA_DIR"
ENV_DSN = "GATEWAYCTL_DSN"


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved locations. ``db_path`` is absolute."""

    data_dir: Path
    db_path: Path
    dsn: str  # the normalized DSN, ``sqlite:///abs/path.db``

    def ensure_data_dir(self) -> None:
        """Create the data dir (mode 0700) and the database's parent directory."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The platform user data dir: ``$XDG_DATA_HOME/gatewayctl`` or ``~/.local/share/gatewayctl``."""
    env = os.environ if env is None else env
    xdg = env.get("XDG_DATA_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "gatewayctl"
    home = env.get("HOME", "").strip()
    base = Path(home) if home else Path.home()
    return base / ".local" / "share" / "gatewayctl"


def parse_dsn(dsn: str, cwd: Path | None = None) -> Path:
    """The database file a DSN names.

    Accepted: ``sqlite:///abs/path.db`` (absolute), ``sqlite://rel/path.db`` (relative to the
    current directory), or a plain filesystem path. A ``?query`` suffix (gproxy's
    ``?mode=rwc``) is ignored. Anything else raises InvalidInput("unsupported dsn …").
    """
    text = dsn.strip()
    if not text:
        raise InvalidInput("unsupported dsn: empty")
    cwd = Path.cwd() if cwd is None else cwd
    if "://" in text:
        scheme, _, rest = text.partition("://")
        if scheme.lower() not in ("sqlite", "sqlite3"):
            raise InvalidInput(
                f"unsupported dsn {dsn!r}: only sqlite:// DSNs or a file path are supported"
            )
        rest = rest.split("?", 1)[0]
        if not rest or rest in ("/", ":memory:"):
            raise InvalidInput(f"unsupported dsn {dsn!r}: it must name a database file")
        # "sqlite:///abs" leaves "/abs" (absolute); "sqlite://rel" is relative to the cwd
        path = Path("/" + rest.lstrip("/")) if rest.startswith("/") else Path(rest)
    else:
        path = Path(text)
    path = path.expanduser()
    if not path.is_absolute():
        path = cwd / path
    return path


def resolve_settings(
    data_dir: str | os.PathLike[str] | None = None,
    dsn: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the data dir and database path (arguments > environment > default)."""
    env = os.environ if env is None else env
    raw_dir: str | os.PathLike[str] | None = data_dir
    if raw_dir is None or not str(raw_dir).strip():
        raw_dir = env.get(ENV_DATA_DIR, "").strip() or None
    resolved_dir = (
        Path(raw_dir).expanduser().absolute() if raw_dir is not None else default_data_dir(env)
    )
    raw_dsn = dsn if dsn is not None and dsn.strip() else env.get(ENV_DSN, "").strip() or None
    db_path = parse_dsn(raw_dsn) if raw_dsn else resolved_dir / DB_FILENAME
    return Settings(data_dir=resolved_dir, db_path=db_path, dsn=f"sqlite://{db_path}")
