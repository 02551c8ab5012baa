"""The OpenAI Responses protocol (``/v1/responses``, ``/input_tokens``, ``/compact``).

A package because the protocol is large: ``request`` / ``request_emit`` (request body → IR
and back), ``response`` (response object ⇄ IR), ``decode`` / ``encode`` (the typed SSE
stream ⇄ IR stream events), ``compact`` (``/v1/responses/compact`` served by a generation
request), ``shared`` (ids, usage, stop ↔ status, items common to input and output) and
``codec`` (the :class:`~gatewayctl.protocols.base.Codec` object).

Beyond the Codec interface this package exposes, for the gateway:

* :func:`parse_compact_request` ``(body) -> ir.Request`` — a compact body → the IR generation
  request that asks the upstream for a summary (dispatch ``Compact → GenerateContent``).
* :func:`emit_compact_response` ``(response, request) -> dict`` — the ``response.compaction``
  object built from the upstream's IR answer to that request.
"""

from __future__ import annotations

from gatewayctl.protocols.openai_responses.codec import CODEC, ResponsesCodec
from gatewayctl.protocols.openai_responses.compact import (
    COMPACT_PROMPT,
    emit_compact_response,
    parse_compact_request,
)
from gatewayctl.protocols.openai_responses.decode import ResponsesStreamDecoder
from gatewayctl.protocols.openai_responses.encode import ResponsesStreamEncoder
from gatewayctl.protocols.openai_responses.shared import FAMILY

__all__ = [
    "CODEC",
    "COMPACT_PROMPT",
    "FAMILY",
    "ResponsesCodec",
    "ResponsesStreamDecoder",
    "ResponsesStreamEncoder",
    "emit_compact_response",
    "parse_compact_request",
]
