"""Usage rows, request audit rows and credential statuses, handed to the batched writer.

Nothing here touches the database or waits for it: rows go to a :class:`LogSink` (the store's
:class:`~gatewayctl.store.writer.BatchWriter`, whose ``submit`` only queues), so recording
costs the request a dict and a lock. Token estimates — when an upstream reported no usage, or
a stream was cut short — need tokenising, which is CPU work measured in milliseconds for a
large prompt; they run on one background thread (:meth:`Recorder.usage` with an ``estimate``),
never on the event loop.

What is recorded (spec §10):

* ``usages``: one row per successful generate / count / embeddings / compact call (model
  lists and failures have none): provider, credential, user, key, the caller's operation and
  protocol, the model without provider prefix, and the four token counts — input *including*
  cache reads and writes, output, cache read, cache creation;
* ``upstream_requests``: one row per upstream exchange that reached the network, with the
  headers the gateway sent and the URL **masked** by the channel (the credential never appears
  in clear; the writer redacts auth headers a second time), bodies only when
  ``mask_sensitive_info`` is off;
* ``downstream_requests``: one row per provider-route request, the client's headers with its
  key redacted, bodies only when ``mask_sensitive_info`` is off (stream bodies never);
* credential statuses changed by a request, as :class:`~gatewayctl.store.models.StatusRow`;
* secret fields a channel learned while preparing a request (a refreshed vertex access token),
  handed to the ``secret_updates`` callback the server gives (it encrypts and merges them into
  the stored credential off the request path, so other workers and restarts reuse the token).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from gatewayctl.health import StatusRecord
from gatewayctl.protocols import ir
from gatewayctl.store.models import StatusRow

log = logging.getLogger("gatewayctl.gateway")

# Stream bodies kept for the upstream log (unmasked mode only).
MAX_LOGGED_STREAM_BYTES = 4 * 1024 * 1024


class LogSink(Protocol):
    """What the recorder needs from the batched writer."""

    def submit(self, table: str, row: Mapping[str, Any]) -> bool: ...

    def submit_status(self, row: StatusRow) -> None: ...


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class UsageKey:
    """Who and what a usage row is about (everything but the token counts)."""

    provider_id: int | None
    credential_id: int | None
    user_id: int | None
    user_key_id: int | None
    operation: str
    protocol: str
    model: str | None


def usage_complete(usage: ir.Usage | None) -> bool:
    return usage is not None and usage.input_tokens is not None and usage.output_tokens is not None


def merge_estimate(reported: ir.Usage | None, estimate: ir.Usage) -> ir.Usage:
    """``reported`` with its missing input/output filled from ``estimate``."""
    if reported is None:
        return estimate
    return replace(
        reported,
        input_tokens=(
            reported.input_tokens if reported.input_tokens is not None else estimate.input_tokens
        ),
        output_tokens=(
            reported.output_tokens if reported.output_tokens is not None else estimate.output_tokens
        ),
    )


def usage_row(key: UsageKey, usage: ir.Usage | None, at: int) -> dict[str, Any]:
    usage = usage or ir.Usage()
    model = key.model
    if model:
        model = model.strip().lstrip("/")
        if model.startswith("models/"):
            model = model[len("models/") :]
    return {
        "at": at,
        "provider_id": key.provider_id,
        "credential_id": key.credential_id,
        "user_id": key.user_id,
        "user_key_id": key.user_key_id,
        "operation": key.operation,
        "protocol": key.protocol,
        "model": model or None,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation_input_tokens": usage.cache_creation_tokens,
    }


def status_row(record: StatusRecord, channel: str) -> StatusRow:
    """A pool status change as the store's row (``channel`` = the provider's channel)."""
    return StatusRow(
        id=None,
        credential_id=record.credential_id,
        channel=channel,
        health_kind=record.health_kind,
        health=record.health_json,
        checked_at=record.checked_at_unix_ms,
        last_error=record.last_error,
        updated_at=now_ms(),
    )


# (credential id, the secret the fields were learned from, the learned fields) → persisted
# later; must not block (called on the event loop).
SecretUpdates = Callable[[int, Mapping[str, Any], Mapping[str, Any]], None]


class Recorder:
    """Queues rows for the writer; estimates missing usage on a background thread."""

    def __init__(
        self,
        sink: LogSink | None,
        *,
        mask_bodies: Callable[[], bool],
        secret_updates: SecretUpdates | None = None,
    ) -> None:
        self._sink = sink
        self._mask_bodies = mask_bodies
        self._secret_updates = secret_updates
        self._estimator: ThreadPoolExecutor | None = None

    @property
    def mask_bodies(self) -> bool:
        """Whether request/response bodies stay out of the logs (``mask_sensitive_info``)."""
        return self._mask_bodies()

    def _submit(self, table: str, row: Mapping[str, Any]) -> None:
        if self._sink is None:
            return
        try:
            self._sink.submit(table, row)
        except Exception as exc:  # recording must never fail a request
            log.error("could not queue a %s row: %s", table, exc)

    # -- usage -------------------------------------------------------------------------

    def usage(
        self,
        key: UsageKey,
        reported: ir.Usage | None | Callable[[], ir.Usage | None],
        *,
        estimate: Callable[[], ir.Usage] | None = None,
    ) -> None:
        """Record one usage row.

        ``reported`` is what the upstream said, or a function that reads it (from a body
        or a sniffed stream) — then it runs on the background thread. When input or output is
        still unknown and ``estimate`` is given, the row is completed with the estimate there.
        """
        at = now_ms()
        if not callable(reported) and (usage_complete(reported) or estimate is None):
            self._submit("usages", usage_row(key, reported, at))
            return

        def finish() -> None:
            usage: ir.Usage | None = None
            try:
                usage = reported() if callable(reported) else reported
                if not usage_complete(usage) and estimate is not None:
                    usage = merge_estimate(usage, estimate())
            except Exception as exc:
                log.warning("usage extraction failed (%s); recording what is known", exc)
            self._submit("usages", usage_row(key, usage, at))

        if self._estimator is None:
            self._estimator = ThreadPoolExecutor(1, thread_name_prefix="gatewayctl-usage")
        try:
            self._estimator.submit(finish)
        except RuntimeError:  # shutting down: do it here
            finish()

    # -- audit rows --------------------------------------------------------------------

    def upstream(
        self,
        *,
        provider_id: int | None,
        credential_id: int | None,
        method: str,
        url: str,
        headers: Mapping[str, str],
        request_body: bytes | None,
        status: int | None,
        response_headers: Iterable[tuple[str, str]] | Mapping[str, str] | None,
        response_body: bytes | None,
        at: int | None = None,
    ) -> None:
        """One upstream exchange (``url``/``headers`` already masked by the channel)."""
        keep = not self.mask_bodies
        pairs: Any = response_headers
        if pairs is not None and not isinstance(pairs, Mapping):
            pairs = list(pairs)
        self._submit(
            "upstream_requests",
            {
                "at": at or now_ms(),
                "internal": False,
                "provider_id": provider_id,
                "credential_id": credential_id,
                "request_method": method,
                "request_headers_json": dict(headers),
                "request_url": url,
                "request_body": request_body if keep else None,
                "response_status": status,
                "response_headers_json": pairs or {},
                "response_body": response_body if keep else None,
            },
        )

    def downstream(
        self,
        *,
        user_id: int | None,
        user_key_id: int | None,
        method: str,
        path: str,
        query: str | None,
        headers: Iterable[tuple[str, str]] | Mapping[str, str],
        request_body: bytes | None,
        status: int,
        response_headers: Iterable[tuple[str, str]] | Mapping[str, str],
        response_body: bytes | None,
        at: int | None = None,
    ) -> None:
        """One provider-route request as the client made it (its key redacted by the writer)."""
        keep = not self.mask_bodies
        self._submit(
            "downstream_requests",
            {
                "at": at or now_ms(),
                "internal": not path.startswith("/v1"),
                "user_id": user_id,
                "user_key_id": user_key_id,
                "request_method": method,
                "request_headers_json": _pairs(headers),
                "request_path": path,
                "request_query": query or None,
                "request_body": request_body if keep else None,
                "response_status": status,
                "response_headers_json": _pairs(response_headers),
                "response_body": response_body if keep else None,
            },
        )

    # -- statuses ----------------------------------------------------------------------

    def statuses(self, rows: Iterable[StatusRow]) -> None:
        if self._sink is None:
            return
        for row in rows:
            try:
                self._sink.submit_status(row)
            except Exception as exc:
                log.error("could not queue a credential status: %s", exc)

    # -- learned secrets ---------------------------------------------------------------

    def secret_fields(
        self, credential_id: int, based_on: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> None:
        """Secret fields learned for a credential (see the module docstring)."""
        if self._secret_updates is None:
            return
        try:
            self._secret_updates(credential_id, based_on, fields)
        except Exception as exc:  # persisting must never fail a request
            log.error("could not queue a credential secret update: %s", exc)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every usage row queued so far reached the sink (tests, shutdown)."""
        estimator = self._estimator
        if estimator is not None:
            estimator.submit(lambda: None).result(timeout)

    def close(self) -> None:
        """Finish pending estimates (call from a thread, before closing the writer)."""
        if self._estimator is not None:
            self._estimator.shutdown(wait=True)
            self._estimator = None


def _pairs(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> Any:
    return dict(headers) if isinstance(headers, Mapping) else list(headers)
