"""What the two OpenAI codecs (Chat Completions and Responses) share.

Chat and Responses are distinct wire protocols but one vendor's API: they share the error body,
the model list, the embeddings endpoint, the ``input_tokens`` count shape and the way media is
written (data URIs). Those live here once so both codecs emit the same bytes.

Public functions (all pure; bad input raises :class:`gatewayctl.errors.InvalidInput` naming
the field):

Errors (``{"error": {"message", "type", "param", "code"}}``, protocols.md §1.4, §7.9)
    ``parse_error(status, body) -> ir.ErrorInfo`` — any bytes (JSON or not) + HTTP status.
    ``parse_error_object(obj, status) -> ir.ErrorInfo`` — an already decoded ``error`` object
    (in-stream ``data: {"error": {...}}`` events).
    ``emit_error(error) -> (status, body)`` and ``error_object(error) -> dict`` (the inner
    ``{"message", "type", "param", "code"}``, for in-stream error events).
    ``kind_for_type(type, code)`` (status ↔ kind: :mod:`gatewayctl.protocols.errorkinds`).

Models (``GET /v1/models[/{id}]``, §5)
    ``parse_model_list(body)``, ``emit_model_list(models)``, ``parse_model(body)``,
    ``emit_model(model)``.

Embeddings (``POST /v1/embeddings``, §5)
    ``parse_embedding_request(body)``, ``emit_embedding_request(req)``,
    ``parse_embedding_response(body)``, ``emit_embedding_response(resp, encoding_format)``,
    ``encode_embedding_base64(vector)``, ``decode_embedding_base64(text)``.

The codec methods both codecs answer alike (errors, count answers, models) are
:class:`OpenAICodecMethods`, the base class of both codec objects.

Token counting (``POST /v1/responses/input_tokens``, §9.1)
    ``emit_input_tokens_response(n)``, ``parse_input_tokens_response(body)``.

End user
    ``user_field(user)`` — the ``user`` value OpenAI accepts (≤ 64 characters, else a hash).

Reasoning
    ``reasoning_effort(config)`` — the ``reasoning_effort`` / ``reasoning.effort`` value for an
    IR reasoning request (both codecs send the same).

Media
    (data URIs and media types are :mod:`gatewayctl.protocols.media`'s)
    ``image_from_url(url, detail)`` / ``image_to_url(part)`` (Chat ``image_url.url`` and
    Responses ``input_image.image_url`` are the same string),
    ``file_from_fields(...)`` / ``file_data_uri(part)``.

The typed field readers every codec uses are in :mod:`gatewayctl.protocols.fields`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.errorkinds import kind_for_status, status_for_kind
from gatewayctl.protocols.fields import get_dict, get_int, get_list, get_str, require_dict
from gatewayctl.protocols.media import (
    build_data_uri,
    guess_media_type,
    parse_data_uri,
    sniff_media_type,
)
from gatewayctl.protocols.reasoning import nearest_effort, normalize_effort, requested_effort

# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------

_KIND_BY_TYPE: dict[str, ir.ErrorKind] = {
    "invalid_request_error": "invalid_request",
    "invalid_request": "invalid_request",
    "invalid_argument": "invalid_request",
    "failed_precondition": "invalid_request",
    "authentication_error": "authentication",
    "invalid_api_key": "authentication",
    "unauthenticated": "authentication",
    "permission_error": "permission",
    "permission_denied": "permission",
    "not_found_error": "not_found",
    "not_found": "not_found",
    "model_not_found": "not_found",
    "request_too_large": "request_too_large",
    "rate_limit_exceeded": "rate_limit",
    "rate_limit_error": "rate_limit",
    "insufficient_quota": "rate_limit",
    "resource_exhausted": "rate_limit",
    "requests": "rate_limit",
    "tokens": "rate_limit",
    "server_error": "api_error",
    "api_error": "api_error",
    "internal": "api_error",
    "internal_error": "api_error",
    "overloaded_error": "overloaded",
    "unavailable": "overloaded",
    "timeout_error": "timeout",
    "timeout": "timeout",
    "deadline_exceeded": "timeout",
}

_TYPE_BY_KIND: dict[ir.ErrorKind, str] = {
    "invalid_request": "invalid_request_error",
    "authentication": "authentication_error",
    "permission": "permission_error",
    "not_found": "invalid_request_error",
    "request_too_large": "invalid_request_error",
    "rate_limit": "rate_limit_exceeded",
    "api_error": "server_error",
    "overloaded": "server_error",
    "timeout": "server_error",
}


def kind_for_type(type_: str | None, code: str | None = None) -> ir.ErrorKind | None:
    """The canonical kind named by an error ``type`` (or ``code``), any provider's spelling."""
    for name in (type_, code):
        if isinstance(name, str):
            kind = _KIND_BY_TYPE.get(name.lower())
            if kind is not None:
                return kind
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_error_object(obj: dict[str, Any], status: int = 0) -> ir.ErrorInfo:
    """Read a decoded OpenAI ``error`` object (the inner dict) with the status it came with.

    ``status`` 0 or a 2xx (an error event inside a 200 stream) is replaced by the status the
    error's type implies. The kind comes from the HTTP status when it is an error status (the
    status is what clients act on), otherwise from ``type``/``code``.
    """
    type_ = obj.get("type") if isinstance(obj.get("type"), str) else None
    raw_code = obj.get("code")
    code = None if raw_code is None else str(raw_code)
    message = _text(obj.get("message")) or type_ or code or "upstream error"
    by_status = kind_for_status(status) if status >= 400 else None
    by_type = kind_for_type(type_, code)
    kind: ir.ErrorKind = by_status or by_type or "api_error"
    if by_status == "api_error" and by_type in ("overloaded", "timeout"):
        kind = by_type
    if status < 400:
        status = status_for_kind(kind)
    param = obj.get("param")
    return ir.ErrorInfo(
        status=status,
        kind=kind,
        message=message,
        code=code,
        param=param if isinstance(param, str) else None,
    )


