"""Anthropic (channel id ``anthropic``, alias ``claude``): Messages, count_tokens, models.

Auth is ``x-api-key`` plus ``anthropic-version`` (the client's, else ``2023-06-01``); the
client's ``anthropic-beta`` is forwarded. Anthropic also serves an OpenAI-compatible
``/v1/chat/completions`` and answers ``/v1/models`` for OpenAI-style callers, which the default
dispatch passes through with the same headers.

Setting ``anthropic_append_beta_query`` (default false) appends ``?beta=true`` to Messages and
count_tokens calls, as Anthropic's beta SDK surface does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewayctl.channels.base import (
    Channel,
    Target,
    UnsupportedUpstreamRoute,
    UpstreamCall,
    setting_bool,
)
from gatewayctl.channels.paths import claude_path, openai_path

_OPENAI_ROUTES = frozenset(
    {
        ("ModelList", "OpenAi"),
        ("ModelGet", "OpenAi"),
        ("GenerateContent", "OpenAiChatCompletion"),
        ("StreamGenerateContent", "OpenAiChatCompletion"),
    }
)


class AnthropicChannel(Channel):
    id = "anthropic"

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings)
        self.append_beta_query = setting_bool(self.settings, "anthropic_append_beta_query", False)

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        plan = claude_path(call)
        if plan is not None:
            method, path, query = plan
            if self.append_beta_query and method == "POST":
                query = (*query, ("beta", "true"))
            return Target(method, path, "anthropic", query)
        if (call.route.operation, call.route.protocol) in _OPENAI_ROUTES:
            plan = openai_path(call)
            if plan is not None:
                method, path, query = plan
                return Target(method, path, "anthropic", query)
        raise UnsupportedUpstreamRoute(self.id, call.route)
