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
* ``toolConfig.functionCallingConfig``: ``AUTO`` → auto, ``NONE`` → none, ``ANY`` → required,
  ``ANY`` with exactly one ``allowedFunctionNames`` entry → tool(name). Several allowed names
  (and ``VALIDATED``) have no IR form: kept in ``provider_data`` for Gemini, ``required``/auto
  for others.
* ``thinkingConfig`` → :class:`ir.ReasoningConfig`: ``thinkingBudget`` 0 → ``enabled=False``,
  -1 (dynamic) → ``enabled=True`` without budget, n > 0 → ``budget_tokens=n``;
  ``thinkingLevel`` → ``effort`` (lower-case); ``includeThoughts`` → ``include_thoughts``
  (absent means False on Gemini, so it is parsed as False).
* ``responseMimeType: application/json`` + ``responseJsonSchema`` (JSON Schema, kept as is) or
  ``responseSchema`` (Gemini Schema, converted to JSON Schema) → ``json_schema``; the MIME type
  alone → ``json_object``; ``text/plain`` → ``text``. Other MIME types stay Gemini-only.
* Opaque Gemini-only settings — ``safetySettings``, ``cachedContent``, ``labels``, generation
  and tool-config fields the IR does not model, unknown top-level keys (e.g. Code Assist's
  ``session_id``) — ride in ``Request.provider_data["gemini"]`` and are replayed only to Gemini.

Emitting (protocols.md §7.1, §7.3, §7.11):

* ``systemInstruction`` = the system texts, then the text of any mid-conversation
  ``system`` message (Gemini has only the top-level form). A request with a system prompt and
  no conversation sends the system text as the user turn (Gemini rejects empty ``contents``).
* Consecutive same-role messages are merged; empty parts and contents are never sent.
* Tool calls and results are paired as Gemini requires: the content right after a model turn
  with N function calls starts with N ``functionResponse`` parts *in call order*; a call nobody
  answered gets a synthesised ``{"result": "(no result)"}`` response; a result whose call is not
  in the preceding model turn (an orphan, e.g. after client-side history trimming) becomes user
  text ``[tool result for NAME]: …``. The response ``name`` comes from the result, else from
  the call with that id.
* Tools: functions → one ``functionDeclarations`` entry with cleaned ``parameters``
  (:mod:`.schema`); Gemini built-in tools (``googleSearch``, ``codeExecution``, ``urlContext``…)
  are replayed from ``provider_data``; other families' built-in tools are dropped. A Responses
  free-form ("custom") tool becomes a function taking one string ``input``.
* ``thinkingConfig`` from the IR: an explicit budget → ``thinkingBudget``; an effort →
  ``thinkingLevel`` for Gemini 3+ (and unrecognised model names), else a budget
  (minimal 512, low 1024, medium 8192, high 24576, xhigh 32768 — CPA's table, capped at 24576
  for non-Pro models); thinking off → ``thinkingBudget: 0`` (Gemini ≤2.x, or an explicit
  budget 0 for an unrecognised model name) or the lowest level (Gemini 3 cannot switch thinking
  off: ``LOW`` for Pro, ``MINIMAL`` otherwise); on without a size → ``thinkingBudget: -1``
  (dynamic).
  ``includeThoughts`` is sent as asked, and defaults to true when another protocol asked for
  reasoning, so its client gets to see the thinking.
* ``stopSequences`` is capped at Gemini's 5. A ``thoughtSignature`` is only ever written from
  ``provider_data["gemini"]``.
