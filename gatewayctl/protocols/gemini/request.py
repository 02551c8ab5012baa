"""``generateContent`` request body ↔ IR request (also the countTokens request).

Parsing:

* ``model`` is not part of a generateContent body (it is in the URL): ``Request.model`` is the
  body's ``model`` when present (countTokens' ``generateContentRequest`` has one, ``models/``
  stripped) and ``""`` otherwise — the gateway fills it from the route. ``stream`` likewise.
* Roles: ``model`` → assistant; ``user``, the legacy ``function`` role and a missing role → user.
  A tool call that sits in a user content (or a tool result in a model content) is split into a
  message of the right role, keeping the order.
* Function calls without an ``id`` get ``call_<n>`` (n counts calls in the request, skipping
  ids the request already uses); a ``functionResponse`` without an ``id`` is paired with the
  first unanswered call *of the same name* in the preceding model turn and takes its id
  (Gemini answers calls in order, by name). A response that matches no call keeps a fresh id;
  the emitter of the target protocol deals with such orphans.
* Tools, tool choice, sampling, structured output and ``thinkingConfig``: see :mod:`.config`.
* Opaque Gemini-only settings — ``safetySettings``, ``cachedContent``, ``labels``, generation
  and tool-config fields the IR does not model, unknown top-level keys (e.g. Code Assist's
  ``session_id``) — ride in ``Request.provider_data["gemini"]`` and are replayed only to Gemini.

Emitting (protocols.md §7.1, §7.3, §7.11):

* ``systemInstruction`` = the system texts, then the text of any mid-conversation
  ``system`` message (Gemini has only the top-level form). A request with a system prompt and
  no conversation sends the system text as the user turn (Gemini rejects empty ``contents``).
* Consecutive same-role messages are merged; empty parts and contents are never sent.
* Call and response ids are only sent when they came from a Gemini request (see
  :mod:`.parts`); Gemini pairs by order and name, which the next rule guarantees.
* Tool calls and results are paired as Gemini requires: the content right after a model turn
  with N function calls starts with N ``functionResponse`` parts *in call order*; a call nobody
  answered gets a synthesised ``{"result": "(no result)"}`` response; a result whose call is not
  in the preceding model turn (an orphan, e.g. after client-side history trimming) becomes user
  text ``[tool result for NAME]: …``. The response ``name`` comes from the result, else from
  the call with that id.
* A ``thoughtSignature`` is only ever written from ``provider_data["gemini"]`` — with one
  exception: for Gemini 3 and later models (which reject function calls in history without
  their signature), the first ``functionCall`` part of a model turn that has no signature gets
  the documented bypass value ``skip_thought_signature_validator`` (history translated from
  another protocol never has Gemini signatures). Older models get nothing added.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.protocols import ir
from gatewayctl.protocols.fields import add_missing, require_dict
from gatewayctl.protocols.gemini.common import (
    FAMILY,
    get,
    get_dict,
    get_list,
    get_str,
    known_key,
    own,
    strip_model_prefix,
)
from gatewayctl.protocols.gemini.config import (
    emit_generation_config,
    emit_tool_config,
    emit_tools,
    is_gemini3_or_later,
    parse_generation_config,
    parse_tool_config,
    parse_tools,
)
from gatewayctl.protocols.gemini.parts import (
    emit_part,
    function_response,
    has_wire_id,
    parse_part,
    result_text,
)

_TOP_KNOWN = {
    "model",
    "contents",
    "systemInstruction",
    "tools",
    "toolConfig",
    "generationConfig",
    "safetySettings",
    "cachedContent",
    "labels",
}
_NO_RESULT = "(no result)"
# Google's documented placeholder for function calls in history that have no signature of
# their own (migrated or synthetic history), accepted by Gemini 3's signature validation.
SKIP_SIGNATURE = "skip_thought_signature_validator"


# --------------------------------------------------------------------------------------
# Parse
# --------------------------------------------------------------------------------------


def parse_request(body: dict[str, Any]) -> ir.Request:
    """A generateContent request body as an IR request (see the module docstring)."""
    body = require_dict(body, "request body")
    model = get_str(body, "model", "request") or ""
    req = ir.Request(model=strip_model_prefix(model))
    pd: dict[str, Any] = {}

    system = get(body, "systemInstruction")
    if isinstance(system, str):
        req.system = [ir.TextPart(system)] if system else []
    elif system is not None:
        req.system = _parse_system(require_dict(system, "systemInstruction"))

    contents = get_list(body, "contents", "request")
    req.messages = _parse_contents(contents or [])

    tools = get_list(body, "tools", "request")
    if tools:
        req.tools = parse_tools(tools)
    tool_config = get_dict(body, "toolConfig", "request")
    if tool_config:
        parse_tool_config(tool_config, req, pd)
    gen = get_dict(body, "generationConfig", "request")
    if gen:
        parse_generation_config(gen, req, pd)

    for key in ("safetySettings", "cachedContent", "labels"):
        value = get(body, key)
        if value is not None:
            pd[key] = value
    extra = {k: v for k, v in body.items() if not known_key(k, _TOP_KNOWN)}
    if extra:
        pd["extra"] = extra
    if pd:
        req.provider_data[FAMILY] = pd
    return req


def _parse_system(content: dict[str, Any]) -> list[ir.TextPart]:
    parts = get_list(content, "parts", "systemInstruction") or []
    out: list[ir.TextPart] = []
    for i, part in enumerate(parts):
        part = require_dict(part, f"systemInstruction.parts[{i}]")
        text = get(part, "text")
        if isinstance(text, str) and text:
            out.append(ir.TextPart(text))
    return out


class _RequestIds:
    """``call_<n>`` ids for calls without one, never reusing an id the request carries."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.n = 0

    def __call__(self) -> str:
        while True:
            value = f"call_{self.n}"
            self.n += 1
            if value not in self.taken:
                self.taken.add(value)
                return value


