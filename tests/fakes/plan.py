"""What a fake answers, decided once and rendered by each vendor in its own wire shape.

A fake reads the request (vendor-specific parsing lives in each fake), calls :func:`decide`
with the facts it found (last user text, tool result, declared tools, forced tool choice,
thinking switch, output limit) and any scripted :class:`Answer`, and gets a :class:`Plan`:
the text, tool calls, reasoning, finish reason and usage. The default is deterministic and
built from the request, so an official SDK talking to a fake — directly or through the
gateway — gets a realistic, checkable answer:

- text: ``"echo: <last user text>"``, or ``"tool result: <output>"`` when the last turn is a
  tool result;
- a tool call to a declared tool when the tool choice forces one, or when the last user text
  names a declared tool or contains the word "tool"; arguments are synthesized from the
  tool's JSON schema;
- reasoning when the request turns thinking on;
- usage: prompt tokens = ceil(prompt characters / 4) (the same number the count-tokens routes
  return), output tokens = one per streamed piece; cache counts only when scripted.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import re
import secrets
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Finish = Literal["stop", "length", "tool_calls"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Vendor-neutral token counts, rendered per vendor.

    ``input_tokens`` is the *whole* prompt, cache reads and writes included (OpenAI and Gemini
    semantics); the Anthropic fake reports ``input_tokens - cache_read - cache_write`` as its
    ``input_tokens``. ``output_tokens`` includes ``reasoning_tokens`` (OpenAI/Anthropic
    semantics); the Gemini fake reports ``output - reasoning`` as ``candidatesTokenCount`` and
    ``reasoning`` as ``thoughtsTokenCount``.
    """

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def uncached_input_tokens(self) -> int:
        """Prompt tokens neither read from nor written to a cache (Anthropic ``input_tokens``)."""
        return max(0, self.input_tokens - self.cache_read_tokens - self.cache_write_tokens)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call the fake makes; ``id`` is generated when empty."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str = ""


@dataclass(slots=True)
class Answer:
    """A scripted semantic answer: the fake renders it in its vendor's shape, stream or not.

    Every field left ``None`` falls back to the default derived from the request.
    Wire controls: ``delay`` before the status line, ``chunk_delay`` before each stream frame,
    ``abort_after`` cuts the connection after that many stream frames (chunked body left
    unterminated), ``endless`` keeps sending text deltas every ``endless_interval`` seconds
    until the client goes away (no terminal event ever).
    """

    text: str | None = None
    tool_call: bool | str | None = None  # True: first declared tool; str: that tool; False: none
    tool_args: Mapping[str, Any] | None = None
    tool_calls: list[ToolCall] | None = None  # explicit (parallel) calls; wins over tool_call
    reasoning: str | bool | None = None  # str: this text; True: derived text; False: none
    usage: Usage | None = None
    finish: Finish | None = None
    model: str | None = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0
    abort_after: int | None = None
    endless: bool = False
    endless_interval: float = 0.05


@dataclass(frozen=True, slots=True)
class Tool:
    """A function tool declared in the request."""

    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Facts:
    """What a fake extracted from the request, in vendor-neutral terms."""

    model: str
    user_text: str  # text of the last user message ("" if the last turn is not user text)
    tool_result: str | None  # output of the last tool result, when the last turn is one
    tools: tuple[Tool, ...]
    forced_tool: str | bool  # True: any tool; str: that tool; False: not forced
    tools_disabled: bool  # tool choice "none"
    thinking: bool
    max_output_tokens: int | None
    prompt_chars: int


@dataclass(slots=True)
class Plan:
    """The answer a fake is about to render."""

    model: str
    text: str
    pieces: list[str]  # the text as streamed deltas
    tool_calls: list[ToolCall]
    reasoning: str
    reasoning_pieces: list[str]
    finish: Finish
    usage: Usage


def estimate_tokens(chars: int) -> int:
    """The fakes' token count for ``chars`` characters of prompt: ceil(chars / 4), at least 1."""
    return max(1, math.ceil(chars / 4))


def prompt_chars(*parts: Any) -> int:
    """Characters of every string (and dict key) inside the given JSON values."""
    total = 0
    stack: list[Any] = list(parts)
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, Mapping):
            for key, value in item.items():
                total += len(str(key))
                stack.append(value)
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return total


def split_pieces(text: str) -> list[str]:
    """Split text into stream deltas: one word with its leading whitespace per piece."""
    return re.findall(r"\s*\S+|\s+$", text) or ([text] if text else [])