"""

from __future__ import annotations

import re
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.gemini.common import (
    FAMILY,
    get,
    get_bool,
    get_dict,
    get_float,
    get_int,
    get_list,
    get_str,
    own,
    require_dict,
    snake,
    strip_model_prefix,
)
from gatewayctl.protocols.gemini.parts import (
    emit_part,
    function_response,
    parse_part,
    result_text,
)
from gatewayctl.protocols.gemini.schema import (
    from_gemini_schema,
    function_parameters,
    to_gemini_schema,
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
_GEN_KNOWN = {
    "temperature",
    "topP",
    "topK",
    "maxOutputTokens",
    "stopSequences",
    "candidateCount",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "thinkingConfig",
}
_NO_RESULT = "(no result)"
_MAX_STOP = 5


def _is(key: str, camel_key: str) -> bool:
    return key == camel_key or key == snake(camel_key)


def _known(key: str, names: set[str]) -> bool:
    return any(_is(key, name) for name in names)


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
        req.tools = _parse_tools(tools)
    tool_config = get_dict(body, "toolConfig", "request")
    if tool_config:
        _parse_tool_config(tool_config, req, pd)
    gen = get_dict(body, "generationConfig", "request")
    if gen:
        _parse_generation_config(gen, req, pd)

    for key in ("safetySettings", "cachedContent", "labels"):
        value = get(body, key)
        if value is not None:
            pd[key] = value
    extra = {k: v for k, v in body.items() if not _known(k, _TOP_KNOWN)}
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
        for part in get(content, "parts") or []:
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
            part = parse_part(raw, f"{where}.parts[{j}]", new_id)
            if part is not None:
                parts.append(part)
        calls = [p for p in parts if isinstance(p, ir.ToolCallPart)]
        if role == "assistant" or calls:
            pending = list(calls)
        for part in parts:
            if isinstance(part, ir.ToolResultPart):
                _pair(part, pending, new_id)
        _append_split(messages, role, parts)
    return messages


def _pair(result: ir.ToolResultPart, pending: list[ir.ToolCallPart], new_id: _RequestIds) -> None:
    match: ir.ToolCallPart | None = None
    if result.call_id:
        match = next((c for c in pending if c.id == result.call_id), None)
    else:
        match = next((c for c in pending if c.name == result.name), None)
        result.call_id = match.id if match else new_id()
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


def _parse_tools(tools: list[Any]) -> list[ir.Tool]:
    out: list[ir.Tool] = []
    for i, entry in enumerate(tools):
        where = f"tools[{i}]"
        entry = require_dict(entry, where)
        for key, value in entry.items():
            if _is(key, "functionDeclarations"):
                if not isinstance(value, list):
                    raise InvalidInput(f"{where}.functionDeclarations must be an array")
                for j, decl in enumerate(value):
                    out.append(_parse_declaration(decl, f"{where}.functionDeclarations[{j}]"))
            else:
                out.append(ir.Tool(name=key, kind="builtin", provider_data={FAMILY: {key: value}}))
    return out


def _parse_declaration(decl: Any, where: str) -> ir.Tool:
    decl = require_dict(decl, where)
    name = get_str(decl, "name", where)
    if not name:
        raise InvalidInput(f"{where}.name is required")
    schema = get_dict(decl, "parametersJsonSchema", where)
    if schema is None:
        params = get_dict(decl, "parameters", where)
        schema = from_gemini_schema(params) if params is not None else None
    tool = ir.Tool(name=name, description=get_str(decl, "description", where), parameters=schema)
    extra = {
        k: v
        for k, v in decl.items()
        if not _known(k, {"name", "description", "parameters", "parametersJsonSchema"})
    }
    if extra:
        tool.provider_data[FAMILY] = {"extra": extra}
    return tool


def _parse_tool_config(config: dict[str, Any], req: ir.Request, pd: dict[str, Any]) -> None:
    fcc = get_dict(config, "functionCallingConfig", "toolConfig")
    rest = {k: v for k, v in config.items() if not _is(k, "functionCallingConfig")}
    if fcc is not None:
        where = "toolConfig.functionCallingConfig"
        mode = (get_str(fcc, "mode", where) or "AUTO").upper()
        names = get_list(fcc, "allowedFunctionNames", where) or []
        if mode == "NONE":
            req.tool_choice = ir.ToolChoice(mode="none")
        elif mode == "ANY":
            if len(names) == 1 and isinstance(names[0], str):
                req.tool_choice = ir.ToolChoice(mode="tool", name=names[0])
            else:
                req.tool_choice = ir.ToolChoice(mode="required")
        else:
            req.tool_choice = ir.ToolChoice(mode="auto")
        fcc_rest = {k: v for k, v in fcc.items() if not _known(k, {"mode"})}
        if mode not in ("AUTO", "ANY", "NONE"):
            fcc_rest["mode"] = mode
        if len(names) == 1 and mode == "ANY":
            fcc_rest = {k: v for k, v in fcc_rest.items() if not _is(k, "allowedFunctionNames")}
        if fcc_rest:
            rest["functionCallingConfig"] = fcc_rest
    if rest:
        pd["toolConfig"] = rest


def _parse_generation_config(gen: dict[str, Any], req: ir.Request, pd: dict[str, Any]) -> None:
    where = "generationConfig"
    req.temperature = get_float(gen, "temperature", where)
    req.top_p = get_float(gen, "topP", where)
    req.top_k = get_int(gen, "topK", where)
    req.max_output_tokens = get_int(gen, "maxOutputTokens", where)
    stop = get_list(gen, "stopSequences", where)
    if stop:
        req.stop = [s for s in stop if isinstance(s, str)]
    req.candidate_count = get_int(gen, "candidateCount", where)
    req.seed = get_int(gen, "seed", where)
    req.presence_penalty = get_float(gen, "presencePenalty", where)
    req.frequency_penalty = get_float(gen, "frequencyPenalty", where)
    rest = {k: v for k, v in gen.items() if not _known(k, _GEN_KNOWN)}

    mime = get_str(gen, "responseMimeType", where)
    json_schema = get_dict(gen, "responseJsonSchema", where)
    legacy = rest.pop("_responseJsonSchema", None)  # the SDK's older spelling
    if json_schema is None and isinstance(legacy, dict):
        json_schema = legacy
    gemini_schema = get_dict(gen, "responseSchema", where)
    if mime == "application/json":
        if json_schema is not None:
            req.response_format = ir.ResponseFormat(kind="json_schema", schema=json_schema)
        elif gemini_schema is not None:
            req.response_format = ir.ResponseFormat(
                kind="json_schema", schema=from_gemini_schema(gemini_schema)
            )
        else:
            req.response_format = ir.ResponseFormat(kind="json_object")
    elif mime == "text/plain" and json_schema is None and gemini_schema is None:
        req.response_format = ir.ResponseFormat(kind="text")
    elif mime is not None:
        rest["responseMimeType"] = mime
        if json_schema is not None:
            rest["responseJsonSchema"] = json_schema
        if gemini_schema is not None:
            rest["responseSchema"] = gemini_schema

    thinking = get_dict(gen, "thinkingConfig", where)
    if thinking is not None:
        req.reasoning = _parse_thinking(thinking)
    if rest:
        pd["generationConfig"] = rest


def _parse_thinking(config: dict[str, Any]) -> ir.ReasoningConfig:
    where = "generationConfig.thinkingConfig"
    out = ir.ReasoningConfig(include_thoughts=bool(get_bool(config, "includeThoughts", where)))
    budget = get_int(config, "thinkingBudget", where)
    if budget is not None:
        if budget == 0:
            out.enabled = False
            out.budget_tokens = 0
        elif budget < 0:
            out.enabled = True
        else:
            out.enabled = True
            out.budget_tokens = budget
    level = get_str(config, "thinkingLevel", where)
    if level and level.upper() != "THINKING_LEVEL_UNSPECIFIED":
        out.effort = level.lower()
    return out


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
    body: dict[str, Any] = {}
    if not contents and system_texts:
        contents = [{"role": "user", "parts": [{"text": t} for t in system_texts]}]
        system_texts = []
    body["contents"] = contents
    if system_texts:
        body["systemInstruction"] = {"parts": [{"text": t} for t in system_texts]}

    tools = _emit_tools(request.tools)
    if tools:
        body["tools"] = tools
    tool_config = _emit_tool_config(request, pd, tools)
    if tool_config:
        body["toolConfig"] = tool_config
    gen = _emit_generation_config(request, pd)
    if gen:
        body["generationConfig"] = gen
    for key in ("safetySettings", "cachedContent", "labels"):
        if key in pd:
            body[key] = pd[key]
    extra = pd.get("extra")
    if isinstance(extra, dict):
        for key, value in extra.items():
            body.setdefault(key, value)
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
        part, beside = function_response(result, result.name or call.name, call.id or None)
        responses.append(part)
        media += beside
    return responses + media


def _emit_tools(tools: list[ir.Tool]) -> list[dict[str, Any]]:
    declarations: list[dict[str, Any]] = []
    builtins: list[dict[str, Any]] = []
    for tool in tools:
        entry = own(tool.provider_data) or {}
        if tool.kind == "builtin":
            builtin = {k: v for k, v in entry.items() if k != "extra"}
            if builtin:
                builtins.append(builtin)
            continue
        decl: dict[str, Any] = {"name": tool.name}
        if tool.description:
            decl["description"] = tool.description
        if tool.kind == "custom":
            decl["parameters"] = {
                "type": "OBJECT",
                "properties": {"input": {"type": "STRING", "description": "Free-form input."}},
                "required": ["input"],
            }
        else:
            params = function_parameters(tool.parameters)
            if params is not None:
                decl["parameters"] = params
        extra = entry.get("extra")
        if isinstance(extra, dict):
            for key, value in extra.items():
                decl.setdefault(key, value)
        declarations.append(decl)
    out: list[dict[str, Any]] = []
    if declarations:
        out.append({"functionDeclarations": declarations})
    return out + builtins


def _emit_tool_config(
    request: ir.Request, pd: dict[str, Any], tools: list[dict[str, Any]]
) -> dict[str, Any]:
    config: dict[str, Any] = {
        k: v for k, v in (pd.get("toolConfig") or {}).items() if not _is(k, "functionCallingConfig")
    }
    fcc: dict[str, Any] = dict((pd.get("toolConfig") or {}).get("functionCallingConfig") or {})
    has_functions = any("functionDeclarations" in t for t in tools)
    choice = request.tool_choice
    if choice is not None and has_functions:
        if choice.mode == "none":
            fcc.setdefault("mode", "NONE")
        elif choice.mode == "required":
            fcc.setdefault("mode", "ANY")
        elif choice.mode == "tool" and choice.name:
            fcc["mode"] = "ANY"
            fcc["allowedFunctionNames"] = [choice.name]
        else:
            fcc.setdefault("mode", "AUTO")
    if fcc and (has_functions or "mode" not in fcc):
        config["functionCallingConfig"] = fcc
    return config


def _emit_generation_config(request: ir.Request, pd: dict[str, Any]) -> dict[str, Any]:
    gen: dict[str, Any] = {}
    if request.temperature is not None:
        gen["temperature"] = request.temperature
    if request.top_p is not None:
        gen["topP"] = request.top_p
    if request.top_k is not None:
        gen["topK"] = request.top_k
    if request.max_output_tokens is not None:
        gen["maxOutputTokens"] = request.max_output_tokens
    if request.stop:
        gen["stopSequences"] = request.stop[:_MAX_STOP]
    if request.candidate_count is not None:
        gen["candidateCount"] = request.candidate_count
    if request.seed is not None:
        gen["seed"] = request.seed
    if request.presence_penalty is not None:
        gen["presencePenalty"] = request.presence_penalty
    if request.frequency_penalty is not None:
        gen["frequencyPenalty"] = request.frequency_penalty
    fmt = request.response_format
    if fmt is not None:
        if fmt.kind == "text":
            gen["responseMimeType"] = "text/plain"
        else:
            gen["responseMimeType"] = "application/json"
            if fmt.kind == "json_schema" and fmt.schema:
                gen["responseSchema"] = to_gemini_schema(fmt.schema, order_properties=True)
    if request.reasoning is not None:
        thinking = thinking_config(request.reasoning, request.model)
        if thinking:
            gen["thinkingConfig"] = thinking
    rest = pd.get("generationConfig")
    if isinstance(rest, dict):
        for key, value in rest.items():
            gen.setdefault(key, value)
    return gen


_EFFORT_BUDGET = {"minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 32768}
_FLASH_MAX_BUDGET = 24576
_OLD_MODEL = re.compile(r"gemini-(?:1|2)(?:[.-]|$)")
_NEW_MODEL = re.compile(r"gemini-(?:[3-9]|\d{2,})(?:[.-]|$)")


def uses_thinking_level(model: str) -> bool:
    """Gemini 3 and later take ``thinkingLevel``; 1.x/2.x only ``thinkingBudget``."""
    return not _OLD_MODEL.search(model.lower())


def thinking_config(reasoning: ir.ReasoningConfig, model: str) -> dict[str, Any]:
    """IR reasoning as ``thinkingConfig`` (mapping in the module docstring)."""
    out: dict[str, Any] = {}
    level = uses_thinking_level(model)
    pro = "pro" in model.lower()
    effort = (reasoning.effort or "").lower() or None
    off = reasoning.enabled is False or effort == "none" or reasoning.budget_tokens == 0
    if off:
        if level and (_NEW_MODEL.search(model.lower()) or reasoning.budget_tokens is None):
            out["thinkingLevel"] = "LOW" if pro else "MINIMAL"
        else:
            out["thinkingBudget"] = 0
    elif reasoning.budget_tokens is not None:
        out["thinkingBudget"] = reasoning.budget_tokens
    elif effort is not None:
        if level:
            out["thinkingLevel"] = effort.upper()
        else:
            budget = _EFFORT_BUDGET.get(effort, _EFFORT_BUDGET["medium"])
            out["thinkingBudget"] = budget if pro else min(budget, _FLASH_MAX_BUDGET)
    elif reasoning.enabled:
        out["thinkingBudget"] = -1
    include = reasoning.include_thoughts
    if include is None and not off and (reasoning.enabled or effort or reasoning.summary):
        include = True
    if include is not None:
        out["includeThoughts"] = include
    return out


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
    "thinking_config",
    "uses_thinking_level",
]