def _explicit_ids(contents: list[Any]) -> set[str]:
    ids: set[str] = set()
    for content in contents:
        if not isinstance(content, dict):
            continue
        parts = get(content, "parts")
        if not isinstance(parts, list):
            continue  # the parser proper reports it
        for part in parts:
            if not isinstance(part, dict):
                continue
            for key in ("functionCall", "functionResponse"):
                inner = get(part, key)
                if isinstance(inner, dict) and isinstance(inner.get("id"), str):
                    ids.add(inner["id"])
    return ids


def _parse_contents(contents: list[Any]) -> list[ir.Message]:
    new_id = _RequestIds(_explicit_ids(contents))
    messages: list[ir.Message] = []
    pending: list[ir.ToolCallPart] = []  # unanswered calls of the latest model turn
    for i, content in enumerate(contents):
        where = f"contents[{i}]"
        content = require_dict(content, where)
        role_name = get_str(content, "role", where) or "user"
        role: ir.Role = "assistant" if role_name == "model" else "user"
        raw_parts = get_list(content, "parts", where) or []
        parts: list[ir.Part] = []
        for j, raw in enumerate(raw_parts):
            part = parse_part(raw, f"{where}.parts[{j}]", new_id, request=True)
            if part is not None:
                parts.append(part)
        turn_calls: list[ir.ToolCallPart] | None = None
        for part in parts:
            if isinstance(part, ir.ToolCallPart):
                if turn_calls is None:  # this content's calls replace the unanswered ones
                    turn_calls = pending = []
                turn_calls.append(part)
            elif isinstance(part, ir.ToolResultPart):
                _pair(part, pending, new_id)
        if role == "assistant" and turn_calls is None:
            pending = []
        _append_split(messages, role, parts)
    return messages


def _pair(result: ir.ToolResultPart, pending: list[ir.ToolCallPart], new_id: _RequestIds) -> None:
    """Give ``result`` the id of the call it answers (by id, else first same-name call)."""
    match = next((c for c in pending if result.call_id and c.id == result.call_id), None)
    if match is None:
        match = next((c for c in pending if c.name == result.name), None)
        if match is not None:
            result.call_id = match.id
        elif not result.call_id:
            result.call_id = new_id()
    if match is not None:
        pending.remove(match)
        if not result.name:
            result.name = match.name


def _append_split(messages: list[ir.Message], role: ir.Role, parts: list[ir.Part]) -> None:
    """Append ``parts`` as messages, moving calls to assistant and results to user turns."""
    for part in parts:
        part_role: ir.Role = role
        if isinstance(part, ir.ToolCallPart):
            part_role = "assistant"
        elif isinstance(part, ir.ToolResultPart):
            part_role = "user"
        if not messages or messages[-1].role != part_role:
            messages.append(ir.Message(role=part_role))
        messages[-1].parts.append(part)


# --------------------------------------------------------------------------------------
# Emit
# --------------------------------------------------------------------------------------


def emit_request(request: ir.Request) -> dict[str, Any]:
    """An IR request as a generateContent body (no ``model``: it goes in the URL)."""
    pd = own(request.provider_data) or {}
    system_texts = [p.text for p in request.system if p.text]
    for message in request.messages:
        if message.role == "system":
            system_texts += [p.text for p in message.parts if isinstance(p, ir.TextPart) and p.text]
    contents = _emit_contents([m for m in request.messages if m.role != "system"])
    if is_gemini3_or_later(request.model):
        _bypass_missing_signatures(contents)
    body: dict[str, Any] = {}
    if not contents and system_texts:
        contents = [{"role": "user", "parts": [{"text": t} for t in system_texts]}]
        system_texts = []
    body["contents"] = contents
    if system_texts:
        body["systemInstruction"] = {"parts": [{"text": t} for t in system_texts]}

    tools = emit_tools(request.tools)
    if tools:
        body["tools"] = tools
    tool_config = emit_tool_config(request, pd, tools)
    if tool_config:
        body["toolConfig"] = tool_config
    gen = emit_generation_config(request, pd)
    if gen:
        body["generationConfig"] = gen
    for key in ("safetySettings", "cachedContent", "labels"):
        if key in pd:
            body[key] = pd[key]
    extra = pd.get("extra")
    add_missing(body, extra)
    return body


