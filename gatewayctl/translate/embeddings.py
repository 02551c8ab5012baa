"""Embeddings between OpenAI (``/v1/embeddings``) and Gemini (``:embedContent`` /
``:batchEmbedContents``).

Embeddings are not part of the codec interface (only these two protocols have them), so the
functions here call the two codecs' embedding helpers directly. Gemini has two methods; which
one a Gemini body belongs to is part of its URL, so callers pass it as ``gemini_method``.
Translating *to* Gemini picks ``embedContent`` for one input and ``batchEmbedContents`` for
several (every Gemini backend has ``embedContent``); the chosen method is returned with the
body, for the channel to build the URL. Gemini reports no usage: pass the gateway's local
estimate as ``input_tokens_estimate`` when answering an OpenAI client, whose answer has a
``usage`` object.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir, openai_common
from gatewayctl.protocols.gemini import embeddings as gemini_embeddings
from gatewayctl.translate.errors import TranslatedBody, error_body, gateway_error, translate_error
from gatewayctl.translate.refs import ProtocolRef, resolve
from gatewayctl.translate.responses import UpstreamAnswerError, read_json_body

GeminiEmbedMethod = Literal["embedContent", "batchEmbedContents"]
EmbeddingProtocol = Literal["openai", "gemini"]


@dataclass(slots=True)
class EmbeddingCall:
    """An embeddings request ready for the upstream: the body, and for Gemini the method."""

    body: dict[str, Any]
    request: ir.EmbeddingRequest  # as sent (after the model override)
    gemini_method: GeminiEmbedMethod | None = None


def _family(protocol: ProtocolRef) -> EmbeddingProtocol:
    name = resolve(protocol).name
    if name in ("openai_chat", "openai_responses"):
        return "openai"
    if name == "gemini":
        return "gemini"
    raise InvalidInput(f"protocol {name!r} has no embeddings endpoint")


def parse_embedding_request(
    src: ProtocolRef,
    body: dict[str, Any],
    *,
    gemini_method: GeminiEmbedMethod = "embedContent",
    model: str | None = None,
) -> ir.EmbeddingRequest:
    """The caller's embeddings body as IR. For Gemini, ``model`` is the URL's model (the body
    usually has none) and ``gemini_method`` the URL's method."""
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object")
    if _family(src) == "openai":
        return openai_common.parse_embedding_request(body)
    if gemini_method == "batchEmbedContents":
        return gemini_embeddings.parse_batch_embed_contents_request(body, model)
    return gemini_embeddings.parse_embed_content_request(body, model)


def emit_embedding_request(
    dst: ProtocolRef, request: ir.EmbeddingRequest, *, model: str | None = None
) -> EmbeddingCall:
    """An IR embeddings request as ``dst``'s body (and Gemini method)."""
    if model is not None:
        request = replace(request, model=model)
    if _family(dst) == "openai":
        return EmbeddingCall(openai_common.emit_embedding_request(request), request)
    if len(request.inputs) == 1:
        return EmbeddingCall(
            gemini_embeddings.emit_embed_content_request(request), request, "embedContent"
        )
    return EmbeddingCall(
        gemini_embeddings.emit_batch_embed_contents_request(request), request, "batchEmbedContents"
    )


def translate_embedding_request(
    src: ProtocolRef,
    dst: ProtocolRef,
    body: dict[str, Any],
    *,
    gemini_method: GeminiEmbedMethod = "embedContent",
    model: str | None = None,
) -> EmbeddingCall:
    """An embeddings body of ``src`` → the upstream call in ``dst``."""
    request = parse_embedding_request(src, body, gemini_method=gemini_method, model=model)
    return emit_embedding_request(dst, request, model=model)


def translate_embedding_response(
    src: ProtocolRef,
    dst: ProtocolRef,
    status: int,
    body: bytes,
    *,
    caller_request: ir.EmbeddingRequest,
    upstream_method: GeminiEmbedMethod | None = None,
    caller_method: GeminiEmbedMethod = "embedContent",
    input_tokens_estimate: int | None = None,
    retry_after: str | None = None,
) -> TranslatedBody:
    """An upstream embeddings answer of ``src`` → the caller's answer in ``dst``.

    ``caller_request`` is the caller's IR request (its model and ``encoding_format`` shape the
    answer); ``upstream_method`` the Gemini method that was called, ``caller_method`` the one
    the caller used. Usage the upstream does not report is filled from
    ``input_tokens_estimate``."""
    if status >= 400:
        return translate_error(src, dst, status, body, retry_after=retry_after)
    try:
        doc = read_json_body(resolve(src), status, body)
        response = _parse_response(src, doc, caller_request, upstream_method)
    except UpstreamAnswerError as exc:
        return error_body(dst, exc.error)
    except (InvalidInput, ValueError) as exc:
        return error_body(dst, gateway_error(f"upstream embeddings could not be read: {exc}"))
    if len(response.embeddings) != len(caller_request.inputs):
        return error_body(
            dst,
            gateway_error(
                f"upstream returned {len(response.embeddings)} embeddings for "
                f"{len(caller_request.inputs)} inputs"
            ),
        )
    if response.usage.input_tokens is None and input_tokens_estimate is not None:
        response.usage = ir.Usage(input_tokens=input_tokens_estimate, output_tokens=0)
    out = _emit_response(dst, response, caller_request, caller_method)
    return TranslatedBody(status, out, usage=response.usage, model=response.model or None)


def _parse_response(
    src: ProtocolRef,
    doc: dict[str, Any],
    request: ir.EmbeddingRequest,
    method: GeminiEmbedMethod | None,
) -> ir.EmbeddingResponse:
    if _family(src) == "openai":
        response = openai_common.parse_embedding_response(doc)
    elif method == "batchEmbedContents" or "embeddings" in doc:
        response = gemini_embeddings.parse_batch_embed_contents_response(doc, request.model)
    else:
        response = gemini_embeddings.parse_embed_content_response(doc, request.model)
    if not response.model:
        response.model = request.model
    return response


def _emit_response(
    dst: ProtocolRef,
    response: ir.EmbeddingResponse,
    request: ir.EmbeddingRequest,
    method: GeminiEmbedMethod,
) -> dict[str, Any]:
    if _family(dst) == "openai":
        response = replace(response, model=request.model or response.model)
        return openai_common.emit_embedding_response(response, request.encoding_format)
    if method == "batchEmbedContents":
        return gemini_embeddings.emit_batch_embed_contents_response(response)
    return gemini_embeddings.emit_embed_content_response(response)
