"""Groq (api.groq.com/openai): OpenAI Responses, Chat Completions, embeddings and models.

The default base URL already carries the ``/openai`` prefix, so upstream paths are the plain
OpenAI ones (``/openai/v1/chat/completions`` on the wire). No token counting upstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewayctl.channels.base import Channel, Target, UnsupportedUpstreamRoute, UpstreamCall
from gatewayctl.channels.paths import openai_path

_ROUTES = frozenset(
    {
        ("ModelList", "OpenAi"),
        ("ModelGet", "OpenAi"),
        ("GenerateContent", "OpenAi"),
        ("StreamGenerateContent", "OpenAi"),
        ("GenerateContent", "OpenAiChatCompletion"),
        ("StreamGenerateContent", "OpenAiChatCompletion"),
        ("Embedding", "OpenAi"),
    }
)


class GroqChannel(Channel):
    id = "groq"

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        plan = openai_path(call) if (call.route.operation, call.route.protocol) in _ROUTES else None
        if plan is None:
            raise UnsupportedUpstreamRoute(self.id, call.route)
        method, path, query = plan
        return Target(method, path, "bearer", query)
