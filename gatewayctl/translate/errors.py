"""Upstream errors in the caller's protocol.

An upstream error body is read with the upstream protocol's codec (``parse_error``) into the
canonical :class:`ir.ErrorInfo` and written with the caller's (``emit_error``): the status is
kept (each codec adjusts only what its clients cannot take, e.g. Anthropic's 529 for OpenAI
clients), the body changes shape. ``Retry-After`` survives: the upstream header, or a delay
the body states (Gemini ``RetryInfo.retryDelay``), becomes a ``retry-after`` header of the
answer (protocols.md §7.9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.retry_after import parse_retry_after
from gatewayctl.translate.refs import ProtocolRef, resolve


@dataclass(slots=True)
class TranslatedBody:
    """A non-stream answer for the caller: status, JSON body and extra headers to send.

    ``usage``/``model`` are what the upstream reported (for recording); ``error`` is set when
    the answer is an error.
    """

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    usage: ir.Usage | None = None
    model: str | None = None
    error: ir.ErrorInfo | None = None


def retry_after_header(error: ir.ErrorInfo) -> dict[str, str]:
    """``{"retry-after": "<whole seconds>"}`` when the error states a delay."""
    if error.retry_after_s is None:
        return {}
    return {"retry-after": str(max(0, math.ceil(error.retry_after_s)))}


def error_body(dst: ProtocolRef, error: ir.ErrorInfo) -> TranslatedBody:
    """``error`` as ``dst``'s clients expect it (status, body, retry-after header)."""
    status, body = resolve(dst).emit_error(error)
    return TranslatedBody(status, body, retry_after_header(error), error=error)


def translate_error(
    src: ProtocolRef,
    dst: ProtocolRef,
    status: int,
    body: bytes,
    *,
    retry_after: str | None = None,
) -> TranslatedBody:
    """An upstream error response of ``src`` → the caller's error response in ``dst``.
    ``retry_after`` is the upstream's ``Retry-After`` header, if any."""
    info = resolve(src).parse_error(status, body)
    header = parse_retry_after(retry_after)
    if header is not None:
        info.retry_after_s = header
    return error_body(dst, info)


def gateway_error(message: str, status: int = 502) -> ir.ErrorInfo:
    """An error the gateway itself raises about an upstream answer it cannot use."""
    kind: ir.ErrorKind = "timeout" if status == 504 else "api_error"
    return ir.ErrorInfo(status=status, kind=kind, message=message)
