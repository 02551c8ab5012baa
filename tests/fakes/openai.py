"""Fake OpenAI API: Chat Completions, Responses (+ input_tokens, compact), embeddings, models.

Speaks the wire shapes of ``reference/protocols.md`` §1, §2 and §5: Bearer auth with OpenAI's
401 bodies, chat SSE ``data:`` chunks ending in ``[DONE]`` with the usage chunk only when
``stream_options.include_usage`` asks, Responses typed events with ``sequence_number`` and no
sentinel, base64 embeddings (the SDK's default), and the 400s a real server gives for a
malformed conversation (a tool message without its call, a call without its output), so a
translating gateway that breaks a conversation fails here as it would against OpenAI.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from tests.fakes.base import BadRequest, FakeUpstream, RecordedRequest, route
from tests.fakes.openai_chat import chat_completion, openai_body
from tests.fakes.openai_responses import (
    ResponseBuilder,
    check_response_call_outputs,
    response_items,
    responses_facts,
    responses_usage,
)
from tests.fakes.plan import (
    Answer,
    Usage,
    decide,
    embedding,
    embedding_base64,
    estimate_tokens,
    new_id,
    prompt_chars,
    signature,
)
from tests.fakes.render import (
    bearer_token,
    json_reply,
    stream_reply,
)
from tests.fakes.wire import Reply

OPENAI_KEY = "sk-fake-openai-0000000000000000"
OPENAI_MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-5", "o4-mini", "text-embedding-3-small")

_ERROR_KINDS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Bad request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: (
        "request_forbidden",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    404: ("invalid_request_error", None, "Not found."),
    409: ("invalid_request_error", None, "Conflict."),
    422: ("invalid_request_error", None, "Unprocessable request."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1."
        " Please try again in 20s.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def mask_key(key: str) -> str:
    """OpenAI's way of echoing a wrong key: ``sk-ab***************wxyz``."""
    return key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 8 else "***"


