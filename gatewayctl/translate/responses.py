"""Non-stream upstream answers in the caller's protocol.

Every function takes the upstream's status and raw body bytes, because what to do depends on
both: a non-2xx answer is an error (:func:`~gatewayctl.translate.errors.translate_error`), a
2xx body is parsed with the upstream codec and emitted with the caller's. A 2xx body the
upstream codec cannot read (not JSON, wrong shape) becomes a 502 in the caller's error shape —
the caller never sees a traceback or half a translation.

Also here: the two stream/non-stream bridges that work on whole bodies —
:func:`translate_stream_to_body` (stream-only upstream, non-stream caller) and
:func:`translate_body_to_stream` (non-stream upstream, stream caller).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import Codec, EncoderOptions
from gatewayctl.protocols.registry import Framing
from gatewayctl.translate.aggregate import StreamFailed
from gatewayctl.translate.errors import (
    TranslatedBody,
    error_body,
    gateway_error,
    translate_error,
)
from gatewayctl.translate.refs import ProtocolRef, resolve
from gatewayctl.translate.streaming import aggregate_stream_body, synthesize_stream_body
from gatewayctl.translate.toolnames import ToolNameMap

_ERROR_ONLY_KEYS = {"error", "type", "request_id"}


class UpstreamAnswerError(Exception):
    """An upstream answer that is an error (or unreadable), already as :class:`ir.ErrorInfo`."""

    def __init__(self, error: ir.ErrorInfo) -> None:
        super().__init__(error.message)
        self.error = error


def read_json_body(src: Codec, status: int, body: bytes) -> dict[str, Any]:
    """The JSON object of a 2xx upstream body; raises UpstreamAnswerError for an error status,
    an error document sent with 2xx, or a body that is not a JSON object."""
    if status >= 400:
        raise UpstreamAnswerError(src.parse_error(status, body))
    try:
        doc: Any = json.loads(body) if body.strip() else None
    except ValueError as exc:
        raise UpstreamAnswerError(
            gateway_error(f"upstream sent a body that is not JSON: {exc}")
        ) from exc
    if isinstance(doc, list) and len(doc) == 1 and isinstance(doc[0], dict):
        doc = doc[0]
    if not isinstance(doc, dict):
        raise UpstreamAnswerError(gateway_error("upstream sent a body that is not a JSON object"))
    if isinstance(doc.get("error"), dict) and not set(doc) - _ERROR_ONLY_KEYS:
        raise UpstreamAnswerError(src.parse_error(status if status >= 400 else 500, body))
    return doc


def _translate(
    src: ProtocolRef,
    dst: ProtocolRef,
    status: int,
    body: bytes,
    retry_after: str | None,
    convert: Callable[[Codec, Codec, dict[str, Any]], TranslatedBody],
) -> TranslatedBody:
    s, d = resolve(src), resolve(dst)
    if status >= 400:
        return translate_error(s, d, status, body, retry_after=retry_after)
    try:
        doc = read_json_body(s, status, body)
        return convert(s, d, doc)
    except UpstreamAnswerError as exc:
        return error_body(d, exc.error)
    except InvalidInput as exc:
        return error_body(d, gateway_error(f"upstream answer could not be read: {exc}"))


def _restore(
    response: ir.Response,
    src: Codec,
    options: EncoderOptions | None,
    tool_names: ToolNameMap | None,
) -> ir.Response:
    """``response`` with the caller's tool names (see :mod:`gatewayctl.translate.toolnames`)."""
    names = tool_names or ToolNameMap.for_answer(options, src)
    return response if names is None else names.restore_response(response)


def translate_response(
    src: ProtocolRef,
    dst: ProtocolRef,
    status: int,
    body: bytes,
    *,
    options: EncoderOptions | None = None,
    retry_after: str | None = None,
    tool_names: ToolNameMap | None = None,
) -> TranslatedBody:
    """A generate answer (or error) of ``src`` → the caller's answer in ``dst``. Tool calls get
    the caller's names back (``tool_names``, by default the map of ``options.request``)."""

    def convert(s: Codec, d: Codec, doc: dict[str, Any]) -> TranslatedBody:
        response = _restore(s.parse_response(doc), s, options, tool_names)
        out = d.emit_response(response, options or EncoderOptions())
        return TranslatedBody(status, out, usage=response.usage, model=response.model or None)

    return _translate(src, dst, status, body, retry_after, convert)


