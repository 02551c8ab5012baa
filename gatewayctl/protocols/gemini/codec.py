"""The :class:`~gatewayctl.protocols.base.Codec` object for Gemini generateContent."""

from __future__ import annotations

from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.fields import require_dict
from gatewayctl.protocols.gemini import request, response
from gatewayctl.protocols.gemini.common import get
from gatewayctl.protocols.gemini.stream import GeminiStreamDecoder, GeminiStreamEncoder


class GeminiCodec:
    """Gemini ``generateContent`` / ``streamGenerateContent`` / ``countTokens`` / models."""

    name: ir.ProtocolName = "gemini"

    # generation -------------------------------------------------------------------
    def parse_request(self, body: dict[str, Any]) -> ir.Request:
        return request.parse_request(body)

    def emit_request(self, req: ir.Request) -> dict[str, Any]:
        return request.emit_request(req)

    def parse_response(self, body: dict[str, Any]) -> ir.Response:
        return response.parse_response(body)

    def emit_response(self, resp: ir.Response, options: EncoderOptions) -> dict[str, Any]:
        return response.emit_response(resp, options)

    def stream_decoder(self) -> GeminiStreamDecoder:
        return GeminiStreamDecoder()

    def stream_encoder(self, options: EncoderOptions) -> GeminiStreamEncoder:
        return GeminiStreamEncoder(options)

    # errors -----------------------------------------------------------------------
    def parse_error(self, status: int, body: bytes) -> ir.ErrorInfo:
        return response.parse_error(status, body)

    def emit_error(self, error: ir.ErrorInfo) -> tuple[int, dict[str, Any]]:
        return response.emit_error(error)

    # token counting -----------------------------------------------------------------
    def parse_count_request(self, body: dict[str, Any]) -> ir.Request:
        return request.parse_count_request(body)

    def emit_count_request(self, req: ir.Request) -> dict[str, Any]:
        return request.emit_count_request(req)

    def parse_count_response(self, body: dict[str, Any]) -> int:
        body = require_dict(body, "countTokens response")
        total = get(body, "totalTokens")
        if total is None:
            return 0  # proto3 JSON omits zero values
        if isinstance(total, bool) or not isinstance(total, int | str):
            raise InvalidInput("countTokens response totalTokens must be an integer")
        try:
            return int(total)
        except ValueError:
            raise InvalidInput("countTokens response totalTokens must be an integer") from None

    def emit_count_response(self, input_tokens: int) -> dict[str, Any]:
        return {"totalTokens": input_tokens}

    # models -----------------------------------------------------------------------
    def parse_model_list(self, body: dict[str, Any]) -> list[ir.ModelInfo]:
        return response.parse_model_list(body)

    def emit_model_list(self, models: list[ir.ModelInfo]) -> dict[str, Any]:
        return response.emit_model_list(models)

    def parse_model(self, body: dict[str, Any]) -> ir.ModelInfo:
        return response.parse_model(body)

    def emit_model(self, model: ir.ModelInfo) -> dict[str, Any]:
        return response.emit_model(model)


CODEC = GeminiCodec()
