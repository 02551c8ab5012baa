"""HTTP status ↔ canonical error kind: the part of error mapping every protocol shares.

Each protocol names errors its own way (OpenAI ``error.type``, Anthropic ``error.type``,
Gemini ``error.status``; protocols.md §7.9) and keeps those tables in its codec. What they all
need is the same fallback — the kind an HTTP status implies when the body does not say (a
proxy's HTML 502, an empty 429) — and the status a kind stands for when there is no status to
keep (an error event inside a 200 stream). That lives here once.

    400 409 422 → invalid_request · 401 → authentication · 402 403 → permission ·
    404 → not_found · 408 504 → timeout · 413 → request_too_large · 429 → rate_limit ·
    503 529 → overloaded · other 4xx → invalid_request · other 5xx → api_error
"""

from __future__ import annotations

from gatewayctl.protocols import ir

_KIND_BY_STATUS: dict[int, ir.ErrorKind] = {
    400: "invalid_request",
    409: "invalid_request",
    422: "invalid_request",
    401: "authentication",
    402: "permission",
    403: "permission",
    404: "not_found",
    408: "timeout",
    504: "timeout",
    413: "request_too_large",
    429: "rate_limit",
    503: "overloaded",
    529: "overloaded",
}

_STATUS_BY_KIND: dict[ir.ErrorKind, int] = {
    "invalid_request": 400,
    "authentication": 401,
    "permission": 403,
    "not_found": 404,
    "request_too_large": 413,
    "rate_limit": 429,
    "api_error": 500,
    "overloaded": 503,
    "timeout": 504,
}


def kind_for_status(status: int) -> ir.ErrorKind | None:
    """The canonical error kind an HTTP status implies (None for a non-error status)."""
    kind = _KIND_BY_STATUS.get(status)
    if kind is not None:
        return kind
    if status >= 500:
        return "api_error"
    if status >= 400:
        return "invalid_request"
    return None


def status_for_kind(kind: ir.ErrorKind) -> int:
    """The HTTP status a kind stands for (overloaded is 503; Anthropic's own 529 is the
    Anthropic codec's business)."""
    return _STATUS_BY_KIND[kind]


__all__ = ["kind_for_status", "status_for_kind"]