def parse_error(status: int, body: bytes) -> ir.ErrorInfo:
    """Read an upstream error response: any bytes (maybe not JSON, maybe another vendor's
    shape such as ``{"error": "text"}`` or a Gemini ``[{"error": {...}}]`` list)."""
    text = body.decode("utf-8", "replace").strip()
    try:
        doc: Any = json.loads(text) if text else None
    except ValueError:
        doc = None
    if isinstance(doc, list) and doc and isinstance(doc[0], dict):
        doc = doc[0]
    if isinstance(doc, dict):
        inner = doc.get("error")
        if isinstance(inner, dict):
            info = parse_error_object(inner, status)
            if info.code is None and isinstance(inner.get("status"), str):
                info.code = inner["status"]  # Gemini-style status name
                if status < 400:
                    found = kind_for_type(inner["status"])
                    if found is not None:
                        info.kind, info.status = found, status_for_kind(found)
            return info
        if isinstance(inner, str):
            return parse_error_object({"message": inner}, status)
        if isinstance(doc.get("message"), str):
            return parse_error_object(doc, status)
    kind = kind_for_status(status) or "api_error"
    message = text[:2000] if text else f"upstream answered HTTP {status}"
    return ir.ErrorInfo(
        status=status if status >= 400 else status_for_kind(kind), kind=kind, message=message
    )


def error_object(error: ir.ErrorInfo) -> dict[str, Any]:
    """The inner OpenAI error object ``{"message", "type", "param", "code"}``."""
    type_ = _TYPE_BY_KIND[error.kind]
    code = error.code
    if error.kind == "rate_limit" and code == "insufficient_quota":
        type_ = "insufficient_quota"
    if code is None:
        if error.kind == "authentication":
            code = "invalid_api_key"
        elif error.kind == "rate_limit":
            code = "rate_limit_exceeded"
    return {"message": error.message, "type": type_, "param": error.param, "code": code}


