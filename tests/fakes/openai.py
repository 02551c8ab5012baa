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
from collections.abc import Iterable
from typing import Any, Literal

from tests.fakes.base import BadRequest, FakeUpstream, RecordedRequest, route
from tests.fakes.openai_responses import (
    ResponseBuilder,
    args_json,
    check_response_call_outputs,
    response_items,
    responses_facts,
    responses_usage,
    text_of,
)
from tests.fakes.plan import (
    Answer,
    Facts,
    Plan,
    Tool,
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
    Frames,
    bearer_token,
    body_object,
    json_reply,
    split_json_text,
    stream_reply,
    tool_result_text,
)
from tests.fakes.wire import Reply, sse_data

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

_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using"
    " your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was"
    " not valid JSON. If you have trouble figuring out how to fix this, please contact us"
    " through our help center at help.openai.com.)"
)


def mask_key(key: str) -> str:
    """OpenAI's way of echoing a wrong key: ``sk-ab***************wxyz``."""
    return key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 8 else "***"


class OpenAIFake(FakeUpstream):
    """Scriptable fake of ``api.openai.com`` (routes named below, see :meth:`script`)."""

    vendor = "openai"
    default_keys = (OPENAI_KEY,)
    routes = (
        route("POST", r"/v1/chat/completions", "chat"),
        route("POST", r"/v1/responses", "responses"),
        route("POST", r"/v1/responses/input_tokens", "responses.input_tokens"),
        route("POST", r"/v1/responses/compact", "responses.compact"),
        route("POST", r"/v1/embeddings", "embeddings"),
        route("GET", r"/v1/models", "models"),
        route("GET", r"/v1/models/(?P<model>.+)", "model"),
    )

    def __init__(
        self,
        *,
        keys: Iterable[str] | None | Literal["default"] = "default",
        models: Iterable[str] = OPENAI_MODELS,
    ) -> None:
        super().__init__(keys=keys, models=models)

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
        try:
            body = body_object(req)
        except BadRequest:
            raise BadRequest(_BAD_JSON) from None
        if not body.get("model"):
            raise BadRequest("you must provide a model parameter")
        return body

    def _headers(self) -> dict[str, str]:
        return {"x-request-id": new_id("req_", 32), "openai-processing-ms": "1"}

    # --- chat completions ---------------------------------------------------------------------

    def handle_chat(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req)
        messages = body.get("messages")
        if messages is None:
            raise BadRequest("Missing required parameter: 'messages'.", param="messages")
        if not isinstance(messages, list) or not messages:
            raise BadRequest(
                "Invalid 'messages': empty array. Expected an array with minimum length 1,"
                " but got an empty array instead.",
                param="messages",
            )
        _check_chat_tool_pairs(messages)
        plan = decide(_chat_facts(body, messages), answer)
        created = int(time.time())
        completion_id = new_id("chatcmpl-", 29)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            frames = _chat_frames(plan, completion_id, created, include_usage)
            return stream_reply(
                frames,
                answer,
                content_type="text/event-stream; charset=utf-8",
                headers=self._headers(),
            )
        message: dict[str, Any] = {
            "role": "assistant",
            "content": plan.text or None,
            "refusal": None,
            "annotations": [],
        }
        if plan.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": args_json(call.arguments)},
                }
                for call in plan.tool_calls
            ]
        payload = {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": plan.model,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": plan.finish}
            ],
            "usage": chat_usage(plan.usage),
            "service_tier": "default",
            "system_fingerprint": "fp_fake0000",
        }
        return json_reply(payload, answer, indent=2, headers=self._headers())

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


