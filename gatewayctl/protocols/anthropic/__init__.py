"""The Anthropic Messages codec (``POST /v1/messages``, count_tokens, models, errors).

A package because the protocol has four sizeable halves: request parsing
(:mod:`.request_parse`), request emission with the repairs the strict Messages API needs
(:mod:`.request_emit`), non-stream bodies (:mod:`.response`) and the two stream state machines
(:mod:`.stream`). :data:`CODEC` is the object :mod:`gatewayctl.protocols.base` describes; it
holds no state, so one instance serves every request.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.protocols.anthropic import request_emit, request_parse
from gatewayctl.protocols.anthropic import response as bodies
from gatewayctl.protocols.anthropic.request_emit import DEFAULT_MAX_TOKENS
from gatewayctl.protocols.anthropic.stream import AnthropicStreamDecoder, AnthropicStreamEncoder
from gatewayctl.protocols.base import EncoderOptions

__all__ = [
    "CODEC",
    "DEFAULT_MAX_TOKENS",
    "AnthropicCodec",
    "AnthropicStreamDecoder",
    "AnthropicStreamEncoder",
]


class AnthropicCodec:
    """Anthropic Messages ↔ IR (see :class:`gatewayctl.protocols.base.Codec`)."""

    name: ir.ProtocolName = "anthropic"

    # generation -------------------------------------------------------------------
    def parse_request(self, body: dict[str, Any]) -> ir.Request:
        return request_parse.parse_request(body)

    def emit_request(self, request: ir.Request) -> dict[str, Any]:
        return request_emit.emit_request(request)

    def parse_response(self, body: dict[str, Any]) -> ir.Response:
        return bodies.parse_response(body)

    def emit_response(self, response: ir.Response, options: EncoderOptions) -> dict[str, Any]:
        return bodies.emit_response(response, options)

    def stream_decoder(self) -> AnthropicStreamDecoder:
        return AnthropicStreamDecoder()

    def stream_encoder(self, options: EncoderOptions) -> AnthropicStreamEncoder:
        return AnthropicStreamEncoder(options)

    # errors -----------------------------------------------------------------------
    def parse_error(self, status: int, body: bytes) -> ir.ErrorInfo:
        return bodies.parse_error(status, body)

    def emit_error(self, error: ir.ErrorInfo) -> tuple[int, dict[str, Any]]:
        return bodies.emit_error(error)

    # token counting -----------------------------------------------------------------
    def parse_count_request(self, body: dict[str, Any]) -> ir.Request:
        return request_parse.parse_request(body, count=True)

    def emit_count_request(self, request: ir.Request) -> dict[str, Any]:
        return request_emit.emit_count_request(request)

    def parse_count_response(self, body: dict[str, Any]) -> int:
        return bodies.parse_count_response(body)

    def emit_count_response(self, input_tokens: int) -> dict[str, Any]:
        return bodies.emit_count_response(input_tokens)

    # models -----------------------------------------------------------------------
    def parse_model_list(self, body: dict[str, Any]) -> list[ir.ModelInfo]:
        return bodies.parse_model_list(body)

    def emit_model_list(self, models: list[ir.ModelInfo]) -> dict[str, Any]:
        return bodies.emit_model_list(models)

    def parse_model(self, body: dict[str, Any]) -> ir.ModelInfo:
        return bodies.parse_model(body)

    def emit_model(self, model: ir.ModelInfo) -> dict[str, Any]:
        return bodies.emit_model(model)


CODEC = AnthropicCodec()
