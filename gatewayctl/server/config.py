"""What one ``gatewayctl serve`` process is told: listen address, store, limits, overrides.

Precedence, highest first: command-line flag, ``GATEWAYCTL_*`` environment variable (both
read by the CLI), the ``--config`` TOML (imported into the store at start, so it becomes the
stored value), the stored global settings, the defaults below.

Two kinds of values:

* **process settings** (``host``, ``port``, ``workers``, limits): ``None`` for host/port means
  "use the stored global settings";
* **runtime overrides** (``proxy``, ``mask_sensitive_info``): ``None`` = use the stored value.
  A flag here applies to this process only and is *not* written back to the store — unlike
  ``--admin-key``, which becomes the stored admin key (spec §6.2).

With ``--workers N`` the resolved config travels to the worker processes as one JSON
environment variable (:data:`ENV_SERVER_CONFIG`), read back by :func:`from_env`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from gatewayctl.errors import InvalidInput

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_MAX_BODY_MB = 64  # base64 images and PDFs in chat bodies; Quart's own default is 16 MB
DEFAULT_BODY_TIMEOUT = 120.0  # seconds to receive a whole request body
DEFAULT_GRACEFUL_TIMEOUT = 30.0  # seconds in-flight requests (streams) get at shutdown
MAX_WORKERS = 64
ENV_SERVER_CONFIG = "GATEWAYCTL_SERVER_CONFIG"
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything ``create_app`` and the launcher need; all fields JSON-serializable."""

    data_dir: str | None = None  # None = GATEWAYCTL_DATA_DIR or the platform default
    dsn: str | None = None
    host: str | None = None  # None = stored global settings (default 127.0.0.1)
    port: int | None = None  # None = stored global settings (default 8787); 0 = any free port
    workers: int = 1
    admin_key: str | None = None
    config_file: str | None = None
    proxy: str | None = None  # runtime override; "" = no proxy
    mask_sensitive_info: bool | None = None  # runtime override
    max_body_mb: int = DEFAULT_MAX_BODY_MB
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    graceful_timeout: float = DEFAULT_GRACEFUL_TIMEOUT
    snapshot_interval: float = 0.5  # seconds between two store change checks

    def __post_init__(self) -> None:
        if self.port is not None and not 0 <= self.port <= 65535:
            raise InvalidInput(f"port must be between 0 and 65535, got {self.port}")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise InvalidInput(f"workers must be between 1 and {MAX_WORKERS}, got {self.workers}")
        if self.max_body_mb < 1:
            raise InvalidInput(f"max body size must be at least 1 MiB, got {self.max_body_mb}")
        if self.body_timeout <= 0 or self.graceful_timeout < 0 or self.snapshot_interval <= 0:
            raise InvalidInput("timeouts must be positive")
        if self.host is not None and not self.host.strip():
            raise InvalidInput("host must not be empty")
        if self.proxy:
            from gatewayctl.services.common import check_url

            check_url(self.proxy, "proxy", schemes=PROXY_SCHEMES)

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_mb * 1024 * 1024

    def to_env(self) -> dict[str, str]:
        """The environment a worker process needs to rebuild this config."""
        return {ENV_SERVER_CONFIG: json.dumps(asdict(self), separators=(",", ":"))}


def from_env(env: Mapping[str, str] | None = None) -> ServerConfig:
    """The config a parent ``serve`` put in :data:`ENV_SERVER_CONFIG` (defaults if unset)."""
    env = os.environ if env is None else env
    raw = env.get(ENV_SERVER_CONFIG, "").strip()
    if not raw:
        return ServerConfig()
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{ENV_SERVER_CONFIG} is not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{ENV_SERVER_CONFIG} must be a JSON object")
    known = {f.name for f in fields(ServerConfig)}
    return ServerConfig(**{k: v for k, v in data.items() if k in known})
