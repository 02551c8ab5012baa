"""Stream ↔ non-stream at the IR level.

:func:`aggregate` folds an IR event stream into one :class:`ir.Response` — how a non-stream
client is served by a stream-only upstream (Codex) or a stream the gateway asked for. It runs
the events through a :class:`~gatewayctl.translate.stream.Sequencer` first, so every oddity the
sequencer tolerates (interleaved calls, unstopped blocks, stray deltas) is handled once, the
same way as on the streaming path. Deltas' ``provider_data`` (signatures, encrypted reasoning)
is merged into the part it belongs to; usage is the field-wise merge of every snapshot (the
last value of each field wins).

:func:`synthesize` does the reverse for a stream client served by a non-stream upstream: the
whole answer as one burst of events. Each block is one ``BlockStart`` (a content-free skeleton
that already carries the part's ids and provider data, as decoders do for data known up front)
and one ``BlockDelta`` with the full content and the provider data again (as decoders do for
data that arrives with the content) — encoders merge provider data, so repeating it is harmless
and lets each encoder find it where it looks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from gatewayctl.protocols import ir
from gatewayctl.protocols.usage import merge_usage
from gatewayctl.translate.stream import (
    Sequencer,
    SkeletonPart,
    copy_part,
    empty_skeleton,
    merge_provider_data,
)


class StreamFailed(Exception):
    """The stream being aggregated ended with an in-stream error."""

    def __init__(self, error: ir.ErrorInfo, partial: ir.Response) -> None:
        super().__init__(error.message)
        self.error = error
        self.partial = partial


class Aggregator:
    """Feed IR events one by one; :meth:`result` builds the response at the end."""

    def __init__(self) -> None:
        self._seq = Sequencer()
        self._id = ""
        self._model = ""
        self._created: int | None = None
        self._parts: dict[int, SkeletonPart] = {}
        self._order: list[int] = []
        self._stop: ir.StopReason | None = None
        self._stop_sequence: str | None = None
        self._usage: ir.Usage | None = None
        self._error: ir.ErrorInfo | None = None
        self._finished = False

    @property
    def error(self) -> ir.ErrorInfo | None:
        return self._error

    def feed(self, event: ir.StreamEvent) -> None:
        if isinstance(event, ir.StreamStart) and not (self._id or self._model):
            # known even if the sequencer drops the start (an error right after it)
            self._id, self._model, self._created = event.id, event.model, event.created
            self._usage = merge_usage(self._usage, event.usage)
        for ev in self._seq.feed(event):
            self._apply(ev)

    def feed_all(self, events: Iterable[ir.StreamEvent]) -> None:
        for event in events:
            self.feed(event)

    def _apply(self, ev: ir.StreamEvent) -> None:
        if isinstance(ev, ir.StreamStart):
            if not (self._id or self._model):
                self._id, self._model, self._created = ev.id, ev.model, ev.created
            self._usage = merge_usage(self._usage, ev.usage)
        elif isinstance(ev, ir.BlockStart):
            # a copy, keeping any content a decoder put on the skeleton itself
            self._parts[ev.index] = copy_part(ev.part)
            self._order.append(ev.index)
        elif isinstance(ev, ir.BlockDelta):
            part = self._parts.get(ev.index)
            if part is None:
                return
            if isinstance(part, ir.ToolCallPart):
                part.arguments += ev.arguments
            else:
                part.text += ev.text
            merge_provider_data(part.provider_data, ev.provider_data)
        elif isinstance(ev, ir.UsageUpdate):
            self._usage = merge_usage(self._usage, ev.usage)
        elif isinstance(ev, ir.StreamEnd):
            self._stop, self._stop_sequence = ev.stop_reason, ev.stop_sequence
            self._usage = merge_usage(self._usage, ev.usage)
        elif isinstance(ev, ir.StreamError):
            self._error = ev.error
            self._stop = "error"

    def result(self) -> ir.Response:
        """The aggregated response. Raises :class:`StreamFailed` if the stream errored."""
        if not self._finished:
            self._finished = True
            for ev in self._seq.finish():
                self._apply(ev)
        content: list[ir.Part] = []
        for index in self._order:
            part = self._parts[index]
            if isinstance(part, ir.TextPart) and not part.text and not part.provider_data:
                continue  # an empty text block says nothing (and Anthropic rejects it)
            content.append(part)
        response = ir.Response(
            id=self._id,
            model=self._model,
            content=content,
            stop_reason=self._stop,
            stop_sequence=self._stop_sequence,
            usage=self._usage or ir.Usage(),
            created=self._created,
        )
        if self._error is not None:
            raise StreamFailed(self._error, response)
        return response


def aggregate(events: Iterable[ir.StreamEvent]) -> ir.Response:
    """Fold a whole IR event stream into a response (raises StreamFailed on a stream error)."""
    agg = Aggregator()
    agg.feed_all(events)
    return agg.result()


def _input_usage(usage: ir.Usage) -> ir.Usage | None:
    if usage.input_tokens is None and usage.cache_read_tokens is None:
        return None
    return ir.Usage(
        input_tokens=usage.input_tokens,
        output_tokens=0,
        cache_read_tokens=usage.cache_read_tokens,
        cache_creation_tokens=usage.cache_creation_tokens,
    )


def synthesize(response: ir.Response) -> list[ir.StreamEvent]:
    """A complete IR event stream that says what ``response`` says."""
    events: list[ir.StreamEvent] = [
        ir.StreamStart(
            id=response.id,
            model=response.model,
            created=response.created,
            usage=_input_usage(response.usage),
        )
    ]
    index = 0
    for part in response.content:
        if not isinstance(part, ir.TextPart | ir.ReasoningPart | ir.ToolCallPart):
            continue  # images/files/tool results do not appear in model output streams
        if isinstance(part, ir.TextPart) and not part.text and not part.provider_data:
            continue
        data = {k: dict(v) for k, v in part.provider_data.items()} or None
        events.append(ir.BlockStart(index, empty_skeleton(part)))
        if isinstance(part, ir.ToolCallPart):
            delta = ir.BlockDelta(index, arguments=part.arguments, provider_data=data)
        else:
            delta = ir.BlockDelta(index, text=part.text, provider_data=data)
        if delta.text or delta.arguments or delta.provider_data:
            events.append(delta)
        events.append(ir.BlockStop(index))
        index += 1
    usage = replace(response.usage)
    events.append(ir.UsageUpdate(usage))
    stop = response.stop_reason
    if stop is None:
        stop = "end_turn"
    events.append(ir.StreamEnd(stop, response.stop_sequence, replace(usage)))
    return events
