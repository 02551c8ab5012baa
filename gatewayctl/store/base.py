"""The store interface: what the service layer and the writer need from a database engine.

A narrow set of repository methods, not an ORM, so another engine (Postgres) can be added
beside the SQLite one without touching the services. Rules every engine must keep:

- ``transaction()`` is an exclusive write transaction (SQLite: ``BEGIN IMMEDIATE``), re-entrant
  (a nested call joins the outer one); an exception rolls everything back.
- ``read()`` gives a consistent snapshot for several reads (optional for single reads).
- ``save_*`` inserts when ``row.id is None`` (returning the row with its new id) and otherwise
  inserts-or-replaces the row with that id. Callers validate uniqueness first; the engine still
  enforces it and raises :class:`gatewayctl.errors.Conflict` when a unique rule would break.
- ``data_version()`` changes whenever another connection commits; ``config_version()`` changes
  whenever configuration tables (providers, credentials, statuses, users, keys, global settings)
  change — from any connection or process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from gatewayctl.store.models import (
    CredentialRow,
    GlobalSettingsRow,
    ProviderRow,
    RequestFilter,
    StatusRow,
    UsageFilter,
    UsageSummary,
    UserKeyRow,
    UserRow,
)


class Store(Protocol):
    """Repository methods over one database (one connection per instance)."""

    # lifecycle ---------------------------------------------------------------------------
    def close(self) -> None: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def read(self) -> AbstractContextManager[None]: ...
    def data_version(self) -> int: ...
    def config_version(self) -> int: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...

    # providers ---------------------------------------------------------------------------
    def list_providers(
        self,
        *,
        ids: Sequence[int] | None = None,
        name: str | None = None,
        channel: str | None = None,
        enabled: bool | None = None,
        limit: int | None = None,
    ) -> list[ProviderRow]: ...
    def get_provider(self, provider_id: int) -> ProviderRow | None: ...
    def get_provider_by_name(self, name: str) -> ProviderRow | None: ...
    def save_provider(self, row: ProviderRow) -> ProviderRow: ...
    def delete_provider(self, provider_id: int) -> bool: ...

    # credentials -------------------------------------------------------------------------
    def list_credentials(
        self,
        *,
        ids: Sequence[int] | None = None,
        provider_id: int | None = None,
        kind: str | None = None,
        enabled: bool | None = None,
        limit: int | None = None,
    ) -> list[CredentialRow]: ...
    def get_credential(self, credential_id: int) -> CredentialRow | None: ...
    def save_credential(self, row: CredentialRow) -> CredentialRow: ...
    def delete_credential(self, credential_id: int) -> bool: ...

    # credential statuses -----------------------------------------------------------------
    def list_statuses(
        self,
        *,
        id: int | None = None,
        credential_id: int | None = None,
        channel: str | None = None,
        health_kind: str | None = None,
        limit: int | None = None,
    ) -> list[StatusRow]: ...
    def upsert_statuses(self, rows: Iterable[StatusRow]) -> int: ...
    def delete_status(self, status_id: int) -> bool: ...

    # users and keys ----------------------------------------------------------------------
    def list_users(
        self, *, id: int | None = None, name: str | None = None, limit: int | None = None
    ) -> list[UserRow]: ...
    def get_user(self, user_id: int) -> UserRow | None: ...
    def get_user_by_name(self, name: str) -> UserRow | None: ...
    def save_user(self, row: UserRow) -> UserRow: ...
    def delete_user(self, user_id: int) -> bool: ...
    def list_user_keys(
        self,
        *,
        id: int | None = None,
        user_id: int | None = None,
        key_hash: str | None = None,
        limit: int | None = None,
    ) -> list[UserKeyRow]: ...
    def get_user_key(self, key_id: int) -> UserKeyRow | None: ...
    def get_user_key_by_hash(self, key_hash: str) -> UserKeyRow | None: ...
    def save_user_key(self, row: UserKeyRow) -> UserKeyRow: ...
    def delete_user_key(self, key_id: int) -> bool: ...

    # global settings ---------------------------------------------------------------------
    def get_global_settings(self) -> GlobalSettingsRow: ...
    def save_global_settings(self, row: GlobalSettingsRow) -> GlobalSettingsRow: ...

    # append-only logs --------------------------------------------------------------------
    def append_rows(
        self, table: str, rows: Sequence[Mapping[str, Any]], *, normalized: bool = False
    ) -> int: ...
    def query_usages(self, flt: UsageFilter) -> list[dict[str, Any]]: ...
    def summarize_usages(self, flt: UsageFilter) -> UsageSummary: ...
    def query_upstream_requests(self, flt: RequestFilter) -> list[dict[str, Any]]: ...
    def query_downstream_requests(self, flt: RequestFilter) -> list[dict[str, Any]]: ...
