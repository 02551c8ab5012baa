"""``streamGenerateContent`` chunks ↔ IR stream events.

Every chunk of a Gemini stream is a whole ``GenerateContentResponse`` holding the *new* parts
only, with ``usageMetadata`` repeated (a cumulative snapshot) and ``finishReason`` on the last
chunk. There is no terminator: the stream ends when the body does (SSE with ``alt=sse``, a JSON
array otherwise — framing is :mod:`gatewayctl.protocols.sse`'s job).

Decoder (Gemini → IR):

* ``StreamStart`` on the first chunk (``responseId``, ``modelVersion``, Vertex ``createTime``).
* Text parts open a text block and extend it while text keeps coming; ``thought: true`` parts
  do the same for a reasoning block; switching kind closes the open block and opens a new one.
  A ``thoughtSignature`` on a text/thought part is sent as ``BlockDelta.provider_data`` on that
  block (an empty text part carrying only a signature — Gemini 3's last chunk — attaches it to
  the open block); a second signature for the same block starts a new block.
* A ``functionCall`` part is a complete call: one ``BlockStart`` (ToolCallPart, signature in
  its provider data, generated id when Gemini sent none), one ``BlockDelta`` with the whole
  arguments, ``BlockStop``. Vertex's streamed arguments (``functionCall {name, willContinue:
  true}`` → ``partialArgs [{jsonPath, stringValue|numberValue|boolValue|nullValue,
  willContinue}]`` … → a part without ``willContinue``, often an empty ``functionCall: {}``) are
  assembled in order — string values continued across chunks are concatenated — and the block
  gets its arguments in one delta when the call is complete.
* Parts the IR cannot stream (``executableCode``/``codeExecutionResult``, built-in
  ``toolCall``/``toolResponse``, ``inlineData`` output images…) each become a text block whose
  skeleton carries the original part in ``provider_data["gemini"]["part"]`` and whose text is a
  readable rendering (code fences) or nothing; a Gemini encoder re-emits the original part.
* ``UsageUpdate`` whenever ``usageMetadata`` changes. ``finishReason`` closes the open block;
  ``StreamEnd`` (``tool_use`` if calls were made and Gemini said ``STOP``; ``content_filter`` for
  a blocked prompt) is emitted by :meth:`GeminiStreamDecoder.finish`, because only the end of
  the body says the stream is over. An ``{"error": …}`` chunk becomes ``StreamError``; nothing
  follows it, and nothing precedes it when it is the first chunk (no StreamStart is invented).

Encoder (IR → Gemini): one chunk per text/reasoning delta
(``{"candidates":[{"content":{"role":"model","parts":[…]},"index":0}],"usageMetadata"?,
"modelVersion","responseId"}``), one chunk per tool call with the whole ``functionCall`` (its
argument fragments buffered until ``BlockStop`` and parsed then), and a final chunk with
``finishReason`` and the full ``usageMetadata``. ``StreamError`` → ``{"error": {code, message,
status}}``. :meth:`GeminiStreamEncoder.finish` writes the final chunk (``finishReason: OTHER``)
if the input ended without ``StreamEnd``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from gatewayctl.protocols import arguments, ir
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.gemini.common import (
    FAMILY,
    CallIds,
    camel,
    get,
    own,
    parse_time,
    signature,
    stop_from_gemini,
    stop_to_gemini,
    strip_model_prefix,
    usage_from_gemini,
    usage_to_gemini,
    with_signature,
)
from gatewayctl.protocols.gemini.parts import render_opaque
from gatewayctl.protocols.gemini.response import (
    block_reason,
    error_object,
    first_candidate,
    parse_error_object,
)
from gatewayctl.protocols.usage import merge_usage

# --------------------------------------------------------------------------------------
# Decoder
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _OpenText:
    index: int
    kind: str  # "text" | "reasoning"
    signed: bool = False


@dataclass(slots=True)
class _PartialCall:
    index: int
    args: dict[str, Any] = field(default_factory=dict)
    continuing: set[tuple[str | int, ...]] = field(default_factory=set)


class GeminiStreamDecoder:
    """Gemini stream chunks → IR stream events (see the module docstring)."""

    def __init__(self) -> None:
        self._started = False
        self._closed = False
        self._ids = CallIds()
        self._next_index = 0
        self._open: _OpenText | None = None
        self._partial: _PartialCall | None = None
        self._made_calls = False
        self._finish_reason: str | None = None
        self._blocked = False
        self._usage: ir.Usage | None = None

    # -- public ---------------------------------------------------------------------------

    def feed(self, event: WireEvent) -> list[ir.StreamEvent]:
        if self._closed or not isinstance(event.data, dict):
            return []  # keep-alives, stray text
        data = event.data
        out: list[ir.StreamEvent] = []
        err = data.get("error")
        if isinstance(err, dict):
            # no StreamStart is invented for an error that is the first event: the gateway can
            # still answer with a real status (as the other decoders do)
            self._closed = True
            out.append(ir.StreamError(parse_error_object(err)))
            return out
        self._start(data, out)
        cand = first_candidate(data, strict=True)
        if cand is not None:
            content = get(cand, "content")
            parts = get(content, "parts") if isinstance(content, dict) else None
            for raw in parts if isinstance(parts, list) else []:
                if isinstance(raw, dict):
                    self._part(raw, out)
            reason = get(cand, "finishReason")
            if isinstance(reason, str) and reason:
                self._finish_reason = reason
                self._finish_partial(out)
                self._close(out)
        if block_reason(data) is not None:
            self._blocked = True
        usage = usage_from_gemini(get(data, "usageMetadata"))
        if usage is not None and usage != self._usage:
            self._usage = usage
            out.append(ir.UsageUpdate(usage))
        return out

    def finish(self) -> list[ir.StreamEvent]:
        if self._closed:
            return []
        out: list[ir.StreamEvent] = []
        self._start({}, out)
        self._finish_partial(out)
        self._close(out)
        self._closed = True
        stop: ir.StopReason | None = None
        if self._finish_reason is not None:
            stop = stop_from_gemini(self._finish_reason, self._made_calls)
        elif self._blocked:
            stop = "content_filter"
        out.append(ir.StreamEnd(stop_reason=stop, usage=self._usage))
        return out

    # -- helpers --------------------------------------------------------------------------

    def _start(self, data: dict[str, Any], out: list[ir.StreamEvent]) -> None:
        if self._started:
            return
        self._started = True
        response_id = get(data, "responseId")
        if not isinstance(response_id, str) or not response_id:
            response_id = f"gemini-{uuid.uuid4().hex}"
        self._ids.set_response_id(response_id)
        model = get(data, "modelVersion")
        out.append(
            ir.StreamStart(
                id=response_id,
                model=strip_model_prefix(model) if isinstance(model, str) else "",
                created=parse_time(get(data, "createTime")),
            )
        )

    def _new_index(self) -> int:
        index = self._next_index
        self._next_index += 1
        return index

    def _close(self, out: list[ir.StreamEvent]) -> None:
        if self._open is not None:
            out.append(ir.BlockStop(self._open.index))
            self._open = None

    def _part(self, raw: dict[str, Any], out: list[ir.StreamEvent]) -> None:
        call = get(raw, "functionCall")
        if isinstance(call, dict):
            self._function_call(raw, call, out)
            return
        self._finish_partial(out)
        if any(_is_payload(k) for k in raw):
            self._opaque(raw, out)
            return
        text = get(raw, "text")
        sig = get(raw, "thoughtSignature")
        sig = sig if isinstance(sig, str) and sig else None
        if not isinstance(text, str):
            if sig is not None and self._open is not None and not self._open.signed:
                self._open.signed = True
                out.append(ir.BlockDelta(self._open.index, provider_data=with_signature(sig)))
            return
        kind = "reasoning" if get(raw, "thought") is True else "text"
        if not text and sig is None:
            return
        current = self._open
        if current is None or current.kind != kind or (sig is not None and current.signed):
            self._close(out)
            current = _OpenText(self._new_index(), kind)
            self._open = current
            skeleton: ir.TextPart | ir.ReasoningPart = (
                ir.ReasoningPart(provider_data={FAMILY: {}})
                if kind == "reasoning"
                else ir.TextPart("")
            )
            out.append(ir.BlockStart(current.index, skeleton))
        if sig is not None:
            current.signed = True
        out.append(
            ir.BlockDelta(current.index, text=text, provider_data=with_signature(sig) or None)
        )

    def _opaque(self, raw: dict[str, Any], out: list[ir.StreamEvent]) -> None:
        self._close(out)
        index = self._new_index()
        out.append(ir.BlockStart(index, ir.TextPart("", provider_data={FAMILY: {"part": raw}})))
        rendered = render_opaque(raw)
        if rendered:
            out.append(ir.BlockDelta(index, text=rendered))
        out.append(ir.BlockStop(index))

    def _function_call(
        self, raw: dict[str, Any], call: dict[str, Any], out: list[ir.StreamEvent]
    ) -> None:
        name = get(call, "name")
        will_continue = get(call, "willContinue") is True
        partial_args = get(call, "partialArgs")
        sig = get(raw, "thoughtSignature")
        sig = sig if isinstance(sig, str) and sig else None
        partial = self._partial
        if partial is not None and not name:
            if isinstance(partial_args, list):
                _apply_partial_args(partial, partial_args)
            if sig is not None:
                out.append(ir.BlockDelta(partial.index, provider_data=with_signature(sig)))
            if not will_continue:
                self._finish_partial(out)
            return
        self._finish_partial(out)
        if not isinstance(name, str) or not name:
            return  # an empty terminator with no call open, or garbage
        self._close(out)
        index = self._new_index()
        call_id = get(call, "id")
        if not isinstance(call_id, str) or not call_id:
            call_id = self._ids.next()
        self._made_calls = True
        part = ir.ToolCallPart(id=call_id, name=name, provider_data=with_signature(sig))
        out.append(ir.BlockStart(index, part))
        args = get(call, "args")
        if will_continue or isinstance(partial_args, list):
            self._partial = _PartialCall(index, dict(args) if isinstance(args, dict) else {})
            if isinstance(partial_args, list):
                _apply_partial_args(self._partial, partial_args)
            if not will_continue:
                self._finish_partial(out)
            return
        out.append(ir.BlockDelta(index, arguments=arguments.to_text(args)))
        out.append(ir.BlockStop(index))

    def _finish_partial(self, out: list[ir.StreamEvent]) -> None:
        partial = self._partial
        if partial is None:
            return
        self._partial = None
        out.append(ir.BlockDelta(partial.index, arguments=arguments.to_text(partial.args)))
        out.append(ir.BlockStop(partial.index))


_PAYLOAD_KEYS = {
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "toolCall",
    "toolResponse",
}


def _is_payload(key: str) -> bool:
    return camel(key) in _PAYLOAD_KEYS


# -- partialArgs -----------------------------------------------------------------------

_PATH_TOKEN = re.compile(
    r"""\.([^.\[]+)|\[(\d+)\]|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]"""
)


def parse_json_path(path: str) -> tuple[str | int, ...]:
    """``$.a.b[0]['c d']`` → ``("a", "b", 0, "c d")`` (the RFC 9535 subset Vertex uses)."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    keys: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _PATH_TOKEN.match(text, pos)
        if match is None:
            keys.append(text[pos:].lstrip("."))
            break
        name, number, single, double = match.groups()
        if number is not None:
            keys.append(int(number))
        else:
            keys.append(name if name is not None else single if single is not None else double)
        pos = match.end()
    return tuple(keys)


