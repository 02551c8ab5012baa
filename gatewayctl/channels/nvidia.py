"""NVIDIA NIM (integrate.api.nvidia.com): OpenAI Chat Completions, embeddings and models.

No Responses API and no upstream token counting: the default dispatch turns Responses,
Claude and Gemini traffic into Chat, and counts tokens locally.
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
        ("GenerateContent", "OpenAiChatCompletion"),
        ("StreamGenerateContent", "OpenAiChatCompletion"),
        ("Embedding", "OpenAi"),
    }
)


class NvidiaChannel(Channel):
    id = "nvidia"

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        plan = openai_path(call) if (call.route.operation, call.route.protocol) in _ROUTES else None
        if plan is None:
            raise UnsupportedUpstreamRoute(self.id, call.route)
        method, path, query = plan
        return Target(method, path, "bearer", query)