def chat_usage(usage: Usage) -> dict[str, Any]:
    """OpenAI chat ``usage``: prompt includes cached tokens, completion includes reasoning."""
    prompt_details: dict[str, int] = {"cached_tokens": usage.cache_read_tokens, "audio_tokens": 0}
    if usage.cache_write_tokens:
        prompt_details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chat_facts(body: dict[str, Any], messages: list[Any]) -> Facts:
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    role = last.get("role")
    tools: list[Tool] = []
    for tool in body.get("tools") or []:
        if isinstance(tool, dict) and tool.get("type") == "function":
            fn = tool.get("function") or {}
            tools.append(Tool(str(fn.get("name", "")), fn.get("parameters") or {}))
    for fn in body.get("functions") or []:
        tools.append(Tool(str(fn.get("name", "")), fn.get("parameters") or {}))
    choice = body.get("tool_choice", body.get("function_call"))
    forced: str | bool = False
    if choice == "required":
        forced = True
    elif isinstance(choice, dict):
        forced = str((choice.get("function") or choice).get("name") or True)
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    return Facts(
        model=str(body["model"]),
        user_text=text_of(last.get("content")) if role == "user" else "",
        tool_result=tool_result_text(last.get("content")) if role in ("tool", "function") else None,
        tools=tuple(tools),
        forced_tool=forced,
        tools_disabled=choice == "none",
        thinking=False,  # Chat Completions never returns reasoning text
        max_output_tokens=int(limit) if limit is not None else None,
        prompt_chars=prompt_chars(messages, body.get("tools"), body.get("functions")),
    )


def _check_chat_tool_pairs(messages: list[Any]) -> None:
    """OpenAI's 400s for tool messages without a call, and calls without a tool message."""
    pending: list[str] = []
    for msg in messages:
        if not isinstance(msg, dict):
            raise BadRequest("Invalid type for 'messages': expected an object.", param="messages")
        role = msg.get("role")
        if role == "tool":
            call_id = msg.get("tool_call_id")
            if call_id not in pending:
                raise BadRequest(
                    "Invalid parameter: messages with role 'tool' must be a response to a"
                    " preceeding message with 'tool_calls'.",
                    param="messages",
                )
            pending.remove(call_id)
            continue
        if pending:
            raise BadRequest(
                "An assistant message with 'tool_calls' must be followed by tool messages"
                " responding to each 'tool_call_id'. The following tool_call_ids did not have"
                f" response messages: {', '.join(pending)}",
                param="messages",
            )
        if role == "assistant":
            pending = [str(c.get("id")) for c in msg.get("tool_calls") or [] if isinstance(c, dict)]
    if pending:
        raise BadRequest(
            "An assistant message with 'tool_calls' must be followed by tool messages responding"
            " to each 'tool_call_id'. The following tool_call_ids did not have response"
            f" messages: {', '.join(pending)}",
            param="messages",
        )


def _chat_frames(plan: Plan, completion_id: str, created: int, include_usage: bool) -> Frames:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": plan.model,
            "service_tier": "default",
            "system_fingerprint": "fp_fake0000",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            payload["usage"] = None
        return sse_data(payload)

    opening: list[bytes] = []
    body: list[bytes] = []
    if plan.pieces or not plan.tool_calls:
        opening.append(chunk({"role": "assistant", "content": "", "refusal": None}))
        body.extend(chunk({"content": piece}) for piece in plan.pieces)
    for index, call in enumerate(plan.tool_calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        if not opening:
            opening.append(
                chunk({"role": "assistant", "content": None, "tool_calls": [head], "refusal": None})
            )
        else:
            body.append(chunk({"tool_calls": [head]}))
        for fragment in split_json_text(args_json(call.arguments)):
            body.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
            )
    closing = [chunk({}, plan.finish)]
    if include_usage:
        closing.append(
            sse_data(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": plan.model,
                    "service_tier": "default",
                    "system_fingerprint": "fp_fake0000",
                    "choices": [],
                    "usage": chat_usage(plan.usage),
                }
            )
        )
    closing.append(b"data: [DONE]\n\n")
    return Frames(opening, body, closing, lambda i: chunk({"content": f" more{i}"}))


def _is_token_list(value: list[Any]) -> bool:
    return bool(value) and all(isinstance(v, int) for v in value)