def emit_error(error: ir.ErrorInfo) -> tuple[int, dict[str, Any]]:
    """(status, body) for an OpenAI client. The upstream status is kept, except Anthropic's
    529 becomes 503 (OpenAI clients do not know 529); a non-error status is replaced by the
    kind's status."""
    status = error.status
    if status == 529:
        status = 503
    if status < 400 or status > 599:
        status = status_for_kind(error.kind)
    return status, {"error": error_object(error)}


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------

DEFAULT_OWNED_BY = "gatewayctl"


def parse_model(body: dict[str, Any]) -> ir.ModelInfo:
    """One OpenAI model object. A ``models/`` prefix (Gemini-style ids) is stripped."""
    body = require_dict(body, "model")
    model_id = get_str(body, "id", "model")
    if not model_id:
        raise InvalidInput("model.id is required")
    if model_id.startswith("models/"):
        model_id = model_id[len("models/") :]
    created = body.get("created")
    return ir.ModelInfo(
        id=model_id,
        display_name=body.get("display_name")
        if isinstance(body.get("display_name"), str)
        else None,
        created=created if isinstance(created, int) and not isinstance(created, bool) else None,
        owned_by=body.get("owned_by") if isinstance(body.get("owned_by"), str) else None,
    )


def emit_model(model: ir.ModelInfo) -> dict[str, Any]:
    """``{"id", "object": "model", "created", "owned_by"}`` (created 0 when unknown)."""
    return {
        "id": model.id,
        "object": "model",
        "created": model.created if model.created is not None else 0,
        "owned_by": model.owned_by or DEFAULT_OWNED_BY,
    }


def parse_model_list(body: dict[str, Any]) -> list[ir.ModelInfo]:
    body = require_dict(body, "model list")
    data = get_list(body, "data", "model list")
    if data is None:
        raise InvalidInput("model list: data is required")
    return [parse_model(require_dict(item, f"data[{i}]")) for i, item in enumerate(data)]


def emit_model_list(models: list[ir.ModelInfo]) -> dict[str, Any]:
    return {"object": "list", "data": [emit_model(m) for m in models]}


# --------------------------------------------------------------------------------------
# Embeddings
# --------------------------------------------------------------------------------------


def _is_token_array(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(x, int) and not isinstance(x, bool) for x in value
    )


def parse_embedding_request(body: dict[str, Any]) -> ir.EmbeddingRequest:
    """``/v1/embeddings`` body → IR. ``input`` is a string or a list of strings; token-id
    arrays are rejected (no other protocol can carry them)."""
    body = require_dict(body, "request")
    model = get_str(body, "model")
    if not model:
        raise InvalidInput("model is required")
    raw = body.get("input")
    inputs: list[str]
    if isinstance(raw, str):
        inputs = [raw]
    elif isinstance(raw, list):
        if raw and (_is_token_array(raw) or any(_is_token_array(x) and x for x in raw)):
            raise InvalidInput("input: token-id arrays are not supported; send text strings")
        if not all(isinstance(x, str) for x in raw):
            raise InvalidInput("input must be a string or an array of strings")
        inputs = list(raw)
    elif raw is None:
        raise InvalidInput("input is required")
    else:
        raise InvalidInput("input must be a string or an array of strings")
    if not inputs:
        raise InvalidInput("input must not be empty")
    dimensions = get_int(body, "dimensions")
    if dimensions is not None and dimensions < 1:
        raise InvalidInput("dimensions must be a positive integer")
    encoding = get_str(body, "encoding_format")
    if encoding is not None and encoding not in ("float", "base64"):
        raise InvalidInput("encoding_format must be 'float' or 'base64'")
    return ir.EmbeddingRequest(
        model=model, inputs=inputs, dimensions=dimensions, encoding_format=encoding
    )


