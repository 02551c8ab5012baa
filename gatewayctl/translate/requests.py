"""Caller requests in the upstream's protocol.

``translate_*`` functions take the caller's JSON body in protocol ``src`` and return the body
to send upstream in protocol ``dst`` (``B.emit(A.parse(body))``). ``model`` replaces the model
name (the gateway strips provider prefixes and applies aliases); ``stream`` overrides whether
the upstream call streams (a stream-only upstream serving a non-stream caller, or the reverse).
Parse errors are :class:`gatewayctl.errors.InvalidInput` naming the bad field — the gateway
answers them with a 400 in the caller's error shape.

Tool names the upstream would refuse (and Responses namespaces, which only Responses has) are
renamed on the way out by a :class:`~gatewayctl.translate.toolnames.ToolNameMap`; the answer
side restores them from the same map, rebuilt from :func:`encoder_options`' ``request``.

The gateway usually wants the caller's request in IR form too (for the stream encoder's
:class:`EncoderOptions`, local token estimates, logging), so the two halves are public:
:func:`parse_request` and :func:`emit_request`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.translate.refs import ProtocolRef, resolve
from gatewayctl.translate.toolnames import ToolNameMap


def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object")
    return body


def parse_request(src: ProtocolRef, body: dict[str, Any]) -> ir.Request:
    """The caller's generate request (``src`` JSON) as IR."""
    return resolve(src).parse_request(_require_object(body))


def emit_request(
    dst: ProtocolRef,
    request: ir.Request,
    *,
    model: str | None = None,
    stream: bool | None = None,
    tool_names: ToolNameMap | None = None,
) -> dict[str, Any]:
    """An IR generate request as ``dst`` JSON, with the model/stream overrides applied and
    tool names the upstream accepts (``tool_names``, by default
    ``ToolNameMap.build(request, dst)``; the answer side rebuilds the same map from
    :func:`encoder_options`). ``request`` itself is not modified."""
    codec = resolve(dst)
    names = tool_names or ToolNameMap.build(request, codec)
    request = names.apply(request)
    if model is not None or stream is not None:
        request = replace(
            request,
            model=request.model if model is None else model,
            stream=request.stream if stream is None else stream,
        )
    return codec.emit_request(request)


def translate_request(
    src: ProtocolRef,
    dst: ProtocolRef,
    body: dict[str, Any],
    *,
    model: str | None = None,
    stream: bool | None = None,
    tool_names: ToolNameMap | None = None,
) -> dict[str, Any]:
    """A generate request body of ``src`` → the upstream body in ``dst``."""
    return emit_request(
        dst, parse_request(src, body), model=model, stream=stream, tool_names=tool_names
    )


def parse_count_request(src: ProtocolRef, body: dict[str, Any]) -> ir.Request:
    """The caller's count-tokens request as IR (what would be sent, not generated)."""
    return resolve(src).parse_count_request(_require_object(body))


def translate_count_request(
    src: ProtocolRef,
    dst: ProtocolRef,
    body: dict[str, Any],
    *,
    model: str | None = None,
) -> dict[str, Any]:
    """A count-tokens request body of ``src`` → the upstream count request in ``dst``."""
    request = parse_count_request(src, body)
    codec = resolve(dst)
    request = ToolNameMap.build(request, codec).apply(request)
    if model is not None:
        request = replace(request, model=model)
    return codec.emit_count_request(request)


def encoder_options(
    request: ir.Request,
    *,
    model: str | None = None,
    input_tokens_estimate: int | None = None,
) -> EncoderOptions:
    """The stream/response encoder options for answering ``request`` (the caller's IR request):
    the model name to report (default: the one the caller asked for), the caller's
    ``include_usage`` choice, and an input-token estimate for protocols that state input
    usage up front (see :func:`gatewayctl.tokens.count_tokens`). The answer translators also
    rebuild the exchange's tool-name map from ``request``."""
    return EncoderOptions(
        model=model or request.model,
        include_usage=bool(request.include_usage),
        input_tokens_estimate=input_tokens_estimate,
        request=request,
    )
