"""Anthropic Messages streams ↔ IR stream events.

Decoder (upstream Anthropic SSE → IR). Real traffic has pings, whitespace-padded JSON (already
removed by JSON decoding), blocks that never get their ``content_block_stop`` (a tool_use cut by
``max_tokens``), indexes that skip (the SDK's synthetic out-of-order fixture starts at 1) and
server-tool blocks that carry no text. So the decoder:

* assigns IR indexes 0, 1, 2… in order of first appearance, whatever the wire index;
* closes a block still open when the next one starts (Anthropic blocks are sequential) and at
  ``message_delta`` / ``message_stop`` / :meth:`AnthropicStreamDecoder.finish`;
* skips server-tool and unknown blocks with their deltas (no IR form; the text around them is
  kept), and ignores citations/compaction deltas and unknown events;
* reports usage as IR snapshots: ``message_start`` input counts on :class:`ir.StreamStart`, the
  cumulative ``message_delta`` usage (merged over ``message_start``) as :class:`ir.UsageUpdate`
  and on :class:`ir.StreamEnd`;
* turns ``event: error`` into :class:`ir.StreamError` and then ignores the rest (an error that
  comes first is reported alone: no stream start is invented for it).

Encoder (IR → Anthropic SSE for an Anthropic client). It writes what the SDK's
``MessageStream`` accumulates: ``message_start`` (usage.input_tokens from the StreamStart usage,
else ``EncoderOptions.input_tokens_estimate``, else 0; ``output_tokens`` 1 like the API), then
per block ``content_block_start`` / deltas / ``content_block_stop`` with wire indexes 0..n,
``message_delta`` (stop reason, cumulative usage incl. input and cache counts when known) and
``message_stop``. Text and thinking blocks open lazily on their first content, so an empty
upstream block produces no empty block. Thinking from another family becomes a thinking block
without ``signature_delta`` (never a fabricated signature); its redacted form is dropped. An IR
:class:`ir.StreamError` becomes ``event: error`` and ends the stream. A free-form (custom) tool
call's text is streamed escaped inside ``{"input": "…"}``, the object the non-stream emitter
sends, so the client's incremental JSON parse always sees JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gatewayctl.protocols import arguments, ir
from gatewayctl.protocols.anthropic._common import (
    ERROR_TYPE_TO_KIND,
    FAMILY,
    anthropic_data,
    error_object,
    kind_from_status,
    message_id,
    stop_from_wire,
    stop_to_wire,
    tool_id,
    uncached_input,
    usage_from_wire,
)
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.usage import merge_usage

# Error HTTP statuses an in-stream error type stands for.
_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}

# --------------------------------------------------------------------------------------
# decoder
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    index: int  # IR index
    kind: str  # text | reasoning | tool_call
    open: bool = True


@dataclass(slots=True)
class AnthropicStreamDecoder:
    """Anthropic stream events → IR stream events (see module doc)."""

    _started: bool = False
    _done: bool = False
    _next_index: int = 0
    _blocks: dict[int, _Block] = field(default_factory=dict)  # wire index → block
    _skipped: set[int] = field(default_factory=set)  # wire indexes of blocks with no IR form
    _wire_usage: dict[str, Any] = field(default_factory=dict)
    _stop_reason: ir.StopReason | None = None
    _stop_sequence: str | None = None

    def feed(self, event: WireEvent) -> list[ir.StreamEvent]:
        if self._done or not isinstance(event.data, dict):
            return []
        data = event.data
        etype = data.get("type") if isinstance(data.get("type"), str) else event.event
        out: list[ir.StreamEvent] = []
        if etype == "message_start":
            self._on_start(data.get("message"), out)
        elif etype == "content_block_start":
            self._on_block_start(data, out)
        elif etype == "content_block_delta":
            self._on_delta(data, out)
        elif etype == "content_block_stop":
            wire = _index(data)
            block = self._blocks.get(wire) if wire is not None else None
            if block is not None and block.open:
                block.open = False
                out.append(ir.BlockStop(block.index))
        elif etype == "message_delta":
            self._on_message_delta(data, out)
        elif etype == "message_stop":
            self._end(out)
        elif etype == "error":  # alone when it comes first: no message_start is invented
            out.append(ir.StreamError(_stream_error(data.get("error"))))
            self._done = True
        return out  # ping and unknown events produce nothing

    def finish(self) -> list[ir.StreamEvent]:
        if self._done:
            return []
        out: list[ir.StreamEvent] = []
        self._end(out)
        return out

    # -- handlers ---------------------------------------------------------------------

    def _ensure_started(self, out: list[ir.StreamEvent], message: Any = None) -> None:
        if self._started:
            return
        self._started = True
        msg = message if isinstance(message, dict) else {}
        usage = msg.get("usage")
        start_usage: ir.Usage | None = None
        if isinstance(usage, dict):
            self._wire_usage.update({k: v for k, v in usage.items() if v is not None})
            start_usage = usage_from_wire(usage)
            start_usage.output_tokens = None  # not a final count yet
            start_usage.reasoning_tokens = None
        out.append(
            ir.StreamStart(
                id=str(msg.get("id") or ""), model=str(msg.get("model") or ""), usage=start_usage
            )
        )

    def _on_start(self, message: Any, out: list[ir.StreamEvent]) -> None:
        self._ensure_started(out, message)

    def _on_block_start(self, data: dict[str, Any], out: list[ir.StreamEvent]) -> None:
        self._ensure_started(out)
        wire = _index(data)
        block = data.get("content_block")
        if wire is None or not isinstance(block, dict) or wire in self._blocks:
            return
        self._close_open(out)
        btype = block.get("type")
        part: ir.TextPart | ir.ReasoningPart | ir.ToolCallPart
        first_delta: ir.BlockDelta | None = None
        if btype == "text":
            part, kind = ir.TextPart(""), "text"
            if isinstance(block.get("text"), str) and block["text"]:
                first_delta = ir.BlockDelta(self._next_index, text=block["text"])
        elif btype == "thinking":
            part, kind = ir.ReasoningPart(), "reasoning"
            text, signature = block.get("thinking"), block.get("signature")
            if isinstance(signature, str) and signature:
                part.provider_data = {FAMILY: {"signature": signature}}
            if isinstance(text, str) and text:
                first_delta = ir.BlockDelta(self._next_index, text=text)
        elif btype == "redacted_thinking" and isinstance(block.get("data"), str):
            part, kind = ir.ReasoningPart(redacted=True), "reasoning"
            part.provider_data = {FAMILY: {"redacted_data": block["data"]}}
        elif btype == "tool_use":
            part, kind = (
                ir.ToolCallPart(id=str(block.get("id") or ""), name=str(block.get("name") or "")),
                "tool_call",
            )
            initial = block.get("input")
            if isinstance(initial, dict) and initial:
                first_delta = ir.BlockDelta(self._next_index, arguments=arguments.to_text(initial))
        else:
            self._skipped.add(wire)
            return
        self._blocks[wire] = _Block(self._next_index, kind)
        out.append(ir.BlockStart(self._next_index, part))
        if first_delta is not None:
            out.append(first_delta)
        self._next_index += 1

    def _on_delta(self, data: dict[str, Any], out: list[ir.StreamEvent]) -> None:
        wire = _index(data)
        delta = data.get("delta")
        if wire is None or wire in self._skipped or not isinstance(delta, dict):
            return
        dtype = delta.get("type")
        block = self._blocks.get(wire)
        if block is None:
            # A delta for a block that never started: open text/thinking lazily.
            if dtype not in ("text_delta", "thinking_delta"):
                return
            kind = "text" if dtype == "text_delta" else "thinking"
            self._on_block_start(
                {"index": wire, "content_block": {"type": kind, kind: ""}},
                out,
            )
            block = self._blocks.get(wire)
            if block is None:
                return
        if not block.open:
            return
        if dtype == "text_delta" and block.kind == "text":
            text = delta.get("text")
            if isinstance(text, str) and text:
                out.append(ir.BlockDelta(block.index, text=text))
        elif dtype == "thinking_delta" and block.kind == "reasoning":
            text = delta.get("thinking")
            if isinstance(text, str) and text:
                out.append(ir.BlockDelta(block.index, text=text))
        elif dtype == "signature_delta" and block.kind == "reasoning":
            signature = delta.get("signature")
            if isinstance(signature, str) and signature:
                pd: ir.ProviderData = {FAMILY: {"signature": signature}}
                out.append(ir.BlockDelta(block.index, provider_data=pd))
        elif dtype == "input_json_delta" and block.kind == "tool_call":
            fragment = delta.get("partial_json")
            if isinstance(fragment, str) and fragment:
                out.append(ir.BlockDelta(block.index, arguments=fragment))
        # citations_delta, compaction_delta, mismatched or unknown deltas: nothing

    def _on_message_delta(self, data: dict[str, Any], out: list[ir.StreamEvent]) -> None:
        self._ensure_started(out)
        self._close_open(out)
        delta = data.get("delta")
        if isinstance(delta, dict):
            reason = stop_from_wire(delta.get("stop_reason"))
            if reason is not None:
                self._stop_reason = reason
            seq = delta.get("stop_sequence")
            self._stop_sequence = seq if isinstance(seq, str) else self._stop_sequence
        usage = data.get("usage")
        if isinstance(usage, dict):
            self._wire_usage.update({k: v for k, v in usage.items() if v is not None})
            out.append(ir.UsageUpdate(usage_from_wire(self._wire_usage)))

    def _close_open(self, out: list[ir.StreamEvent]) -> None:
        for block in self._blocks.values():
            if block.open:
                block.open = False
                out.append(ir.BlockStop(block.index))

    def _end(self, out: list[ir.StreamEvent]) -> None:
        self._ensure_started(out)
        self._close_open(out)
        usage = usage_from_wire(self._wire_usage) if self._wire_usage else None
        seq = self._stop_sequence if self._stop_reason == "stop_sequence" else None
        out.append(ir.StreamEnd(self._stop_reason, seq, usage))
        self._done = True


def _index(data: dict[str, Any]) -> int | None:
    index = data.get("index")
    return index if isinstance(index, int) and not isinstance(index, bool) else None


def _stream_error(error: Any) -> ir.ErrorInfo:
    err = error if isinstance(error, dict) else {}
    etype = str(err.get("type") or "api_error")
    message = str(err.get("message") or "stream error")
    status = _ERROR_STATUS.get(etype, 500)
    kind = ERROR_TYPE_TO_KIND.get(etype) or kind_from_status(status)
    code = etype if etype == "billing_error" else None
    return ir.ErrorInfo(status=status, kind=kind, message=message, code=code)


# --------------------------------------------------------------------------------------
# encoder
# --------------------------------------------------------------------------------------


def _wire(data: dict[str, Any]) -> WireEvent:
    return WireEvent(data=data, event=data["type"])


@dataclass(slots=True)
class _OutBlock:
    kind: str  # text | reasoning | redacted | tool_call | ignored
    wire: int | None = None  # wire index once opened (text/thinking open lazily)
    closed: bool = False
    start: dict[str, Any] | None = None  # the content_block to open with
    signature: str | None = None  # an Anthropic signature not yet sent
    free_form: bool = False  # a custom (free-form) tool: text wrapped as {"input": "…"}


@dataclass(slots=True)
class AnthropicStreamEncoder:
    """IR stream events → Anthropic stream events (see module doc)."""

    options: EncoderOptions
    _started: bool = False
    _done: bool = False
    _next_wire: int = 0
    _blocks: dict[int, _OutBlock] = field(default_factory=dict)  # IR index → block
    _usage: ir.Usage | None = None
    _has_calls: bool = False

    def feed(self, event: ir.StreamEvent) -> list[WireEvent]:
        if self._done:
            return []
        out: list[WireEvent] = []
        if isinstance(event, ir.StreamStart):
            self._start(out, event)
        elif isinstance(event, ir.BlockStart):
            self._start(out)
            self._block_start(event, out)
        elif isinstance(event, ir.BlockDelta):
            self._block_delta(event, out)
        elif isinstance(event, ir.BlockStop):
            block = self._blocks.get(event.index)
            if block is not None:
                self._stop(block, out)
        elif isinstance(event, ir.UsageUpdate):
            self._usage = merge_usage(self._usage, event.usage)
        elif isinstance(event, ir.StreamEnd):
            self._usage = merge_usage(self._usage, event.usage)
            self._finish(out, event.stop_reason, event.stop_sequence)
        elif isinstance(event, ir.StreamError):
            self._start(out)
            out.append(_wire({"type": "error", "error": error_object(event.error)}))
            self._done = True
        return out

    def finish(self) -> list[WireEvent]:
        """Terminate a stream whose input ended without StreamEnd (or never started)."""
        if self._done:
            return []
        out: list[WireEvent] = []
        self._finish(out, None, None)
        return out

    # -- pieces -----------------------------------------------------------------------

    def _start(self, out: list[WireEvent], start: ir.StreamStart | None = None) -> None:
        if self._started:
            return
        self._started = True
        if start is not None:
            self._usage = merge_usage(self._usage, start.usage)
        # every count the real message_start carries, as integers (Claude Code reads them)
        usage: dict[str, Any] = {
            "input_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 1,
        }
        known = self._usage
        if known is not None and known.input_tokens is not None:
            usage["input_tokens"] = uncached_input(known)
            usage["cache_creation_input_tokens"] = known.cache_creation_tokens or 0
            usage["cache_read_input_tokens"] = known.cache_read_tokens or 0
        elif self.options.input_tokens_estimate is not None:
            usage["input_tokens"] = self.options.input_tokens_estimate
        message: dict[str, Any] = {
            "id": message_id(start.id if start is not None else ""),
            "type": "message",
            "role": "assistant",
            "model": self.options.model or (start.model if start is not None else ""),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        out.append(_wire({"type": "message_start", "message": message}))

    def _block_start(self, event: ir.BlockStart, out: list[WireEvent]) -> None:
        if event.index in self._blocks:
            return
        self._close_all(out)  # blocks are sequential on the Anthropic wire
        part = event.part
        pd = anthropic_data(part.provider_data)
        if isinstance(part, ir.ToolCallPart):
            block = _OutBlock("tool_call", free_form=part.kind == "custom")
            self._blocks[event.index] = block
            self._has_calls = True
            tool = {"type": "tool_use", "id": tool_id(part.id), "name": part.name, "input": {}}
            self._open(block, out, tool)
            if block.free_form:
                out.append(_delta(block, _json_delta('{"input": "')))
            if part.arguments:
                out.append(_delta(block, _arguments_delta(block, part.arguments)))
            return
        if isinstance(part, ir.ReasoningPart):
            data = pd.get("redacted_data")
            if isinstance(data, str) and data:
                block = _OutBlock("redacted")
                self._blocks[event.index] = block
                self._open(block, out, {"type": "redacted_thinking", "data": data})
                return
            if part.redacted:  # another family's opaque reasoning: nothing to show
                self._blocks[event.index] = _OutBlock("ignored")
                return
            signature = pd.get("signature")
            block = _OutBlock(
                "reasoning",
                start={"type": "thinking", "thinking": "", "signature": ""},
                signature=signature if isinstance(signature, str) and signature else None,
            )
        else:
            block = _OutBlock("text", start={"type": "text", "text": ""})
        self._blocks[event.index] = block
        if part.text:
            self._text(block, part.text, out)

    def _block_delta(self, event: ir.BlockDelta, out: list[WireEvent]) -> None:
        block = self._blocks.get(event.index)
        if block is None or block.closed:
            return
        if block.kind == "tool_call":
            if event.arguments:
                out.append(_delta(block, _arguments_delta(block, event.arguments)))
            return
        if block.kind not in ("text", "reasoning"):
            return
        if event.text:
            self._text(block, event.text, out)
        if block.kind == "reasoning" and event.provider_data:
            signature = anthropic_data(event.provider_data).get("signature")
            if isinstance(signature, str) and signature:
                block.signature = None
                if block.wire is None:
                    self._open(block, out)
                out.append(_delta(block, {"type": "signature_delta", "signature": signature}))

    def _open(
        self, block: _OutBlock, out: list[WireEvent], content: dict[str, Any] | None = None
    ) -> None:
        block.wire = self._next_wire
        self._next_wire += 1
        start = {"type": "content_block_start", "index": block.wire}
        start["content_block"] = content if content is not None else block.start
        out.append(_wire(start))

    def _text(self, block: _OutBlock, text: str, out: list[WireEvent]) -> None:
        if block.wire is None:
            self._open(block, out)
        if block.kind == "text":
            out.append(_delta(block, {"type": "text_delta", "text": text}))
        else:
            out.append(_delta(block, {"type": "thinking_delta", "thinking": text}))

    def _stop(self, block: _OutBlock, out: list[WireEvent]) -> None:
        if block.closed:
            return
        block.closed = True
        if block.wire is None:
            if block.kind != "reasoning" or block.signature is None:
                return  # a lazy block that never got content: never opened
            self._open(block, out)  # signed thinking with no text still has to replay
        if block.kind == "reasoning" and block.signature is not None:
            out.append(_delta(block, {"type": "signature_delta", "signature": block.signature}))
        if block.free_form:
            out.append(_delta(block, _json_delta('"}')))
        out.append(_wire({"type": "content_block_stop", "index": block.wire}))

    def _close_all(self, out: list[WireEvent]) -> None:
        for block in self._blocks.values():
            self._stop(block, out)

    def _finish(
        self, out: list[WireEvent], reason: ir.StopReason | None, sequence: str | None
    ) -> None:
        self._start(out)
        self._close_all(out)
        stop = stop_to_wire(reason, self._has_calls)
        usage: dict[str, Any] = {"output_tokens": 0}
        known = self._usage
        if known is not None:
            usage["output_tokens"] = known.output_tokens or 0
            if known.input_tokens is not None:
                usage["input_tokens"] = uncached_input(known)
            if known.cache_creation_tokens is not None:
                usage["cache_creation_input_tokens"] = known.cache_creation_tokens
            if known.cache_read_tokens is not None:
                usage["cache_read_input_tokens"] = known.cache_read_tokens
            if known.reasoning_tokens is not None:
                usage["output_tokens_details"] = {"thinking_tokens": known.reasoning_tokens}
        delta = {
            "stop_reason": stop,
            "stop_sequence": sequence if stop == "stop_sequence" else None,
        }
        out.append(_wire({"type": "message_delta", "delta": delta, "usage": usage}))
        out.append(_wire({"type": "message_stop"}))
        self._done = True


def _arguments_delta(block: _OutBlock, fragment: str) -> dict[str, Any]:
    """A tool-argument fragment; a free-form tool's text is escaped into its JSON string."""
    if block.free_form:
        fragment = json.dumps(fragment, ensure_ascii=False)[1:-1]
    return _json_delta(fragment)


def _json_delta(fragment: str) -> dict[str, Any]:
    return {"type": "input_json_delta", "partial_json": fragment}


def _delta(block: _OutBlock, delta: dict[str, Any]) -> WireEvent:
    return _wire({"type": "content_block_delta", "index": block.wire, "delta": delta})
