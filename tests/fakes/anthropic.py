"""Fake Anthropic API: Messages (stream and not), count_tokens, models.

Speaks ``reference/protocols.md`` §3: ``x-api-key`` or ``Authorization: Bearer`` (the
``anthropic`` SDK 2.x sends its API key as a Bearer token) plus a required
``anthropic-version`` header, ``{"type":"error",…,"request_id"}`` error bodies with
a ``request-id`` header, named SSE events with a ``ping`` after the first block start,
``input_json_delta`` starting with ``""``, thinking blocks closed by a ``signature_delta``, and
cumulative usage in ``message_delta``. It also gives the 400s a real server gives for a broken
conversation (``tool_use`` without its ``tool_result`` and the reverse), a thinking budget not
below ``max_tokens``, or a temperature above 1 — the usual ways a translation goes wrong.
"""

from __future__ import annotations

import json
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
    text_of,
    tool_result_text,
)
from tests.fakes.wire import Reply, sse_event

ANTHROPIC_KEY = "sk-ant-fake-0000000000000000"
ANTHROPIC_MODELS = ("claude-sonnet-4-6", "claude-haiku-4-5-20251001", "claude-opus-4-7")

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_DEFAULT_MESSAGES = {
    429: "This request would exceed the rate limit for your organization. Please try again later.",
    500: "Internal server error",
    529: "Overloaded",
}
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