def translate_count_response(
    src: ProtocolRef,
    dst: ProtocolRef,
    status: int,
    body: bytes,
    *,
    retry_after: str | None = None,
) -> TranslatedBody:
    """A count-tokens answer of ``src`` → ``dst``'s count answer (usage: input = count)."""

    def convert(s: Codec, d: Codec, doc: dict[str, Any]) -> TranslatedBody:
        n = s.parse_count_response(doc)
        usage = ir.Usage(input_tokens=n, output_tokens=0)
        return TranslatedBody(status, d.emit_count_response(n), usage=usage)

    return _translate(src, dst, status, body, retry_after, convert)


def translate_model_list_response(
    src: ProtocolRef,
    dst: ProtocolRef,
    status: int,
    body: bytes,
    *,
    retry_after: str | None = None,
) -> TranslatedBody:
    """A model list of ``src`` → ``dst``'s model list (pagination is not carried over)."""

    def convert(s: Codec, d: Codec, doc: dict[str, Any]) -> TranslatedBody:
        return TranslatedBody(status, d.emit_model_list(s.parse_model_list(doc)))

    return _translate(src, dst, status, body, retry_after, convert)


def translate_model_response(
    src: ProtocolRef,
    dst: ProtocolRef,
    status: int,
    body: bytes,
    *,
    retry_after: str | None = None,
) -> TranslatedBody:
    """One model of ``src`` → ``dst``'s model object."""

    def convert(s: Codec, d: Codec, doc: dict[str, Any]) -> TranslatedBody:
        return TranslatedBody(status, d.emit_model(s.parse_model(doc)))

    return _translate(src, dst, status, body, retry_after, convert)


def translate_stream_to_body(
    src: ProtocolRef,
    dst: ProtocolRef,
    raw: bytes,
    *,
    options: EncoderOptions | None = None,
    src_framing: Framing | None = None,
    tool_names: ToolNameMap | None = None,
) -> TranslatedBody:
    """A complete 2xx upstream *stream* of ``src`` → a non-stream answer in ``dst``.

    An in-stream error becomes the caller's error answer with the error's status."""
    d = resolve(dst)
    try:
        response = aggregate_stream_body(src, raw, src_framing)
        response = _restore(response, resolve(src), options, tool_names)
    except StreamFailed as exc:
        return error_body(d, exc.error)
    except (InvalidInput, ValueError) as exc:
        return error_body(d, gateway_error(f"upstream stream could not be read: {exc}"))
    out = d.emit_response(response, options or EncoderOptions())
    return TranslatedBody(200, out, usage=response.usage, model=response.model or None)


def parse_response_body(src: ProtocolRef, status: int, body: bytes) -> ir.Response:
    """A 2xx generate body of ``src`` as IR; raises UpstreamAnswerError otherwise."""
    s = resolve(src)
    doc = read_json_body(s, status, body)
    try:
        return s.parse_response(doc)
    except InvalidInput as exc:
        raise UpstreamAnswerError(
            gateway_error(f"upstream answer could not be read: {exc}")
        ) from exc


def translate_body_to_stream(
    src: ProtocolRef,
    dst: ProtocolRef,
    status: int,
    body: bytes,
    *,
    options: EncoderOptions | None = None,
    dst_framing: Framing | None = None,
    tool_names: ToolNameMap | None = None,
) -> tuple[bytes, ir.Response]:
    """A 2xx non-stream generate body of ``src`` → a complete client stream of ``dst``
    (and the response, with the caller's tool names).

    Raises :class:`UpstreamAnswerError` for an error answer: the caller should then answer
    with :func:`~gatewayctl.translate.errors.error_body` (a real status, not a stream)."""
    response = parse_response_body(src, status, body)
    response = _restore(response, resolve(src), options, tool_names)
    return synthesize_stream_body(dst, response, options, dst_framing), response
