"""One upstream call with credential failover: the loop of spec §8.1 over the shared client.

:func:`call_upstream` asks the pool for an attempt plan, builds the request for each credential
with the channel, sends it, and lets the plan decide from the answer: return it, try the next
credential (401/403 dead, 429 cooldown, 5xx and network errors transient), or — for token
channels — refresh the token and retry the same one. What the client eventually gets is an
:class:`Answer`: the upstream status and headers and a still-open body.

Failover happens only before anything reaches the client. For a stream that means: the status
line decides, and on a 2xx the first body chunk is awaited too (a connection that dies before
its first byte fails over like a refused one). After that the answer is committed.

Every exchange that reached the network leaves an upstream audit row; the pool's status
changes are handed to the writer when the call settles (success, client error, or exhaustion),
and a token a channel refreshed on the way is handed to the recorder to be persisted.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from gatewayctl.channels import (
    Channel,
    LocalResponse,
    TokenRefreshError,
    UpstreamCall,
    UpstreamRequest,
    classify_exception,
)
from gatewayctl.channels.base import dumps_json
from gatewayctl.errors import GatewayError
from gatewayctl.gateway.providers import ProviderRegistry, ProviderRuntime
from gatewayctl.gateway.recording import MAX_LOGGED_STREAM_BYTES, Recorder, now_ms


def describe(exc: BaseException) -> str:
    """``ReadError: connection reset`` (just the type when the message is empty)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class UpstreamBodyBroken(GatewayError):
    """The upstream broke off while sending a body that is read whole (answered 502)."""

    status = 502


@dataclass(slots=True)
class Answer:
    """An upstream answer the client will get (or a channel's local answer).

    For a network answer the body is still open: read it with :meth:`read` or relay it with
    :meth:`chunks`, and the connection is released and the audit row written when it ends
    (:meth:`close` is idempotent and safe in ``finally``).
    """

    status: int
    headers: httpx.Headers
    credential_id: int | None = None
    request: UpstreamRequest | None = None
    response: httpx.Response | None = None
    first: bytes = b""
    body: bytes | None = None
    _recorder: Recorder | None = None
    _provider_id: int | None = None
    _started_ms: int = 0
    _captured: bytearray | None = None
    _closed: bool = False
    _iter: AsyncIterator[bytes] | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def _body_iter(self) -> AsyncIterator[bytes] | None:
        if self._iter is None and self.response is not None:
            self._iter = self.response.aiter_bytes()
        return self._iter

    async def peek(self) -> None:
        """Read the first non-empty chunk (kept for :meth:`chunks`)."""
        iterator = self._body_iter()
        if iterator is None:
            return
        async for chunk in iterator:
            if chunk:
                self.first = chunk
                return

    def take_first(self) -> bytes:
        """The peeked first chunk, handed over (it is not yielded again by :meth:`chunks`)."""
        first, self.first = self.first, b""
        if first:
            self._capture(first)
        return first

    async def read(self) -> bytes:
        """The whole body (the connection is released, the audit row written); raises
        :class:`UpstreamBodyBroken` (502) when the upstream breaks off while sending it."""
        if self.body is not None:
            return self.body
        parts = [self.first] if self.first else []
        iterator = self._body_iter()
        try:
            if iterator is not None:
                async for chunk in iterator:
                    parts.append(chunk)
            self.body = b"".join(parts)
        except httpx.HTTPError as exc:
            raise UpstreamBodyBroken(f"upstream answer broke off: {describe(exc)}") from exc
        finally:
            await self._finish()
        return self.body

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk, as it arrives (the first one already peeked)."""
        if self.body is not None:
            if self.body:
                yield self.body
            return
        if self.first:
            self._capture(self.first)
            yield self.first
        iterator = self._body_iter()
        if iterator is None:
            return
        async for chunk in iterator:
            if chunk:
                self._capture(chunk)
                yield chunk

    def _capture(self, chunk: bytes) -> None:
        buf = self._captured
        if buf is not None and len(buf) < MAX_LOGGED_STREAM_BYTES:
            buf += chunk[: MAX_LOGGED_STREAM_BYTES - len(buf)]

    async def close(self) -> None:
        """Release the connection (a no-op once done); writes the audit row."""
        await self._finish()

    async def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        iterator, self._iter = self._iter, None
        if iterator is not None and hasattr(iterator, "aclose"):
            with contextlib.suppress(Exception):
                await iterator.aclose()
        if self.response is not None:
            with contextlib.suppress(Exception):
                await self.response.aclose()
        if self._recorder is not None and self.request is not None:
            body = self.body
            if body is None and self._captured is not None:
                body = bytes(self._captured)
            _record_exchange(
                self._recorder,
                self._provider_id,
                self.credential_id,
                self.request,
                self.status,
                self.headers,
                body,
                self._started_ms,
            )


def _record_exchange(
    recorder: Recorder,
    provider_id: int | None,
    credential_id: int | None,
    request: UpstreamRequest,
    status: int | None,
    headers: httpx.Headers | None,
    body: bytes | None,
    started: int,
) -> None:
    recorder.upstream(
        provider_id=provider_id,
        credential_id=credential_id,
        method=request.method,
        url=request.log_url(),
        headers=request.log_headers(),
        request_body=request.body,
        status=status,
        response_headers=headers.multi_items() if headers is not None else None,
        response_body=body,
        at=started,
    )


def local_answer(local: LocalResponse) -> Answer:
    body = dumps_json(local.body)
    return Answer(local.status, httpx.Headers({"content-type": "application/json"}), body=body)


def shaped_body(channel: Channel, call: UpstreamCall, status: int, body: bytes) -> bytes:
    """Apply the channel's response shaping to a non-stream JSON body (only when it has one)."""
    if type(channel).shape_response is Channel.shape_response or not body:
        return body
    try:
        doc: Any = json.loads(body)
    except ValueError:
        return body
    shaped = channel.shape_response(call, status, doc)
    return body if shaped is doc else dumps_json(shaped)


