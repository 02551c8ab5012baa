"""Tools, tool choice and generation settings: Gemini ↔ IR (the non-conversation request parts).

* Tools: every ``functionDeclarations`` entry → a function :class:`ir.Tool` whose ``parameters``
  is JSON Schema (``parametersJsonSchema`` as given; the Gemini-Schema ``parameters`` converted
  by :func:`.schema.from_gemini_schema`). Other ``tools[]`` entries (``googleSearch``,
  ``codeExecution``, ``urlContext``…) → ``kind="builtin"`` tools holding the entry in
  ``provider_data["gemini"]``. Emitting writes one ``functionDeclarations`` entry with cleaned
  ``parameters`` (:func:`.schema.function_parameters`; omitted for a tool without parameters),
  replays Gemini built-ins and drops other families' built-ins. A Responses free-form
  ("custom") tool becomes a function taking one string ``input`` (its calls in history are sent
  as ``{"input": text}``; Gemini's calls to it come back as ordinary function calls with that
  JSON, which :mod:`gatewayctl.translate.toolnames` turns back into the caller's free-form call).
* ``toolConfig.functionCallingConfig``: ``AUTO`` ↔ auto, ``NONE`` ↔ none, ``ANY`` ↔ required,
  ``ANY`` + exactly one ``allowedFunctionNames`` ↔ tool(name). Several allowed names,
  ``VALIDATED`` and other fields (``streamFunctionCallArguments``…) stay Gemini-only in
  ``provider_data``. ``toolConfig`` is only sent with function declarations.
* ``generationConfig``: temperature, topP, topK, maxOutputTokens, stopSequences (capped at 5 when
  emitting), candidateCount, seed, presencePenalty, frequencyPenalty map one to one;
  unmodelled fields (``responseModalities``, ``mediaResolution``…) ride in ``provider_data``.
* Structured output: ``responseMimeType: application/json`` + ``responseJsonSchema`` (JSON Schema,
  kept as is) or ``responseSchema`` (Gemini Schema, converted) ↔ ``json_schema``; the MIME type
  alone ↔ ``json_object``; ``text/plain`` ↔ ``text``. We emit ``responseSchema`` cleaned to the
  Gemini subset with ``propertyOrdering`` (see :mod:`.schema` for why).
* ``thinkingConfig`` parse: ``thinkingBudget`` 0 → ``enabled=False`` (budget 0), -1 (dynamic) →
  ``enabled=True`` without budget, n > 0 → ``budget_tokens=n``; ``thinkingLevel`` → ``effort``
  (lower-case); ``includeThoughts`` → ``include_thoughts`` (absent = False on Gemini).
* ``thinkingConfig`` emit (:func:`thinking_config`): an explicit budget → ``thinkingBudget``; an
  effort → ``thinkingLevel`` for Gemini 3+ (and unrecognised model names; the nearest level
  the model knows: ``xhigh`` is ``HIGH``, Pro has only ``LOW``/``HIGH``), else a budget from
  :mod:`gatewayctl.protocols.reasoning` (capped at 24576 for non-Pro models); thinking off →
  ``thinkingBudget: 0`` (Gemini ≤2.x, or an explicit budget 0 for an unrecognised model name)
  or the lowest level (Gemini 3 cannot switch thinking off: ``LOW`` for Pro, ``MINIMAL``
  otherwise); on without a size → ``thinkingBudget: -1`` (dynamic). ``includeThoughts`` is sent as asked, and defaults to true when another protocol
  asked for reasoning, so its client gets to see the thinking.
"""

from __future__ import annotations

import re
from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import ir
from gatewayctl.protocols.fields import add_missing, put_present, require_dict, require_str
from gatewayctl.protocols.gemini.common import (
    FAMILY,
    get_bool,
    get_dict,
    get_float,
    get_int,
    get_list,
    get_str,
    is_key,
    known_key,
    own,
)
from gatewayctl.protocols.gemini.schema import (
    from_gemini_schema,
    function_parameters,
    to_gemini_schema,
)
from gatewayctl.protocols.reasoning import effort_to_budget, nearest_effort, normalize_effort

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
_MAX_STOP = 5


def parse_tools(tools: list[Any]) -> list[ir.Tool]:
    out: list[ir.Tool] = []
    for i, entry in enumerate(tools):
        where = f"tools[{i}]"
        entry = require_dict(entry, where)
        for key, value in entry.items():
            if is_key(key, "functionDeclarations"):
                if not isinstance(value, list):
                    raise InvalidInput(f"{where}.functionDeclarations must be an array")
                for j, decl in enumerate(value):
                    out.append(_parse_declaration(decl, f"{where}.functionDeclarations[{j}]"))
            else:
                out.append(ir.Tool(name=key, kind="builtin", provider_data={FAMILY: {key: value}}))
    return out


