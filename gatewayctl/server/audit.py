"""Downstream audit rows (spec §10.1): one per provider, admin and user request.

Rows go to the gateway's :class:`~gatewayctl.gateway.recording.Recorder` and on to the batched
writer, so a request never waits for the database. Headers are stored with the caller's key
redacted (the writer's job, :mod:`gatewayctl.store.logrows`), bodies as follows:

* provider routes: request and response bodies when ``mask_sensitive_info`` is off, never a
  streamed response's (:func:`record_downstream`, called by the proxy blueprint);
* ``/admin/*`` and ``/user/*``: **metadata only, always** — their bodies carry credential
  secrets, API keys and exported configuration, which must never reach the database in clear,
  whatever ``mask_sensitive_info`` says (:func:`audit_api_routes`, an app-wide after-request
  hook). A request refused before authentication is recorded too, with no user.

Other routes (the console, ``/healthz``, ``/metrics``) are not recorded: probes would drown
the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from quart import Blueprint, Response, g, request

from gatewayctl.gateway.recording import Recorder
from gatewayctl.server.auth import PRINCIPAL_ATTR

# Blueprints whose requests are audited without bodies.
METADATA_ONLY = frozenset({"admin", "user"})


def record_downstream(
    recorder: Recorder,
    user_id: int | None,
    user_key_id: int | None,
    *,
    status: int,
    response_headers: Iterable[tuple[str, str]],
    request_body: bytes | None,
    response_body: bytes | None,
) -> None:
    """Queue the current request's row (bodies are dropped in masked mode by the recorder)."""
    recorder.downstream(
        user_id=user_id,
        user_key_id=user_key_id,
        method=request.method,
        path=request.path,
        query=request.query_string.decode("latin-1") or None,
        headers=list(request.headers.items()),
        request_body=request_body or None,
        status=status,
        response_headers=list(response_headers),
        response_body=response_body,
    )


def audit_api_routes(bp: Blueprint, recorder: Callable[[], Recorder | None]) -> None:
    """Register on ``bp`` the app-wide hook recording admin/user requests (metadata only)."""

    @bp.after_app_request
    async def _audit(response: Response) -> Response:
        current = recorder()
        if current is None or request.blueprint not in METADATA_ONLY:
            return response
        entry = getattr(g, PRINCIPAL_ATTR, None)
        record_downstream(
            current,
            entry.user_id if entry is not None else None,
            entry.key_id if entry is not None else None,
            status=response.status_code,
            response_headers=response.headers.items(),
            request_body=None,
            response_body=None,
        )
        return response
