"""Responses stream (typed SSE events) → IR stream events.

Mapping (protocols.md §2.3, §7.10 G):

* ``response.created`` (or the first event of any kind) → one ``StreamStart``.
* Each ``message`` content part (``output_text`` or ``refusal``) is one IR text block; each
  ``reasoning`` item is one reasoning block (summary parts joined with a blank line, or the
  raw ``reasoning_text`` when there is no summary); each ``function_call`` /
  ``custom_tool_call`` item is one tool-call block. IR indexes are 0, 1, 2… in order of first
  appearance, whatever the ``output_index`` / ``content_index`` were.
* ``*.done`` and ``output_item.done`` events carry the full text: anything the deltas missed
  is emitted as a final delta. The final ``encrypted_content`` (it changes between
  ``output_item.added`` and ``.done``), annotations and item ids ride in provider data.
* Hosted-tool items (web/file search, code interpreter, MCP, image generation…) and every
  event type we do not know are skipped without disturbing the rest.
* ``response.completed`` / ``response.incomplete`` → ``UsageUpdate`` + ``StreamEnd``; items
  present only in the terminal ``response.output`` (never streamed) are emitted whole there.
  Codex sends an empty ``output`` there: the streamed items are authoritative (§8.1).
* ``error`` / ``response.failed`` → one ``StreamError``, after which nothing is emitted (and
  before which nothing is invented: an error as the first event is reported alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.base import WireEvent
from gatewayctl.protocols.openai_common import parse_error_object
from gatewayctl.protocols.openai_responses.shared import (
    FAMILY,
    new_id,
    parse_usage,
    stop_reason_for,
    with_own,
)


@dataclass(slots=True)
class _Block:
    index: int
    kind: str  # "text" | "reasoning" | "tool"
    text: str = ""  # accumulated text / arguments
    open: bool = True
    source: str | None = None  # reasoning: "summary" | "content"
    parts: dict[int, str] = field(default_factory=dict)  # reasoning part index → text
    annotations: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class _Item:
    kind: str  # "message" | "reasoning" | "function" | "custom" | "skip"
    item_id: str | None = None
    phase: str | None = None
    encrypted: str | None = None
    blocks: dict[int, _Block] = field(default_factory=dict)  # content index → block


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class ResponsesStreamDecoder:
    """Incremental decoder; see the module docstring."""

    def __init__(self) -> None:
        self._started = False
        self._finished = False
        self._items: dict[int, _Item] = {}
        self._by_item_id: dict[str, int] = {}
        self._next_block = 0
        self._tool_calls = False
        self._refusal = False
        self._usage: ir.Usage | None = None

    # ---------------------------------------------------------------------------- API

    def feed(self, event: WireEvent) -> list[ir.StreamEvent]:
        if self._finished or not isinstance(event.data, dict):
            return []  # after the end, "[DONE]", keep-alive text
        data = event.data
        typ = _str(data.get("type")) or event.event
        out: list[ir.StreamEvent] = []
        if typ in ("response.created", "response.queued", "response.in_progress"):
            self._start(out, data.get("response"))
        elif typ == "response.output_item.added":
            self._item_added(out, data)
        elif typ == "response.output_item.done":
            self._item_done(out, data)
        elif typ == "response.content_part.added":
            self._content_part_added(out, data)
        elif typ == "response.content_part.done":
            self._content_part_done(out, data)
        elif typ in ("response.output_text.delta", "response.refusal.delta"):
            block = self._text_block(out, data, refusal=typ == "response.refusal.delta")
            if block is not None:
                self._delta(out, block, _str(data.get("delta")) or "")
        elif typ in ("response.output_text.done", "response.refusal.done"):
            refusal = typ == "response.refusal.done"
            block = self._text_block(out, data, refusal=refusal)
            if block is not None:
                self._catch_up(out, block, _str(data.get("refusal" if refusal else "text")))
        elif typ == "response.output_text.annotation.added":
            block = self._text_block(out, data, refusal=False)
            if block is not None and data.get("annotation") is not None:
                block.annotations.append(data["annotation"])
                self._annotations(out, block)
        elif typ is not None and typ.startswith("response.reasoning_"):
            self._reasoning_event(out, typ, data)
        elif typ in (
            "response.function_call_arguments.delta",
            "response.custom_tool_call_input.delta",
        ):
            block = self._tool_block(data)
            if block is not None:
                self._delta(out, block, _str(data.get("delta")) or "")
        elif typ == "response.function_call_arguments.done":
            block = self._tool_block(data)
            if block is not None:
                self._catch_up(out, block, _str(data.get("arguments")))
        elif typ == "response.custom_tool_call_input.done":
            block = self._tool_block(data)
            if block is not None:
                self._catch_up(out, block, _str(data.get("input")))
        elif typ in ("response.completed", "response.incomplete"):
            self._terminal(out, typ, data)
        elif typ == "response.failed":
            response = _dict(data.get("response"))
            err = _dict(response.get("error"))
            self._fail(out, err or {"message": "the upstream response failed"})
        elif typ == "error":
            inner = data.get("error")
            self._fail(out, inner if isinstance(inner, dict) else data)
        # anything else (hosted-tool progress, audio, keep-alives, future events): ignored
        return out

    def finish(self) -> list[ir.StreamEvent]:
        if self._finished:
            return []
        out: list[ir.StreamEvent] = []
        if not self._started:
            error = ir.ErrorInfo(502, "api_error", "upstream stream ended before any event")
            out.append(ir.StreamError(error))
        else:
            self._close_all(out)
            out.append(ir.StreamEnd("tool_use" if self._tool_calls else None, usage=self._usage))
        self._finished = True
        return out

    # ----------------------------------------------------------------------- lifecycle

    def _start(self, out: list[ir.StreamEvent], response: Any) -> None:
        if self._started:
            return
        self._started = True
        resp = _dict(response)
        created = resp.get("created_at")
        out.append(
            ir.StreamStart(
                id=_str(resp.get("id")) or "",
                model=_str(resp.get("model")) or "",
                created=int(created) if isinstance(created, int | float) else None,
            )
        )

    def _terminal(self, out: list[ir.StreamEvent], typ: str, data: dict[str, Any]) -> None:
        resp = _dict(data.get("response"))
        self._start(out, resp)
        seen = set(self._by_item_id)
        final = resp.get("output")
        for i, item in enumerate(final if isinstance(final, list) else []):
            if isinstance(item, dict) and _str(item.get("id")) not in seen and i not in self._items:
                self._item_done(out, {"output_index": i, "item": item})
        self._close_all(out)
        try:
            usage = parse_usage(resp.get("usage"))
        except InvalidInput:
            usage = None
        if usage is not None:
            self._usage = usage
            out.append(ir.UsageUpdate(usage))
        status = _str(resp.get("status")) or (
            "incomplete" if typ == "response.incomplete" else "completed"
        )
        details = resp.get("incomplete_details")
        reason = _str(details.get("reason")) if isinstance(details, dict) else None
        stop = stop_reason_for(status, reason, tool_calls=self._tool_calls, refusal=self._refusal)
        out.append(ir.StreamEnd(stop, usage=self._usage))
        self._finished = True

    def _fail(self, out: list[ir.StreamEvent], error: dict[str, Any]) -> None:
        # no StreamStart is invented for a failure before anything started
        out.append(ir.StreamError(parse_error_object(error, 0)))
        self._finished = True

    # ----------------------------------------------------------------------- blocks

    def _open(
        self, out: list[ir.StreamEvent], item: _Item, key: int, part: Any, kind: str
    ) -> _Block:
        block = _Block(index=self._next_block, kind=kind)
        self._next_block += 1
        item.blocks[key] = block
        out.append(ir.BlockStart(block.index, part))
        return block

    def _delta(self, out: list[ir.StreamEvent], block: _Block, text: str) -> None:
        if not text or not block.open:
            return
        block.text += text
        if block.kind == "tool":
            out.append(ir.BlockDelta(block.index, arguments=text))
        else:
            out.append(ir.BlockDelta(block.index, text=text))

    def _catch_up(self, out: list[ir.StreamEvent], block: _Block, full: str | None) -> None:
        """Emit what a ``done`` event's full text has beyond the deltas seen."""
        if full is not None and len(full) > len(block.text) and full.startswith(block.text):
            self._delta(out, block, full[len(block.text) :])

    def _annotations(self, out: list[ir.StreamEvent], block: _Block) -> None:
        data = {FAMILY: {"annotations": list(block.annotations)}}
        out.append(ir.BlockDelta(block.index, provider_data=data))

    def _close(self, out: list[ir.StreamEvent], block: _Block) -> None:
        if block.open:
            block.open = False
            out.append(ir.BlockStop(block.index))

    def _close_all(self, out: list[ir.StreamEvent]) -> None:
        blocks = [b for item in self._items.values() for b in item.blocks.values() if b.open]
        for block in sorted(blocks, key=lambda b: b.index):
            self._close(out, block)

    # ----------------------------------------------------------------------- items

    def _locate(self, data: dict[str, Any], *, new: bool = False) -> int:
        """The output index an event is about: ``output_index``, else the index of its
        ``item_id``, else a fresh index (new items) or the latest item (content events)."""
        index = _int(data.get("output_index"))
        if index is not None:
            return index
        item_id = _str(data.get("item_id"))
        if item_id is not None and item_id in self._by_item_id:
            return self._by_item_id[item_id]
        latest = max(self._items, default=-1)
        return latest + 1 if new or latest < 0 else latest

    def _register(self, index: int, item: _Item) -> _Item:
        self._items[index] = item
        if item.item_id:
            self._by_item_id[item.item_id] = index
        return item

    def _item_added(self, out: list[ir.StreamEvent], data: dict[str, Any]) -> None:
        self._start(out, None)
        index = self._locate(data, new=True)
        raw = data.get("item")
        if index in self._items or not isinstance(raw, dict):
            return
        typ = raw.get("type")
        item_id = _str(raw.get("id"))
        if typ == "message":
            self._register(index, _Item("message", item_id, phase=_str(raw.get("phase"))))
        elif typ == "reasoning":
            item = self._register(index, _Item("reasoning", item_id))
            item.encrypted = _str(raw.get("encrypted_content"))
            data = {"id": item_id, "encrypted_content": item.encrypted, "summary": True}
            part = ir.ReasoningPart(provider_data=with_own(data))
            self._open(out, item, 0, part, "reasoning")
        elif typ in ("function_call", "custom_tool_call"):
            custom = typ == "custom_tool_call"
            item = self._register(index, _Item("custom" if custom else "function", item_id))
            call = ir.ToolCallPart(
                id=_str(raw.get("call_id")) or item_id or new_id("call"),
                name=_str(raw.get("name")) or "",
                kind="custom" if custom else "function",
                provider_data=with_own({"id": item_id}),
                namespace=_str(raw.get("namespace")) or None,
            )
            self._tool_calls = True
            block = self._open(out, item, 0, call, "tool")
            self._delta(out, block, _str(raw.get("input" if custom else "arguments")) or "")
        else:
            self._register(index, _Item("skip", item_id))

    def _item_done(self, out: list[ir.StreamEvent], data: dict[str, Any]) -> None:
        raw = data.get("item")
        if not isinstance(raw, dict):
            return
        index = _int(data.get("output_index"))
        if index is None:
            known = self._by_item_id.get(_str(raw.get("id")) or "")
            index = known if known is not None else self._locate(data, new=True)
        if index not in self._items:
            self._item_added(out, {"output_index": index, "item": raw})
        item = self._items.get(index)
        if item is None:
            return
        if item.kind == "message":
            content = raw.get("content")
            for j, part in enumerate(content if isinstance(content, list) else []):
                if not isinstance(part, dict):
                    continue
                refusal = part.get("type") == "refusal"
                text_block = item.blocks.get(j) or self._open_text(out, item, j, refusal)
                self._finish_text(out, text_block, part)
        elif item.kind == "reasoning":
            self._finish_reasoning(out, item, raw)
        elif item.kind in ("function", "custom"):
            block = item.blocks.get(0)
            if block is not None:
                key = "input" if item.kind == "custom" else "arguments"
                self._catch_up(out, block, _str(raw.get(key)))
        for block in item.blocks.values():
            self._close(out, block)

    # ----------------------------------------------------------------------- message text

    def _open_text(self, out: list[ir.StreamEvent], item: _Item, key: int, refusal: bool) -> _Block:
        data = {"id": item.item_id, "phase": item.phase, "refusal": True if refusal else None}
        if refusal:
            self._refusal = True
        return self._open(out, item, key, ir.TextPart("", provider_data=with_own(data)), "text")

    def _text_block(
        self, out: list[ir.StreamEvent], data: dict[str, Any], *, refusal: bool
    ) -> _Block | None:
        self._start(out, None)
        index = self._locate(data)
        item = self._items.get(index)
        if item is None:
            item = self._register(index, _Item("message", _str(data.get("item_id"))))
        if item.kind != "message":
            return None
        key = _int(data.get("content_index")) or 0
        return item.blocks.get(key) or self._open_text(out, item, key, refusal)

    def _content_part_added(self, out: list[ir.StreamEvent], data: dict[str, Any]) -> None:
        part = _dict(data.get("part"))
        block = self._text_block(out, data, refusal=part.get("type") == "refusal")
        if block is not None:
            self._delta(out, block, _str(part.get("refusal") or part.get("text")) or "")

    def _content_part_done(self, out: list[ir.StreamEvent], data: dict[str, Any]) -> None:
        part = _dict(data.get("part"))
        block = self._text_block(out, data, refusal=part.get("type") == "refusal")
        if block is not None:
            self._finish_text(out, block, part)
            self._close(out, block)

    def _finish_text(self, out: list[ir.StreamEvent], block: _Block, part: dict[str, Any]) -> None:
        self._catch_up(out, block, _str(part.get("refusal") or part.get("text")))
        notes = part.get("annotations")
        if isinstance(notes, list) and notes and notes != block.annotations and block.open:
            block.annotations = list(notes)
            self._annotations(out, block)

    # ----------------------------------------------------------------------- reasoning

    def _reasoning_event(self, out: list[ir.StreamEvent], typ: str, data: dict[str, Any]) -> None:
        self._start(out, None)
        index = self._locate(data)
        item = self._items.get(index)
        if item is None:
            item = self._register(index, _Item("reasoning", _str(data.get("item_id"))))
            part = ir.ReasoningPart(provider_data=with_own({"id": item.item_id, "summary": True}))
            self._open(out, item, 0, part, "reasoning")
        block = item.blocks.get(0)
        if item.kind != "reasoning" or block is None:
            return
        if typ.startswith("response.reasoning_summary_"):
            source, key = "summary", _int(data.get("summary_index")) or 0
        elif typ.startswith("response.reasoning_text."):
            source, key = "content", _int(data.get("content_index")) or 0
        else:
            return
        full: str | None = None
        delta = ""
        if typ.endswith(".delta"):
            delta = _str(data.get("delta")) or ""
        elif typ.endswith("_text.done"):
            full = _str(data.get("text"))
        elif typ.endswith("part.done") and isinstance(data.get("part"), dict):
            full = _str(data["part"].get("text"))
        self._reasoning_text(out, block, source, key, delta, full)

    def _reasoning_text(
        self,
        out: list[ir.StreamEvent],
        block: _Block,
        source: str,
        key: int,
        delta: str = "",
        full: str | None = None,
    ) -> None:
        """Add reasoning text from ``source`` part ``key``. The first source seen is the
        block's text; the other one (raw content beside a summary) is taken from the done
        item into provider data instead."""
        if block.source is None:
            block.source = source
            if source == "content":
                out.append(ir.BlockDelta(block.index, provider_data={FAMILY: {"summary": False}}))
        if source != block.source or not block.open:
            return
        if key not in block.parts:
            if block.text:
                self._delta(out, block, "\n\n")
            block.parts[key] = ""
        if (
            full is not None
            and len(full) > len(block.parts[key])
            and full.startswith(block.parts[key])
        ):
            delta = full[len(block.parts[key]) :]
        if delta:
            block.parts[key] += delta
            self._delta(out, block, delta)

    def _finish_reasoning(
        self, out: list[ir.StreamEvent], item: _Item, raw: dict[str, Any]
    ) -> None:
        block = item.blocks.get(0)
        if block is None or not block.open:
            return
        texts = {
            "summary": _part_texts(raw.get("summary"), "summary_text"),
            "content": _part_texts(raw.get("content"), "reasoning_text"),
        }
        source = block.source or (
            "summary" if texts["summary"] or not texts["content"] else "content"
        )
        for key, text in enumerate(texts[source]):
            self._reasoning_text(out, block, source, key, full=text)
        extra: dict[str, Any] = {}
        encrypted = _str(raw.get("encrypted_content"))
        if encrypted and encrypted != item.encrypted:
            extra["encrypted_content"] = encrypted
        if item.item_id is None and _str(raw.get("id")):
            extra["id"] = raw["id"]
        if block.source == "summary" and texts["content"]:
            extra["content"] = texts["content"]
        if extra:
            out.append(ir.BlockDelta(block.index, provider_data={FAMILY: extra}))

    # ----------------------------------------------------------------------- tools

    def _tool_block(self, data: dict[str, Any]) -> _Block | None:
        item = self._items.get(self._locate(data))
        if item is None or item.kind not in ("function", "custom"):
            return None
        return item.blocks.get(0)


def _part_texts(value: Any, kind: str) -> list[str]:
    if not isinstance(value, list):
        return []
    return [
        p["text"]
        for p in value
        if isinstance(p, dict) and p.get("type", kind) == kind and isinstance(p.get("text"), str)
    ]
