"""Translation between the four wire protocols, through the canonical IR.

Translation A→B is always ``B.emit(A.parse(x))`` (why a canonical middle: see
:mod:`gatewayctl.protocols.ir`). The codecs do the protocol work; this package is the glue the
gateway calls. Protocols are named by IR name (``"openai_chat"``, ``"openai_responses"``,
``"anthropic"``, ``"gemini"``), by dispatch name (``"OpenAi"``, ``"OpenAiChatCompletion"``,
``"Claude"``, ``"Gemini"``, ``"GeminiNDJson"`` — the last implies NDJSON stream framing), or
by codec object.

Requests (:mod:`.requests`), caller body in ``src`` → upstream body in ``dst``:
    ``translate_request(src, dst, body, *, model=None, stream=None, tool_names=None) -> dict``
    ``translate_count_request(src, dst, body, *, model=None) -> dict``
    ``parse_request`` / ``emit_request`` / ``parse_count_request`` (the two halves),
    ``encoder_options(request, *, model=None, input_tokens_estimate=None) -> EncoderOptions``

Tool names (:mod:`.toolnames`): ``ToolNameMap.build(request, dst)`` — the caller's tool names
(and Responses namespaces) made acceptable to the upstream, and restored in the answer; custom
tools offered as JSON functions are unwrapped back. ``emit_request``/``translate_request``
apply it; every answer translator below rebuilds it from ``options.request`` (the gateway
passes :func:`encoder_options`) or takes ``tool_names=`` explicitly.

Non-stream answers (:mod:`.responses`, :mod:`.errors`), upstream status + bytes → caller's
:class:`TranslatedBody` (``status``, ``body``, ``headers`` such as retry-after, ``usage``,
``model``, ``error``); non-2xx answers are errors translated with the status kept:
    ``translate_response(src, dst, status, body, *, options=None, retry_after=None,
    tool_names=None)``
    ``translate_count_response``, ``translate_model_list_response``,
    ``translate_model_response``, ``translate_error``, ``error_body(dst, ErrorInfo)``
    ``translate_stream_to_body(src, dst, raw, *, options=None, tool_names=None)``
    (stream-only upstream)
    ``translate_body_to_stream(src, dst, status, body, *, options=None, tool_names=None)
    -> (bytes, Response)``

Streams (:mod:`.streaming`):
    ``StreamTranslator(src, dst, options, src_framing=None, dst_framing=None, *,
    tool_names=None)`` —
    ``feed(bytes) -> bytes``, ``close() -> bytes``, ``fail(ErrorInfo) -> bytes``; ``usage``,
    ``output_text``, ``tap`` (model, stop reason, error, error_before_start)
    ``StreamAggregator`` / ``aggregate_stream_body(src, raw) -> ir.Response``
    ``synthesize_stream_body(dst, response, options=None) -> bytes``

IR-level stream utilities (:mod:`.stream`, :mod:`.aggregate`): ``Sequencer``,
``sequence_blocks``, ``aggregate``, ``synthesize``.

Passthrough usage (:mod:`.usage`): ``UsageSniffer(protocol, stream=...)`` — ``feed(bytes)``,
``close()``, ``usage``, ``model``.

Embeddings OpenAI ↔ Gemini (:mod:`.embeddings`, import from there):
    ``translate_embedding_request(src, dst, body, *, gemini_method="embedContent",
    model=None) -> EmbeddingCall`` (``.body``, ``.request``, ``.gemini_method`` to call)
    ``translate_embedding_response(src, dst, status, body, *, caller_request,
    upstream_method=None, caller_method="embedContent", input_tokens_estimate=None)``

Responses compact served by a generate request (:mod:`.compact`, import from there):
    ``compact_request(dst, body, *, model=None, stream=False) -> (ir.Request, dict)``
    ``compact_response(src, status, body, request) -> TranslatedBody``
    ``compact_response_from_ir(response, request)`` (after aggregating a stream-only upstream)

Local counting and usage estimates live in :mod:`gatewayctl.tokens`.
"""

from __future__ import annotations

from gatewayctl.translate.aggregate import StreamFailed, aggregate, synthesize
from gatewayctl.translate.errors import TranslatedBody, error_body, translate_error
from gatewayctl.translate.requests import (
    emit_request,
    encoder_options,
    parse_count_request,
    parse_request,
    translate_count_request,
    translate_request,
)
from gatewayctl.translate.responses import (
    UpstreamAnswerError,
    translate_body_to_stream,
    translate_count_response,
    translate_model_list_response,
    translate_model_response,
    translate_response,
    translate_stream_to_body,
)
from gatewayctl.translate.stream import Sequencer, sequence_blocks
from gatewayctl.translate.streaming import (
    StreamAggregator,
    StreamTranslator,
    aggregate_stream_body,
    synthesize_stream_body,
)
from gatewayctl.translate.toolnames import ToolNameMap
from gatewayctl.translate.usage import UsageSniffer

__all__ = [
    "Sequencer",
    "StreamAggregator",
    "StreamFailed",
    "StreamTranslator",
    "ToolNameMap",
    "TranslatedBody",
    "UpstreamAnswerError",
    "UsageSniffer",
    "aggregate",
    "aggregate_stream_body",
    "emit_request",
    "encoder_options",
    "error_body",
    "parse_count_request",
    "parse_request",
    "sequence_blocks",
    "synthesize",
    "synthesize_stream_body",
    "translate_body_to_stream",
    "translate_count_request",
    "translate_count_response",
    "translate_error",
    "translate_model_list_response",
    "translate_model_response",
    "translate_request",
    "translate_response",
    "translate_stream_to_body",
]