def _parse_declaration(decl: Any, where: str) -> ir.Tool:
    decl = require_dict(decl, where)
    name = require_str(decl, "name", where)
    schema = get_dict(decl, "parametersJsonSchema", where)
    if schema is None:
        params = get_dict(decl, "parameters", where)
        schema = from_gemini_schema(params) if params is not None else None
    tool = ir.Tool(name=name, description=get_str(decl, "description", where), parameters=schema)
    extra = {
        k: v
        for k, v in decl.items()
        if not known_key(k, {"name", "description", "parameters", "parametersJsonSchema"})
    }
    if extra:
        tool.provider_data[FAMILY] = {"extra": extra}
    return tool


def parse_tool_config(config: dict[str, Any], req: ir.Request, pd: dict[str, Any]) -> None:
    fcc = get_dict(config, "functionCallingConfig", "toolConfig")
    rest = {k: v for k, v in config.items() if not is_key(k, "functionCallingConfig")}
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
        fcc_rest = {k: v for k, v in fcc.items() if not known_key(k, {"mode"})}
        if mode not in ("AUTO", "ANY", "NONE"):
            fcc_rest["mode"] = mode
        if len(names) == 1 and mode == "ANY":
            fcc_rest = {k: v for k, v in fcc_rest.items() if not is_key(k, "allowedFunctionNames")}
        if fcc_rest:
            rest["functionCallingConfig"] = fcc_rest
    if rest:
        pd["toolConfig"] = rest


def parse_generation_config(gen: dict[str, Any], req: ir.Request, pd: dict[str, Any]) -> None:
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
    rest = {k: v for k, v in gen.items() if not known_key(k, _GEN_KNOWN)}

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


def emit_tools(tools: list[ir.Tool]) -> list[dict[str, Any]]:
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
        add_missing(decl, extra)
        declarations.append(decl)
    out: list[dict[str, Any]] = []
    if declarations:
        out.append({"functionDeclarations": declarations})
    return out + builtins


def emit_tool_config(
    request: ir.Request, pd: dict[str, Any], tools: list[dict[str, Any]]
) -> dict[str, Any]:
    config: dict[str, Any] = {
        k: v
        for k, v in (pd.get("toolConfig") or {}).items()
        if not is_key(k, "functionCallingConfig")
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


def emit_generation_config(request: ir.Request, pd: dict[str, Any]) -> dict[str, Any]:
    gen: dict[str, Any] = {}
    put_present(
        gen,
        ("temperature", request.temperature),
        ("topP", request.top_p),
        ("topK", request.top_k),
        ("maxOutputTokens", request.max_output_tokens),
        ("stopSequences", request.stop[:_MAX_STOP] or None),
        ("candidateCount", request.candidate_count),
        ("seed", request.seed),
        ("presencePenalty", request.presence_penalty),
        ("frequencyPenalty", request.frequency_penalty),
    )
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
    add_missing(gen, rest)
    return gen


_FLASH_MAX_BUDGET = 24576
# thinkingLevel values: Gemini 3 Pro knows LOW and HIGH, the others also MINIMAL and MEDIUM
_PRO_LEVELS = ("low", "high")
_LEVELS = ("minimal", "low", "medium", "high")
_OLD_MODEL = re.compile(r"gemini-(?:1|2)(?:[.-]|$)")
_NEW_MODEL = re.compile(r"gemini-(?:[3-9]|\d{2,})(?:[.-]|$)")


def uses_thinking_level(model: str) -> bool:
    """Gemini 3 and later take ``thinkingLevel``; 1.x/2.x only ``thinkingBudget``."""
    return not _OLD_MODEL.search(model.lower())


def is_gemini3_or_later(model: str) -> bool:
    """A model name that is recognisably Gemini 3 or later (unknown names are not)."""
    return bool(_NEW_MODEL.search(model.lower()))


def thinking_config(reasoning: ir.ReasoningConfig, model: str) -> dict[str, Any]:
    """IR reasoning as ``thinkingConfig`` (mapping in the module docstring)."""
    out: dict[str, Any] = {}
    level = uses_thinking_level(model)
    pro = "pro" in model.lower()
    effort = normalize_effort(reasoning.effort)
    off = reasoning.enabled is False or effort == "none" or reasoning.budget_tokens == 0
    if off:
        if level and (is_gemini3_or_later(model) or reasoning.budget_tokens is None):
            out["thinkingLevel"] = "LOW" if pro else "MINIMAL"
        else:
            out["thinkingBudget"] = 0
    elif reasoning.budget_tokens is not None:
        out["thinkingBudget"] = reasoning.budget_tokens
    elif effort is not None:
        if level:
            out["thinkingLevel"] = nearest_effort(effort, _PRO_LEVELS if pro else _LEVELS).upper()
        else:
            budget = effort_to_budget(effort)
            out["thinkingBudget"] = budget if pro else min(budget, _FLASH_MAX_BUDGET)
    elif reasoning.enabled:
        out["thinkingBudget"] = -1
    include = reasoning.include_thoughts
    if include is None and not off and (reasoning.enabled or effort or reasoning.summary):
        include = True
    if include is not None:
        out["includeThoughts"] = include
    return out
