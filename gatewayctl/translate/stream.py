"""Make any valid IR event stream strictly sequential, the shape every encoder assumes.

Decoders report what the upstream sends, and upstreams are messy: OpenAI Chat interleaves the
argument fragments of parallel tool calls, text blocks are rarely "stopped" (a Chat chunk just
starts carrying tool calls), a truncated Anthropic stream leaves its tool_use block open,
a buggy upstream sends a delta for an index it never opened. Encoders, on the other hand,
write protocols that nest (Anthropic content blocks, Responses output items) and need one
open block at a time. :class:`Sequencer` sits between them:

* Output blocks are strictly sequential — ``BlockStart``, its ``BlockDelta``\\ s,
  ``BlockStop`` — and numbered 0, 1, 2… in emission order (the input's indexes are opaque keys).
* A text or reasoning block is closed as soon as another block starts: no protocol interleaves
  text with anything, so a later block means the text is done. If more text for it arrives
  anyway, it continues in a new block of the same kind — text is never reordered relative to
  other text.
* A tool-call block stays open until it is stopped (or the stream ends), because parallel
  calls really interleave. Blocks that start meanwhile are buffered, with their deltas, and
  emitted in order of first appearance when the open call stops. A call's argument fragments
  are never merged or reordered.
* A delta for an index never opened gets a block synthesised for it (text for text, a tool call
  with a generated id for arguments). A delta for a tool call already stopped and emitted
  cannot be placed and is dropped.
* Exactly one ``StreamStart`` first, synthesised if the input had none. It is held back
  until the next event arrives: if that is a ``StreamError`` (an upstream that fails before
  producing anything), the error is passed alone and no start is emitted — the gateway, having
  sent nothing yet, can still answer with a real HTTP error status. Exactly one
  terminal event last: ``StreamEnd`` closes every open and buffered block first; a
  ``StreamError`` does the same and then ends the stream; :meth:`Sequencer.finish` emits a
  ``StreamEnd`` when the input ended without either. Nothing is emitted after the terminal.
* ``UsageUpdate`` events pass through as cumulative snapshots merged field by field (a field
  reported once is never lost by a later, partial snapshot); ``StreamEnd.usage`` carries the
  merged total.
* A stream that made tool calls but ended with ``end_turn`` reports ``tool_use`` (Gemini says
  STOP after function calls; some Chat-compatible servers say ``stop``).
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from gatewayctl.protocols import ir
from gatewayctl.protocols.usage import merge_usage

SkeletonPart = ir.TextPart | ir.ReasoningPart | ir.ToolCallPart


def merge_provider_data(target: ir.ProviderData, extra: ir.ProviderData | None) -> None:
    """Merge ``extra`` into ``target`` family by family (later values win per key)."""
    if not extra:
        return
    for family, values in extra.items():
        if isinstance(values, dict):
            target.setdefault(family, {}).update(values)


def empty_skeleton(part: SkeletonPart) -> SkeletonPart:
    """A content-free copy of ``part`` (keeps ids, names, flags and provider data)."""
    data = {k: dict(v) for k, v in part.provider_data.items()}
    if isinstance(part, ir.TextPart):
        return ir.TextPart("", provider_data=data)
    if isinstance(part, ir.ReasoningPart):
        return ir.ReasoningPart("", redacted=part.redacted, provider_data=data)
    return ir.ToolCallPart(
        part.id, part.name, "", kind=part.kind, provider_data=data, namespace=part.namespace
    )


def copy_part(part: SkeletonPart) -> SkeletonPart:
    """An independent copy of ``part``, content included."""
    copy = empty_skeleton(part)
    if isinstance(copy, ir.ToolCallPart):
        copy.arguments = part.arguments if isinstance(part, ir.ToolCallPart) else ""
    else:
        copy.text = "" if isinstance(part, ir.ToolCallPart) else part.text
    return copy


@dataclass(slots=True, eq=False)
class _Block:
    src: int
    part: SkeletonPart
    deltas: list[ir.BlockDelta] = field(default_factory=list)
    stopped: bool = False  # the input stopped it
    out: int | None = None  # output index once started downstream
    closed: bool = False  # output BlockStop emitted

    @property
    def is_tool(self) -> bool:
        return isinstance(self.part, ir.ToolCallPart)


class Sequencer:
    """Incremental: ``feed(event) -> events``; ``finish() -> events`` at end of input."""

    def __init__(self) -> None:
        self._blocks: dict[int, _Block] = {}
        self._active: _Block | None = None
        self._queue: deque[_Block] = deque()
        self._next_out = 0
        self._started = False  # the StreamStart went out (or an error replaced the stream)
        self._pending_start: ir.StreamStart | None = None
        self._done = False
        self._usage: ir.Usage | None = None
        self._saw_tool = False
        self._synth_ids = 0

    @property
    def done(self) -> bool:
        """True once the terminal event has been emitted."""
        return self._done

    @property
    def usage(self) -> ir.Usage | None:
        """The merged usage seen so far."""
        return self._usage

    def feed(self, event: ir.StreamEvent) -> list[ir.StreamEvent]:
        if self._done:
            return []
        out: list[ir.StreamEvent] = []
        if isinstance(event, ir.StreamStart):
            if event.usage is not None:
                self._usage = merge_usage(self._usage, event.usage)
            if self._pending_start is not None:
                self._pending_start.usage = self._usage
            elif self._started:
                if event.usage is not None:
                    out.append(ir.UsageUpdate(replace(self._usage or ir.Usage())))
            else:
                self._pending_start = replace(event, usage=self._usage)
            return out
        if isinstance(event, ir.StreamError) and not self._started:
            # an error before anything but the start: no start is emitted, so the gateway can
            # still answer with a real HTTP status if it has sent nothing yet
            self._pending_start = None
            self._started = True
            self._done = True
            return [event]
        self._ensure_started(out)
        if isinstance(event, ir.BlockStart):
            self._on_start(event, out)
        elif isinstance(event, ir.BlockDelta):
            self._on_delta(event, out)
        elif isinstance(event, ir.BlockStop):
            self._on_stop(event.index, out)
        elif isinstance(event, ir.UsageUpdate):
            self._usage = merge_usage(self._usage, event.usage)
            out.append(ir.UsageUpdate(replace(self._usage or ir.Usage())))
        elif isinstance(event, ir.StreamEnd):
            self._flush(out)
            self._usage = merge_usage(self._usage, event.usage)
            stop = event.stop_reason
            if stop == "end_turn" and self._saw_tool:
                stop = "tool_use"
            out.append(ir.StreamEnd(stop, event.stop_sequence, self._usage))
            self._done = True
        elif isinstance(event, ir.StreamError):
            self._flush(out)
            out.append(event)
            self._done = True
        return out

    def finish(self) -> list[ir.StreamEvent]:
        """End of input: close everything and emit the terminal event if none was seen."""
        if self._done:
            return []
        out: list[ir.StreamEvent] = []
        self._ensure_started(out)
        self._flush(out)
        out.append(ir.StreamEnd(None, None, self._usage))
        self._done = True
        return out

    # -- internals -------------------------------------------------------------------

    def _ensure_started(self, out: list[ir.StreamEvent]) -> None:
        if self._started:
            return
        self._started = True
        start = self._pending_start
        self._pending_start = None
        if start is None:
            start = ir.StreamStart(id=f"gen-{uuid.uuid4().hex[:24]}", model="")
        out.append(start)

    def _on_start(self, event: ir.BlockStart, out: list[ir.StreamEvent]) -> None:
        existing = self._blocks.get(event.index)
        if existing is not None and not existing.stopped and not existing.closed:
            # a repeated start for an open block: keep the first, merge what it adds
            merge_provider_data(existing.part.provider_data, event.part.provider_data)
            return
        block = _Block(event.index, event.part)
        self._blocks[event.index] = block
        self._admit(block, out)

    def _on_delta(self, event: ir.BlockDelta, out: list[ir.StreamEvent]) -> None:
        block = self._blocks.get(event.index)
        if block is None:
            block = _Block(event.index, self._synth_part(event))
            self._blocks[event.index] = block
            self._admit(block, out)
        elif block.closed:
            if block.is_tool:
                return  # arguments for a call already emitted and stopped: nowhere to go
            block = _Block(event.index, empty_skeleton(block.part))
            block.part.provider_data.clear()
            self._blocks[event.index] = block
            self._admit(block, out)
        if block is self._active:
            out.append(self._renumber(event, block))
        else:
            block.deltas.append(event)

    def _on_stop(self, index: int, out: list[ir.StreamEvent]) -> None:
        block = self._blocks.get(index)
        if block is None or block.stopped:
            return
        block.stopped = True
        if block is self._active:
            self._close(block, out)
            self._active = None
            self._drain(out)

    def _synth_part(self, event: ir.BlockDelta) -> SkeletonPart:
        if event.arguments and not event.text:
            self._synth_ids += 1
            return ir.ToolCallPart(id=f"call_gen{self._synth_ids}", name="")
        return ir.TextPart("")

    def _admit(self, block: _Block, out: list[ir.StreamEvent]) -> None:
        active = self._active
        if active is not None and not active.is_tool and not self._queue:
            self._close(active, out)
            self._active = None
            active = None
        if active is None and not self._queue:
            self._open(block, out)
            self._active = block
        else:
            self._queue.append(block)

    def _open(self, block: _Block, out: list[ir.StreamEvent]) -> None:
        block.out = self._next_out
        self._next_out += 1
        if block.is_tool:
            self._saw_tool = True
        out.append(ir.BlockStart(block.out, block.part))
        for delta in block.deltas:
            out.append(self._renumber(delta, block))
        block.deltas.clear()

    def _close(self, block: _Block, out: list[ir.StreamEvent]) -> None:
        if block.out is not None and not block.closed:
            block.closed = True
            out.append(ir.BlockStop(block.out))

    def _drain(self, out: list[ir.StreamEvent]) -> None:
        while self._queue:
            block = self._queue.popleft()
            self._open(block, out)
            if block.stopped or (not block.is_tool and self._queue):
                self._close(block, out)
                continue
            self._active = block
            return

    def _flush(self, out: list[ir.StreamEvent]) -> None:
        if self._active is not None:
            self._close(self._active, out)
            self._active = None
        while self._queue:
            block = self._queue.popleft()
            self._open(block, out)
            self._close(block, out)

    @staticmethod
    def _renumber(delta: ir.BlockDelta, block: _Block) -> ir.BlockDelta:
        assert block.out is not None
        if delta.index == block.out:
            return delta
        return ir.BlockDelta(block.out, delta.text, delta.arguments, delta.provider_data)


def sequence_blocks(events: Iterable[ir.StreamEvent]) -> list[ir.StreamEvent]:
    """Run a whole event stream through a :class:`Sequencer` (ends with one terminal)."""
    seq = Sequencer()
    out: list[ir.StreamEvent] = []
    for event in events:
        out.extend(seq.feed(event))
    out.extend(seq.finish())
    return out
