"""The unscoped model lists: every enabled provider's models, ids prefixed ``provider/``.

``GET /v1/models`` and ``GET /v1beta/models`` (spec §5.6) ask each provider for its list the
way a scoped list would (first supported candidate protocol: OpenAI, then Claude, then Gemini;
local tables included), concurrently, read the ids with that protocol's codec and answer in
the caller's shape — OpenAI's list (Anthropic's when the caller sends ``anthropic-version``),
Gemini's for ``/v1beta``. When a candidate fails (e.g. an OpenAI-compatible list the upstream
does not serve) the next one is tried; a provider that fails them all (no credential,
upstream error, timeout) is left out rather than failing the whole list. Ids are
de-duplicated, first seen kept.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gatewayctl.dispatch import Implementation, Local, RouteKey, TransformTo, Unsupported
from gatewayctl.errors import GatewayError
from gatewayctl.gateway.attempt import shaped_body
from gatewayctl.gateway.entrance import Entrance
from gatewayctl.gateway.job import Job, Principal
from gatewayctl.gateway.providers import ProviderRuntime
from gatewayctl.gateway.response import GatewayResponse, json_response
from gatewayctl.protocols import ir
from gatewayctl.translate.refs import resolve

if TYPE_CHECKING:
    from gatewayctl.gateway.pipeline import Gateway

log = logging.getLogger("gatewayctl.gateway")

# How long one provider may take before the merged list goes on without it.
PROVIDER_LIST_TIMEOUT = 30.0

_CANDIDATES = ("OpenAi", "Claude", "Gemini")


async def _candidate_models(
    gw: Gateway,
    provider: ProviderRuntime,
    key: RouteKey,
    impl: Implementation,
    headers: Mapping[str, str],
) -> list[ir.ModelInfo]:
    dest = impl.destination if isinstance(impl, TransformTo) else key
    entrance = Entrance("model_list", key, provider.name, True, query={})
    job = Job(entrance, provider, Principal(None, None), headers, key, impl)
    call = job.upstream_call(None, route=key if isinstance(impl, Local) else dest)
    doc: Any = None
    if isinstance(impl, Local):
        local = provider.channel.local_response(call)
        if local is None:
            raise GatewayError("no local model table")
        status, doc = local.status, local.body
    else:
        answer = await gw.call(job, call, stream=False)
        raw = shaped_body(provider.channel, call, answer.status, await answer.read())
        status = answer.status
        if status < 400:
            doc = json.loads(raw)
    if status >= 400:
        raise GatewayError(f"upstream status {status}")
    return resolve(dest.protocol).parse_model_list(doc)


async def _provider_models(
    gw: Gateway, provider: ProviderRuntime, headers: Mapping[str, str]
) -> list[ir.ModelInfo]:
    """The provider's models by the first candidate that answers (errors: the last one)."""
    error: Exception | None = None
    for protocol in _CANDIDATES:
        key = RouteKey("ModelList", protocol)  # type: ignore[arg-type]
        impl = provider.dispatch.resolve(key)
        if isinstance(impl, Unsupported):
            continue
        try:
            return await _candidate_models(gw, provider, key, impl, headers)
        except (GatewayError, ValueError) as exc:
            error = exc
    if error is not None:
        raise error
    return []


async def merged_model_list(
    gw: Gateway, entrance: Entrance, headers: Mapping[str, str]
) -> GatewayResponse:
    providers = gw.registry.all()

    async def one(provider: ProviderRuntime) -> list[ir.ModelInfo]:
        async with asyncio.timeout(PROVIDER_LIST_TIMEOUT):
            return await _provider_models(gw, provider, headers)

    results = await asyncio.gather(*(one(p) for p in providers), return_exceptions=True)
    seen: set[str] = set()
    merged: list[ir.ModelInfo] = []
    for provider, result in zip(providers, results, strict=True):
        if isinstance(result, BaseException):
            if isinstance(result, asyncio.CancelledError):
                raise result
            log.info("model list of provider %s skipped: %s", provider.name, result)
            continue
        for model in result:
            bare = model.id[len("models/") :] if model.id.startswith("models/") else model.id
            prefixed = f"{provider.name}/{bare}"
            if prefixed in seen:
                continue
            seen.add(prefixed)
            merged.append(
                ir.ModelInfo(
                    id=prefixed,
                    display_name=prefixed,
                    created=model.created,
                    owned_by=provider.name,
                    input_token_limit=model.input_token_limit,
                    output_token_limit=model.output_token_limit,
                )
            )
    caller = entrance.candidates[0] if entrance.candidates else entrance.route.protocol
    return json_response(200, resolve(caller).emit_model_list(merged))
