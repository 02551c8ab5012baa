"""Shape and sanitize append-only log rows (usages, upstream/downstream requests).

One place that knows the columns of the three log tables, fills defaults, encodes header
maps as JSON and bodies as bytes, and redacts credentials the gateway may hand over by
accident: ``authorization``/``x-api-key``-style headers and ``key=`` query parameters are
replaced by ``[redacted]`` before a row is queued, so an upstream API key never reaches the
database file in clear. Used by the batched writer at submit time and by ``append_rows``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

COLUMNS: dict[str, tuple[str, ...]] = {
    "usages": (
        "at",
        "provider_id",
        "credential_id",
        "user_id",
        "user_key_id",
        "operation",
        "protocol",
        "model",
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "created_at",
    ),
    "upstream_requests": (
        "at",
        "internal",
        "provider_id",
        "credential_id",
        "request_method",
        "request_headers_json",
        "request_url",
        "request_body",
        "response_status",
        "response_headers_json",
        "response_body",
        "created_at",
    ),
    "downstream_requests": (
        "at",
        "internal",
        "user_id",
        "user_key_id",
        "request_method",
        "request_headers_json",
        "request_path",
        "request_query",
        "request_body",
        "response_status",
        "response_headers_json",
        "response_body",
        "created_at",
    ),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "usages": ("operation", "protocol"),
    "upstream_requests": ("request_method",),
    "downstream_requests": ("request_method", "request_path"),
}
BODY_COLUMNS = ("request_body", "response_body")
HEADER_COLUMNS = ("request_headers_json", "response_headers_json")

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "x-goog-api-key",
        "api-key",
        "cookie",
        "set-cookie",
        "chatgpt-account-id",
    }
)
REDACTED = "[redacted]"
_KEY_PARAM = re.compile(r"(^|[?&])((?:key|api_key|access_token)=)[^&#]*", re.IGNORECASE)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def redact_headers(headers: Any) -> dict[str, list[str]]:
    """Lower-case header map ``name -> [values]`` with credential headers redacted.

    Accepts a mapping (values str or list) or a list of ``(name, value)`` pairs.
    """
    out: dict[str, list[str]] = {}
    items: Any
    if headers is None:
        return out
    if isinstance(headers, Mapping):
        items = headers.items()
    elif isinstance(headers, list | tuple):
        items = headers
    else:
        raise ValueError("headers must be a mapping or a list of (name, value) pairs")
    for name, value in items:
        key = str(name).lower()
        values = value if isinstance(value, list | tuple) else [value]
        texts = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values]
        if key in SENSITIVE_HEADERS:
            texts = [REDACTED for _ in texts]
        out.setdefault(key, []).extend(texts)
    return out


def redact_url(url: str | None) -> str | None:
    """A URL or query string with ``key=``/``api_key=``/``access_token=`` values redacted."""
    if url is None:
        return None
    return _KEY_PARAM.sub(lambda m: m.group(1) + m.group(2) + REDACTED, url)


def _body(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def normalize_log_row(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A complete, sanitized row for ``table``; raises ValueError on unknown table/columns."""
    columns = COLUMNS.get(table)
    if columns is None:
        raise ValueError(f"unknown log table {table!r}")
    unknown = set(row) - set(columns)
    if unknown:
        raise ValueError(f"{table}: unknown columns {sorted(unknown)}")
    for name in REQUIRED[table]:
        if not row.get(name):
            raise ValueError(f"{table}: `{name}` is required")
    now = now_ms()
    out = {name: row.get(name) for name in columns}
    out["at"] = int(out["at"]) if out["at"] is not None else now
    out["created_at"] = int(out["created_at"]) if out["created_at"] is not None else now
    if table != "usages":
        out["internal"] = 1 if out["internal"] else 0
        for name in HEADER_COLUMNS:
            value = out[name]
            if isinstance(value, str | bytes):
                value = json.loads(value)
            out[name] = json.dumps(redact_headers(value), separators=(",", ":"))
        for name in BODY_COLUMNS:
            out[name] = _body(out[name])
    if table == "upstream_requests":
        out["request_url"] = redact_url(out["request_url"])
    if table == "downstream_requests":
        out["request_query"] = redact_url(out["request_query"])
    return out


def body_size(row: Mapping[str, Any]) -> int:
    """Bytes held by the bodies of a normalized row."""
    return sum(len(row[name]) for name in BODY_COLUMNS if row.get(name) is not None)