def _apply_partial_args(partial: _PartialCall, items: list[Any]) -> None:
    for item in items:
        if not isinstance(item, dict):
            continue
        raw_path = get(item, "jsonPath")
        if not isinstance(raw_path, str):
            continue
        path = parse_json_path(raw_path)
        if not path:
            continue
        if get(item, "stringValue") is not None:
            chunk = str(get(item, "stringValue"))
            current = _lookup(partial.args, path)
            value: Any = (
                current + chunk
                if path in partial.continuing and isinstance(current, str)
                else chunk
            )
        elif get(item, "numberValue") is not None:
            value = get(item, "numberValue")
        elif get(item, "boolValue") is not None:
            value = bool(get(item, "boolValue"))
        elif get(item, "nullValue") is not None:
            value = None
        else:
            continue
        _assign(partial.args, path, value)
        if get(item, "willContinue") is True:
            partial.continuing.add(path)
        else:
            partial.continuing.discard(path)


def _lookup(root: Any, path: tuple[str | int, ...]) -> Any:
    current = root
    for key in path:
        if isinstance(key, int) and isinstance(current, list) and key < len(current):
            current = current[key]
        elif isinstance(key, str) and isinstance(current, dict) and key in current:
            current = current[key]
        else:
            return None
    return current


def _assign(root: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    current: Any = root
    for key, following in zip(path, path[1:], strict=False):
        child_default: Any = [] if isinstance(following, int) else {}
        if isinstance(key, int) and isinstance(current, list):
            while len(current) <= key:
                current.append(None)
            if not isinstance(current[key], dict | list):
                current[key] = child_default
            current = current[key]
        elif isinstance(key, str) and isinstance(current, dict):
            if not isinstance(current.get(key), dict | list):
                current[key] = child_default
            current = current[key]
        else:
            return  # the path disagrees with what was built so far; ignore the fragment
    last = path[-1]
    if isinstance(last, int) and isinstance(current, list):
        while len(current) <= last:
            current.append(None)
        current[last] = value
    elif isinstance(last, str) and isinstance(current, dict):
        current[last] = value


# --------------------------------------------------------------------------------------
# Encoder
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    index: int
    kind: str  # "text" | "reasoning" | "tool" | "opaque"
    part: ir.TextPart | ir.ReasoningPart | ir.ToolCallPart
    signature: str | None = None
    signature_sent: bool = False
    arguments: list[str] = field(default_factory=list)
    opaque: dict[str, Any] | None = None


class GeminiStreamEncoder:
    """IR stream events → Gemini stream chunks (see the module docstring)."""

    def __init__(self, options: EncoderOptions) -> None:
        self._options = options
        self._id: str | None = None
        self._model = options.model or ""
        self._usage: ir.Usage | None = None
        self._block: _Block | None = None
        self._ended = False

    def feed(self, event: ir.StreamEvent) -> list[WireEvent]:
        if self._ended:
            return []
        if isinstance(event, ir.StreamStart):
            self._id = event.id
            if not self._options.model and event.model:
                self._model = event.model
            if event.usage is not None:
                self._merge_usage(event.usage)
            return []
        if isinstance(event, ir.BlockStart):
            out = self._close_block()
            self._block = _open_block(event)
            part = event.part
            if not isinstance(part, ir.ToolCallPart) and part.text:  # content on the skeleton
                out += self._delta(ir.BlockDelta(event.index, text=part.text))
            return out
        if isinstance(event, ir.BlockDelta):
            return self._delta(event)
        if isinstance(event, ir.BlockStop):
            if self._block is not None and self._block.index == event.index:
                return self._close_block()
            return []
        if isinstance(event, ir.UsageUpdate):
            self._merge_usage(event.usage)
            return []
        if isinstance(event, ir.StreamEnd):
            if event.usage is not None:
                self._merge_usage(event.usage)
            return self._end(stop_to_gemini(event.stop_reason))
        if isinstance(event, ir.StreamError):
            self._ended = True
            self._block = None
            return [WireEvent({"error": error_object(event.error)})]
        return []

    def finish(self) -> list[WireEvent]:
        if self._ended:
            return []
        return self._end("OTHER")

    # -- helpers --------------------------------------------------------------------------

    def _merge_usage(self, usage: ir.Usage) -> None:
        self._usage = merge_usage(self._usage, usage)

    def _chunk(self, parts: list[dict[str, Any]], finish: str | None = None) -> WireEvent:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
        if finish is not None:
            candidate["finishReason"] = finish
        candidate["index"] = 0
        body: dict[str, Any] = {"candidates": [candidate]}
        if self._usage is not None:
            usage = usage_to_gemini(self._usage)
            if usage:
                body["usageMetadata"] = usage
        body["modelVersion"] = self._model
        if self._id is None:
            self._id = f"gemini-{uuid.uuid4().hex}"
        body["responseId"] = self._id
        return WireEvent(body)

    def _delta(self, event: ir.BlockDelta) -> list[WireEvent]:
        block = self._block
        if block is None or block.index != event.index:
            return []
        sig = signature(event.provider_data or {})
        if sig is not None:
            block.signature = sig
            block.signature_sent = False
        if block.kind == "opaque":
            return []
        if block.kind == "tool":
            if event.arguments:
                block.arguments.append(event.arguments)
            return []
        if not event.text and (block.signature is None or block.signature_sent):
            return []
        part: dict[str, Any] = {"text": event.text}
        if block.kind == "reasoning":
            part["thought"] = True
        if block.signature is not None and not block.signature_sent:
            part["thoughtSignature"] = block.signature
            block.signature_sent = True
        return [self._chunk([part])]

    def _close_block(self) -> list[WireEvent]:
        parts = self._pending_parts()
        self._block = None
        return [self._chunk(parts)] if parts else []

    def _pending_parts(self) -> list[dict[str, Any]]:
        """What a block still owes when it ends (a buffered call, an opaque part…)."""
        block = self._block
        if block is None:
            return []
        if block.kind == "opaque" and block.opaque is not None:
            return [dict(block.opaque)]
        if block.kind == "tool" and isinstance(block.part, ir.ToolCallPart):
            call: dict[str, Any] = {
                "name": block.part.name,
                "args": arguments.to_object("".join(block.arguments), block.part.kind),
            }
            if block.part.id:
                call["id"] = block.part.id
            part: dict[str, Any] = {"functionCall": call}
            if block.signature:
                part["thoughtSignature"] = block.signature
            return [part]
        if block.signature is not None and not block.signature_sent:
            text_part: dict[str, Any] = {"text": ""}
            if block.kind == "reasoning":
                text_part["thought"] = True
            text_part["thoughtSignature"] = block.signature
            return [text_part]
        return []

    def _end(self, finish: str) -> list[WireEvent]:
        self._ended = True
        parts = self._pending_parts()
        self._block = None
        return [self._chunk(parts or [{"text": ""}], finish)]


def _open_block(event: ir.BlockStart) -> _Block:
    part = event.part
    entry = own(part.provider_data) or {}
    raw = entry.get("part")
    if isinstance(raw, dict):
        return _Block(event.index, "opaque", part, opaque=raw)
    kind = (
        "tool"
        if isinstance(part, ir.ToolCallPart)
        else "reasoning"
        if isinstance(part, ir.ReasoningPart)
        else "text"
    )
    block = _Block(event.index, kind, part, signature=signature(part.provider_data))
    if isinstance(part, ir.ToolCallPart) and part.arguments:
        block.arguments.append(part.arguments)
    return block


__all__ = ["GeminiStreamDecoder", "GeminiStreamEncoder", "parse_json_path"]
