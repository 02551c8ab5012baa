"""Usage records and request logs: queries for the admin/user APIs and the CLI (spec §10.4).

Filters: provider (name or id), channel, model, user (name or id), key id, time range
(``from_unix_ms`` inclusive, ``to_unix_ms`` exclusive, or ``since`` like ``24h``), ``limit``
(applied only when > 0). Results are ordered ``at DESC`` (then ``trace_id DESC``). Usage rows
carry ``provider_channel`` and ``provider_name``; request bodies come back as text (UTF-8,
undecodable bytes replaced) and header maps as objects. All timestamps are unix ms.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from gatewayctl.errors import InvalidInput
from gatewayctl.services.common import body_object, get_int, limit_of, now_ms, scope
from gatewayctl.services.context import Context
from gatewayctl.services.providers import resolve_provider
from gatewayctl.services.users import resolve_user
from gatewayctl.store.models import RequestFilter, UsageFilter

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def parse_duration_ms(text: str) -> int:
    """``90s``, ``15m``, ``24h``, ``7d``, ``2w`` → milliseconds."""
    match = _DURATION.match(text)
    if not match:
        raise InvalidInput(f"invalid duration {text!r}: use e.g. 30m, 24h, 7d")
    return int(match.group(1)) * _UNIT_MS[match.group(2).lower()]


def usage_filter(
    ctx: Context,
    *,
    provider: str | int | None = None,
    channel: str | None = None,
    model: str | None = None,
    user: str | int | None = None,
    user_key_id: int | None = None,
    since: str | None = None,
    from_ms: int | None = None,
    to_ms: int | None = None,
    limit: int | None = None,
) -> UsageFilter:
    """Build a filter from CLI-style arguments (names resolved to ids)."""
    if since is not None:
        from_ms = now_ms() - parse_duration_ms(since)
    if limit is not None and limit < 0:
        raise InvalidInput("limit must be >= 0")
    return UsageFilter(
        provider_id=resolve_provider(ctx, provider).id if provider is not None else None,
        channel=channel,
        model=model,
        user_id=resolve_user(ctx, user).id if user is not None else None,
        user_key_id=user_key_id,
        from_ms=from_ms,
        to_ms=to_ms,
        limit=limit or None,
    )


def list_usages(ctx: Context, flt: UsageFilter) -> list[dict[str, Any]]:
    return ctx.store.query_usages(flt)


def summarize_usages(ctx: Context, flt: UsageFilter) -> dict[str, int]:
    s = ctx.store.summarize_usages(flt)
    return {
        "count": s.count,
        "input_tokens": s.input_tokens,
        "output_tokens": s.output_tokens,
        "cache_read_input_tokens": s.cache_read_input_tokens,
        "cache_creation_input_tokens": s.cache_creation_input_tokens,
    }


def _text(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body).decode("utf-8", errors="replace")
    return str(body)


def _request_views(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["request_body"] = _text(row.get("request_body"))
        row["response_body"] = _text(row.get("response_body"))
    return rows


def list_requests(
    ctx: Context,
    kind: Literal["upstream", "downstream"],
    *,
    provider: str | int | None = None,
    user: str | int | None = None,
    since: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Request log rows for the CLI (``requests list``)."""
    flt = RequestFilter(
        provider_id=resolve_provider(ctx, provider).id if provider is not None else None,
        user_id=resolve_user(ctx, user).id if user is not None else None,
        from_ms=now_ms() - parse_duration_ms(since) if since else None,
        limit=limit or None,
    )
    if kind == "upstream":
        return _request_views(ctx.store.query_upstream_requests(flt))
    return _request_views(ctx.store.query_downstream_requests(flt))


# --------------------------------------------------------------------------------------
# HTTP-body API
# --------------------------------------------------------------------------------------


def _time_range(b: dict[str, Any]) -> tuple[int | None, int | None]:
    return get_int(b, "from_unix_ms"), get_int(b, "to_unix_ms")


def _body_usage_filter(ctx: Context, body: Any, user_id: int | None) -> UsageFilter:
    b = body_object(body)
    from_ms, to_ms = _time_range(b)
    provider_id = scope(b, "provider_id", int)
    provider_name = scope(b, "provider", str)  # relaxation: filter by provider name
    if provider_name is not None:
        named = resolve_provider(ctx, provider_name).id
        if provider_id is not None and provider_id != named:
            raise InvalidInput("`provider` and `provider_id` name different providers")
        provider_id = named
    return UsageFilter(
        provider_id=provider_id,
        channel=scope(b, "channel", str),
        credential_id=scope(b, "credential_id", int),
        model=scope(b, "model", str),
        user_id=user_id if user_id is not None else scope(b, "user_id", int),
        user_key_id=scope(b, "user_key_id", int),
        from_ms=from_ms,
        to_ms=to_ms,
        limit=limit_of(b),
    )


def query_usages(ctx: Context, body: Any, *, user_id: int | None = None) -> list[dict[str, Any]]:
    """``/admin/usages/query``; ``/user/usages/query`` passes the caller's ``user_id``."""
    return list_usages(ctx, _body_usage_filter(ctx, body, user_id))


def summarize(ctx: Context, body: Any, *, user_id: int | None = None) -> dict[str, int]:
    """``/admin/usages/summary``; ``/user/usages/summary`` passes the caller's ``user_id``."""
    return summarize_usages(ctx, _body_usage_filter(ctx, body, user_id))


def _body_request_filter(body: Any, scopes: tuple[str, ...]) -> RequestFilter:
    """A request-log filter from a query body: the ``scopes`` id filters, time, limit."""
    b = body_object(body)
    from_ms, to_ms = _time_range(b)
    ids = {name: scope(b, name, int) for name in scopes}
    return RequestFilter(**ids, from_ms=from_ms, to_ms=to_ms, limit=limit_of(b))


def query_upstream(ctx: Context, body: Any) -> list[dict[str, Any]]:
    """``/admin/requests/upstream/query`` (filters: provider, credential, time)."""
    flt = _body_request_filter(body, ("provider_id", "credential_id"))
    return _request_views(ctx.store.query_upstream_requests(flt))


def query_downstream(ctx: Context, body: Any) -> list[dict[str, Any]]:
    """``/admin/requests/downstream/query`` (filters: user, key, time)."""
    flt = _body_request_filter(body, ("user_id", "user_key_id"))
    return _request_views(ctx.store.query_downstream_requests(flt))
