"""DeepSeek: OpenAI Chat Completions, plus Claude Messages at ``/anthropic/v1/messages``.

DeepSeek's own model list is not consulted: the OpenAI model list/get are answered from the
two public ids (``deepseek-chat``, ``deepseek-reasoner``), as gproxy does; token counting is
local (default dispatch). Shaping:

* model aliases ``chat`` / ``reasoner`` (and a leading ``models/``) become the full ids;
  any other id is sent unchanged;
* Chat messages with role ``developer`` are sent as ``system`` (DeepSeek rejects
  ``developer``, which OpenAI clients send for reasoning models).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatewayctl.channels.base import (
    Channel,
    JsonObject,
    LocalResponse,
    Target,
    UnsupportedUpstreamRoute,
    UpstreamCall,
    with_fields,
)
from gatewayctl.channels.model_tables import openai_model_get, openai_model_list
from gatewayctl.channels.paths import claude_path, openai_path

MODEL_CHAT = "deepseek-chat"
MODEL_REASONER = "deepseek-reasoner"
MODELS = (MODEL_CHAT, MODEL_REASONER)
_ALIASES = {"chat": MODEL_CHAT, "reasoner": MODEL_REASONER}

_CHAT_ROUTES = frozenset(
    {("GenerateContent", "OpenAiChatCompletion"), ("StreamGenerateContent", "OpenAiChatCompletion")}
)
_CLAUDE_ROUTES = frozenset({("GenerateContent", "Claude"), ("StreamGenerateContent", "Claude")})


def deepseek_model(model: str) -> str:
    name = model.strip().lstrip("/")
    if name.startswith("models/"):
        name = name[len("models/") :]
    return _ALIASES.get(name, name)


def _system_for_developer(messages: Any) -> Any:
    if not isinstance(messages, list) or not any(
        isinstance(m, dict) and m.get("role") == "developer" for m in messages
    ):
        return messages
    return [
        with_fields(m, role="system") if isinstance(m, dict) and m.get("role") == "developer" else m
        for m in messages
    ]


class DeepseekChannel(Channel):
    id = "deepseek"

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        key = (call.route.operation, call.route.protocol)
        if key in _CHAT_ROUTES:
            plan = openai_path(call)
            if plan is not None:
                return Target(plan[0], plan[1], "bearer", plan[2])
        if key in _CLAUDE_ROUTES:
            plan = claude_path(call, prefix="/anthropic/v1")
            if plan is not None:
                base = self.base_url.rstrip("/")
                host = base[: -len("/v1")] if base.endswith("/v1") else None
                return Target(plan[0], plan[1], "anthropic", plan[2], base_url=host)
        raise UnsupportedUpstreamRoute(self.id, call.route)

    def upstream_model(self, call: UpstreamCall) -> str | None:
        return deepseek_model(call.model) if call.model else None

    def shape_body(self, call: UpstreamCall, body: JsonObject) -> JsonObject:
        out = body
        model = body.get("model")
        if isinstance(model, str) and deepseek_model(model) != model:
            out = with_fields(out, model=deepseek_model(model))
        if call.route.protocol == "OpenAiChatCompletion":
            messages = _system_for_developer(body.get("messages"))
            if messages is not body.get("messages"):
                out = with_fields(out, messages=messages)
        return out

    def local_response(self, call: UpstreamCall) -> LocalResponse | None:
        if call.route.protocol != "OpenAi":
            return None
        if call.route.operation == "ModelList":
            return openai_model_list(MODELS, "deepseek")
        if call.route.operation == "ModelGet":
            return openai_model_get(MODELS, "deepseek", deepseek_model(call.model or ""))
        return None
