"""OpenAI: Responses, Chat Completions, embeddings, compact and models, with a Bearer key.

One shaping rule (spec §3): GPT-5 family models reject sampling knobs, so for a model whose
name contains ``gpt-5`` (any case) ``temperature`` and ``top_p`` are removed from the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from gatewayctl.channels.base import (
    Channel,
    JsonObject,
    Target,
    UnsupportedUpstreamRoute,
    UpstreamCall,
    without_fields,
)
from gatewayctl.channels.paths import openai_path


def is_gpt5(model: str | None) -> bool:
    return model is not None and "gpt-5" in model.lower()


def strip_gpt5_sampling(body: JsonObject) -> JsonObject:
    """``body`` without ``temperature`` / ``top_p`` when its model is a GPT-5 one."""
    model = body.get("model")
    if isinstance(model, str) and is_gpt5(model):
        return without_fields(body, "temperature", "top_p")
    return body


class OpenAICompatibleChannel(Channel):
    """A host serving the OpenAI API (or the ``routes`` subset of it) at the OpenAI paths
    with a Bearer key; the OpenAI-compatible channels only name their routes."""

    routes: ClassVar[frozenset[tuple[str, str]] | None] = None  # None: every OpenAI route

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        key = (call.route.operation, call.route.protocol)
        plan = openai_path(call) if self.routes is None or key in self.routes else None
        if plan is None:
            raise UnsupportedUpstreamRoute(self.id, call.route)
        method, path, query = plan
        return Target(method, path, "bearer", query)


class OpenAIChannel(OpenAICompatibleChannel):
    id = "openai"

    def shape_body(self, call: UpstreamCall, body: JsonObject) -> JsonObject:
        return strip_gpt5_sampling(body)
