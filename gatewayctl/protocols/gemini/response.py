"""``GenerateContentResponse`` ↔ IR response, errors, and the model list.

Responses:

* Only the first candidate (``index`` 0) is read: the IR holds one assistant turn. Clients that
  ask for ``candidateCount > 1`` through translation get the first answer.
* A prompt blocked before generation (``promptFeedback.blockReason``, no candidates) is a
  response with no content and stop reason ``content_filter``.
* Function calls without an ``id`` get ``call_<responseId>_<n>`` (:class:`.common.CallIds`).
* The raw ``finishReason``, ``finishMessage``, ``promptFeedback`` and grounding / citation /
  URL-context metadata are kept in ``provider_data["gemini"]`` and written back by
  :func:`emit_response` (for Gemini clients only; other protocols have no place for them).

Errors (``{"error": {"code", "message", "status", "details"}}``, protocols.md §4.7, §7.9):
``error.status`` decides the kind (``INVALID_ARGUMENT``/``FAILED_PRECONDITION``/``OUT_OF_RANGE``
→ invalid_request, ``UNAUTHENTICATED`` → authentication, ``PERMISSION_DENIED`` → permission,
``NOT_FOUND`` → not_found, ``RESOURCE_EXHAUSTED`` → rate_limit, ``UNAVAILABLE`` → overloaded,
``DEADLINE_EXCEEDED`` → timeout, other → api_error), the HTTP status when it is missing.
``RetryInfo.retryDelay`` → ``retry_after_s``; ``ErrorInfo.reason`` → ``code``; the first
``BadRequest.fieldViolations[].field`` → ``param``. Bodies that are not JSON, a JSON array
around the error (non-SSE streams) or an SSE ``data:`` line are all accepted. Emitting keeps the
status (Anthropic's 529 becomes 503, Gemini's own overload status).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.errorkinds import kind_for_status
from gatewayctl.protocols.fields import require_dict
from gatewayctl.protocols.gemini.common import (
    FAMILY,
    CallIds,
    get,
    get_int,
    get_list,
    get_str,
    own,
    parse_time,
    stop_from_gemini,
    stop_to_gemini,
    strip_model_prefix,
    usage_from_gemini,
    usage_to_gemini,
)
from gatewayctl.protocols.gemini.parts import emit_part, parse_part

_CANDIDATE_KEPT = ("finishMessage", "groundingMetadata", "citationMetadata", "urlContextMetadata")


def first_candidate(body: dict[str, Any], *, strict: bool = False) -> dict[str, Any] | None:
    """The candidate with ``index`` 0 (or, unless ``strict``, the first one listed).

    Stream chunks use ``strict``: with ``candidateCount > 1`` a chunk may carry only another
    candidate's parts, which must not be mistaken for the first answer.
    """
    candidates = get(body, "candidates")
    if not isinstance(candidates, list):
        return None
    dicts = [c for c in candidates if isinstance(c, dict)]
    for cand in dicts:
        if (get(cand, "index") or 0) == 0:
            return cand
    return None if strict or not dicts else dicts[0]


def block_reason(body: dict[str, Any]) -> str | None:
    feedback = get(body, "promptFeedback")
    if isinstance(feedback, dict):
        reason = get(feedback, "blockReason")
        if isinstance(reason, str) and reason and reason != "BLOCKED_REASON_UNSPECIFIED":
            return reason
    return None


def parse_response(body: dict[str, Any]) -> ir.Response:
    body = require_dict(body, "response body")
    response_id = get_str(body, "responseId", "response") or f"gemini-{uuid.uuid4().hex}"
    ids = CallIds(response_id)
    pd: dict[str, Any] = {}
    content: list[ir.Part] = []
    stop: ir.StopReason | None = None
    cand = first_candidate(body)
    if cand is not None:
        content_obj = get(cand, "content")
        parts = get(content_obj, "parts") if isinstance(content_obj, dict) else None
        parts = parts or []
        if not isinstance(parts, list):
            raise InvalidInput("candidates[0].content.parts must be an array")
        for i, raw in enumerate(parts):
            part = parse_part(raw, f"candidates[0].content.parts[{i}]", ids.next)
            if part is not None and not isinstance(part, ir.ToolResultPart):
                content.append(part)
        reason = get(cand, "finishReason")
        if isinstance(reason, str):
            pd["finishReason"] = reason
            made_calls = any(isinstance(p, ir.ToolCallPart) for p in content)
            stop = stop_from_gemini(reason, made_calls)
        for key in _CANDIDATE_KEPT:
            value = get(cand, key)
            if value is not None:
                pd[key] = value
    blocked = block_reason(body)
    if blocked is not None:
        pd["promptFeedback"] = get(body, "promptFeedback")
        if cand is None:
            stop = "content_filter"
    model = get_str(body, "modelVersion", "response") or ""
    return ir.Response(
        id=response_id,
        model=strip_model_prefix(model),
        content=content,
        stop_reason=stop,
        usage=usage_from_gemini(get(body, "usageMetadata")) or ir.Usage(),
        created=parse_time(get(body, "createTime")),
        provider_data={FAMILY: pd} if pd else {},
    )


def emit_response(response: ir.Response, options: EncoderOptions) -> dict[str, Any]:
    pd = own(response.provider_data) or {}
    parts = [
        emitted
        for part in response.content
        if not isinstance(part, ir.ToolResultPart)
        for emitted in [emit_part(part, replay=False)]
        if emitted is not None
    ]
    body: dict[str, Any] = {}
    if not parts and isinstance(pd.get("promptFeedback"), dict):
        body["promptFeedback"] = pd["promptFeedback"]
    else:
        content: dict[str, Any] = {"role": "model"}
        if parts:
            content["parts"] = parts
        candidate: dict[str, Any] = {"content": content}
        candidate["finishReason"] = _finish_reason(response, pd)
        candidate["index"] = 0
        for key in _CANDIDATE_KEPT:
            if key in pd:
                candidate[key] = pd[key]
        body["candidates"] = [candidate]
    usage = usage_to_gemini(response.usage)
    if usage:
        body["usageMetadata"] = usage
    body["modelVersion"] = options.model or response.model
    body["responseId"] = response.id
    return body


def _finish_reason(response: ir.Response, pd: dict[str, Any]) -> str:
    """The raw Gemini reason when it still means the same thing, else the mapped one."""
    raw = pd.get("finishReason")
    made_calls = any(isinstance(p, ir.ToolCallPart) for p in response.content)
    if isinstance(raw, str) and stop_from_gemini(raw, made_calls) == response.stop_reason:
        return raw
    return stop_to_gemini(response.stop_reason)


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------

_KIND_BY_STATUS: dict[str, ir.ErrorKind] = {
    "INVALID_ARGUMENT": "invalid_request",
    "FAILED_PRECONDITION": "invalid_request",
    "OUT_OF_RANGE": "invalid_request",
    "ALREADY_EXISTS": "invalid_request",
    "UNIMPLEMENTED": "invalid_request",
    "UNAUTHENTICATED": "authentication",
    "PERMISSION_DENIED": "permission",
    "NOT_FOUND": "not_found",
    "RESOURCE_EXHAUSTED": "rate_limit",
    "UNAVAILABLE": "overloaded",
    "DEADLINE_EXCEEDED": "timeout",
}
_STATUS_BY_KIND: dict[ir.ErrorKind, tuple[int, str]] = {
    "invalid_request": (400, "INVALID_ARGUMENT"),
    "authentication": (401, "UNAUTHENTICATED"),
    "permission": (403, "PERMISSION_DENIED"),
    "not_found": (404, "NOT_FOUND"),
    "request_too_large": (413, "INVALID_ARGUMENT"),
    "rate_limit": (429, "RESOURCE_EXHAUSTED"),
    "api_error": (500, "INTERNAL"),
    "overloaded": (503, "UNAVAILABLE"),
    "timeout": (504, "DEADLINE_EXCEEDED"),
}
_TYPE_PREFIX = "type.googleapis.com/google.rpc."
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def kind_for_http(status: int) -> ir.ErrorKind:
    """The canonical kind for an HTTP status when the body does not say."""
    return kind_for_status(status) or "api_error"


def parse_error(status: int, body: bytes) -> ir.ErrorInfo:
    """An upstream error body (any bytes) with its HTTP status."""
    text = body.decode("utf-8", "replace").strip()
    obj = _loads(text)
    if obj is None and text.startswith("data:"):
        obj = _loads(text[5:].strip())
    if isinstance(obj, list) and obj:
        obj = obj[0]
    err = obj.get("error") if isinstance(obj, dict) else None
    if isinstance(err, dict):
        return parse_error_object(err, status)
    message = err if isinstance(err, str) and err else (text[:1000] or f"HTTP {status}")
    return ir.ErrorInfo(status=status, kind=kind_for_http(status), message=message)


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def parse_error_object(err: dict[str, Any], status: int | None = None) -> ir.ErrorInfo:
    """A decoded ``error`` object (HTTP error body or in-stream ``{"error": …}`` chunk)."""
    try:
        code = get_int(err, "code", "error")
    except InvalidInput:
        code = None
    http = status if status and status >= 400 else (code if code and code >= 400 else 500)
    gstatus = err.get("status")
    kind = _KIND_BY_STATUS.get(gstatus) if isinstance(gstatus, str) else None
    if http == 413:
        kind = "request_too_large"
    elif kind is None:
        kind = kind_for_http(http)
    message = err.get("message")
    info = ir.ErrorInfo(
        status=http,
        kind=kind,
        message=message if isinstance(message, str) and message else f"HTTP {http}",
    )
    for detail in err.get("details") or []:
        if not isinstance(detail, dict):
            continue
        kind_name = str(detail.get("@type", "")).removeprefix(_TYPE_PREFIX)
        if kind_name == "RetryInfo":
            info.retry_after_s = _duration(detail.get("retryDelay"))
        elif kind_name == "ErrorInfo" and isinstance(detail.get("reason"), str):
            info.code = detail["reason"]
        elif kind_name == "BadRequest" and info.param is None:
            for violation in detail.get("fieldViolations") or []:
                if isinstance(violation, dict) and isinstance(violation.get("field"), str):
                    info.param = violation["field"]
                    break
    return info


def _duration(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1))
    if isinstance(value, dict):  # {"seconds": "3", "nanos": 0} in some renderings
        try:
            return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
        except (TypeError, ValueError):
            return None
    return None


def error_object(error: ir.ErrorInfo) -> dict[str, Any]:
    """The inner ``{"code", "message", "status", "details"?}`` for ``error``."""
    status = _http_status(error)
    obj: dict[str, Any] = {
        "code": status,
        "message": error.message,
        "status": _STATUS_BY_KIND[error.kind][1],
    }
    details: list[dict[str, Any]] = []
    if error.code:
        details.append(
            {"@type": _TYPE_PREFIX + "ErrorInfo", "reason": error.code, "domain": "googleapis.com"}
        )
    if error.param:
        details.append(
            {
                "@type": _TYPE_PREFIX + "BadRequest",
                "fieldViolations": [{"field": error.param, "description": error.message}],
            }
        )
    if error.retry_after_s is not None:
        delay = error.retry_after_s
        text = f"{int(delay)}s" if float(delay).is_integer() else f"{delay:g}s"
        details.append({"@type": _TYPE_PREFIX + "RetryInfo", "retryDelay": text})
    if details:
        obj["details"] = details
    return obj


def _http_status(error: ir.ErrorInfo) -> int:
    if error.status == 529:
        return 503
    if error.status >= 400:
        return error.status
    return _STATUS_BY_KIND[error.kind][0]


def emit_error(error: ir.ErrorInfo) -> tuple[int, dict[str, Any]]:
    return _http_status(error), {"error": error_object(error)}


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------

_MODEL_FIELDS = ("name", "displayName", "inputTokenLimit", "outputTokenLimit")
_DEFAULT_METHODS = ["generateContent", "countTokens"]


def parse_model(body: dict[str, Any]) -> ir.ModelInfo:
    body = require_dict(body, "model")
    name = get_str(body, "name", "model")
    if not name:
        raise InvalidInput("model.name is required")
    rest = {k: v for k, v in body.items() if k not in _MODEL_FIELDS}
    return ir.ModelInfo(
        id=strip_model_prefix(name),
        display_name=get_str(body, "displayName", "model"),
        input_token_limit=get_int(body, "inputTokenLimit", "model"),
        output_token_limit=get_int(body, "outputTokenLimit", "model"),
        provider_data={FAMILY: rest} if rest else {},
    )


def emit_model(model: ir.ModelInfo) -> dict[str, Any]:
    rest = own(model.provider_data) or {}
    out: dict[str, Any] = {"name": f"models/{model.id}"}
    for key in ("baseModelId", "version"):
        if key in rest:
            out[key] = rest[key]
    out["displayName"] = model.display_name or model.id
    if model.input_token_limit is not None:
        out["inputTokenLimit"] = model.input_token_limit
    if model.output_token_limit is not None:
        out["outputTokenLimit"] = model.output_token_limit
    out["supportedGenerationMethods"] = list(_DEFAULT_METHODS)
    for key, value in rest.items():
        out[key] = value
    return out


def parse_model_list(body: dict[str, Any]) -> list[ir.ModelInfo]:
    body = require_dict(body, "model list")
    models = get_list(body, "models", "model list") or []
    return [parse_model(m) for m in models]


def emit_model_list(models: list[ir.ModelInfo]) -> dict[str, Any]:
    return {"models": [emit_model(m) for m in models]}
