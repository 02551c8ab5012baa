"""The Responses half of the OpenAI fake: facts from ``input`` items, the response object
and its typed event stream, which agree by construction (one builder makes both).

Also home of the small helpers the chat half shares (text of a content value, tool
arguments as a JSON string).
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes.base import BadRequest
from tests.fakes.plan import Facts, Plan, Tool, Usage, new_id, prompt_chars, signature
from tests.fakes.render import Frames, split_json_text, text_of, tool_result_text
from tests.fakes.wire import sse_event


def args_json(arguments: Any) -> str:
    """Tool-call arguments as OpenAI sends them: a compact JSON string."""
    return json.dumps(dict(arguments), separators=(",", ":"))


def responses_usage(usage: Usage) -> dict[str, Any]:
    """Responses ``usage``: input includes cached tokens, output includes reasoning."""
    input_details: dict[str, int] = {"cached_tokens": usage.cache_read_tokens}
    if usage.cache_write_tokens:
        input_details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": input_details,
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def response_items(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        return [{"type": "message", "role": "user", "content": raw}]
    if not isinstance(raw, list):
        raise BadRequest("Invalid type for 'input': expected a string or an array.", param="input")
    return [item for item in raw if isinstance(item, dict)]


def check_response_call_outputs(items: list[dict[str, Any]]) -> None:
    calls = {item.get("call_id") for item in items if item.get("type") == "function_call"}
    for item in items:
        if item.get("type") == "function_call_output" and item.get("call_id") not in calls:
            raise BadRequest(
                f"No tool call found for function call output with call_id {item.get('call_id')}.",
                param="input",
            )


def responses_facts(body: dict[str, Any], items: list[dict[str, Any]]) -> Facts:
    last = items[-1] if items else {}
    kind = last.get("type", "message")
    tools = tuple(
        Tool(str(t.get("name", "")), t.get("parameters") or {})
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("type") == "function"
    )
    choice = body.get("tool_choice")
    forced: str | bool = False
    if choice == "required":
        forced = True
    elif isinstance(choice, dict) and choice.get("type") == "function":
        forced = str(choice.get("name") or True)
    reasoning = body.get("reasoning") or {}
    thinking = bool(reasoning.get("summary")) or reasoning.get("effort") not in (None, "none")
    limit = body.get("max_output_tokens")
    return Facts(
        model=str(body["model"]),
        user_text=text_of(last.get("content"))
        if kind == "message" and last.get("role") == "user"
        else "",
        tool_result=tool_result_text(last.get("output"))
        if kind == "function_call_output"
        else None,
        tools=tools,
        forced_tool=forced,
        tools_disabled=choice == "none",
        thinking=thinking,
        max_output_tokens=int(limit) if limit is not None else None,
        prompt_chars=prompt_chars(body.get("instructions"), items, body.get("tools")),
    )


class ResponseBuilder:
    """Builds one Responses API answer: the final object and the event stream agree."""

    def __init__(
        self, body: dict[str, Any], plan: Plan, with_summary: bool, encrypted: bool
    ) -> None:
        self.body = body
        self.plan = plan
        self.with_summary = with_summary
        self.encrypted = encrypted
        self.id = new_id("resp_", 48)
        self.created = int(time.time())
        self.seq = 0
        self.reasoning_id = new_id("rs_", 48)
        self.message_id = new_id("msg_", 48)
        self.call_ids = [new_id("fc_", 48) for _ in plan.tool_calls]

    def _envelope(self, status: str, output: list[Any], usage: Any) -> dict[str, Any]:
        body = self.body
        incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": incomplete,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": self.plan.model,
            "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {
                "effort": (body.get("reasoning") or {}).get("effort"),
                "summary": (body.get("reasoning") or {}).get("summary"),
            },
            "service_tier": "default",
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": body.get("text") or {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": body.get("metadata") or {},
        }

    def _status(self) -> str:
        return "incomplete" if self.plan.finish == "length" else "completed"

    def _reasoning_item(self, done: bool) -> dict[str, Any]:
        summary = (
            [{"type": "summary_text", "text": self.plan.reasoning}]
            if done and self.with_summary
            else []
        )
        item: dict[str, Any] = {"id": self.reasoning_id, "type": "reasoning", "summary": summary}
        if self.encrypted and done:
            item["encrypted_content"] = signature(self.plan.reasoning)
        return item

    def _message_item(self, done: bool) -> dict[str, Any]:
        content = (
            [{"type": "output_text", "annotations": [], "logprobs": [], "text": self.plan.text}]
            if done
            else []
        )
        return {
            "id": self.message_id,
            "type": "message",
            "status": "completed" if done else "in_progress",
            "content": content,
            "role": "assistant",
        }

    def _call_item(self, index: int, done: bool) -> dict[str, Any]:
        call = self.plan.tool_calls[index]
        return {
            "id": self.call_ids[index],
            "type": "function_call",
            "status": "completed" if done else "in_progress",
            "arguments": args_json(call.arguments) if done else "",
            "call_id": call.id,
            "name": call.name,
        }

    def output(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if self.plan.reasoning:
            items.append(self._reasoning_item(True))
        if self.plan.text or not self.plan.tool_calls:
            items.append(self._message_item(True))
        items.extend(self._call_item(i, True) for i in range(len(self.plan.tool_calls)))
        return items

    def final(self) -> dict[str, Any]:
        return self._envelope(self._status(), self.output(), responses_usage(self.plan.usage))

    def _event(self, kind: str, **fields: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self.seq, **fields}
        self.seq += 1
        return sse_event(kind, payload)

    def frames(self) -> Frames:
        plan = self.plan
        opening = [
            self._event("response.created", response=self._envelope("in_progress", [], None)),
            self._event("response.in_progress", response=self._envelope("in_progress", [], None)),
        ]
        index = 0
        if plan.reasoning:
            opening.append(
                self._event(
                    "response.output_item.added",
                    output_index=index,
                    item=self._reasoning_item(False),
                )
            )
            if self.with_summary:
                part = {"type": "summary_text", "text": ""}
                ids = {"item_id": self.reasoning_id, "output_index": index, "summary_index": 0}
                opening.append(
                    self._event("response.reasoning_summary_part.added", **ids, part=part)
                )
                for piece in plan.reasoning_pieces:
                    opening.append(
                        self._event("response.reasoning_summary_text.delta", **ids, delta=piece)
                    )
                opening.append(
                    self._event("response.reasoning_summary_text.done", **ids, text=plan.reasoning)
                )
                opening.append(
                    self._event(
                        "response.reasoning_summary_part.done",
                        **ids,
                        part={"type": "summary_text", "text": plan.reasoning},
                    )
                )
            opening.append(
                self._event(
                    "response.output_item.done", output_index=index, item=self._reasoning_item(True)
                )
            )
            index += 1
        body: list[bytes] = []
        closing: list[bytes] = []
        endless_start = self.seq
        text_index = index
        ids = {"item_id": self.message_id, "output_index": text_index, "content_index": 0}
        if plan.text or not plan.tool_calls:
            opening.append(
                self._event(
                    "response.output_item.added", output_index=index, item=self._message_item(False)
                )
            )
            empty_part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
            opening.append(self._event("response.content_part.added", **ids, part=empty_part))
            for piece in plan.pieces:
                body.append(
                    self._event("response.output_text.delta", **ids, delta=piece, logprobs=[])
                )
            endless_start = self.seq
            closing.append(
                self._event("response.output_text.done", **ids, text=plan.text, logprobs=[])
            )
            closing.append(
                self._event(
                    "response.content_part.done",
                    **ids,
                    part={**empty_part, "text": plan.text},
                )
            )
            closing.append(
                self._event(
                    "response.output_item.done", output_index=index, item=self._message_item(True)
                )
            )
            index += 1
        for i, call in enumerate(plan.tool_calls):
            closing.append(
                self._event(
                    "response.output_item.added", output_index=index, item=self._call_item(i, False)
                )
            )
            arguments = args_json(call.arguments)
            for fragment in split_json_text(arguments):
                closing.append(
                    self._event(
                        "response.function_call_arguments.delta",
                        item_id=self.call_ids[i],
                        output_index=index,
                        delta=fragment,
                    )
                )
            closing.append(
                self._event(
                    "response.function_call_arguments.done",
                    item_id=self.call_ids[i],
                    output_index=index,
                    name=call.name,
                    arguments=arguments,
                )
            )
            closing.append(
                self._event(
                    "response.output_item.done", output_index=index, item=self._call_item(i, True)
                )
            )
            index += 1
        status = self._status()
        closing.append(self._event(f"response.{status}", response=self.final()))

        def delta(i: int) -> bytes:
            payload = {
                "type": "response.output_text.delta",
                "sequence_number": endless_start + i,
                **ids,
                "delta": f" more{i}",
                "logprobs": [],
            }
            return sse_event("response.output_text.delta", payload)

        return Frames(opening, body, closing, delta)
