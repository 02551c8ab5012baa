"""Chat Completions streams (``chat.completion.chunk`` events) ↔ IR stream events.

Decoder (upstream Chat stream → IR):

* The first chunk opens the stream (id, model, created). Only choice 0 is followed (the IR
  holds one turn); chunks for other choices, ``choices: []`` chunks without usage (moderation
  results), ``obfuscation`` padding, logprobs and unknown keys are ignored.
* ``reasoning_content`` (or vLLM/OpenRouter ``reasoning``), ``content`` and ``refusal`` deltas
  each feed one open block of their kind; a change of kind closes the open block and opens a
  new one (Chat has no block markers, so blocks are cut where the kind changes). Refusal text
  is a TextPart marked ``provider_data["openai_chat"] = {"refusal": True}``.
* ``tool_calls`` deltas are keyed by ``index`` (the running tool counter), never by id. A call's
  block opens once its name is known; arguments that arrive earlier are buffered and sent with
  the start. A fragment that reuses an index with a *different* id starts a new call (servers
  that send every call at index 0), a fragment without index goes to the call with its id or
  the last call. Several tool blocks may be open at once and their deltas interleave; the
  block sequencer downstream orders them. Missing ids are generated (``call_<hex>``).
* ``finish_reason`` closes every open block and is remembered: the usage-only chunk comes
  after it, so :class:`ir.StreamEnd` is emitted at ``[DONE]`` (or by ``finish()`` when the
  upstream just closes). ``usage`` → :class:`ir.UsageUpdate` whenever present.
* ``data: {"error": {...}}`` → :class:`ir.StreamError` and nothing after it (no StreamStart is
  invented when the error is the first event: the gateway can still answer with a status).

Encoder (IR → Chat stream for a Chat client), the wire exactly as OpenAI writes it:
first chunk ``delta: {"role": "assistant", "content": ""}``; one ``id``/``created``/``model``
on every chunk; text → ``content``, reasoning → ``reasoning_content`` (non-standard, what
DeepSeek-style clients read; others ignore it), refusal-marked text → ``refusal``; a tool call
→ a fragment with ``index``/``id``/``type``/``function.name`` and empty arguments, then
argument fragments (a free-form call: ``type: "custom"``, ``custom.name``/``custom.input``);
the end → a ``finish_reason`` chunk, the usage chunk (``choices: []``) only when the caller
asked ``include_usage``, then ``[DONE]``. An IR error → ``data: {"error":…}``
then ``[DONE]``. ``finish()`` terminates a stream whose input stopped early.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.openai_chat.response import (
    emit_usage,
    finish_from_stop,
    parse_usage,
    stop_reason_from_finish,
)
from gatewayctl.protocols.openai_chat.wire import FAMILY, thought_signature_of
from gatewayctl.protocols.openai_common import error_object, parse_error_object

_Kind = Literal["text", "refusal", "reasoning"]


def new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


@dataclass(slots=True)
class _ToolState:
    id: str | None
    name: str | None
    kind: Literal["function", "custom"] = "function"
    block: int | None = None  # IR block index once started
    buffered: list[str] = field(default_factory=list)
    signature: str | None = None
    closed: bool = False


class ChatStreamDecoder:
    """Upstream Chat chunks → IR stream events (see module docstring)."""

    def __init__(self) -> None:
        self._started = False
        self._done = False
        self._next_block = 0
        self._open: tuple[_Kind, int] | None = None  # the open text/refusal/reasoning block
        self._tools: dict[int, _ToolState] = {}  # by Chat tool index (or a synthetic key)
        self._last_tool: _ToolState | None = None
        self._synthetic_key = -1
        self._finish: str | None = None
        self._refused = False
        self._usage: ir.Usage | None = None

    # helpers ------------------------------------------------------------------------

    def _start(self, chunk: dict[str, Any] | None) -> list[ir.StreamEvent]:
        if self._started:
            return []
        self._started = True
        chunk = chunk or {}
        created = chunk.get("created")
        return [
            ir.StreamStart(
                id=str(chunk.get("id") or ""),
                model=str(chunk.get("model") or ""),
                created=created
                if isinstance(created, int) and not isinstance(created, bool)
                else None,
            )
        ]

    def _close_open(self, out: list[ir.StreamEvent]) -> None:
        if self._open is not None:
            out.append(ir.BlockStop(self._open[1]))
            self._open = None

    def _close_all(self, out: list[ir.StreamEvent]) -> None:
        self._close_open(out)
        for tool in self._tools.values():
            if tool.block is None and not tool.closed and (tool.buffered or tool.id):
                self._open_tool(tool, out)  # never lose a call whose name never came
            if tool.block is not None and not tool.closed:
                out.append(ir.BlockStop(tool.block))
            tool.closed = True

    def _content(self, kind: _Kind, text: str, out: list[ir.StreamEvent]) -> None:
        if not text:
            return
        if self._open is None or self._open[0] != kind:
            self._close_open(out)
            index = self._next_block
            self._next_block += 1
            part: ir.TextPart | ir.ReasoningPart
            if kind == "reasoning":
                part = ir.ReasoningPart(provider_data={FAMILY: {"field": "reasoning_content"}})
            elif kind == "refusal":
                part = ir.TextPart("", provider_data={FAMILY: {"refusal": True}})
            else:
                part = ir.TextPart("")
            out.append(ir.BlockStart(index, part))
            self._open = (kind, index)
        out.append(ir.BlockDelta(self._open[1], text=text))

    def _open_tool(self, tool: _ToolState, out: list[ir.StreamEvent]) -> None:
        self._close_open(out)
        tool.block = self._next_block
        self._next_block += 1
        part = ir.ToolCallPart(id=tool.id or new_call_id(), name=tool.name or "", kind=tool.kind)
        if tool.signature:
            part.provider_data["gemini"] = {"thoughtSignature": tool.signature}
        out.append(ir.BlockStart(tool.block, part))
        args = "".join(tool.buffered)
        tool.buffered.clear()
        if args:
            out.append(ir.BlockDelta(tool.block, arguments=args))

    def _tool_state(self, frag: dict[str, Any]) -> _ToolState:
        index = frag.get("index")
        call_id = frag.get("id") if isinstance(frag.get("id"), str) and frag.get("id") else None
        tool: _ToolState | None = None
        if isinstance(index, int) and not isinstance(index, bool):
            tool = self._tools.get(index)
            if tool is not None and call_id and tool.id and call_id != tool.id:
                # a new call reusing the index: re-key the old one out of the way
                self._tools[self._synthetic_key] = tool
                self._synthetic_key -= 1
                tool = None
            key = index
        else:
            if call_id:
                tool = next((t for t in self._tools.values() if t.id == call_id), None)
            elif self._last_tool is not None:
                tool = self._last_tool
            key = self._synthetic_key
        if tool is None:
            if key < 0:
                self._synthetic_key -= 1
            tool = _ToolState(id=call_id, name=None)
            self._tools[key] = tool
        elif call_id and not tool.id:
            tool.id = call_id
        self._last_tool = tool
        return tool

    def _tool_fragment(self, frag: dict[str, Any], out: list[ir.StreamEvent]) -> None:
        tool = self._tool_state(frag)
        spec = frag.get("function")
        if frag.get("type") == "custom" or isinstance(frag.get("custom"), dict):
            tool.kind = "custom"
            spec = frag.get("custom")
        spec = spec if isinstance(spec, dict) else {}
        name = spec.get("name")
        if isinstance(name, str) and name and not tool.name:
            tool.name = name
        args = spec.get("input" if tool.kind == "custom" else "arguments")
        if args is not None and not isinstance(args, str):
            args = json.dumps(args, ensure_ascii=False)
        sig = thought_signature_of(frag)
        if tool.block is None:
            if sig:
                tool.signature = sig
            if args:
                tool.buffered.append(args)
            if tool.name:
                self._open_tool(tool, out)
            return
        if tool.closed:
            return  # fragment for a call already finished: nothing valid to do with it
        if args:
            out.append(ir.BlockDelta(tool.block, arguments=args))
        if sig and sig != tool.signature:
            tool.signature = sig
            out.append(
                ir.BlockDelta(tool.block, provider_data={"gemini": {"thoughtSignature": sig}})
            )

    def _end(self) -> list[ir.StreamEvent]:
        out = self._start(None)
        self._close_all(out)
        self._done = True
        out.append(
            ir.StreamEnd(
                stop_reason=stop_reason_from_finish(self._finish, refused=self._refused),
                usage=self._usage,
            )
        )
        return out

    # protocol -----------------------------------------------------------------------

    def feed(self, event: WireEvent) -> list[ir.StreamEvent]:
        if self._done:
            return []
        data = event.data
        if isinstance(data, str):
            if data.strip() == "[DONE]":
                return self._end()
            return []  # not JSON and not the sentinel: nothing we can use
        error = data.get("error")
        if isinstance(error, dict) and not data.get("choices"):
            self._done = True
            return [ir.StreamError(parse_error_object(error, 0))]
        out = self._start(data)
        choices = data.get("choices")
        for position, choice in enumerate(choices if isinstance(choices, list) else []):
            if not isinstance(choice, dict) or choice.get("index", position) != 0:
                continue
            delta = choice.get("delta")
            if isinstance(delta, dict):
                self._delta(delta, out)
            finish = choice.get("finish_reason")
            if isinstance(finish, str) and finish:
                self._finish = finish
                self._close_all(out)
        usage = data.get("usage")
        if isinstance(usage, dict) and usage:
            self._usage = parse_usage(usage)
            out.append(ir.UsageUpdate(self._usage))
        return out

    def _delta(self, delta: dict[str, Any], out: list[ir.StreamEvent]) -> None:
        for name in ("reasoning_content", "reasoning"):
            value = delta.get(name)
            if isinstance(value, str) and value:
                self._content("reasoning", value, out)
                break
        content = delta.get("content")
        if isinstance(content, str):
            self._content("text", content, out)
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal:
            self._refused = True
            self._content("refusal", refusal, out)
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            for frag in calls:
                if isinstance(frag, dict):
                    self._tool_fragment(frag, out)
        legacy = delta.get("function_call")
        if isinstance(legacy, dict):
            self._tool_fragment({"index": 0, "function": legacy}, out)

    def finish(self) -> list[ir.StreamEvent]:
        if self._done:
            return []
        return self._end()


class ChatStreamEncoder:
    """IR stream events (blocks sequential) → Chat chunks (see module docstring)."""

    def __init__(self, options: EncoderOptions) -> None:
        self._options = options
        self._id = "chatcmpl-gatewayctl"
        self._model = options.model or ""
        self._created = 0
        self._started = False
        self._done = False
        self._blocks: dict[int, tuple[str, int]] = {}  # IR index → (kind, tool index)
        self._tool_count = 0
        self._sent_signature: set[int] = set()
        self._usage: ir.Usage | None = None
        self._has_refusal = False

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> WireEvent:
        return WireEvent(
            {
                "id": self._id,
                "object": "chat.completion.chunk",
                "created": self._created,
                "model": self._model,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }
        )

    def _start(self, start: ir.StreamStart | None) -> list[WireEvent]:
        if self._started:
            return []
        self._started = True
        if start is not None:
            self._id = start.id or self._id
            self._model = self._options.model or start.model
            if start.created is not None:
                self._created = start.created
        if not self._created:
            self._created = int(time.time())
        return [self._chunk({"role": "assistant", "content": ""})]

    def _terminate(self, stop: ir.StopReason | None, usage: ir.Usage | None) -> list[WireEvent]:
        out = self._start(None)
        finish = finish_from_stop(
            stop, has_tool_calls=self._tool_count > 0, has_refusal=self._has_refusal
        )
        out.append(self._chunk({}, finish))
        if self._options.include_usage:
            out.append(
                WireEvent(
                    {
                        "id": self._id,
                        "object": "chat.completion.chunk",
                        "created": self._created,
                        "model": self._model,
                        "choices": [],
                        "usage": emit_usage(usage or self._usage or ir.Usage()),
                    }
                )
            )
        out.append(WireEvent("[DONE]"))
        self._done = True
        return out

    def feed(self, event: ir.StreamEvent) -> list[WireEvent]:
        if self._done:
            return []
        if isinstance(event, ir.StreamError):
            self._done = True
            return [WireEvent({"error": error_object(event.error)}), WireEvent("[DONE]")]
        if isinstance(event, ir.StreamStart):
            return self._start(event)
        out = self._start(None)
        if isinstance(event, ir.BlockStart):
            out.extend(self._block_start(event))
        elif isinstance(event, ir.BlockDelta):
            out.extend(self._block_delta(event))
        elif isinstance(event, ir.UsageUpdate):
            self._usage = event.usage
        elif isinstance(event, ir.StreamEnd):
            out.extend(self._terminate(event.stop_reason, event.usage))
        return out

    def _block_start(self, event: ir.BlockStart) -> list[WireEvent]:
        part = event.part
        if isinstance(part, ir.ToolCallPart):
            k = self._tool_count
            self._tool_count += 1
            custom = part.kind == "custom"
            self._blocks[event.index] = ("custom" if custom else "tool", k)
            frag: dict[str, Any] = {"index": k, "id": part.id or new_call_id()}
            if custom:
                frag["type"] = "custom"
                frag["custom"] = {"name": part.name, "input": part.arguments or ""}
            else:
                frag["type"] = "function"
                frag["function"] = {"name": part.name, "arguments": part.arguments or ""}
            sig = (part.provider_data.get("gemini") or {}).get("thoughtSignature")
            if isinstance(sig, str) and sig:
                frag["extra_content"] = {"google": {"thought_signature": sig}}
                self._sent_signature.add(event.index)
            return [self._chunk({"tool_calls": [frag]})]
        if isinstance(part, ir.ReasoningPart):
            self._blocks[event.index] = ("reasoning", -1)
            text = part.text
            return [self._chunk({"reasoning_content": text})] if text else []
        kind = "refusal" if (part.provider_data.get(FAMILY) or {}).get("refusal") else "text"
        self._blocks[event.index] = (kind, -1)
        if part.text:
            return self._text(kind, part.text)
        return []

    def _text(self, kind: str, text: str) -> list[WireEvent]:
        if kind == "refusal":
            self._has_refusal = True
            return [self._chunk({"refusal": text})]
        if kind == "reasoning":
            return [self._chunk({"reasoning_content": text})]
        return [self._chunk({"content": text})]

    def _block_delta(self, event: ir.BlockDelta) -> list[WireEvent]:
        kind, k = self._blocks.get(event.index, ("text", -1))
        if kind not in ("tool", "custom"):
            return self._text(kind, event.text) if event.text else []
        out: list[WireEvent] = []
        if event.arguments:
            spec = {"custom": {"input": event.arguments}}
            if kind == "tool":
                spec = {"function": {"arguments": event.arguments}}
            out.append(self._chunk({"tool_calls": [{"index": k, **spec}]}))
        sig = ((event.provider_data or {}).get("gemini") or {}).get("thoughtSignature")
        if isinstance(sig, str) and sig and event.index not in self._sent_signature:
            self._sent_signature.add(event.index)
            out.append(
                self._chunk(
                    {
                        "tool_calls": [
                            {"index": k, "extra_content": {"google": {"thought_signature": sig}}}
                        ]
                    }
                )
            )
        return out

    def finish(self) -> list[WireEvent]:
        if self._done:
            return []
        return self._terminate(None, None)
