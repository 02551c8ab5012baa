"""The Responses codec object: :class:`gatewayctl.protocols.base.Codec` for ``/v1/responses``.

Errors, model lists and the ``input_tokens`` answer are OpenAI-wide and come from
:mod:`gatewayctl.protocols.openai_common`; everything Responses-specific lives in the sibling
modules (request, response, decode, encode, compact).
"""

from __future__ import annotations

from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.openai_common import OpenAICodecMethods
from gatewayctl.protocols.openai_responses.decode import ResponsesStreamDecoder
from gatewayctl.protocols.openai_responses.encode import ResponsesStreamEncoder
from gatewayctl.protocols.openai_responses.request import parse_request
from gatewayctl.protocols.openai_responses.request_emit import emit_count_request, emit_request
from gatewayctl.protocols.openai_responses.response import emit_response, parse_response


class ResponsesCodec(OpenAICodecMethods):
    """OpenAI Responses ⇄ IR."""

    name: ir.ProtocolName = "openai_responses"

    # generation -------------------------------------------------------------------
    def parse_request(self, body: dict[str, Any]) -> ir.Request:
        return parse_request(body)

    def emit_request(self, request: ir.Request) -> dict[str, Any]:
        return emit_request(request)

    def parse_response(self, body: dict[str, Any]) -> ir.Response:
        return parse_response(body)

    def emit_response(self, response: ir.Response, options: EncoderOptions) -> dict[str, Any]:
        return emit_response(response, options)

    def stream_decoder(self) -> ResponsesStreamDecoder:
        return ResponsesStreamDecoder()

    def stream_encoder(self, options: EncoderOptions) -> ResponsesStreamEncoder:
        return ResponsesStreamEncoder(options)

    # token counting (errors, count answers and models: OpenAICodecMethods) ----------
    def parse_count_request(self, body: dict[str, Any]) -> ir.Request:
        """``/v1/responses/input_tokens`` body (a Responses request; ``model`` optional)."""
        request = parse_request(body, require_model=False)
        request.stream = False
        return request

    def emit_count_request(self, request: ir.Request) -> dict[str, Any]:
        return emit_count_request(request)


CODEC = ResponsesCodec()
