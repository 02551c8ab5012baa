"""Helpers every part of the Gemini codec shares: field access, ids, stop reasons, usage.

Google's JSON parser accepts lowerCamel *and* snake_case field names on input
(``systemInstruction`` / ``system_instruction``), so every reader here looks a field up under
both spellings (:func:`get`). Output is always lowerCamel, as Google writes it.

Stop reasons (protocols.md §7.7), Gemini → IR:

* ``STOP`` → ``end_turn``, or ``tool_use`` when the candidate made function calls (Gemini has no
  "tool calls" finish reason);
* ``MAX_TOKENS`` → ``max_tokens``;
* the safety family (``SAFETY``, ``RECITATION``, ``LANGUAGE``, ``BLOCKLIST``,
  ``PROHIBITED_CONTENT``, ``SPII``, ``IMAGE_*``, ``MODEL_ARMOR``) and ``OTHER`` →
  ``content_filter`` (LiteLLM's choice for ``OTHER``);
* tool-call failures (``MALFORMED_FUNCTION_CALL``, ``UNEXPECTED_TOOL_CALL``,
  ``TOO_MANY_TOOL_CALLS``, ``MISSING_THOUGHT_SIGNATURE``, ``MALFORMED_RESPONSE``) and anything
  unknown → ``end_turn`` (the turn is over; the raw value stays in ``provider_data``).

IR → Gemini: ``max_tokens`` → ``MAX_TOKENS``; ``content_filter``/``refusal`` → ``SAFETY``;
``error`` → ``OTHER``; everything else → ``STOP``.

Usage (§7.8): IR ``input_tokens`` = ``promptTokenCount`` (which already includes
``cachedContentTokenCount``) + ``toolUsePromptTokenCount`` (billed as input; this keeps
``input + output == totalTokenCount``); IR ``output_tokens`` = ``candidatesTokenCount`` +
``thoughtsTokenCount``; ``reasoning_tokens`` = ``thoughtsTokenCount``; ``cache_read_tokens`` =
``cachedContentTokenCount``. Emitting reverses it (tool-use prompt tokens cannot be told apart
again and stay inside ``promptTokenCount``).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any

from gatewayctl.protocols import fields, ir

FAMILY = "gemini"

# --------------------------------------------------------------------------------------
# Field access
# --------------------------------------------------------------------------------------

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


@lru_cache(maxsize=512)
def snake(camel: str) -> str:
    """``systemInstruction`` → ``system_instruction``."""
    return _CAMEL_BOUNDARY.sub("_", camel).lower()


@lru_cache(maxsize=512)
def camel(name: str) -> str:
    """``system_instruction`` → ``systemInstruction`` (already camel names are unchanged)."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def get(obj: dict[str, Any], key: str) -> Any:
    """Field ``key`` (lowerCamel) of ``obj``, also found under its snake_case spelling."""
    if key in obj:
        return obj[key]
    return obj.get(snake(key))


def is_key(key: str, camel_key: str) -> bool:
    """Whether ``key`` is ``camel_key`` in either spelling."""
    return key == camel_key or key == snake(camel_key)


def known_key(key: str, names: set[str]) -> bool:
    return any(is_key(key, name) for name in names)


