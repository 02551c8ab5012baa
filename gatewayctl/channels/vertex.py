"""Vertex AI with a service account: Gemini under a project and location, Bearer token.

Routes (``{p}`` = the credential's ``project_id``, ``{l}`` = setting ``location``, default
``us-central1``):

* Gemini generate / streams / countTokens →
  ``/v1beta1/projects/{p}/locations/{l}/publishers/google/models/{id}:{action}``;
* Gemini embedContent / batchEmbedContents → ``…/models/{id}:predict`` (one text-embedding
  instance per request, answered back in the caller's method's shape);
* Gemini models list / get → ``/v1beta1/publishers/google/models[/{id}]`` (publisher models,
  answered back as Gemini ``Model`` objects);
* Chat Completions → ``/v1beta1/projects/{p}/locations/{l}/endpoints/openapi/chat/completions``
  with the model as ``google/{id}``.

Host: an explicit ``base_url`` setting is used as is (a loopback fake in tests); otherwise the
regional endpoint ``https://{l}-aiplatform.googleapis.com`` (``aiplatform.googleapis.com`` for
``global``), Google's documented convention.

Token URL: setting ``oauth_token_url`` when set (so tests and proxies can redirect it), else the
credential's ``token_uri``, else ``https://oauth2.googleapis.com/token``. (gproxy prefers the
credential's ``token_uri``; every real key file carries Google's, which would make the setting
useless.)
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
    UpstreamRequest,
    quote_path,
    secret_str,
    setting_str,
    with_fields,
)
from gatewayctl.channels.google import (
    VERTEX_MODEL_PREFIX,
    vertex_count_tokens_body,
    vertex_embed_predict_body,
    vertex_embed_response,
    vertex_generate_body,
    vertex_model_get_response,
    vertex_model_id,
    vertex_model_list_response,
)
from gatewayctl.channels.paths import gemini_stream_query, required_model
from gatewayctl.channels.vertex_auth import (
    DEFAULT_TOKEN_URL,
    ServiceAccount,
    VertexTokenSource,
)
from gatewayctl.errors import InvalidInput

DEFAULT_LOCATION = "us-central1"

_ACTIONS = {
    "CountToken": "countTokens",
    "GenerateContent": "generateContent",
    "StreamGenerateContent": "streamGenerateContent",
    "Embedding": "predict",
}
_CHAT = frozenset(
    {("GenerateContent", "OpenAiChatCompletion"), ("StreamGenerateContent", "OpenAiChatCompletion")}
)


def vertex_openai_model(model: str) -> str:
    """A Chat model for Vertex's OpenAI endpoint: ``publisher/id`` (``google/`` by default)."""
    name = model.strip().lstrip("/")
    if not name:
        return name
    if "publishers/" in name and "/models/" in name:
        tail = name[name.index("publishers/") + len("publishers/") :]
        publisher, _, model_id = tail.partition("/models/")
        return f"{publisher}/{model_id}"
    if name.startswith("models/"):
        return "google/" + name[len("models/") :]
    return name if "/" in name else f"google/{name}"


