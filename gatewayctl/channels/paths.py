"""Standard upstream paths of the three API families, one table each.

OpenAI-, Anthropic- and Gemini-shaped upstreams (the vendors themselves, the OpenAI-compatible
hosts, custom channels) share these paths; a channel picks the family for a route and may add
a prefix (AI Studio's ``/v1beta/openai`` compatibility layer, DeepSeek's ``/anthropic``).
Each function returns ``(method, path, query)`` or None when the route is not of its family.
"""

from __future__ import annotations

from collections.abc import Mapping

from gatewayctl.channels.base import UpstreamCall, quote_path
from gatewayctl.errors import InvalidInput

Query = tuple[tuple[str, str], ...]
PathPlan = tuple[str, str, Query]

_OPENAI_POST = {
    ("CountToken", "OpenAi"): "/responses/input_tokens",
    ("GenerateContent", "OpenAi"): "/responses",
    ("StreamGenerateContent", "OpenAi"): "/responses",
    ("GenerateContent", "OpenAiChatCompletion"): "/chat/completions",
    ("StreamGenerateContent", "OpenAiChatCompletion"): "/chat/completions",
    ("Embedding", "OpenAi"): "/embeddings",
    ("Compact", "OpenAi"): "/responses/compact",
}

_CLAUDE_POST = {
    ("CountToken", "Claude"): "/messages/count_tokens",
    ("GenerateContent", "Claude"): "/messages",
    ("StreamGenerateContent", "Claude"): "/messages",
}

_GEMINI_ACTIONS = {
    "CountToken": "countTokens",
    "GenerateContent": "generateContent",
    "StreamGenerateContent": "streamGenerateContent",
    "Embedding": "embedContent",
}


def required_model(call: UpstreamCall) -> str:
    model = (call.model or "").strip()
    if not model:
        raise InvalidInput("model is empty")
    return model


def _pick(query: Mapping[str, str], names: tuple[str, ...]) -> Query:
    return tuple((name, str(query[name])) for name in names if query.get(name) not in (None, ""))


def openai_path(call: UpstreamCall, prefix: str = "/v1") -> PathPlan | None:
    """OpenAI Responses / Chat / embeddings / compact / models under ``prefix``."""
    key = (call.route.operation, call.route.protocol)
    if key == ("ModelList", "OpenAi"):
        return "GET", f"{prefix}/models", ()
    if key == ("ModelGet", "OpenAi"):
        return "GET", f"{prefix}/models/{quote_path(required_model(call))}", ()
    path = _OPENAI_POST.get(key)
    return ("POST", prefix + path, ()) if path else None


def claude_path(call: UpstreamCall, prefix: str = "/v1") -> PathPlan | None:
    """Anthropic Messages / count_tokens / models under ``prefix``."""
    key = (call.route.operation, call.route.protocol)
    if key == ("ModelList", "Claude"):
        return "GET", f"{prefix}/models", _pick(call.query, ("after_id", "before_id", "limit"))
    if key == ("ModelGet", "Claude"):
        return "GET", f"{prefix}/models/{quote_path(required_model(call))}", ()
    path = _CLAUDE_POST.get(key)
    return ("POST", prefix + path, ()) if path else None


def gemini_model_name(model: str) -> str:
    """``gemini-2.5-flash`` → ``models/gemini-2.5-flash`` (``models/…``, ``tunedModels/…`` kept)."""
    name = model.strip().lstrip("/")
    if name.startswith(("models/", "tunedModels/")):
        return name
    return f"models/{name}"


def gemini_stream_query(call: UpstreamCall) -> Query:
    """``alt=sse`` for the SSE stream; the NDJSON route asks for Gemini's JSON-array stream."""
    if call.route.operation == "StreamGenerateContent" and call.route.protocol == "Gemini":
        return (("alt", "sse"),)
    return ()


def gemini_path(call: UpstreamCall, prefix: str = "/v1beta") -> PathPlan | None:
    """Gemini models / generateContent / streams / countTokens / embedContent (or
    batchEmbedContents for a batch call) under ``prefix``."""
    route = call.route
    if route.protocol not in ("Gemini", "GeminiNDJson"):
        return None
    if route.operation == "ModelList" and route.protocol == "Gemini":
        return "GET", f"{prefix}/models", _pick(call.query, ("pageSize", "pageToken"))
    if route.operation == "ModelGet" and route.protocol == "Gemini":
        return "GET", f"{prefix}/{quote_path(gemini_model_name(required_model(call)))}", ()
    action = _GEMINI_ACTIONS.get(route.operation)
    if action is None:
        return None
    if route.operation == "Embedding" and call.batch:
        action = "batchEmbedContents"
    if route.protocol == "GeminiNDJson" and route.operation != "StreamGenerateContent":
        return None
    name = quote_path(gemini_model_name(required_model(call)))
    return "POST", f"{prefix}/{name}:{action}", gemini_stream_query(call)
