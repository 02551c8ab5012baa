"""Fake Gemini API (v1beta, AI Studio): generate/stream/count/embed, models.

Speaks ``reference/protocols.md`` §4: key from ``x-goog-api-key`` or ``?key=`` (a Bearer
token is taken as an OAuth token), google.rpc error bodies (a wrong key is the real
**400 API_KEY_INVALID**, a missing key **403 PERMISSION_DENIED** — not 401), lowerCamel
output while accepting snake_case input, ``?alt=sse`` streams of ``data:`` events with CRLF
and no terminator, and without ``alt`` one JSON array streamed progressively. Like the real
API it rejects unknown top-level and part fields, function responses that do not follow a
function call turn, and — for ``gemini-3*`` models — a current-turn function call sent back
without its ``thoughtSignature``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.base import BadRequest, FakeUpstream, RecordedRequest, route
from tests.fakes.openai_chat import chat_completion
from tests.fakes.plan import (
    Answer,
    Facts,
    Plan,
    Tool,
    Usage,
    decide,
    embedding,
    estimate_tokens,
    new_id,
    prompt_chars,
    signature,
)
from tests.fakes.render import (
    Frames,
    bearer_token,
    body_object,
    json_reply,
    stream_reply,
    tool_result_text,
)
from tests.fakes.wire import Reply, dumps

GEMINI_KEY = "AIzaFakeGeminiKey000000000000000000000"
GEMINI_MODELS = (
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-3-pro-preview",
    "text-embedding-004",
    "gemini-embedding-001",
)
#: Values Google documents as accepted in place of a real thought signature.
DUMMY_SIGNATURES = ("skip_thought_signature_validator", "context_engineering_is_the_way_to_go")

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_DEFAULT_MESSAGES = {
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in"
    " https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
}
_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP"}


def _both(*camel: str) -> frozenset[str]:
    snake = (re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower() for name in camel)
    return frozenset(camel) | frozenset(snake)


_REQUEST_FIELDS = _both(
    "model",
    "contents",
    "tools",
    "toolConfig",
    "safetySettings",
    "systemInstruction",
    "generationConfig",
    "cachedContent",
    "labels",
)
_PART_FIELDS = _both(
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "thought",
    "thoughtSignature",
    "videoMetadata",
    "partMetadata",
    "mediaResolution",
    "toolCall",
    "toolResponse",
)


def _get(obj: Any, camel: str) -> Any:
    """``obj[camel]`` or its snake_case spelling (Google accepts both on input)."""
    if not isinstance(obj, dict):
        return None
    if camel in obj:
        return obj[camel]
    return obj.get(re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower())


class GeminiFake(FakeUpstream):
    """Scriptable fake of ``generativelanguage.googleapis.com``: routes named by Gemini method,
    plus ``openai.chat`` / ``openai.models`` / ``openai.model`` under ``/v1beta/openai``."""

    vendor = "gemini"
    default_keys = (GEMINI_KEY,)
    default_models = GEMINI_MODELS
    _model_re = r"/(?P<version>v1beta|v1)/models/(?P<model>[^:]+)"
    routes = (
        route("GET", r"/(?P<version>v1beta|v1)/models", "models"),
        route("GET", _model_re, "model"),
        route("POST", _model_re + ":generateContent", "generateContent"),
        route("POST", _model_re + ":streamGenerateContent", "streamGenerateContent"),
        route("POST", _model_re + ":countTokens", "countTokens"),
        route("POST", _model_re + ":embedContent", "embedContent"),
        route("POST", _model_re + ":batchEmbedContents", "batchEmbedContents"),
        # AI Studio's OpenAI-compatible layer (Bearer key; errors wrapped in a JSON list)
        route("POST", r"/v1beta/openai/chat/completions", "openai.chat"),
        route("GET", r"/v1beta/openai/models", "openai.models"),
        route("GET", r"/v1beta/openai/models/(?P<model>.+)", "openai.model"),
    )

    # --- auth and errors ----------------------------------------------------------------------

    def extract_key(self, req: RecordedRequest) -> str | None:
        return req.headers.get("x-goog-api-key") or req.query.get("key") or bearer_token(req)

    def authenticate(self, req: RecordedRequest) -> Reply | None:
        if req.route is not None and req.route.startswith("openai."):
            if req.key is None or (self.keys is not None and req.key not in self.keys):
                return self.error_for(req, 400, "API key not valid. Please pass a valid API key.")
            return None
        if req.key is None:
            return self.error(
                403,
                "Method doesn't allow unregistered callers (callers without established"
                " identity). Please use API Key or other form of API consumer identity to call"
                " this API.",
            )
        if self.keys is not None and req.key not in self.keys:
            return self.error(
                400,
                "API key not valid. Please pass a valid API key.",
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    },
                    {
                        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                        "locale": "en-US",
                        "message": "API key not valid. Please pass a valid API key.",
                    },
                ],
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
        details: list[dict[str, Any]] | None = None,
    ) -> Reply:
        """A google.rpc error. ``retry_after`` becomes a ``RetryInfo`` detail (Gemini sends no
        ``Retry-After`` header; pass ``headers={"retry-after": …}`` to add one anyway)."""
        name = _STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "INVALID_ARGUMENT")
        error: dict[str, Any] = {
            "code": status,
            "message": message or _DEFAULT_MESSAGES.get(status, name.replace("_", " ").lower()),
            "status": name,
        }
        all_details = list(details or [])
        if retry_after is not None:
            all_details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{retry_after}s",
                }
            )
        if all_details:
            error["details"] = all_details
        return Reply(
            status=status,
            json={"error": error},
            indent=2,
            headers=dict(headers or {}),
            content_type="application/json; charset=UTF-8",
        )

    def not_found(self, req: RecordedRequest) -> Reply:
        return self.error(404, f"Method not found: {req.method} {req.path}")

    def error_for(
        self, req: RecordedRequest, status: int, message: str, param: str | None = None
    ) -> Reply:
        """google.rpc errors; on the OpenAI-compatible routes wrapped in a one-item JSON list,
        as AI Studio sends them (``[{"error": {…}}]``)."""
        reply = self.error(status, message)
        if req.route is not None and req.route.startswith("openai."):
            reply.json = [reply.json]
        return reply

    # --- OpenAI-compatible layer --------------------------------------------------------------

    def handle_openai_chat(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        return chat_completion(req, answer, model_prefix="models/")

    def handle_openai_models(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        data = [self._openai_model(m) for m in self.models]
        return json_reply({"object": "list", "data": data}, answer)

    def handle_openai_model(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        model = req.params["model"].removeprefix("models/")
        if model not in self.models:
            return self.error_for(req, 404, f"Model models/{model} not found.")
        return json_reply(self._openai_model(model), answer)

    def _openai_model(self, model: str) -> dict[str, Any]:
        return {"id": f"models/{model}", "object": "model", "created": 0, "owned_by": "google"}

    def _body(self, req: RecordedRequest) -> dict[str, Any]:
        try:
            return body_object(req)
        except BadRequest:
            raise BadRequest(
                "Invalid JSON payload received. Unexpected token.\n"
                + req.body[:40].decode("utf-8", "replace")
            ) from None

    def _generate_body(self, req: RecordedRequest) -> dict[str, Any]:
        body = self._body(req)
        _check_request(body, req.params["model"])
        return body

    # --- generation ---------------------------------------------------------------------------

    def handle_generateContent(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._generate_body(req)
        plan = decide(_facts(body, req.params["model"]), answer)
        chunk = _Renderer(plan).whole()
        return json_reply(chunk, answer, indent=2)

    def handle_streamGenerateContent(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._generate_body(req)
        plan = decide(_facts(body, req.params["model"]), answer)
        sse = req.query.get("alt") == "sse"
        frames = _Renderer(plan).frames(sse=sse)
        content_type = "text/event-stream" if sse else "application/json; charset=UTF-8"
        return stream_reply(frames, answer, content_type=content_type)

    def handle_countTokens(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req)
        inner = _get(body, "generateContentRequest")
        if isinstance(inner, dict):
            count = estimate_tokens(_prompt_chars(inner))
        elif _get(body, "contents"):
            count = estimate_tokens(prompt_chars(_get(body, "contents")))
        else:
            raise BadRequest("* CountTokensRequest.contents: contents is not specified\n")
        if answer is not None and answer.usage is not None:
            count = answer.usage.input_tokens
        payload = {
            "totalTokens": count,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": count}],
        }
        return json_reply(payload, answer, indent=2)

    # --- embeddings ---------------------------------------------------------------------------

    def handle_embedContent(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req)
        values = _embed(body, req.params["model"])
        return json_reply({"embedding": {"values": values}}, answer, indent=2)

    def handle_batchEmbedContents(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req)
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise BadRequest("* BatchEmbedContentsRequest.requests: requests is not specified\n")
        embeddings = [{"values": _embed(r, req.params["model"])} for r in requests]
        return json_reply({"embeddings": embeddings}, answer, indent=2)

    # --- models -------------------------------------------------------------------------------

    def handle_models(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        size = int(req.query.get("pageSize") or 50)
        start = int(req.query.get("pageToken") or 0)
        page = self.models[start : start + size]
        payload: dict[str, Any] = {"models": [self._model(m) for m in page]}
        if start + size < len(self.models):
            payload["nextPageToken"] = str(start + size)
        return json_reply(payload, answer, indent=2)

    def handle_model(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        model = req.params["model"]
        if model not in self.models:
            return self.error(
                404,
                f"models/{model} is not found for API version {req.params['version']}, or is not"
                " supported for generateContent. Call ListModels to see the list of available"
                " models and their supported methods.",
            )
        return json_reply(self._model(model), answer, indent=2)

    def _model(self, model: str) -> dict[str, Any]:
        embedder = "embedding" in model
        info: dict[str, Any] = {
            "name": f"models/{model}",
            "version": "001",
            "displayName": model.replace("-", " ").title(),
            "description": f"Fake {model}",
            "inputTokenLimit": 2048 if embedder else 1048576,
            "outputTokenLimit": 1 if embedder else 65536,
            "supportedGenerationMethods": ["embedContent"]
            if embedder
            else ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
        }
        if not embedder:
            info.update(
                {"temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": True}
            )
        return info


# --- request checks and facts -----------------------------------------------------------------


def _check_request(body: dict[str, Any], model: str) -> None:
    for name in body:
        if name not in _REQUEST_FIELDS:
            raise BadRequest(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.'
            )
    contents = _get(body, "contents")
    if not contents:
        raise BadRequest("* GenerateContentRequest.contents: contents is not specified\n")
    pending_calls = 0
    for i, content in enumerate(contents):
        role = content.get("role", "user") if isinstance(content, dict) else None
        if role not in ("user", "model", "function"):
            raise BadRequest("Please use a valid role: user, model.")
        parts = content.get("parts") or []
        for j, part in enumerate(parts):
            for name in part:
                if name not in _PART_FIELDS:
                    raise BadRequest(
                        f'Invalid JSON payload received. Unknown name "{name}" at'
                        f" 'contents[{i}].parts[{j}]': Cannot find field."
                    )
        responses = sum(1 for p in parts if _get(p, "functionResponse") is not None)
        if responses:
            if not pending_calls:
                raise BadRequest(
                    "Please ensure that function response turn comes immediately after a"
                    " function call turn."
                )
            if responses != pending_calls:
                raise BadRequest(
                    "Please ensure that the number of function response parts is equal to the"
                    " number of function call parts of the function call turn."
                )
        pending_calls = (
            sum(1 for p in parts if _get(p, "functionCall") is not None) if role == "model" else 0
        )
    if model.startswith("gemini-3"):
        _check_thought_signatures(contents)


def _check_thought_signatures(contents: list[dict[str, Any]]) -> None:
    """Gemini 3: in the current turn, each model step's first function call needs its
    signature back (the turn starts at the last user content holding text)."""
    turn_start = 0
    for i, content in enumerate(contents):
        if content.get("role", "user") == "user" and any(
            _get(p, "text") is not None for p in content.get("parts") or []
        ):
            turn_start = i
    for i in range(turn_start, len(contents)):
        content = contents[i]
        if content.get("role") != "model":
            continue
        calls = [p for p in content.get("parts") or [] if _get(p, "functionCall") is not None]
        if calls and not _get(calls[0], "thoughtSignature"):
            name = (_get(calls[0], "functionCall") or {}).get("name", "")
            raise BadRequest(
                "Function call is missing a thought_signature in functionCall parts. This is"
                " required for tools to work correctly, and missing thought_signature may lead"
                f" to degraded model performance. Additional data, function call `{name}` ,"
                f" position {i + 1}. Please refer to"
                " https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
            )


def _prompt_chars(body: dict[str, Any]) -> int:
    return prompt_chars(
        _get(body, "systemInstruction"), _get(body, "contents"), _get(body, "tools")
    )


def _function_output(response: Any) -> str:
    if isinstance(response, dict) and len(response) == 1:
        (value,) = response.values()
        if isinstance(value, str):
            return value
    return tool_result_text(response)


def _facts(body: dict[str, Any], model: str) -> Facts:
    contents = _get(body, "contents")
    last = contents[-1]
    parts = last.get("parts") or []
    user_text = ""
    tool_result: str | None = None
    if last.get("role", "user") in ("user", "function"):
        responses = [_get(p, "functionResponse") for p in parts]
        responses = [r for r in responses if r is not None]
        if responses:
            tool_result = _function_output(responses[-1].get("response"))
        else:
            user_text = "".join(
                str(_get(p, "text"))
                for p in parts
                if _get(p, "text") is not None and not p.get("thought")
            )
    tools: list[Tool] = []
    for entry in _get(body, "tools") or []:
        for decl in _get(entry, "functionDeclarations") or []:
            schema = _get(decl, "parametersJsonSchema") or _get(decl, "parameters") or {}
            tools.append(Tool(str(decl.get("name", "")), schema))
    calling = _get(_get(body, "toolConfig"), "functionCallingConfig") or {}
    mode = str(calling.get("mode", "AUTO")).upper()
    allowed = _get(calling, "allowedFunctionNames") or []
    forced: str | bool = False
    if mode == "ANY":
        forced = str(allowed[0]) if len(allowed) == 1 else True
    config = _get(body, "generationConfig") or {}
    thinking = bool(_get(_get(config, "thinkingConfig"), "includeThoughts"))
    limit = _get(config, "maxOutputTokens")
    return Facts(
        model=model,
        user_text=user_text,
        tool_result=tool_result,
        tools=tuple(tools),
        forced_tool=forced,
        tools_disabled=mode == "NONE",
        thinking=thinking,
        max_output_tokens=int(limit) if limit is not None else None,
        prompt_chars=_prompt_chars(body),
    )


def _embed(request: dict[str, Any], model: str) -> list[float]:
    content = _get(request, "content")
    if not isinstance(content, dict) or not content.get("parts"):
        raise BadRequest("* EmbedContentRequest.content: content is not specified\n")
    text = "".join(str(_get(p, "text") or "") for p in content["parts"])
    dims = _get(request, "outputDimensionality") or (3072 if "gemini-embedding" in model else 768)
    return embedding(text, int(dims))


def usage_metadata(usage: Usage, *, final: bool = True) -> dict[str, Any]:
    """Gemini ``usageMetadata``: prompt includes cached tokens, candidates exclude thoughts.

    Intermediate stream chunks (``final=False``) carry only the prompt count, as Google does.
    """
    meta: dict[str, Any] = {"promptTokenCount": usage.input_tokens}
    if final:
        meta["candidatesTokenCount"] = usage.output_tokens - usage.reasoning_tokens
    meta["totalTokenCount"] = usage.total_tokens if final else usage.input_tokens
    if usage.cache_read_tokens:
        meta["cachedContentTokenCount"] = usage.cache_read_tokens
    if final and usage.reasoning_tokens:
        meta["thoughtsTokenCount"] = usage.reasoning_tokens
    meta["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.input_tokens}]
    if usage.cache_read_tokens:
        meta["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.cache_read_tokens}]
    return meta


class _Renderer:
    """Renders a :class:`Plan` as one GenerateContentResponse or a stream of partial ones."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.response_id = new_id("", 22)
        self.signed = plan.model.startswith(("gemini-3", "gemini-2.5")) and bool(
            plan.reasoning or plan.tool_calls
        )

    def _call_parts(self) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        for i, call in enumerate(self.plan.tool_calls):
            part: dict[str, Any] = {
                "functionCall": {"name": call.name, "args": dict(call.arguments)}
            }
            if i == 0 and self.signed:
                part["thoughtSignature"] = signature(call.name + self.response_id)
            parts.append(part)
        return parts

    def _chunk(
        self, parts: list[dict[str, Any]], *, finish: bool, usage_final: bool
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if finish:
            candidate["finishReason"] = _FINISH[self.plan.finish]
        candidate["index"] = 0
        return {
            "candidates": [candidate],
            "usageMetadata": usage_metadata(self.plan.usage, final=usage_final),
            "modelVersion": self.plan.model,
            "responseId": self.response_id,
        }

    def whole(self) -> dict[str, Any]:
        plan = self.plan
        parts: list[dict[str, Any]] = []
        if plan.reasoning:
            parts.append({"text": plan.reasoning, "thought": True})
        if plan.text or not plan.tool_calls:
            parts.append({"text": plan.text})
        parts.extend(self._call_parts())
        return self._chunk(parts, finish=True, usage_final=True)

    def frames(self, *, sse: bool) -> Frames:
        plan = self.plan
        opening = [
            self._chunk([{"text": p, "thought": True}], finish=False, usage_final=False)
            for p in plan.reasoning_pieces
        ]
        text_parts = [{"text": p} for p in plan.pieces]
        if not text_parts and not plan.tool_calls:
            text_parts = [{"text": ""}]
        tail: list[list[dict[str, Any]]] = [[p] for p in text_parts] + [
            [p] for p in self._call_parts()
        ]
        body = [self._chunk(parts, finish=False, usage_final=False) for parts in tail[:-1]]
        closing = [self._chunk(tail[-1], finish=True, usage_final=True)]
        if sse:
            encode = _sse_frames
        else:
            encode = _array_frames
        first = not (opening or body)
        return Frames(
            encode(opening, start=True),
            encode(body, start=not opening),
            encode(closing, start=first, end=True),
            lambda i: encode(
                [self._chunk([{"text": f" more{i}"}], finish=False, usage_final=False)],
                start=False,
            )[0],
        )


def _sse_frames(chunks: list[dict[str, Any]], *, start: bool, end: bool = False) -> list[bytes]:
    return [f"data: {dumps(c)}\r\n\r\n".encode() for c in chunks]


def _array_frames(chunks: list[dict[str, Any]], *, start: bool, end: bool = False) -> list[bytes]:
    frames = [
        (
            ("[" if start and i == 0 else ",\r\n")
            + json.dumps(c, indent=2, ensure_ascii=False)
            + "\n"
        ).encode()
        for i, c in enumerate(chunks)
    ]
    if end:
        frames.append(b"]")
    return frames