class VertexChannel(Channel):
    id = "vertex"
    token_based = True

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        token_source: VertexTokenSource | None = None,
    ) -> None:
        super().__init__(settings)
        location = setting_str(self.settings, "location") or DEFAULT_LOCATION
        if "/" in location or " " in location:
            raise InvalidInput(f"setting `location` is not a Vertex location: {location!r}")
        self.location = location
        self.token_url_setting = setting_str(self.settings, "oauth_token_url")
        self.token_source = token_source
        if self.base_url_overridden:
            self.host = self.base_url
        elif location == "global":
            self.host = "https://aiplatform.googleapis.com"
        else:
            self.host = f"https://{location}-aiplatform.googleapis.com"

    # -- credentials ---------------------------------------------------------------------

    def api_key(self, secret_json: Mapping[str, Any] | None) -> str | None:
        return None  # authenticated by access token, never by a static key

    def has_material(self, secret_json: Mapping[str, Any] | None) -> bool:
        account = ServiceAccount.from_secret(secret_json)
        return bool(account.project_id) and (account.can_sign or bool(account.access_token))

    def token_url(self, account: ServiceAccount) -> str:
        return self.token_url_setting or account.token_uri or DEFAULT_TOKEN_URL

    # -- request building ----------------------------------------------------------------

    def target(self, call: UpstreamCall, secret_json: Mapping[str, Any]) -> Target:
        route = call.route
        key = (route.operation, route.protocol)
        if route.protocol == "Gemini" and route.operation in ("ModelList", "ModelGet"):
            if route.operation == "ModelList":
                query = tuple(
                    (name, str(call.query[name]))
                    for name in ("pageSize", "pageToken")
                    if call.query.get(name) not in (None, "")
                )
                return Target(
                    "GET", "/v1beta1/publishers/google/models", "bearer", query, self.host
                )
            model_id = quote_path(vertex_model_id(required_model(call)))
            return Target(
                "GET", f"/v1beta1/{VERTEX_MODEL_PREFIX}{model_id}", "bearer", (), self.host
            )
        project = secret_str(secret_json, "project_id")
        if key in _CHAT or (
            route.protocol in ("Gemini", "GeminiNDJson") and route.operation in _ACTIONS
        ):
            if project is None:
                raise InvalidInput("vertex credential has no project_id")
        scope = f"/v1beta1/projects/{quote_path(project or '')}/locations/{self.location}"
        if key in _CHAT:
            return Target(
                "POST", f"{scope}/endpoints/openapi/chat/completions", "bearer", (), self.host
            )
        action = _ACTIONS.get(route.operation)
        valid_ndjson = (
            route.protocol != "GeminiNDJson" or route.operation == "StreamGenerateContent"
        )
        if action is None or route.protocol not in ("Gemini", "GeminiNDJson") or not valid_ndjson:
            raise UnsupportedUpstreamRoute(self.id, route)
        model_id = quote_path(vertex_model_id(required_model(call)))
        path = f"{scope}/{VERTEX_MODEL_PREFIX}{model_id}:{action}"
        return Target("POST", path, "bearer", gemini_stream_query(call), self.host)

    def upstream_model(self, call: UpstreamCall) -> str | None:
        if not call.model:
            return None
        if call.route.protocol == "OpenAiChatCompletion":
            return vertex_openai_model(call.model)
        return vertex_model_id(call.model)

    def shape_body(self, call: UpstreamCall, body: JsonObject) -> JsonObject:
        route = call.route
        if route.protocol == "OpenAiChatCompletion":
            model = body.get("model")
            if isinstance(model, str) and vertex_openai_model(model) != model:
                return with_fields(body, model=vertex_openai_model(model))
            return body
        model_id = vertex_model_id(required_model(call))
        if route.operation == "CountToken":
            return vertex_count_tokens_body(body, model_id)
        if route.operation == "Embedding":
            return vertex_embed_predict_body(body, batch=call.batch)
        return vertex_generate_body(body, model_id)

    async def prepare(
        self,
        call: UpstreamCall,
        credential_id: int,
        secret_json: Mapping[str, Any],
        *,
        force_refresh: bool = False,
    ) -> UpstreamRequest:
        """Obtain (or reuse) the access token, then build; raises TokenRefreshError."""
        if self.token_source is None:
            raise RuntimeError("the vertex channel was built without a token source")
        account = ServiceAccount.from_secret(secret_json)
        cache_key = f"{credential_id}:{account.client_email}:{account.private_key_id or ''}"
        token = await self.token_source.get(
            cache_key, account, self.token_url(account), force=force_refresh
        )
        request = self.build(call, secret_json, access_token=token.token)
        if token.refreshed:
            request.credential_update = {
                "access_token": token.token,
                "expires_at": token.expires_at_ms,
            }
        return request

    # -- answers -------------------------------------------------------------------------

    def shape_response(self, call: UpstreamCall, status: int, body: Any) -> Any:
        if not 200 <= status < 300 or call.route.protocol != "Gemini":
            return body
        if call.route.operation == "ModelList":
            return vertex_model_list_response(body)
        if call.route.operation == "ModelGet":
            return vertex_model_get_response(body)
        if call.route.operation == "Embedding":
            return vertex_embed_response(body, batch=call.batch)
        return body
