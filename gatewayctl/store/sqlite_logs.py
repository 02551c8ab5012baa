"""Append-only log tables of the SQLite engine: batched inserts and the usage/request
queries (a mixin of :class:`gatewayctl.store.sqlite.SqliteStore`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlite_utils

from gatewayctl.store.logrows import COLUMNS, normalize_log_row
from gatewayctl.store.models import RequestFilter, UsageFilter, UsageSummary
from gatewayctl.store.sqlite_sql import limit_sql, loads, where


class SqliteLogs:
    """Log-table methods; the host class provides ``db``, ``_query`` and ``transaction``."""

    db: sqlite_utils.Database

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def append_rows(
        self, table: str, rows: Sequence[Mapping[str, Any]], *, normalized: bool = False
    ) -> int:
        """Insert log rows in one transaction (``insert_all``).

        Rows go through :func:`normalize_log_row` unless ``normalized`` says they already did.
        """
        if not rows:
            return 0
        records = [dict(r) if normalized else normalize_log_row(table, r) for r in rows]
        with self.transaction():
            self.db.table(table).insert_all(records, batch_size=500)
        return len(records)

    def _log_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            for name in ("request_headers_json", "response_headers_json"):
                if name in row:
                    row[name] = loads(row[name])
            if "internal" in row:
                row["internal"] = bool(row["internal"])
        return rows

    @staticmethod
    def _usage_where(flt: UsageFilter) -> tuple[str, list[Any]]:
        return where(
            [
                ("u.provider_id = ?", flt.provider_id),
                ("p.channel = ?", flt.channel),
                ("u.credential_id = ?", flt.credential_id),
                ("u.model = ?", flt.model),
                ("u.user_id = ?", flt.user_id),
                ("u.user_key_id = ?", flt.user_key_id),
                ("u.at >= ?", flt.from_ms),
                ("u.at < ?", flt.to_ms),
            ]
        )

    def query_usages(self, flt: UsageFilter) -> list[dict[str, Any]]:
        clause, params = self._usage_where(flt)
        cols = ", ".join(f"u.{c}" for c in ("trace_id", *COLUMNS["usages"]))
        return self._query(
            f"SELECT {cols}, p.channel AS provider_channel, p.name AS provider_name "
            f"FROM usages u LEFT JOIN providers p ON p.id = u.provider_id{clause} "
            f"ORDER BY u.at DESC, u.trace_id DESC{limit_sql(flt.limit)}",
            params,
        )

    def summarize_usages(self, flt: UsageFilter) -> UsageSummary:
        clause, params = self._usage_where(flt)
        row = self._query(
            "SELECT COUNT(*) AS count, "
            "COALESCE(SUM(u.input_tokens), 0) AS input_tokens, "
            "COALESCE(SUM(u.output_tokens), 0) AS output_tokens, "
            "COALESCE(SUM(u.cache_read_input_tokens), 0) AS cache_read_input_tokens, "
            "COALESCE(SUM(u.cache_creation_input_tokens), 0) AS cache_creation_input_tokens "
            f"FROM usages u LEFT JOIN providers p ON p.id = u.provider_id{clause}",
            params,
        )[0]
        return UsageSummary(**{k: int(v) for k, v in row.items()})

    def query_upstream_requests(self, flt: RequestFilter) -> list[dict[str, Any]]:
        clause, params = where(
            [
                ("provider_id = ?", flt.provider_id),
                ("credential_id = ?", flt.credential_id),
                ("at >= ?", flt.from_ms),
                ("at < ?", flt.to_ms),
            ]
        )
        return self._log_rows(
            self._query(
                f"SELECT * FROM upstream_requests{clause} "
                f"ORDER BY at DESC, trace_id DESC{limit_sql(flt.limit)}",
                params,
            )
        )

    def query_downstream_requests(self, flt: RequestFilter) -> list[dict[str, Any]]:
        clause, params = where(
            [
                ("user_id = ?", flt.user_id),
                ("user_key_id = ?", flt.user_key_id),
                ("at >= ?", flt.from_ms),
                ("at < ?", flt.to_ms),
            ]
        )
        return self._log_rows(
            self._query(
                f"SELECT * FROM downstream_requests{clause} "
                f"ORDER BY at DESC, trace_id DESC{limit_sql(flt.limit)}",
                params,
            )
        )