class AnthropicFake(FakeUpstream):
    """Scriptable fake of ``api.anthropic.com`` (routes: messages, count_tokens, models, model,
    and ``chat`` — the OpenAI-compatible ``/v1/chat/completions``)."""

    vendor = "anthropic"
    default_keys = (ANTHROPIC_KEY,)
    default_models = ANTHROPIC_MODELS
    routes = (
        route("POST", r"/v1/messages", "messages"),
        route("POST", r"/v1/chat/completions", "chat"),  # Anthropic's OpenAI-compatible layer
        route("POST", r"/v1/messages/count_tokens", "count_tokens"),
        route("GET", r"/v1/models", "models"),
        route("GET", r"/v1/models/(?P<model>.+)", "model"),
    )

    # --- auth and errors ----------------------------------------------------------------------

    def extract_key(self, req: RecordedRequest) -> str | None:
        return req.headers.get("x-api-key") or bearer_token(req)

    def authenticate(self, req: RecordedRequest) -> Reply | None:
        if req.key is None:
            return self.error(401, "x-api-key header is required")
        if self.keys is not None and req.key not in self.keys:
            return self.error(401, "invalid x-api-key")
        if req.route != "chat" and not req.headers.get("anthropic-version"):
            return self.error(400, "anthropic-version: header is required")
        return None

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        type: str | None = None,
    ) -> Reply:
        request_id = new_id("req_011C", 20)
        kind = type or _ERROR_TYPES.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
        body = {
            "type": "error",
            "error": {"type": kind, "message": message or _DEFAULT_MESSAGES.get(status, kind)},
            "request_id": request_id,
        }
        merged = {"request-id": request_id}
        if status in (408, 409, 429) or status >= 500:
            merged["x-should-retry"] = "true"
        merged.update(headers or {})
        return Reply(status=status, json=body, headers=merged, retry_after=retry_after)

    def not_found(self, req: RecordedRequest) -> Reply:
        return self.error(404, "Not Found")

    def _headers(self) -> dict[str, str]:
        return {"request-id": new_id("req_011C", 20)}

    def _body(self, req: RecordedRequest, *, need_max_tokens: bool) -> dict[str, Any]:
        try:
            body = body_object(req)
        except BadRequest as exc:
            raise BadRequest(f"There was an issue with your request body: {exc.message}") from None
        for name in ("model", "messages") + (("max_tokens",) if need_max_tokens else ()):
            if name not in body:
                raise BadRequest(f"{name}: Field required")
        if not isinstance(body["messages"], list):
            raise BadRequest("messages: Input should be a valid list")
        temperature = body.get("temperature")
        if isinstance(temperature, int | float) and not 0 <= temperature <= 1:
            raise BadRequest("temperature: Input should be less than or equal to 1")
        thinking = body.get("thinking") or {}
        if thinking.get("type") == "enabled":
            budget = thinking.get("budget_tokens")
            if not isinstance(budget, int) or budget < 1024:
                raise BadRequest(
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
                )
            if need_max_tokens and budget >= int(body["max_tokens"]):
                raise BadRequest(
                    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult"
                    " our documentation at https://docs.claude.com/en/docs/build-with-claude/"
                    "extended-thinking#max-tokens-and-context-window-size"
                )
        _check_tool_pairs(body["messages"])
        return body

    # --- messages -----------------------------------------------------------------------------

    def handle_messages(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req, need_max_tokens=True)
        plan = decide(_facts(body), answer, call_prefix="toolu_01")
        message_id = new_id("msg_01", 22)
        if body.get("stream"):
            frames = _frames(plan, message_id)
            return stream_reply(
                frames,
                answer,
                content_type="text/event-stream; charset=utf-8",
                headers={**self._headers(), "cache-control": "no-cache"},
            )
        payload = {
            "model": plan.model,
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "content": _content(plan),
            "stop_reason": _STOP_REASONS[plan.finish],
            "stop_sequence": None,
            "usage": message_usage(plan.usage),
        }
        return json_reply(payload, answer, headers=self._headers())

    def handle_chat(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        """OpenAI-compatible Chat Completions (the OpenAI SDK sends no anthropic-version)."""
        return chat_completion(req, answer, headers=self._headers())

    def handle_count_tokens(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        body = self._body(req, need_max_tokens=False)
        count = estimate_tokens(_prompt_chars(body))
        if answer is not None and answer.usage is not None:
            count = answer.usage.uncached_input_tokens
        return json_reply({"input_tokens": count}, answer, headers=self._headers())

    # --- models -------------------------------------------------------------------------------

    def handle_models(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        models = self.models
        if "after_id" in req.query and req.query["after_id"] in models:
            models = models[models.index(req.query["after_id"]) + 1 :]
        if "before_id" in req.query and req.query["before_id"] in models:
            models = models[: models.index(req.query["before_id"])]
        limit = int(req.query.get("limit") or 20)
        page = models[:limit]
        payload = {
            "data": [self._model(m) for m in page],
            "has_more": len(models) > limit,
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        }
        return json_reply(payload, answer, headers=self._headers())

    def handle_model(self, req: RecordedRequest, answer: Answer | None) -> Reply:
        model = req.params["model"]
        if model not in self.models:
            return self.error(404, f"model: {model}")
        return json_reply(self._model(model), answer, headers=self._headers())

    def _model(self, model: str) -> dict[str, Any]:
        words = model.split("-")
        display = " ".join(w.capitalize() for w in words if not w.isdigit() or len(w) < 8)
        return {
            "type": "model",
            "id": model,
            "display_name": display,
            "created_at": "2025-09-29T00:00:00Z",
        }


def message_usage(usage: Usage) -> dict[str, Any]:
    """Anthropic ``usage``: ``input_tokens`` excludes cache reads and writes."""
    return {
        "input_tokens": usage.uncached_input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_tokens,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": usage.output_tokens,
        "service_tier": "standard",
    }


def _prompt_chars(body: dict[str, Any]) -> int:
    return prompt_chars(body.get("system"), body.get("messages"), body.get("tools"))


def _facts(body: dict[str, Any]) -> Facts:
    messages = body["messages"]
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    content = last.get("content")
    user_text = ""
    tool_result: str | None = None
    if last.get("role") == "user":
        results = (
            [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
            if isinstance(content, list)
            else []
        )
        if results:
            tool_result = tool_result_text(results[-1].get("content", ""))
        else:
            user_text = text_of(content)
    tools = tuple(
        Tool(str(t.get("name", "")), t.get("input_schema") or {})
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("type") in (None, "custom")
    )
    choice = body.get("tool_choice") or {}
    forced: str | bool = False
    if choice.get("type") == "any":
        forced = True
    elif choice.get("type") == "tool":
        forced = str(choice.get("name") or True)
    thinking = (body.get("thinking") or {}).get("type") in ("enabled", "adaptive")
    return Facts(
        model=str(body["model"]),
        user_text=user_text,
        tool_result=tool_result,
        tools=tools,
        forced_tool=forced,
        tools_disabled=choice.get("type") == "none",
        thinking=thinking,
        max_output_tokens=int(body["max_tokens"]),
        prompt_chars=_prompt_chars(body),
    )


def _check_tool_pairs(messages: list[Any]) -> None:
    """Anthropic's 400s: every tool_use answered in the next message, and only those."""
    previous_uses: set[str] = set()
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            raise BadRequest(f"messages.{i}: Input should be a valid dictionary")
        content = msg.get("content")
        blocks: list[Any] = content if isinstance(content, list) else []
        results = {
            str(b.get("tool_use_id")): j
            for j, b in enumerate(blocks)
            if isinstance(b, dict) and b.get("type") == "tool_result"
        }
        missing = [u for u in sorted(previous_uses) if u not in results]
        if previous_uses and missing:
            raise BadRequest(
                f"messages.{i - 1}: `tool_use` ids were found without `tool_result` blocks"
                f" immediately after: {', '.join(missing)}. Each `tool_use` block must have a"
                " corresponding `tool_result` block in the next message."
            )
        for use_id, j in results.items():
            if use_id not in previous_uses:
                raise BadRequest(
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result`"
                    f" blocks: {use_id}. Each `tool_result` block must have a corresponding"
                    " `tool_use` block in the previous message."
                )
        previous_uses = (
            {
                str(b.get("id"))
                for b in blocks
                if isinstance(b, dict) and b.get("type") == "tool_use"
            }
            if msg.get("role") == "assistant"
            else set()
        )
    if previous_uses:
        raise BadRequest(
            f"messages.{len(messages) - 1}: `tool_use` ids were found without `tool_result`"
            f" blocks immediately after: {', '.join(sorted(previous_uses))}. Each `tool_use`"
            " block must have a corresponding `tool_result` block in the next message."
        )


def _content(plan: Plan) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if plan.reasoning:
        blocks.append(
            {"type": "thinking", "thinking": plan.reasoning, "signature": signature(plan.reasoning)}
        )
    if plan.text or not plan.tool_calls:
        blocks.append({"type": "text", "text": plan.text})
    blocks.extend(
        {"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)}
        for call in plan.tool_calls
    )
    return blocks


def _frames(plan: Plan, message_id: str) -> Frames:
    usage = message_usage(plan.usage)
    events = [
        sse_event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "model": plan.model,
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {**usage, "output_tokens": 1},
                },
            },
        )
    ]

    def start(index: int, block: dict[str, Any]) -> None:
        events.append(
            sse_event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
        )
        if index == 0:
            events.append(sse_event("ping", {"type": "ping"}))

    def delta(index: int, payload: dict[str, Any]) -> bytes:
        return sse_event(
            "content_block_delta", {"type": "content_block_delta", "index": index, "delta": payload}
        )

    def stop(index: int) -> bytes:
        return sse_event("content_block_stop", {"type": "content_block_stop", "index": index})

    index = 0
    if plan.reasoning:
        start(index, {"type": "thinking", "thinking": "", "signature": ""})
        events.extend(
            delta(index, {"type": "thinking_delta", "thinking": p}) for p in plan.reasoning_pieces
        )
        events.append(
            delta(index, {"type": "signature_delta", "signature": signature(plan.reasoning)})
        )
        events.append(stop(index))
        index += 1
    text_index = index
    body_start = body_end = len(events)
    if plan.text or not plan.tool_calls:
        start(index, {"type": "text", "text": ""})
        body_start = len(events)
        events.extend(delta(index, {"type": "text_delta", "text": p}) for p in plan.pieces)
        body_end = len(events)
        events.append(stop(index))
        index += 1
    for call in plan.tool_calls:
        start(index, {"type": "tool_use", "id": call.id, "name": call.name, "input": {}})
        events.append(delta(index, {"type": "input_json_delta", "partial_json": ""}))
        arguments = json.dumps(dict(call.arguments), separators=(",", ":"))
        events.extend(
            delta(index, {"type": "input_json_delta", "partial_json": fragment})
            for fragment in split_json_text(arguments)
        )
        events.append(stop(index))
        index += 1
    events.append(
        sse_event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": _STOP_REASONS[plan.finish], "stop_sequence": None},
                "usage": {
                    "input_tokens": usage["input_tokens"],
                    "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
                    "cache_read_input_tokens": usage["cache_read_input_tokens"],
                    "output_tokens": usage["output_tokens"],
                },
            },
        )
    )
    events.append(sse_event("message_stop", {"type": "message_stop"}))
    return Frames(
        events[:body_start],
        events[body_start:body_end],
        events[body_end:],
        lambda i: delta(text_index, {"type": "text_delta", "text": f" more{i}"}),
    )
