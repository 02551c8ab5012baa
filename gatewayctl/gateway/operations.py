"""Count tokens, embeddings, Responses compact and scoped model list/get.

Each follows the same outline as generation (:mod:`.flows`) without streams: passthrough
returns the upstream's bytes, TransformTo translates request and answer, Local answers here.
Usage rows: count tokens record the count as input, embeddings their prompt tokens (estimated
when a Gemini upstream reports none), compact its generation; model lists record none.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from gatewayctl.gateway.attempt import shaped_body
from gatewayctl.gateway.estimate import (
    compact_body_usage,
    count_body_usage,
    count_request_tokens,
    embedding_body_usage,
    embedding_input_estimate,
    generate_estimate,
)
from gatewayctl.gateway.job import UNSUPPORTED_MESSAGE, Job, read_caller_body
from gatewayctl.gateway.response import (
    GatewayResponse,
    error_response,
    forwarded_headers,
    json_response,
    relayed_response,
)
from gatewayctl.protocols import ir
from gatewayctl.translate import (
    StreamFailed,
    aggregate_stream_body,
    error_body,
    translate_count_request,
    translate_count_response,
    translate_error,
    translate_model_list_response,
    translate_model_response,
)
from gatewayctl.translate.compact import compact_request, compact_response, compact_response_from_ir
from gatewayctl.translate.embeddings import (
    emit_embedding_request,
    parse_embedding_request,
    translate_embedding_response,
)
from gatewayctl.translate.errors import TranslatedBody, gateway_error
from gatewayctl.translate.refs import resolve

if TYPE_CHECKING:
    from gatewayctl.gateway.pipeline import Gateway


def _answer(translated: TranslatedBody, upstream: Any = None) -> GatewayResponse:
    headers = list(translated.headers.items()) + forwarded_headers(upstream)
    return json_response(translated.status, translated.body, headers)


# --------------------------------------------------------------------------------------
# count tokens
# --------------------------------------------------------------------------------------


async def count(gw: Gateway, job: Job) -> GatewayResponse:
    entrance = job.entrance
    caller, dest = job.caller.protocol, job.dest.protocol
    body = entrance.body or {}
    model = job.model or ""
    if job.local:
        n = await asyncio.to_thread(
            read_caller_body, caller, lambda: count_request_tokens(model, caller, body)
        )
        gw.recorder.usage(job.usage_key(None), ir.Usage(input_tokens=n, output_tokens=0))
        return json_response(200, resolve(caller).emit_count_response(n))
    if job.passthrough:
        call = job.upstream_call(body, entrance.raw_body)
        answer = await gw.call(job, call, stream=False)
        raw = shaped_body(job.provider.channel, call, answer.status, await answer.read())
        if answer.ok:
            gw.recorder.usage(
                job.usage_key(answer.credential_id), lambda: count_body_usage(dest, raw)
            )
        return relayed_response(answer.status, answer.headers, raw)
    upstream_body = read_caller_body(
        caller, lambda: translate_count_request(caller, dest, body, model=entrance.model)
    )
    call = job.upstream_call(upstream_body)
    answer = await gw.call(job, call, stream=False)
    raw = shaped_body(job.provider.channel, call, answer.status, await answer.read())
    translated = translate_count_response(
        dest, caller, answer.status, raw, retry_after=answer.headers.get("retry-after")
    )
    if translated.error is None:
        gw.recorder.usage(job.usage_key(answer.credential_id), translated.usage)
    return _answer(translated, answer.headers)


# --------------------------------------------------------------------------------------
# embeddings
# --------------------------------------------------------------------------------------


async def embedding(gw: Gateway, job: Job) -> GatewayResponse:
    entrance = job.entrance
    caller, dest = job.caller.protocol, job.dest.protocol
    body = entrance.body or {}
    model = job.model or ""
    caller_method = entrance.gemini_method or "embedContent"
    if caller_method not in ("embedContent", "batchEmbedContents"):
        caller_method = "embedContent"
    caller_request = read_caller_body(
        caller,
        lambda: parse_embedding_request(
            caller, body, gemini_method=caller_method, model=entrance.model
        ),
    )
    if job.passthrough:
        call = job.upstream_call(
            body, entrance.raw_body, batch=caller_method == "batchEmbedContents"
        )
        answer = await gw.call(job, call, stream=False)
        raw = shaped_body(job.provider.channel, call, answer.status, await answer.read())
        if answer.ok:
            inputs = list(caller_request.inputs)
            gw.recorder.usage(
                job.usage_key(answer.credential_id),
                lambda: embedding_body_usage(raw),
                estimate=lambda: ir.Usage(
                    input_tokens=embedding_input_estimate(model, inputs), output_tokens=0
                ),
            )
        return relayed_response(answer.status, answer.headers, raw)
    upstream = emit_embedding_request(dest, caller_request, model=entrance.model)
    call = job.upstream_call(upstream.body, batch=upstream.gemini_method == "batchEmbedContents")
    answer = await gw.call(job, call, stream=False)
    raw = shaped_body(job.provider.channel, call, answer.status, await answer.read())
    estimate = None
    if answer.ok and resolve(dest).name == "gemini":
        estimate = await asyncio.to_thread(
            embedding_input_estimate, model, list(caller_request.inputs)
        )
    translated = translate_embedding_response(
        dest,
        caller,
        answer.status,
        raw,
        caller_request=caller_request,
        upstream_method=upstream.gemini_method,
        caller_method=caller_method,
        input_tokens_estimate=estimate,
        retry_after=answer.headers.get("retry-after"),
    )
    if translated.error is None:
        gw.recorder.usage(job.usage_key(answer.credential_id), translated.usage)
    return _answer(translated, answer.headers)


# --------------------------------------------------------------------------------------
# compact
# --------------------------------------------------------------------------------------


async def compact(gw: Gateway, job: Job) -> GatewayResponse:
    entrance = job.entrance
    caller, dest = job.caller.protocol, job.dest.protocol
    body = entrance.body or {}
    model = job.model or ""
    if job.passthrough:
        call = job.upstream_call(body, entrance.raw_body)
        answer = await gw.call(job, call, stream=False)
        raw = await answer.read()
        if answer.ok:
            gw.recorder.usage(
                job.usage_key(answer.credential_id),
                lambda: compact_body_usage(raw),
                estimate=generate_estimate(model, caller, body, lambda: 0),
            )
        return relayed_response(answer.status, answer.headers, raw)
    dest_stream = job.dest.operation == "StreamGenerateContent"
    request, upstream_body = read_caller_body(
        caller, lambda: compact_request(dest, body, model=entrance.model, stream=dest_stream)
    )
    call = job.upstream_call(upstream_body)
    answer = await gw.call(job, call, stream=False)
    raw = shaped_body(job.provider.channel, call, answer.status, await answer.read())
    retry_after = answer.headers.get("retry-after")
    if not answer.ok:
        translated = translate_error(dest, caller, answer.status, raw, retry_after=retry_after)
    elif dest_stream:
        try:
            response = aggregate_stream_body(dest, raw)
        except StreamFailed as exc:
            translated = error_body(caller, exc.error)
        except Exception as exc:
            translated = error_body(
                caller, gateway_error(f"upstream stream could not be read: {exc}")
            )
        else:
            translated = compact_response_from_ir(response, request)
    else:
        translated = compact_response(dest, answer.status, raw, request, retry_after=retry_after)
    if translated.error is None:
        gw.recorder.usage(job.usage_key(answer.credential_id), translated.usage)
    return _answer(translated, answer.headers)


# --------------------------------------------------------------------------------------
# model list / get (scoped)
# --------------------------------------------------------------------------------------


def _prefixed(body: dict[str, Any], provider: str) -> dict[str, Any]:
    """An unscoped model-get answer names the model as the caller did: ``provider/model``."""
    out = dict(body)
    if isinstance(out.get("id"), str):
        out["id"] = f"{provider}/{out['id']}"
    name = out.get("name")
    if isinstance(name, str) and name.startswith("models/"):
        out["name"] = f"models/{provider}/{name[len('models/') :]}"
    return out


async def models(gw: Gateway, job: Job) -> GatewayResponse:
    entrance = job.entrance
    caller, dest = job.caller.protocol, job.dest.protocol
    listing = entrance.kind == "model_list"
    answer_headers: Any = None
    if job.local:
        local = job.provider.channel.local_response(job.upstream_call(None, route=job.caller))
        if local is None:
            return error_response(501, UNSUPPORTED_MESSAGE)
        translated = TranslatedBody(local.status, local.body)
    else:
        call = job.upstream_call(None)
        answer = await gw.call(job, call, stream=False)
        raw = shaped_body(job.provider.channel, call, answer.status, await answer.read())
        answer_headers = answer.headers
        if job.passthrough:
            doc = _json_object(raw)
            if entrance.scoped or not answer.ok or listing or doc is None:
                return relayed_response(answer.status, answer.headers, raw)
            translated = TranslatedBody(answer.status, doc)
        elif listing:
            translated = translate_model_list_response(dest, caller, answer.status, raw)
        else:
            translated = translate_model_response(dest, caller, answer.status, raw)
    ok = translated.error is None and translated.status < 400
    if not entrance.scoped and not listing and ok and isinstance(translated.body, dict):
        translated.body = _prefixed(translated.body, job.provider.name)
    return _answer(translated, answer_headers)


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """``raw`` as a JSON object, or None (not JSON, or not an object)."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