def synth_args(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Deterministic arguments that satisfy a simple object schema (required props, or all)."""
    value = _synth_value(schema, depth=0)
    return value if isinstance(value, dict) else {}


def _synth_value(schema: Mapping[str, Any], depth: int) -> Any:
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for union in ("anyOf", "oneOf"):
        if schema.get(union):
            return _synth_value(schema[union][0], depth)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    kind = str(kind).lower()
    if kind == "object":
        if depth > 4:
            return {}
        props: Mapping[str, Any] = schema.get("properties") or {}
        names = schema.get("required") or list(props)
        return {name: _synth_value(props.get(name, {}), depth + 1) for name in names}
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    return "test"


def new_id(prefix: str, n: int = 24) -> str:
    """A vendor-looking random id, e.g. ``chatcmpl-…``, ``msg_…``, ``toolu_…``."""
    return prefix + secrets.token_hex(n // 2 + 1)[:n]


def signature(text: str) -> str:
    """An opaque, deterministic base64 'signature' for a thinking block or thought part."""
    return base64.b64encode(hashlib.sha256(text.encode()).digest() * 2).decode()


def embedding(text: str, dims: int) -> list[float]:
    """A deterministic unit vector for ``text`` (same text → same vector)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


def embedding_base64(values: Iterable[float]) -> str:
    """Little-endian float32 bytes, base64 encoded (OpenAI ``encoding_format: base64``)."""
    floats = list(values)
    return base64.b64encode(struct.pack(f"<{len(floats)}f", *floats)).decode()


def _pick_tool(facts: Facts, answer: Answer | None) -> Tool | None:
    wanted = answer.tool_call if answer is not None else None
    by_name = {tool.name: tool for tool in facts.tools}
    if isinstance(wanted, str):  # scripted: call it even if the request did not declare it
        return by_name.get(wanted, Tool(wanted, {}))
    if not facts.tools or wanted is False or (wanted is None and facts.tools_disabled):
        return None
    if wanted is True:
        return facts.tools[0]
    if isinstance(facts.forced_tool, str):
        return by_name.get(facts.forced_tool, facts.tools[0])
    if facts.forced_tool:
        return facts.tools[0]
    if facts.tool_result is not None or not facts.user_text:
        return None
    lowered = facts.user_text.lower()
    for tool in facts.tools:
        if re.search(rf"\b{re.escape(tool.name.lower())}\b", lowered):
            return tool
    if re.search(r"\btools?\b", lowered):
        return facts.tools[0]
    return None


def decide(facts: Facts, answer: Answer | None, *, call_prefix: str = "call_") -> Plan:
    """The plan for this request: defaults from ``facts``, overridden by ``answer``.

    Generated tool-call ids start with ``call_prefix`` (``toolu_`` for Anthropic).
    """
    tool_calls: list[ToolCall]
    if answer is not None and answer.tool_calls is not None:
        tool_calls = list(answer.tool_calls)
    else:
        tool = _pick_tool(facts, answer)
        tool_calls = []
        if tool is not None:
            args = answer.tool_args if answer and answer.tool_args is not None else None
            tool_calls.append(ToolCall(tool.name, args or synth_args(tool.schema)))
    tool_calls = [
        call if call.id else replace(call, id=new_id(call_prefix, 24)) for call in tool_calls
    ]

    if answer is not None and answer.text is not None:
        text = answer.text
    elif tool_calls:
        text = ""
    elif facts.tool_result is not None:
        text = f"tool result: {facts.tool_result}"
    else:
        text = f"echo: {facts.user_text}" if facts.user_text else "echo"

    wants_reasoning = answer.reasoning if answer is not None else None
    if isinstance(wants_reasoning, str):
        reasoning = wants_reasoning
    elif wants_reasoning is True or (wants_reasoning is None and facts.thinking):
        reasoning = f"Thinking about: {facts.user_text or facts.tool_result or 'the request'}"
    else:
        reasoning = ""

    pieces = split_pieces(text)
    reasoning_pieces = split_pieces(reasoning)
    finish: Finish = "tool_calls" if tool_calls else "stop"
    limit = facts.max_output_tokens
    if limit is not None and len(pieces) + len(reasoning_pieces) > limit:
        reasoning_pieces = reasoning_pieces[:limit]
        pieces = pieces[: max(0, limit - len(reasoning_pieces))]
        text = "".join(pieces)
        reasoning = "".join(reasoning_pieces)
        tool_calls = []
        finish = "length"
    if answer is not None and answer.finish is not None:
        finish = answer.finish

    tool_tokens = sum(
        estimate_tokens(len(str(dict(c.arguments))) + len(c.name)) for c in tool_calls
    )
    usage = Usage(
        input_tokens=estimate_tokens(facts.prompt_chars),
        output_tokens=len(pieces) + len(reasoning_pieces) + tool_tokens,
        reasoning_tokens=len(reasoning_pieces),
    )
    if answer is not None and answer.usage is not None:
        usage = answer.usage
    model = answer.model if answer is not None and answer.model else facts.model
    return Plan(
        model=model,
        text=text,
        pieces=pieces,
        tool_calls=tool_calls,
        reasoning=reasoning,
        reasoning_pieces=reasoning_pieces,
        finish=finish,
        usage=usage,
    )
