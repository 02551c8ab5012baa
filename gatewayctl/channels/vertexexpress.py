"""Vertex AI express mode: Gemini on Vertex with an API key in the query (``?key=``).

Generation, streams and countTokens go to ``/v1beta1/publishers/google/models/{id}:{action}``
with Vertex body shapes (see :mod:`gatewayctl.channels.google`). Express-mode keys cannot
list publisher models, so Gemini ``models.list`` / ``models.get`` are always answered from
the embedded table (:mod:`gatewayctl.channels.model_tables`) — whether the dispatch rule is
``Local`` (Gemini callers) or a ``TransformTo`` Gemini (OpenAI/Claude callers).
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
    quote_path,
)
from gatewayctl.channels.google import (
    VERTEX_MODEL_PREFIX,
    vertex_count_tokens_body,
    vertex_generate_body,
    vertex_model_id,
)
from gatewayctl.channels.model_tables import gemini_model_get, gemini_model_list, gemini_models
from gatewayctl.channels.paths import gemini_stream_query, required_model

_ACTIONS = {
    "CountToken": "countTokens",
    "GenerateContent": "generateContent",
    "StreamGenerateContent": "streamGenerateContent",
}


class VertexExpressChannel(Channel):
    id = "vertexexpress"

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        route = call.route
        action = _ACTIONS.get(route.operation)
        if action is None or route.protocol not in ("Gemini", "GeminiNDJson"):
            raise UnsupportedUpstreamRoute(self.id, route)
        if route.protocol == "GeminiNDJson" and route.operation != "StreamGenerateContent":
            raise UnsupportedUpstreamRoute(self.id, route)
        model_id = quote_path(vertex_model_id(required_model(call)))
        path = f"/v1beta1/{VERTEX_MODEL_PREFIX}{model_id}:{action}"
        return Target("POST", path, "query_key", gemini_stream_query(call))

    def upstream_model(self, call: UpstreamCall) -> str | None:
        return vertex_model_id(call.model) if call.model else None

    def shape_body(self, call: UpstreamCall, body: JsonObject) -> JsonObject:
        model_id = vertex_model_id(required_model(call))
        if call.route.operation == "CountToken":
            return vertex_count_tokens_body(body, model_id)
        return vertex_generate_body(body, model_id)

    def local_response(self, call: UpstreamCall) -> LocalResponse | None:
        if call.route.protocol != "Gemini":
            return None
        if call.route.operation == "ModelList":
            return gemini_model_list(gemini_models(), call.query)
        if call.route.operation == "ModelGet":
            return gemini_model_get(gemini_models(), call.model or "")
        return None
