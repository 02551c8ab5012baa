"""The Responses codec object: :class:`gatewayctl.protocols.base.Codec` for ``/v1/responses``.

Errors, model lists and the ``input_tokens`` answer are OpenAI-wide and come from
:mod:`gatewayctl.protocols.openai_common`; everything Responses-specific lives in the sibling
modules (request, response, decode, encode, compact).
"""

from __future__ import annotations

from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.protocols import openai_common as common
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.openai_responses.decode import ResponsesStreamDecoder
from gatewayctl.protocols.openai_responses.encode import ResponsesStreamEncoder
from gatewayctl.protocols.openai_responses.request import parse_request
from gatewayctl.protocols.openai_responses.request_emit import emit_count_request, emit_request
from gatewayctl.protocols.openai_responses.response import emit_response, parse_response


class ResponsesCodec:
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

    # errors -----------------------------------------------------------------------
    def parse_error(self, status: int, body: bytes) -> ir.ErrorInfo:
        return common.parse_error(status, body)

    def emit_error(self, error: ir.ErrorInfo) -> tuple[int, dict[str, Any]]:
        return common.emit_error(error)

    # token counting -------------------------------------------------------------------
    def parse_count_request(self, body: dict[str, Any]) -> ir.Request:
        """``/v1/responses/input_tokens`` body (a Responses request; ``model`` optional)."""
        request = parse_request(body, require_model=False)
        request.stream = False
        return request

    def emit_count_request(self, request: ir.Request) -> dict[str, Any]:
        return emit_count_request(request)

    def parse_count_response(self, body: dict[str, Any]) -> int:
        return common.parse_input_tokens_response(body)

    def emit_count_response(self, input_tokens: int) -> dict[str, Any]:
        return common.emit_input_tokens_response(input_tokens)

    # models -----------------------------------------------------------------------
    def parse_model_list(self, body: dict[str, Any]) -> list[ir.ModelInfo]:
        return common.parse_model_list(body)

    def emit_model_list(self, models: list[ir.ModelInfo]) -> dict[str, Any]:
        return common.emit_model_list(models)

    def parse_model(self, body: dict[str, Any]) -> ir.ModelInfo:
        return common.parse_model(body)

    def emit_model(self, model: ir.ModelInfo) -> dict[str, Any]:
        return common.emit_model(model)


CODEC = ResponsesCodec()
