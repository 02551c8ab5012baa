"""OpenAI: Responses, Chat Completions, embeddings, compact and models, with a Bearer key.

One shaping rule (spec §3): GPT-5 family models reject sampling knobs, so for a model whose
name contains ``gpt-5`` (any case) ``temperature`` and ``top_p`` are removed from the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


class OpenAIChannel(Channel):
    id = "openai"

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        plan = openai_path(call)
        if plan is None:
            raise UnsupportedUpstreamRoute(self.id, call.route)
        method, path, query = plan
        return Target(method, path, "bearer", query)

    def shape_body(self, call: UpstreamCall, body: JsonObject) -> JsonObject:
        return strip_gpt5_sampling(body)
