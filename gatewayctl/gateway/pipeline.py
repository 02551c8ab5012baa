"""The gateway's hot path: entrance → dispatch → credential → upstream → answer → record.

:class:`Gateway` is built once per server process around the shared upstream client and the
recorder. For each classified request (:class:`~gatewayctl.gateway.entrance.Entrance`) it
follows the runtime snapshot (adapters and pool, :mod:`.providers`), picks the provider's
dispatch rule for the caller's route key and hands over to the operation's flow:

* **Passthrough** — the caller's bytes go upstream (only the model prefix, auth and envelope
  change) and the upstream's bytes come back as they arrive; usage is sniffed on the side;
* **TransformTo** — the request is translated, and the answer translated back: stream to
  stream through a :class:`~gatewayctl.translate.StreamTranslator`, a stream-only upstream
  aggregated for a non-stream caller, a non-stream upstream synthesized into a stream;
* **Local** — answered here (count tokens offline, embedded model tables);
* **Unsupported** (or no rule) — 501.

The flows live in :mod:`.flows` (generate) and :mod:`.operations` (count, embeddings,
compact, models); this module holds what they share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from gatewayctl.channels import UpstreamCall, VertexTokenSource, httpx_post
from gatewayctl.dispatch import Unsupported
from gatewayctl.gateway import flows, models, operations
from gatewayctl.gateway.attempt import Answer, call_upstream
from gatewayctl.gateway.entrance import Entrance
from gatewayctl.gateway.job import UNSUPPORTED_MESSAGE, Job, Principal, resolve
from gatewayctl.gateway.pool import CredentialPool
from gatewayctl.gateway.providers import ProviderRegistry
from gatewayctl.gateway.recording import Recorder
from gatewayctl.gateway.response import GatewayResponse, error_response, upgrade_response


class Gateway:
    """Serves provider routes for one process (see the module docstring)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        recorder: Recorder,
        *,
        pool: CredentialPool | None = None,
        vertex_tokens: VertexTokenSource | None = None,
    ) -> None:
        self.client = client
        self.recorder = recorder
        self.pool = pool or CredentialPool()
        self.registry = ProviderRegistry(
            self.pool, vertex_tokens or VertexTokenSource(httpx_post(client))
        )

    async def handle(
        self,
        snapshot: Any,
        entrance: Entrance,
        principal: Principal,
        headers: Mapping[str, str],
    ) -> GatewayResponse:
        """Answer one classified provider-route request against ``snapshot``."""
        self.registry.follow(snapshot)
        if entrance.kind == "upgrade":
            return upgrade_response()
        if entrance.provider is None:
            return await models.merged_model_list(self, entrance, headers)
        provider = self.registry.get(entrance.provider)
        if entrance.kind == "unsupported":
            return error_response(501, UNSUPPORTED_MESSAGE)
        caller, impl = resolve(provider, entrance)
        if isinstance(impl, Unsupported):
            return error_response(501, UNSUPPORTED_MESSAGE)
        job = Job(entrance, provider, principal, headers, caller, impl)
        try:
            return await self._run(job)
        except BaseException:
            for answer in job.answers:  # a flow that failed mid-way: release the upstream
                await answer.close()
            raise

    async def _run(self, job: Job) -> GatewayResponse:
        kind = job.entrance.kind
        if kind == "generate":
            return await flows.generate(self, job)
        if kind == "count":
            return await operations.count(self, job)
        if kind == "embedding":
            return await operations.embedding(self, job)
        if kind == "compact":
            return await operations.compact(self, job)
        return await operations.models(self, job)

    async def call(
        self,
        job: Job,
        call: UpstreamCall,
        *,
        stream: bool,
    ) -> Answer:
        """The failover loop for ``call`` on the job's provider (the answer is the job's)."""
        answer = await call_upstream(
            self.client, self.registry, self.recorder, job.provider, call, stream=stream
        )
        job.answers.append(answer)
        return answer


__all__ = ["UNSUPPORTED_MESSAGE", "Gateway", "GatewayResponse", "Job", "Principal"]
