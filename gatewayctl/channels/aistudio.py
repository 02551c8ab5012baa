"""Google AI Studio (generativelanguage.googleapis.com): the Gemini API, v1beta.

Gemini routes use ``x-goog-api-key``; the streams ask ``alt=sse`` for the SSE route and no
``alt`` for the NDJSON route (Gemini then streams one JSON array, which the stream codec
reads). AI Studio's OpenAI-compatible layer under ``/v1beta/openai`` serves the OpenAI model
list/get and Chat Completions with a Bearer key; the default dispatch passes those through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewayctl.channels.base import Channel, Target, UnsupportedUpstreamRoute, UpstreamCall
from gatewayctl.channels.paths import gemini_path, openai_path

_OPENAI_COMPAT = frozenset(
    {
        ("ModelList", "OpenAi"),
        ("ModelGet", "OpenAi"),
        ("GenerateContent", "OpenAiChatCompletion"),
        ("StreamGenerateContent", "OpenAiChatCompletion"),
    }
)


class AIStudioChannel(Channel):
    id = "aistudio"

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        plan = gemini_path(call)
        if plan is not None:
            method, path, query = plan
            return Target(method, path, "goog", query)
        if (call.route.operation, call.route.protocol) in _OPENAI_COMPAT:
            plan = openai_path(call, prefix="/v1beta/openai")
            if plan is not None:
                method, path, query = plan
                return Target(method, path, "bearer", query)
        raise UnsupportedUpstreamRoute(self.id, call.route)
