"""Relaying an upstream stream to the client, as its bytes arrive.

:func:`relay` is the body of every streamed answer. It pulls the upstream body chunk by chunk
(so a slow client slows the upstream read — backpressure without queues), optionally
transforms each chunk (a :class:`~gatewayctl.translate.StreamTranslator` on TransformTo
routes; passthrough forwards the very bytes it got and only lets a usage sniffer look at them),
and in ``finally`` — whether the stream completed, the upstream broke, or the client went away
(Quart cancels the body generator: ``CancelledError`` at the current ``await``, or
``GeneratorExit`` at a ``yield``) — closes the upstream response at once and reports how the
stream ended, so a usage row is written for a stream cut short too.

An upstream that breaks mid-stream on a translated route gets the client protocol's in-stream
error and a clean end; on passthrough there is no way to add an event the upstream did not
send, so the error propagates and the client sees the connection cut, as it would have from
the upstream itself.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Literal

import httpx

from gatewayctl.gateway.attempt import Answer, describe
from gatewayctl.protocols import ir

log = logging.getLogger("gatewayctl.gateway")

Ending = Literal["completed", "upstream_error", "client_gone"]

# Passthrough keeps this much of a stream to estimate output tokens when the upstream never
# reports usage (a stream cut short); the tail beyond it is not needed for an estimate.
ESTIMATE_CAPTURE_BYTES = 256 * 1024


class StreamHooks:
    """What a relay does with the chunks; the default forwards them untouched."""

    def feed(self, chunk: bytes) -> bytes:
        return chunk

    def close(self) -> bytes:
        """The upstream body ended normally: bytes the client is still owed."""
        return b""

    def fail(self, error: ir.ErrorInfo) -> bytes | None:
        """The upstream broke: the in-stream error to send, or None to cut the connection."""
        return None


def upstream_failure(exc: BaseException) -> ir.ErrorInfo:
    return ir.ErrorInfo(
        status=502, kind="api_error", message=f"upstream stream failed: {describe(exc)}"
    )


def relay(
    answer: Answer,
    hooks: StreamHooks,
    on_end: Callable[[Ending], None],
) -> RelayStream:
    """The client's bytes for ``answer``; always closes it and calls ``on_end`` once."""
    return RelayStream(answer, hooks, on_end)


class RelayStream:
    """An async iterator of client bytes that can be closed before it ever started.

    An async generator that was never iterated ignores ``aclose()`` (its ``finally`` never
    runs), which would leave the upstream response open when the client is gone before the
    first chunk is sent. This wrapper closes the upstream and records the end either way.
    """

    def __init__(
        self, answer: Answer, hooks: StreamHooks, on_end: Callable[[Ending], None]
    ) -> None:
        self._answer = answer
        self._on_end = on_end
        self._ended = False
        self._started = False
        self._gen = _relay(answer, hooks, self._end)

    def _end(self, ending: Ending) -> None:
        if self._ended:
            return
        self._ended = True
        try:
            self._on_end(ending)
        except Exception as exc:  # recording must not disturb the stream's end
            log.error("recording a stream's end failed: %s", exc)

    def __aiter__(self) -> RelayStream:
        return self

    async def __anext__(self) -> bytes:
        self._started = True
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        await self._gen.aclose()
        if not self._started:
            await self._answer.close()
            self._end("client_gone")


async def _relay(
    answer: Answer, hooks: StreamHooks, on_end: Callable[[Ending], None]
) -> AsyncGenerator[bytes, None]:
    ending: Ending = "client_gone"
    try:
        try:
            async for chunk in answer.chunks():
                out = hooks.feed(chunk)
                if out:
                    yield out
        except httpx.HTTPError as exc:
            ending = "upstream_error"
            log.warning("upstream stream broke: %s", exc)
            tail = hooks.fail(upstream_failure(exc))
            if tail is None:
                raise
            if tail:
                yield tail
            return
        tail = hooks.close()
        if tail:
            yield tail
        ending = "completed"
    finally:
        await answer.close()
        on_end(ending)


def once(data: bytes) -> AsyncIterator[bytes]:
    """A stream of one chunk (a synthesized stream answer)."""

    async def gen() -> AsyncIterator[bytes]:
        if data:
            yield data

    return gen()
