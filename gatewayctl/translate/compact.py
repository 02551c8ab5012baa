"""Responses ``/v1/responses/compact`` served by a generate request on another protocol.

Only OpenAI (and Codex) can produce a real ``compaction`` item; for every other upstream the
dispatch table says ``Compact → GenerateContent`` on the upstream's protocol. The Responses
codec owns the semantics (which prompt asks for the summary, what the ``response.compaction``
object holds — :mod:`gatewayctl.protocols.openai_responses.compact`); this module wires them
to the other codecs:

1. :func:`compact_request` — the caller's compact body → the IR generation request (keep it)
   and the upstream body in ``dst``;
2. the gateway sends it (non-stream; a stream-only upstream may be asked to stream and its
   answer aggregated with :func:`~gatewayctl.translate.streaming.aggregate_stream_body`);
3. :func:`compact_response` (or :func:`compact_response_from_ir`) — the upstream answer →
   the ``response.compaction`` object, or an error in the Responses shape.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.errors import GatewayError, InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.openai_responses import compact as responses_compact
from gatewayctl.translate.errors import TranslatedBody, error_body, gateway_error, translate_error
from gatewayctl.translate.refs import ProtocolRef
from gatewayctl.translate.requests import emit_request
from gatewayctl.translate.responses import UpstreamAnswerError, parse_response_body

CALLER = "openai_responses"


def compact_request(
    dst: ProtocolRef,
    body: dict[str, Any],
    *,
    model: str | None = None,
    stream: bool = False,
) -> tuple[ir.Request, dict[str, Any]]:
    """(the IR generation request, the upstream body in ``dst``) for a compact body.
    Raises InvalidInput for a bad body (including ``stream: true``)."""
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object")
    request = responses_compact.parse_compact_request(body)
    if model is not None:
        request.model = model
    return request, emit_request(dst, request, stream=stream)


def compact_response_from_ir(response: ir.Response, request: ir.Request) -> TranslatedBody:
    """The compaction answer for the upstream's IR ``response`` to ``request``."""
    try:
        body = responses_compact.emit_compact_response(response, request)
    except GatewayError as exc:
        return error_body(CALLER, gateway_error(exc.message, status=exc.status))
    return TranslatedBody(200, body, usage=response.usage, model=response.model or None)


def compact_response(
    src: ProtocolRef,
    status: int,
    body: bytes,
    request: ir.Request,
    *,
    retry_after: str | None = None,
) -> TranslatedBody:
    """A non-stream generate answer of ``src`` to the compact ``request`` → the caller's
    ``response.compaction`` (or a Responses-shaped error)."""
    if status >= 400:
        return translate_error(src, CALLER, status, body, retry_after=retry_after)
    try:
        response = parse_response_body(src, status, body)
    except UpstreamAnswerError as exc:
        return error_body(CALLER, exc.error)
    return compact_response_from_ir(response, request)
