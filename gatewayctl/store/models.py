"""Rows and filters exchanged between the service layer and a store engine.

Plain frozen dataclasses, engine-neutral: JSON columns are already decoded (``dict``/``list``),
booleans are ``bool``, timestamps are unix milliseconds (``int``). Secret columns hold the
opaque ciphertext tokens produced by :mod:`gatewayctl.secrets` — the store never sees a
secret in clear and never decrypts one.

``id=None`` on a row handed to ``save_*`` means "insert with the next id".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

HealthKind = Literal["healthy", "partial", "dead"]
HEALTH_KINDS: tuple[str, ...] = ("healthy", "partial", "dead")

LogTable = Literal["usages", "upstream_requests", "downstream_requests"]
LOG_TABLES: tuple[str, ...] = ("usages", "upstream_requests", "downstream_requests")

ADMIN_USER_ID = 0
ADMIN_USER_NAME = "admin"


@dataclass(frozen=True, slots=True)
class ProviderRow:
    id: int | None
    name: str
    channel: str
    settings: dict[str, Any]
    dispatch: dict[str, Any] | None  # None = the channel's default table
    enabled: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class CredentialRow:
    id: int | None
    provider_id: int
    name: str | None  # the credential's label
    kind: str
    settings: dict[str, Any] | None
    secret_token: str  # encrypted secret_json
    enabled: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class StatusRow:
    id: int | None
    credential_id: int
    channel: str
    health_kind: str
    health: Any  # decoded health_json (partial: list of {model, until_unix_ms}); None otherwise
    checked_at: int | None
    last_error: str | None
    updated_at: int


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int | None
    name: str
    enabled: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class UserKeyRow:
    id: int | None
    user_id: int
    key_token: str  # encrypted api key
    key_hash: str  # keyed hash of the api key, unique: O(1) auth lookup
    label: str | None
    enabled: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class GlobalSettingsRow:
    host: str = "127.0.0.1"
    port: int = 8787
    admin_key_token: str | None = None
    hf_token_token: str | None = None
    hf_url: str | None = None
    proxy: str | None = None
    dsn: str | None = None
    data_dir: str | None = None
    mask_sensitive_info: bool = True
    updated_at: int = 0


@dataclass(frozen=True, slots=True)
class UsageFilter:
    """Filters shared by usage queries and summaries. ``None`` = no filter."""

    provider_id: int | None = None
    channel: str | None = None  # matches the provider's channel (LEFT JOIN providers)
    credential_id: int | None = None
    model: str | None = None
    user_id: int | None = None
    user_key_id: int | None = None
    from_ms: int | None = None  # inclusive
    to_ms: int | None = None  # exclusive
    limit: int | None = None  # None or <= 0 = unlimited


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """Filters for the upstream/downstream request logs."""

    provider_id: int | None = None  # upstream only
    credential_id: int | None = None  # upstream only
    user_id: int | None = None  # downstream only
    user_key_id: int | None = None  # downstream only
    from_ms: int | None = None
    to_ms: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class UsageSummary:
    count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0


@dataclass(slots=True)
class WriterStats:
    """Counters of a batched writer (read them for metrics)."""

    submitted: int = 0
    written: int = 0
    dropped_rows: int = 0
    dropped_bodies: int = 0
    failed_batches: int = 0
    by_table: dict[str, int] = field(default_factory=dict)