def get_dict(obj: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    return fields.as_dict(get(obj, key), fields.path(where, key))


def get_list(obj: dict[str, Any], key: str, where: str) -> list[Any] | None:
    return fields.as_list(get(obj, key), fields.path(where, key))


def get_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    return fields.as_str(get(obj, key), fields.path(where, key))


def get_int(obj: dict[str, Any], key: str, where: str) -> int | None:
    """An integer field; Google's JSON writes int64 values as strings, both are accepted."""
    return fields.as_int(get(obj, key), fields.path(where, key), int_strings=True)


def get_float(obj: dict[str, Any], key: str, where: str) -> float | None:
    return fields.as_float(get(obj, key), fields.path(where, key))


def get_bool(obj: dict[str, Any], key: str, where: str) -> bool | None:
    return fields.as_bool(get(obj, key), fields.path(where, key))


def strip_model_prefix(name: str) -> str:
    """``models/gemini-2.5-flash`` (or a Vertex resource path) → ``gemini-2.5-flash``."""
    marker = "models/"
    pos = name.rfind(marker)
    if pos != -1 and (pos == 0 or name[pos - 1] == "/"):
        return name[pos + len(marker) :]
    return name


# --------------------------------------------------------------------------------------
# Provider data
# --------------------------------------------------------------------------------------


def own(provider_data: ir.ProviderData) -> dict[str, Any] | None:
    """This family's entry in a part's provider data, if any."""
    entry = provider_data.get(FAMILY)
    return entry if isinstance(entry, dict) else None


def signature(provider_data: ir.ProviderData) -> str | None:
    """A Gemini ``thoughtSignature`` carried by a part (never another family's signature)."""
    entry = own(provider_data)
    if entry is None:
        return None
    value = entry.get("thoughtSignature")
    return value if isinstance(value, str) and value else None


def with_signature(value: str | None) -> ir.ProviderData:
    return {FAMILY: {"thoughtSignature": value}} if value else {}


# --------------------------------------------------------------------------------------
# Tool-call arguments and ids
# --------------------------------------------------------------------------------------


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class CallIds:
    """Ids for function calls that Gemini sent without one.

    Ids are ``call_<responseId>_<n>`` (n counts the calls of one response) so a stream and
    the same response parsed whole get the same ids, and two turns never collide. Without a
    responseId a random prefix is drawn once per response. Characters outside
    ``[A-Za-z0-9_-]`` are replaced, because Anthropic validates tool ids against that set.
    """

    def __init__(self, response_id: str | None = None) -> None:
        self._prefix: str | None = None
        self._n = 0
        if response_id:
            self.set_response_id(response_id)

    def set_response_id(self, response_id: str) -> None:
        if self._prefix is None and response_id:
            self._prefix = _ID_UNSAFE.sub("_", response_id)

    def next(self) -> str:
        if self._prefix is None:
            self._prefix = uuid.uuid4().hex[:16]
        value = f"call_{self._prefix}_{self._n}"
        self._n += 1
        return value


# --------------------------------------------------------------------------------------
# Stop reasons
# --------------------------------------------------------------------------------------

_FILTERED = {
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "IMAGE_OTHER",
    "MODEL_ARMOR",
}


def stop_from_gemini(reason: str | None, made_calls: bool) -> ir.StopReason | None:
    """A Gemini ``finishReason`` as the canonical stop reason (see the module docstring)."""
    if reason is None:
        return None
    if reason == "MAX_TOKENS":
        return "max_tokens"
    if reason in _FILTERED:
        return "content_filter"
    return "tool_use" if made_calls else "end_turn"


def stop_to_gemini(stop: ir.StopReason | None) -> str:
    if stop == "max_tokens":
        return "MAX_TOKENS"
    if stop in ("content_filter", "refusal"):
        return "SAFETY"
    if stop == "error":
        return "OTHER"
    return "STOP"


# --------------------------------------------------------------------------------------
# Usage
# --------------------------------------------------------------------------------------


def _count(meta: dict[str, Any], key: str) -> int | None:
    return fields.count_or_none(get(meta, key))


def usage_from_gemini(meta: Any) -> ir.Usage | None:
    """``usageMetadata`` → IR usage; None when it carries no token counts at all."""
    if not isinstance(meta, dict):
        return None
    prompt = _count(meta, "promptTokenCount")
    tool_prompt = _count(meta, "toolUsePromptTokenCount")
    candidates = _count(meta, "candidatesTokenCount")
    thoughts = _count(meta, "thoughtsTokenCount")
    cached = _count(meta, "cachedContentTokenCount")
    if all(v is None for v in (prompt, tool_prompt, candidates, thoughts, cached)):
        return None
    inputs = None if prompt is None and tool_prompt is None else (prompt or 0) + (tool_prompt or 0)
    outputs = (
        None if candidates is None and thoughts is None else (candidates or 0) + (thoughts or 0)
    )
    return ir.Usage(
        input_tokens=inputs,
        output_tokens=outputs,
        cache_read_tokens=cached,
        reasoning_tokens=thoughts,
    )


def usage_to_gemini(usage: ir.Usage) -> dict[str, Any]:
    """IR usage → ``usageMetadata`` (only the counts that are known)."""
    out: dict[str, Any] = {}
    if usage.input_tokens is not None:
        out["promptTokenCount"] = usage.input_tokens
    if usage.output_tokens is not None:
        out["candidatesTokenCount"] = max(usage.output_tokens - (usage.reasoning_tokens or 0), 0)
    if usage.reasoning_tokens:
        out["thoughtsTokenCount"] = usage.reasoning_tokens
    if usage.cache_read_tokens:
        out["cachedContentTokenCount"] = usage.cache_read_tokens
    total = usage.total_tokens
    if total is not None:
        out["totalTokenCount"] = total
    return out


# --------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------

_FRACTION = re.compile(r"\.(\d+)")


def parse_time(value: Any) -> int | None:
    """An RFC 3339 timestamp (Vertex ``createTime``) → unix seconds; None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6], value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        return None