async def call_upstream(
    client: httpx.AsyncClient,
    registry: ProviderRegistry,
    recorder: Recorder,
    provider: ProviderRuntime,
    call: UpstreamCall,
    *,
    stream: bool,
) -> Answer:
    """Run the failover loop for ``call``; raise 409/503 (pool errors) when nobody answers.

    ``stream``: the answer will be relayed as a stream (peek the first chunk before
    committing); otherwise the caller reads it whole.
    """
    local = provider.channel.local_response(call)
    if local is not None:
        return local_answer(local)
    pool = registry.pool
    plan = pool.attempts(provider.name, provider.channel.upstream_model(call))
    try:
        while (cred := plan.next()) is not None:
            force = False
            while True:
                answer: Answer | None = None
                try:
                    request = await provider.channel.prepare(
                        call, cred.id, cred.secret, force_refresh=force
                    )
                except TokenRefreshError as exc:
                    decision = plan.report(cred, exc.outcome())
                else:
                    if request.credential_update:
                        recorder.secret_fields(cred.id, cred.secret, request.credential_update)
                    answer, outcome = await _send(
                        client, recorder, provider, cred.id, request, stream=stream
                    )
                    decision = plan.report(cred, outcome)
                    if decision == "return" and answer is not None:
                        return answer
                    if answer is not None:  # logged with its body, connection released
                        with contextlib.suppress(UpstreamBodyBroken):  # moving on anyway
                            await answer.read()
                if decision != "retry_same":
                    break
                force = True
        raise plan.exhausted()
    finally:
        recorder.statuses(registry.take_status_rows())


async def _send(
    client: httpx.AsyncClient,
    recorder: Recorder,
    provider: ProviderRuntime,
    credential_id: int,
    request: UpstreamRequest,
    *,
    stream: bool,
) -> tuple[Answer | None, Any]:
    """Send one attempt: (the answer or None on a transport error, its outcome)."""
    started = now_ms()
    http_request = client.build_request(
        request.method, request.url, headers=request.headers, content=request.body
    )
    try:
        response = await client.send(http_request, stream=True)
    except httpx.HTTPError as exc:
        _record_exchange(recorder, provider.id, credential_id, request, None, None, None, started)
        return None, classify_exception(exc)
    answer = Answer(
        response.status_code,
        response.headers,
        credential_id=credential_id,
        request=request,
        response=response,
        _recorder=recorder,
        _provider_id=provider.id,
        _started_ms=started,
        _captured=None if recorder.mask_bodies else bytearray(),
    )
    outcome = provider.channel.classify(response.status_code, response.headers)
    if outcome.action == "success" and stream:
        try:
            await answer.peek()
        except httpx.HTTPError as exc:
            await answer.close()
            return None, classify_exception(exc)
        except BaseException:
            await answer.close()
            raise
    return answer, outcome
