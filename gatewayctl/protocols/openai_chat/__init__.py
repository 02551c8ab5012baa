"""OpenAI Chat Completions (``POST /v1/chat/completions``) codec.

Split by concern: :mod:`.request` (request parsing, and the list of choices made where Chat
and the IR differ), :mod:`.request_emit` (request bodies out), :mod:`.response` (non-stream
bodies and the finish-reason / usage maps), :mod:`.stream` (chunk decoder and encoder),
:mod:`.wire` (field helpers the others share). Errors, models,
embeddings and media helpers are shared with the Responses codec in
:mod:`gatewayctl.protocols.openai_common`. The choices each part makes where Chat and the IR
differ are documented in those modules' docstrings.

Token counting: Chat has no count endpoint; OpenAI counts on the Responses route
(``POST /v1/responses/input_tokens``). So this codec reads a count request as a chat-shaped
body (a generation request that is not run; ``messages`` may be empty) and writes/reads
counts in the Responses shape ``{"object": "response.input_tokens", "input_tokens": N}``.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.openai_chat.request import parse_request
from gatewayctl.protocols.openai_chat.request_emit import emit_request
from gatewayctl.protocols.openai_chat.response import emit_response, parse_response
from gatewayctl.protocols.openai_chat.stream import ChatStreamDecoder, ChatStreamEncoder
from gatewayctl.protocols.openai_common import OpenAICodecMethods

__all__ = ["CODEC", "ChatCodec", "ChatStreamDecoder", "ChatStreamEncoder"]


class ChatCodec(OpenAICodecMethods):
    """The :class:`gatewayctl.protocols.base.Codec` for OpenAI Chat Completions."""

    name: ir.ProtocolName = "openai_chat"

    # generation -----------------------------------------------------------------------
    def parse_request(self, body: dict[str, Any]) -> ir.Request:
        return parse_request(body)

    def emit_request(self, request: ir.Request) -> dict[str, Any]:
        return emit_request(request)

    def parse_response(self, body: dict[str, Any]) -> ir.Response:
        return parse_response(body)

    def emit_response(self, response: ir.Response, options: EncoderOptions) -> dict[str, Any]:
        return emit_response(response, options)

    def stream_decoder(self) -> ChatStreamDecoder:
        return ChatStreamDecoder()

    def stream_encoder(self, options: EncoderOptions) -> ChatStreamEncoder:
        return ChatStreamEncoder(options)

    # token counting (errors, count answers and models: OpenAICodecMethods) ----------
    def parse_count_request(self, body: dict[str, Any]) -> ir.Request:
        request = parse_request(body, require_messages=False)
        request.stream = False
        return request

    def emit_count_request(self, request: ir.Request) -> dict[str, Any]:
        return emit_request(request, for_count=True)


CODEC = ChatCodec()
