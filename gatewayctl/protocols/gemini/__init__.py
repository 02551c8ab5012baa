"""Gemini ``generateContent`` codec (Google AI Studio v1beta wire format).

Modules: :mod:`.common` (field access in both spellings, ids, stop reasons, usage),
:mod:`.schema` (JSON Schema ↔ Gemini ``Schema`` cleaning), :mod:`.parts` (``Part`` ↔ IR part),
:mod:`.request` (generateContent / countTokens requests: contents, system, pairing),
:mod:`.config` (tools, tool choice, generation and thinking settings), :mod:`.response`
(responses, errors, models), :mod:`.stream` (stream decoder/encoder), :mod:`.embeddings` (embedContent /
batchEmbedContents), :mod:`.codec` (the ``CODEC`` object). Each module's docstring records the
mapping choices it makes.

The Code Assist backends used by the Gemini CLI and Antigravity channels wrap this format —
requests in ``{"model", "project", "request": {…}}``, responses and stream chunks in
``{"response": {…}}`` (protocols.md §8.3–8.4). Wrapping and unwrapping is the channel adapter's
job; this codec only sees the standard body.
"""

from gatewayctl.protocols.gemini.codec import CODEC, GeminiCodec
from gatewayctl.protocols.gemini.embeddings import (
    emit_batch_embed_contents_request,
    emit_batch_embed_contents_response,
    emit_embed_content_request,
    emit_embed_content_response,
    parse_batch_embed_contents_request,
    parse_batch_embed_contents_response,
    parse_embed_content_request,
    parse_embed_content_response,
)
from gatewayctl.protocols.gemini.schema import (
    from_gemini_schema,
    function_parameters,
    to_gemini_schema,
)
from gatewayctl.protocols.gemini.stream import GeminiStreamDecoder, GeminiStreamEncoder

__all__ = [
    "CODEC",
    "GeminiCodec",
    "GeminiStreamDecoder",
    "GeminiStreamEncoder",
    "emit_batch_embed_contents_request",
    "emit_batch_embed_contents_response",
    "emit_embed_content_request",
    "emit_embed_content_response",
    "from_gemini_schema",
    "function_parameters",
    "parse_batch_embed_contents_request",
    "parse_batch_embed_contents_response",
    "parse_embed_content_request",
    "parse_embed_content_response",
    "to_gemini_schema",
]