def _merged(messages: list[ir.Message]) -> list[ir.Message]:
    out: list[ir.Message] = []
    for message in messages:
        if out and out[-1].role == message.role:
            out[-1] = ir.Message(role=message.role, parts=[*out[-1].parts, *message.parts])
        else:
            out.append(ir.Message(role=message.role, parts=list(message.parts)))
    return out


def _emit_contents(messages: list[ir.Message]) -> list[dict[str, Any]]:
    names = {p.id: p.name for m in messages for p in m.parts if isinstance(p, ir.ToolCallPart)}
    contents: list[dict[str, Any]] = []
    pending: list[ir.ToolCallPart] = []
    for message in _merged(messages):
        if message.role == "assistant":
            if pending:  # cannot happen after merging, kept for safety
                contents.append({"role": "user", "parts": _answers(pending, {}, names)})
            parts: list[dict[str, Any]] = []
            for part in message.parts:
                if isinstance(part, ir.ToolResultPart):
                    continue
                emitted = emit_part(part, replay=True)
                if emitted is not None:
                    parts.append(emitted)
            pending = [p for p in message.parts if isinstance(p, ir.ToolCallPart)]
            contents.append({"role": "model", "parts": parts})
            continue
        results = [p for p in message.parts if isinstance(p, ir.ToolResultPart)]
        by_id: dict[str, ir.ToolResultPart] = {}
        orphans: list[ir.ToolResultPart] = []
        pending_ids = {c.id for c in pending}
        for result in results:
            if result.call_id in pending_ids and result.call_id not in by_id:
                by_id[result.call_id] = result
            else:
                orphans.append(result)
        parts = _answers(pending, by_id, names)
        pending = []
        for orphan in orphans:
            label = orphan.name or names.get(orphan.call_id) or orphan.call_id
            text = result_text(orphan)
            parts.append({"text": f"[tool result for {label}]: {text}"})
        for part in message.parts:
            if isinstance(part, ir.ToolResultPart):
                continue
            if isinstance(part, ir.ToolCallPart):
                continue
            emitted = emit_part(part, replay=True)
            if emitted is not None:
                parts.append(emitted)
        contents.append({"role": "user", "parts": parts})
    if pending:
        contents.append({"role": "user", "parts": _answers(pending, {}, names)})
    # drop empty contents, then merge neighbours that became same-role
    out: list[dict[str, Any]] = []
    for content in contents:
        if not content["parts"]:
            continue
        if out and out[-1]["role"] == content["role"]:
            out[-1]["parts"] += content["parts"]
        else:
            out.append(content)
    return out


def _bypass_missing_signatures(contents: list[dict[str, Any]]) -> None:
    """Gemini 3 validates that a model turn's first ``functionCall`` part carries the
    ``thoughtSignature`` it was issued with, and rejects history without one (400). Calls
    that come from another protocol's history (or from a client that dropped the signature)
    have none: such a turn gets Google's documented bypass value on its first call."""
    for content in contents:
        if content["role"] != "model":
            continue
        first = next((p for p in content["parts"] if "functionCall" in p), None)
        if first is not None and not first.get("thoughtSignature"):
            first["thoughtSignature"] = SKIP_SIGNATURE


def _answers(
    calls: list[ir.ToolCallPart],
    by_id: dict[str, ir.ToolResultPart],
    names: dict[str, str],
) -> list[dict[str, Any]]:
    """The functionResponse parts answering ``calls`` in call order (+ media beside them)."""
    responses: list[dict[str, Any]] = []
    media: list[dict[str, Any]] = []
    for call in calls:
        result = by_id.get(call.id) or ir.ToolResultPart(
            call_id=call.id, content=[ir.TextPart(_NO_RESULT)]
        )
        wire = has_wire_id(call.provider_data) or has_wire_id(result.provider_data)
        part, beside = function_response(result, call.name, call.id if wire else None)
        responses.append(part)
        media += beside
    return responses + media


# --------------------------------------------------------------------------------------
# countTokens
# --------------------------------------------------------------------------------------


def parse_count_request(body: dict[str, Any]) -> ir.Request:
    """``{"contents": …}`` or ``{"generateContentRequest": {…}}`` → IR request."""
    body = require_dict(body, "request body")
    inner = get(body, "generateContentRequest")
    if inner is not None:
        return parse_request(require_dict(inner, "generateContentRequest"))
    return parse_request(body)


def emit_count_request(request: ir.Request) -> dict[str, Any]:
    """The ``generateContentRequest`` form, so the system prompt and tools are counted too."""
    inner = emit_request(request)
    inner.pop("safetySettings", None)
    model = request.model if request.model.startswith("models/") else f"models/{request.model}"
    return {"generateContentRequest": {"model": model, **inner}}


__all__ = [
    "emit_count_request",
    "emit_request",
    "parse_count_request",
    "parse_request",
]
