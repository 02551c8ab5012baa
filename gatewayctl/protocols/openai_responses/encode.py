"""IR stream events → Responses stream events (protocols.md §2.3, §7.10 H/I).

The sequence a strict client (Codex CLI, the openai-agents SDK, the ``openai`` SDK's
``ResponseStreamState``) rebuilds state from:

``response.created`` → ``response.in_progress`` → per output item ``output_item.added`` →
(message: ``content_part.added`` → ``output_text.delta``… → ``output_text.done`` →
``content_part.done``; reasoning: ``reasoning_summary_part.added`` →
``reasoning_summary_text.delta``… → ``.done`` → ``reasoning_summary_part.done``; function
call: ``function_call_arguments.delta``… → ``.done``) → ``output_item.done`` → exactly one
terminal event: ``response.completed`` / ``response.incomplete`` with the complete response
object rebuilt from the accumulators (output items + usage), or ``error`` +
``response.failed``.

Consecutive IR text blocks become content parts of one ``message`` item (a new item when
their Responses message id or phase differs); every ``*.done`` event carries the full
accumulated text/arguments; ``sequence_number`` increases by one per event; ``output_index``
counts output items and ``content_index`` parts within a message. Ids: ``resp_…``, ``msg_…``,
``rs_…``, ``fc_…`` (or the upstream's own when it was a Responses upstream).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.openai_common import error_object
from gatewayctl.protocols.openai_responses.response import (
    failure_error,
    message_item,
    request_echo,
    response_object,
    text_content,
)
from gatewayctl.protocols.openai_responses.shared import (
    new_id,
    now,
    own,
    response_id,
    status_for,
    usage_object,
)
from gatewayctl.protocols.usage import merge_usage


@dataclass(slots=True)
class _Open:
    kind: str  # "text" | "refusal" | "reasoning" | "function" | "custom" | "skip"
    output_index: int
    item: dict[str, Any]
    content_index: int = 0
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # this family's provider data
    part_open: bool = False  # reasoning: a summary part / content was started
    source: str | None = None  # reasoning: "summary" | "content"
    open: bool = True


class ResponsesStreamEncoder:
    """Incremental encoder; see the module docstring."""

    def __init__(self, options: EncoderOptions) -> None:
        self._options = options
        self._echo = request_echo(options.request)
        self._seq = 0
        self._started = False
        self._ended = False
        self._id = ""
        self._model = options.model or ""
        self._created = now()
        self._output: list[dict[str, Any]] = []
        self._msg: dict[str, Any] | None = None
        self._msg_index = -1
        self._blocks: dict[int, _Open] = {}
        self._usage: ir.Usage | None = None

    # ---------------------------------------------------------------------------- API

    def feed(self, event: ir.StreamEvent) -> list[WireEvent]:
        if self._ended:
            return []
        out: list[WireEvent] = []
        if isinstance(event, ir.StreamStart):
            self._start(out, event)
        elif isinstance(event, ir.BlockStart):
            self._start(out, None)
            self._block_start(out, event)
        elif isinstance(event, ir.BlockDelta):
            self._block_delta(out, event)
        elif isinstance(event, ir.BlockStop):
            block = self._blocks.get(event.index)
            if block is not None:
                self._stop(out, block)
        elif isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, ir.StreamEnd):
            self._end(out, event)
        elif isinstance(event, ir.StreamError):
            self._fail(out, event.error)
        return out

    def finish(self) -> list[WireEvent]:
        if self._ended:
            return []
        out: list[WireEvent] = []
        error = ir.ErrorInfo(502, "api_error", "upstream stream ended before completion")
        self._fail(out, error)
        return out

    # ---------------------------------------------------------------------------- helpers

    def _event(self, out: list[WireEvent], typ: str, **fields: Any) -> None:
        data: dict[str, Any] = {"type": typ, "sequence_number": self._seq, **fields}
        self._seq += 1
        out.append(WireEvent(data=data, event=typ))

    def _response(
        self,
        status: str,
        *,
        usage: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return response_object(
            resp_id=self._id,
            created_at=self._created,
            model=self._model,
            status=status,
            output=copy.deepcopy(self._output) if status != "in_progress" else [],
            usage=usage,
            echo=self._echo,
            error=error,
            incomplete_details=details,
        )

    def _start(self, out: list[WireEvent], event: ir.StreamStart | None) -> None:
        if self._started:
            return
        self._started = True
        if event is not None:
            self._id = response_id(event.id)
            self._model = self._options.model or event.model
            if event.created is not None:
                self._created = event.created
            if event.usage is not None:  # input usage known up front (Anthropic)
                self._usage = event.usage
        else:
            self._id = response_id(None)
        self._event(out, "response.created", response=self._response("in_progress"))
        self._event(out, "response.in_progress", response=self._response("in_progress"))

    def _add_item(self, out: list[WireEvent], item: dict[str, Any]) -> int:
        self._output.append(item)
        index = len(self._output) - 1
        self._event(out, "response.output_item.added", output_index=index, item=copy.deepcopy(item))
        return index

    def _close_message(self, out: list[WireEvent]) -> None:
        if self._msg is None:
            return
        self._msg["status"] = "completed"
        self._event(
            out,
            "response.output_item.done",
            output_index=self._msg_index,
            item=copy.deepcopy(self._msg),
        )
        self._msg = None

    def _close_all(self, out: list[WireEvent]) -> None:
        for block in list(self._blocks.values()):
            if block.open:
                self._stop(out, block)
        self._close_message(out)

    # ---------------------------------------------------------------------------- blocks

    def _block_start(self, out: list[WireEvent], event: ir.BlockStart) -> None:
        for block in self._blocks.values():
            if block.open:  # encoders get sequential blocks; be safe anyway
                self._stop(out, block)
        part = event.part
        data = dict(own(part.provider_data))
        if isinstance(part, ir.TextPart):
            self._start_text(out, event.index, part, data)
            return
        self._close_message(out)
        if isinstance(part, ir.ReasoningPart):
            if part.redacted and not data:
                self._blocks[event.index] = _Open("skip", -1, {})
                return
            item: dict[str, Any] = {"id": data.get("id") or new_id("rs"), "type": "reasoning"}
            item["summary"] = []
            index = self._add_item(out, item)
            self._blocks[event.index] = _Open("reasoning", index, item, data=data)
        elif isinstance(part, ir.ToolCallPart):
            custom = part.kind == "custom"
            if custom:
                item = {
                    "id": data.get("id") or new_id("ctc"),
                    "type": "custom_tool_call",
                    "call_id": part.id,
                    "name": part.name,
                    "input": "",
                }
            else:
                item = {
                    "id": data.get("id") or new_id("fc"),
                    "type": "function_call",
                    "status": "in_progress",
                    "call_id": part.id,
                    "name": part.name,
                    "arguments": "",
                }
            if part.namespace:
                item["namespace"] = part.namespace
            index = self._add_item(out, item)
            block = _Open("custom" if custom else "function", index, item, data=data)
            self._blocks[event.index] = block
            self._tool_delta(out, block, part.arguments)
        else:
            self._blocks[event.index] = _Open("skip", -1, {})

    def _start_text(
        self, out: list[WireEvent], index: int, part: ir.TextPart, data: dict[str, Any]
    ) -> None:
        mid, phase = data.get("id"), data.get("phase")
        msg = self._msg
        if msg is None or (mid and mid != msg["id"]) or phase != msg.get("phase"):
            self._close_message(out)
            msg = message_item(mid or new_id("msg"), phase)
            msg["status"] = "in_progress"
            self._msg = msg
            self._msg_index = self._add_item(out, msg)
        refusal = bool(data.get("refusal"))
        content = text_content(part, "")
        content.pop("logprobs", None)
        msg["content"].append(content)
        block = _Open(
            "refusal" if refusal else "text",
            self._msg_index,
            msg,
            content_index=len(msg["content"]) - 1,
            data=data,
        )
        self._blocks[index] = block
        self._event(
            out,
            "response.content_part.added",
            item_id=msg["id"],
            output_index=self._msg_index,
            content_index=block.content_index,
            part=copy.deepcopy(content),
        )
        self._text_delta(out, block, part.text)

    def _block_delta(self, out: list[WireEvent], event: ir.BlockDelta) -> None:
        block = self._blocks.get(event.index)
        if block is None or not block.open:
            return
        if event.provider_data:
            block.data.update(own(event.provider_data))
        if block.kind in ("text", "refusal"):
            self._text_delta(out, block, event.text)
        elif block.kind == "reasoning":
            self._reasoning_delta(out, block, event.text)
        elif block.kind in ("function", "custom"):
            self._tool_delta(out, block, event.arguments or event.text)

    def _text_delta(self, out: list[WireEvent], block: _Open, text: str) -> None:
        if not text:
            return
        block.text += text
        fields: dict[str, Any] = {
            "item_id": block.item["id"],
            "output_index": block.output_index,
            "content_index": block.content_index,
            "delta": text,
        }
        if block.kind == "refusal":
            self._event(out, "response.refusal.delta", **fields)
        else:
            self._event(out, "response.output_text.delta", **fields, logprobs=[])

    def _reasoning_delta(self, out: list[WireEvent], block: _Open, text: str) -> None:
        if not text:
            return
        if block.source is None:
            block.source = "content" if block.data.get("summary") is False else "summary"
        ids = {"item_id": block.item["id"], "output_index": block.output_index}
        if block.source == "summary" and not block.part_open:
            part = {"type": "summary_text", "text": ""}
            self._event(
                out, "response.reasoning_summary_part.added", **ids, summary_index=0, part=part
            )
        block.part_open = True
        block.text += text
        if block.source == "summary":
            self._event(
                out, "response.reasoning_summary_text.delta", **ids, summary_index=0, delta=text
            )
        else:
            self._event(out, "response.reasoning_text.delta", **ids, content_index=0, delta=text)

    def _tool_delta(self, out: list[WireEvent], block: _Open, text: str) -> None:
        if not text:
            return
        block.text += text
        typ = (
            "response.custom_tool_call_input.delta"
            if block.kind == "custom"
            else "response.function_call_arguments.delta"
        )
        self._event(out, typ, item_id=block.item["id"], output_index=block.output_index, delta=text)

    def _stop(self, out: list[WireEvent], block: _Open) -> None:
        if not block.open:
            return
        block.open = False
        ids = {"item_id": block.item.get("id"), "output_index": block.output_index}
        if block.kind in ("text", "refusal"):
            part = block.item["content"][block.content_index]
            if block.kind == "refusal":
                part["refusal"] = block.text
                self._event(
                    out,
                    "response.refusal.done",
                    **ids,
                    content_index=block.content_index,
                    refusal=block.text,
                )
            else:
                part["text"] = block.text
                notes = block.data.get("annotations")
                if isinstance(notes, list):
                    part["annotations"] = list(notes)
                self._event(
                    out,
                    "response.output_text.done",
                    **ids,
                    content_index=block.content_index,
                    text=block.text,
                    logprobs=[],
                )
            self._event(
                out,
                "response.content_part.done",
                **ids,
                content_index=block.content_index,
                part=copy.deepcopy(part),
            )
        elif block.kind == "reasoning":
            self._stop_reasoning(out, block, ids)
        elif block.kind in ("function", "custom"):
            self._stop_tool(out, block, ids)

    def _stop_reasoning(self, out: list[WireEvent], block: _Open, ids: dict[str, Any]) -> None:
        item = block.item
        if block.source == "content":
            item["content"] = [{"type": "reasoning_text", "text": block.text}]
            self._event(
                out, "response.reasoning_text.done", **ids, content_index=0, text=block.text
            )
        elif block.part_open:
            part = {"type": "summary_text", "text": block.text}
            item["summary"] = [part]
            self._event(
                out, "response.reasoning_summary_text.done", **ids, summary_index=0, text=block.text
            )
            self._event(
                out, "response.reasoning_summary_part.done", **ids, summary_index=0, part=dict(part)
            )
            extra = block.data.get("content")
            if isinstance(extra, list) and extra:
                item["content"] = [{"type": "reasoning_text", "text": str(t)} for t in extra]
        if block.data.get("encrypted_content"):
            item["encrypted_content"] = block.data["encrypted_content"]
        self._event(
            out,
            "response.output_item.done",
            output_index=block.output_index,
            item=copy.deepcopy(item),
        )

    def _stop_tool(self, out: list[WireEvent], block: _Open, ids: dict[str, Any]) -> None:
        item = block.item
        if block.kind == "custom":
            item["input"] = block.text
            self._event(out, "response.custom_tool_call_input.done", **ids, input=block.text)
        else:
            if not block.text:
                self._tool_delta(out, block, "{}")  # "" means no arguments: send a JSON object
            item["arguments"] = block.text
            item["status"] = "completed"
            self._event(
                out,
                "response.function_call_arguments.done",
                **ids,
                name=item["name"],
                arguments=block.text,
            )
        self._event(
            out,
            "response.output_item.done",
            output_index=block.output_index,
            item=copy.deepcopy(item),
        )

    # ---------------------------------------------------------------------------- terminal

    def _end(self, out: list[WireEvent], event: ir.StreamEnd) -> None:
        self._start(out, None)
        self._close_all(out)
        usage = merge_usage(self._usage, event.usage)
        status, details = status_for(event.stop_reason)
        usage_obj = usage_object(usage) if usage is not None else None
        if status == "failed":
            response = self._response(status, usage=usage_obj, error=failure_error(None))
            self._event(out, "response.failed", response=response)
        else:
            typ = "response.completed" if status == "completed" else "response.incomplete"
            response = self._response(status, usage=usage_obj, details=details)
            self._event(out, typ, response=response)
        self._ended = True

    def _fail(self, out: list[WireEvent], error: ir.ErrorInfo) -> None:
        self._start(out, None)
        inner = error_object(error)
        self._event(out, "error", code=inner.get("code"), message=error.message, param=error.param)
        usage = usage_object(self._usage) if self._usage is not None else None
        response = self._response("failed", usage=usage, error=failure_error(error))
        self._event(out, "response.failed", response=response)
        self._ended = True
