"""Gemini embeddings (``:embedContent``, ``:batchEmbedContents``) ↔ IR embeddings.

Not part of the :class:`~gatewayctl.protocols.base.Codec` protocol (only OpenAI and Gemini
have embeddings), so these are plain functions, re-exported by the package.

* ``:embedContent`` request ``{"content": {"parts": [{"text"}…]}, "taskType", "title",
  "outputDimensionality"}`` is one input: the texts of its parts joined with ``"\\n"``.
  Response ``{"embedding": {"values": […]}}``.
* ``:batchEmbedContents`` request ``{"requests": [{"model", "content", "taskType",
  "outputDimensionality"}…]}`` is one input per request (``taskType`` and
  ``outputDimensionality`` are read from the first). Response ``{"embeddings": [{"values"}…]}``.
* Gemini reports no usage; :class:`ir.EmbeddingResponse` usage stays unknown (the gateway
  estimates it, protocols.md §9.6). ``title`` (only meaningful with ``RETRIEVAL_DOCUMENT``)
  has no IR field and is not carried.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.fields import require_dict
from gatewayctl.protocols.gemini.common import (
    get,
    get_dict,
    get_int,
    get_list,
    get_str,
    strip_model_prefix,
)


def _content_text(content: dict[str, Any], where: str) -> str:
    parts = get_list(content, "parts", where) or []
    texts: list[str] = []
    for i, part in enumerate(parts):
        part = require_dict(part, f"{where}.parts[{i}]")
        text = get(part, "text")
        if isinstance(text, str):
            texts.append(text)
    return "\n".join(texts)


def _model(body: dict[str, Any], model: str | None, where: str) -> str:
    name = get_str(body, "model", where) or model or ""
    return strip_model_prefix(name)


def parse_embed_content_request(
    body: dict[str, Any], model: str | None = None
) -> ir.EmbeddingRequest:
    """``:embedContent`` body → IR request (``model`` from the URL when the body has none)."""
    body = require_dict(body, "request body")
    content = get_dict(body, "content", "request")
    if content is None:
        raise InvalidInput("request.content is required")
    return ir.EmbeddingRequest(
        model=_model(body, model, "request"),
        inputs=[_content_text(content, "request.content")],
        dimensions=get_int(body, "outputDimensionality", "request"),
        task_type=get_str(body, "taskType", "request"),
    )


def _one_request(req: ir.EmbeddingRequest, text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"content": {"parts": [{"text": text}]}}
    if req.task_type:
        out["taskType"] = req.task_type
    if req.dimensions is not None:
        out["outputDimensionality"] = req.dimensions
    return out


def emit_embed_content_request(req: ir.EmbeddingRequest) -> dict[str, Any]:
    """IR request with exactly one input → ``:embedContent`` body."""
    if len(req.inputs) != 1:
        raise InvalidInput(
            f"embedContent takes one input, got {len(req.inputs)}; use batchEmbedContents"
        )
    return _one_request(req, req.inputs[0])


def parse_batch_embed_contents_request(
    body: dict[str, Any], model: str | None = None
) -> ir.EmbeddingRequest:
    body = require_dict(body, "request body")
    requests = get_list(body, "requests", "request")
    if not requests:
        raise InvalidInput("request.requests must be a non-empty array")
    inputs: list[str] = []
    first: dict[str, Any] = {}
    for i, item in enumerate(requests):
        where = f"requests[{i}]"
        item = require_dict(item, where)
        if i == 0:
            first = item
        content = get_dict(item, "content", where)
        if content is None:
            raise InvalidInput(f"{where}.content is required")
        inputs.append(_content_text(content, f"{where}.content"))
    return ir.EmbeddingRequest(
        model=_model(first, model, "requests[0]"),
        inputs=inputs,
        dimensions=get_int(first, "outputDimensionality", "requests[0]"),
        task_type=get_str(first, "taskType", "requests[0]"),
    )


def emit_batch_embed_contents_request(req: ir.EmbeddingRequest) -> dict[str, Any]:
    model = f"models/{req.model}"
    return {"requests": [{"model": model, **_one_request(req, text)} for text in req.inputs]}


def _values(obj: Any, where: str) -> list[float]:
    obj = require_dict(obj, where)
    values = get_list(obj, "values", where) or []
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise InvalidInput(f"{where}.values must be an array of numbers")
    return [float(v) for v in values]


def parse_embed_content_response(body: dict[str, Any], model: str = "") -> ir.EmbeddingResponse:
    body = require_dict(body, "response body")
    return ir.EmbeddingResponse(
        model=model, embeddings=[_values(get(body, "embedding"), "embedding")]
    )


def emit_embed_content_response(resp: ir.EmbeddingResponse) -> dict[str, Any]:
    if len(resp.embeddings) != 1:
        raise InvalidInput(f"embedContent answers one input, got {len(resp.embeddings)}")
    return {"embedding": {"values": list(resp.embeddings[0])}}


def parse_batch_embed_contents_response(
    body: dict[str, Any], model: str = ""
) -> ir.EmbeddingResponse:
    body = require_dict(body, "response body")
    items = get_list(body, "embeddings", "response") or []
    return ir.EmbeddingResponse(
        model=model, embeddings=[_values(e, f"embeddings[{i}]") for i, e in enumerate(items)]
    )


def emit_batch_embed_contents_response(resp: ir.EmbeddingResponse) -> dict[str, Any]:
    return {"embeddings": [{"values": list(v)} for v in resp.embeddings]}
