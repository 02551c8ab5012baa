"""Who is calling: API-key extraction and the admin / user checks (spec §6, CONTRACT §5).

Extraction differs by route family:

* admin and user routes read ``x-api-key``, then ``Authorization: Bearer <k>`` (beyond
  gproxy, which read only ``x-api-key``);
* provider routes read ``x-api-key``, ``x-goog-api-key``, the ``?key=`` query parameter (the
  gproxy order: Gemini auth is normalised into ``x-api-key`` first), then Bearer.

Validation is one lookup in the in-memory snapshot (keyed hash → entry): no database I/O on
the request path. An unknown key, a disabled key or a key of a disabled user is 401
``unauthorized``; a valid key of anyone but user 0 on ``/admin/*`` is 403 ``forbidden``.
"""

from __future__ import annotations

from typing import Protocol

from quart import g, request

from gatewayctl.errors import Forbidden, Unauthorized
from gatewayctl.server.runtime import current_runtime
from gatewayctl.services.snapshot import AuthEntry, Snapshot

PRINCIPAL_ATTR = "principal"


class Lookup(Protocol):
    """Read access to headers or query parameters (Werkzeug's or a plain dict)."""

    def get(self, key: str) -> str | None: ...


def _header(headers: Lookup, name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def bearer_token(headers: Lookup) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    value = _header(headers, "authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def extract_api_key(
    headers: Lookup,
    query: Lookup | None = None,
    *,
    provider_route: bool = False,
) -> str | None:
    """The API key a request presents, or None.

    ``provider_route=False`` (admin/user): ``x-api-key``, then Bearer.
    ``provider_route=True``: ``x-api-key``, ``x-goog-api-key``, ``?key=``, then Bearer.
    """
    key = _header(headers, "x-api-key")
    if key is None and provider_route:
        key = _header(headers, "x-goog-api-key")
        if key is None and query is not None:
            raw = query.get("key")
            key = (raw.strip() or None) if raw is not None else None
    return key if key is not None else bearer_token(headers)


def authenticate(snapshot: Snapshot, presented: str | None) -> AuthEntry:
    """The active key entry for ``presented``; Unauthorized when missing/unknown/disabled."""
    if presented is None:
        raise Unauthorized("unauthorized")
    entry = snapshot.authenticate(presented)
    if entry is None:
        raise Unauthorized("unauthorized")
    return entry


def require_admin(entry: AuthEntry) -> AuthEntry:
    """Forbidden unless the key belongs to the admin user (id 0)."""
    if not entry.is_admin:
        raise Forbidden("forbidden")
    return entry


def authenticate_request(*, admin: bool, provider_route: bool = False) -> AuthEntry:
    """Authenticate the current request against the current snapshot; the entry is also
    kept in ``g.principal`` for the view."""
    presented = extract_api_key(request.headers, request.args, provider_route=provider_route)
    entry = authenticate(current_runtime().state.current(), presented)
    if admin:
        require_admin(entry)
    setattr(g, PRINCIPAL_ATTR, entry)
    return entry


def current_principal() -> AuthEntry:
    """The entry :func:`authenticate_request` stored for this request."""
    entry: AuthEntry = getattr(g, PRINCIPAL_ATTR)
    return entry