def emit_embedding_request(request: ir.EmbeddingRequest) -> dict[str, Any]:
    """IR → ``/v1/embeddings`` body. A single input is sent as a plain string. We always ask
    the upstream for floats; ``encoding_format`` is honoured when answering the caller."""
    body: dict[str, Any] = {
        "model": request.model,
        "input": request.inputs[0] if len(request.inputs) == 1 else list(request.inputs),
        "encoding_format": "float",
    }
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    return body


def encode_embedding_base64(vector: list[float]) -> str:
    """OpenAI's base64 embedding: little-endian float32 values."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def decode_embedding_base64(text: str) -> list[float]:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("embedding: invalid base64") from exc
    if len(raw) % 4:
        raise InvalidInput("embedding: base64 length is not a multiple of 4 bytes")
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def parse_embedding_response(body: dict[str, Any]) -> ir.EmbeddingResponse:
    body = require_dict(body, "embedding response")
    data = get_list(body, "data", "embedding response")
    if data is None:
        raise InvalidInput("embedding response: data is required")
    rows: list[tuple[int, list[float]]] = []
    for i, item in enumerate(data):
        item = require_dict(item, f"data[{i}]")
        index = get_int(item, "index", f"data[{i}]")
        vec = item.get("embedding")
        if isinstance(vec, str):
            values = decode_embedding_base64(vec)
        elif isinstance(vec, list) and all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in vec
        ):
            values = [float(x) for x in vec]
        else:
            raise InvalidInput(f"data[{i}].embedding must be an array of numbers or base64")
        rows.append((index if index is not None else i, values))
    rows.sort(key=lambda r: r[0])
    usage = get_dict(body, "usage", "embedding response") or {}
    prompt = get_int(usage, "prompt_tokens", "usage")
    total = get_int(usage, "total_tokens", "usage")
    output = total - prompt if total is not None and prompt is not None else None
    return ir.EmbeddingResponse(
        model=get_str(body, "model") or "",
        embeddings=[v for _, v in rows],
        usage=ir.Usage(input_tokens=prompt, output_tokens=output or None),
    )


def emit_embedding_response(
    response: ir.EmbeddingResponse, encoding_format: str | None = None
) -> dict[str, Any]:
    """IR → ``/v1/embeddings`` answer; ``encoding_format="base64"`` packs float32 LE."""
    as_b64 = encoding_format == "base64"
    prompt = response.usage.input_tokens or 0
    total = prompt + (response.usage.output_tokens or 0)
    return {
        "object": "list",
        "data": [
            {
                "object": "embedding",
                "index": i,
                "embedding": encode_embedding_base64(vec) if as_b64 else list(vec),
            }
            for i, vec in enumerate(response.embeddings)
        ],
        "model": response.model,
        "usage": {"prompt_tokens": prompt, "total_tokens": total},
    }


# --------------------------------------------------------------------------------------
# Token counting
# --------------------------------------------------------------------------------------


def emit_input_tokens_response(input_tokens: int) -> dict[str, Any]:
    """``POST /v1/responses/input_tokens`` answer."""
    return {"object": "response.input_tokens", "input_tokens": input_tokens}


def parse_input_tokens_response(body: dict[str, Any]) -> int:
    body = require_dict(body, "count response")
    n = get_int(body, "input_tokens", "count response")
    if n is None:
        raise InvalidInput("count response: input_tokens is required")
    return n


# --------------------------------------------------------------------------------------
# End-user id
# --------------------------------------------------------------------------------------

MAX_USER_LENGTH = 64


def user_field(user: str | None) -> str | None:
    """The ``user`` value to send: as given when it fits OpenAI's 64-character limit, else its
    SHA-256 hex digest (64 characters) — still one stable id per end user. Claude Code's
    ``metadata.user_id`` is a JSON string of ~150 characters that OpenAI would refuse."""
    if user is None or len(user) <= MAX_USER_LENGTH:
        return user
    return hashlib.sha256(user.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------
# Reasoning effort
# --------------------------------------------------------------------------------------

# The levels every OpenAI reasoning model accepts: an effort derived from another protocol's
# thinking budget is moved to one of these (``minimal`` and ``xhigh`` exist only on some).
BUDGET_EFFORTS = ("low", "medium", "high")


def reasoning_effort(config: ir.ReasoningConfig | None) -> str | None:
    """The OpenAI effort for an IR reasoning request: an effort as sent (normalised, see
    :mod:`gatewayctl.protocols.reasoning`), else the level of a thinking budget; None when
    nothing should be sent (no effort, thinking switched off by a budget-only protocol —
    non-reasoning models reject the field)."""
    if config is None:
        return None
    if config.effort:
        return normalize_effort(config.effort)
    effort = requested_effort(config)
    if effort is None or effort == "none":
        return None
    return nearest_effort(effort, BUDGET_EFFORTS)


# --------------------------------------------------------------------------------------
# Media: data URIs, images, files
# --------------------------------------------------------------------------------------


def image_from_url(url: str, detail: str | None = None) -> ir.ImagePart:
    """An image given as an OpenAI ``url`` string (https or data URI)."""
    parsed = parse_data_uri(url)
    if parsed is not None:
        media_type, data = parsed
        return ir.ImagePart(data=data, media_type=media_type, detail=detail)
    return ir.ImagePart(url=url, detail=detail)


def image_to_url(part: ir.ImagePart) -> str:
    """The OpenAI ``url`` string for an image part (data URI for inline data)."""
    if part.data is not None:
        return build_data_uri(part.media_type or sniff_media_type(part.data), part.data)
    if part.url:
        return part.url
    raise InvalidInput("image part has neither url nor data")


def file_from_fields(
    *,
    file_data: str | None = None,
    file_id: str | None = None,
    filename: str | None = None,
    file_url: str | None = None,
) -> ir.FilePart:
    """Chat ``file.file`` / Responses ``input_file`` fields → FilePart. ``file_data`` is a data
    URI (bare base64 is accepted too, media type then guessed from the file name)."""
    part = ir.FilePart(file_id=file_id, filename=filename, url=file_url)
    if file_data:
        parsed = parse_data_uri(file_data)
        if parsed is not None:
            part.media_type, part.data = parsed
        else:
            part.data = "".join(file_data.split())
            part.media_type = guess_media_type(filename)
    if part.data is None and part.file_id is None and part.url is None:
        raise InvalidInput("file needs file_data, file_id or file_url")
    return part


def file_data_uri(part: ir.FilePart) -> str | None:
    """The ``file_data`` data URI of a file part with inline data, else None."""
    if part.data is None:
        return None
    return build_data_uri(part.media_type or guess_media_type(part.filename), part.data)


# --------------------------------------------------------------------------------------
# The codec methods Chat and Responses share
# --------------------------------------------------------------------------------------


class OpenAICodecMethods:
    """Errors, count answers and models: one vendor, one shape for both OpenAI codecs."""

    def parse_error(self, status: int, body: bytes) -> ir.ErrorInfo:
        return parse_error(status, body)

    def emit_error(self, error: ir.ErrorInfo) -> tuple[int, dict[str, Any]]:
        return emit_error(error)

    def parse_count_response(self, body: dict[str, Any]) -> int:
        return parse_input_tokens_response(body)

    def emit_count_response(self, input_tokens: int) -> dict[str, Any]:
        return emit_input_tokens_response(input_tokens)

    def parse_model_list(self, body: dict[str, Any]) -> list[ir.ModelInfo]:
        return parse_model_list(body)

    def emit_model_list(self, models: list[ir.ModelInfo]) -> dict[str, Any]:
        return emit_model_list(models)

    def parse_model(self, body: dict[str, Any]) -> ir.ModelInfo:
        return parse_model(body)

    def emit_model(self, model: ir.ModelInfo) -> dict[str, Any]:
        return emit_model(model)