class OpenAIFake(FakeUpstream):
    """Scriptable fake of ``api.openai.com`` (routes named below, see :meth:`script`)."""

    vendor = "openai"
    default_keys = (OPENAI_KEY,)
    default_models = OPENAI_MODELS
    routes = (
        route("POST", r"/v1/chat/completions", "chat"),
        route("POST", r"/v1/responses", "responses"),
        route("POST", r"/v1/responses/input_tokens", "responses.input_tokens"),
        route("POST", r"/v1/responses/compact", "responses.compact"),
        route("POST", r"/v1/embeddings", "embeddings"),
        route("GET", r"/v1/models", "models"),
        route("GET", r"/v1/models/(?P<model>.+)", "model"),
    )

    # --- auth and errors ----------------------------------------------------------------------

    def extract_key(self, req: RecordedRequest) -> str | None:
        return bearer_token(req)

    def authenticate(self, req: RecordedRequest) -> Reply | None:
        if req.key is None:
            return self.error(
                401,
                "You didn't provide an API key. You need to provide your API key in an"
                " Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY),"
                " or as the password field (with blank username) if you're accessing the API"
                " from your browser and are prompted for a username and password. You can"
                " obtain an API key from https://platform.openai.com/account/api-keys.",
                code=None,
            )
        if self.keys is not None and req.key not in self.keys:
            return self.error(
                401,
                f"Incorrect API key provided: {mask_key(req.key)}. You can find your API key at"
                " https://platform.openai.com/account/api-keys.",
            )
        return None

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        code: str | None | Literal["default"] = "default",
        type: str | None = None,
    ) -> Reply:
        kind, default_code, default_message = _ERROR_KINDS.get(
            status, ("server_error" if status >= 500 else "invalid_request_error", None, "Error.")
        )
        body = {
            "error": {
                "message": message or default_message,
                "type": type or kind,
                "param": param,
                "code": default_code if code == "default" else code,
            }
        }
        merged = {"x-request-id": new_id("req_", 32), **(headers or {})}
        return Reply(status=status, json=body, indent=2, headers=merged, retry_after=retry_after)

    def not_found(self, req: RecordedRequest) -> Reply:
        return self.error(404, f"Invalid URL ({req.method} {req.path})")

    def _body(self, req: RecordedRequest) -> dict[str, Any]:
        return openai_body(req)

    def _headers(self) -> dict[str, str]:
        return {"x-request-id": new_id("req_", 32), "openai-processing-ms": "1"}

    # --- chat completions ---------------------------------------------------------------------

    def handle_chat(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        return chat_completion(req, answer, headers=self._headers())

    # --- responses ----------------------------------------------------------------------------

    def handle_responses(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req)
        if "input" not in body:
            raise BadRequest("Missing required parameter: 'input'.", param="input")
        items = response_items(body["input"])
        check_response_call_outputs(items)
        plan = decide(responses_facts(body, items), answer)
        summary = (body.get("reasoning") or {}).get("summary")
        encrypted = "reasoning.encrypted_content" in (body.get("include") or [])
        builder = ResponseBuilder(body, plan, summary is not None, encrypted)
        if body.get("stream"):
            return stream_reply(
                builder.frames(),
                answer,
                content_type="text/event-stream; charset=utf-8",
                headers=self._headers(),
            )
        return json_reply(builder.final(), answer, indent=2, headers=self._headers())

    def handle_responses_input_tokens(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req)
        items = response_items(body.get("input", []))
        count = estimate_tokens(prompt_chars(body.get("instructions"), items, body.get("tools")))
        if answer is not None and answer.usage is not None:
            count = answer.usage.input_tokens
        payload = {"object": "response.input_tokens", "input_tokens": count}
        return json_reply(payload, answer, indent=2, headers=self._headers())

    def handle_responses_compact(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req)
        if body.get("stream"):
            raise BadRequest("Streaming not supported for compact responses", param="stream")
        items = response_items(body.get("input", []))
        kept = [
            {**item, "type": "message"}
            for item in items
            if item.get("role") == "user" and item.get("type", "message") == "message"
        ]
        digest = prompt_chars(body.get("instructions"), items)
        usage = Usage(
            input_tokens=estimate_tokens(digest),
            output_tokens=estimate_tokens(digest // 4 + 1),
        )
        if answer is not None and answer.usage is not None:
            usage = answer.usage
        payload = {
            "id": new_id("resp_", 48),
            "object": "response.compaction",
            "created_at": int(time.time()),
            "output": [
                *kept,
                {
                    "type": "compaction",
                    "id": new_id("cmp_", 48),
                    "encrypted_content": signature(str(items)),
                },
            ],
            "usage": responses_usage(usage),
        }
        return json_reply(payload, answer, indent=2, headers=self._headers())

    # --- embeddings and models ----------------------------------------------------------------

    def handle_embeddings(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req)
        raw = body.get("input")
        if raw is None or raw == "" or raw == []:
            raise BadRequest(
                "'input' : input cannot be an empty string or empty list", param="input"
            )
        inputs: list[Any] = raw if isinstance(raw, list) and not _is_token_list(raw) else [raw]
        model = str(body["model"])
        dims = int(body.get("dimensions") or (3072 if "large" in model else 1536))
        base64 = body.get("encoding_format") == "base64"
        data = []
        tokens = 0
        for index, item in enumerate(inputs):
            text = item if isinstance(item, str) else " ".join(str(t) for t in item)
            tokens += len(item) if isinstance(item, list) else estimate_tokens(len(text))
            vector = embedding(text, dims)
            data.append(
                {
                    "object": "embedding",
                    "index": index,
                    "embedding": embedding_base64(vector) if base64 else vector,
                }
            )
        payload = {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        return json_reply(payload, answer, headers=self._headers())

    def handle_models(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        payload = {"object": "list", "data": [self._model(m) for m in self.models]}
        return json_reply(payload, answer, indent=2, headers=self._headers())

    def handle_model(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        model = req.params["model"]
        if model not in self.models:
            return self.error(
                404,
                f"The model '{model}' does not exist",
                param="model",
                code="model_not_found",
            )
        return json_reply(self._model(model), answer, indent=2, headers=self._headers())

    def _model(self, model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": 1686935002, "owned_by": "openai"}


# --- chat helpers -----------------------------------------------------------------------------


def _is_token_list(value: list[Any]) -> bool:
    return bool(value) and all(isinstance(v, int) for v in value)
