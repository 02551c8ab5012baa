"""Anthropic Messages request → IR.

What is kept, and where:

* ``system`` (string or text blocks) → :attr:`ir.Request.system`; a block's ``cache_control``
  rides in the part's ``provider_data["anthropic"]``. A ``role: "system"`` message inside
  ``messages`` (Claude Code's mid-conversation-system beta) becomes a ``Message(role="system")``
  in place, or joins ``Request.system`` when no user/assistant turn precedes it.
* Content blocks: text (citations dropped), image (base64 / url; a Files-API ``file`` source
  becomes a :class:`ir.FilePart` with ``file_id``), document (base64 PDF / url / plain text /
  content / file → :class:`ir.FilePart`; plain text is carried base64 with ``text/plain``),
  tool_use (``input`` → JSON text), tool_result (string or blocks, ``is_error``; ``name`` filled
  from the matching tool_use), thinking (+signature) and redacted_thinking (data) with their
  opaque parts in ``provider_data["anthropic"]``.
* Server-tool blocks (``server_tool_use``, ``*_tool_result``, ``mcp_*``, ``compaction``,
  ``container_upload``, …) and unknown block types are **dropped**: no other protocol can
  express them, and Anthropic → Anthropic traffic is passed through without the IR.
* Server tools in ``tools`` (``web_search_*``, ``bash_*``, ``mcp_toolset``…) are kept whole as
  ``Tool(kind="builtin")`` in ``provider_data["anthropic"]``; other emitters drop them.
* ``thinking`` enabled/adaptive/disabled and ``output_config.effort`` → :class:`ir.ReasoningConfig`
  (budget kept as sent; the effort↔budget table is applied by the emitter, see
  :mod:`.request_emit`). ``output_config.format`` (or the older top-level ``output_format``) →
  :class:`ir.ResponseFormat`. ``metadata.user_id`` → ``Request.user``.
* A few top-level fields with no cross-protocol meaning (``cache_control``, ``service_tier``,
  ``context_management``, ``container``, ``mcp_servers``, ``inference_geo``, ``speed``) are kept
  in ``Request.provider_data["anthropic"]["extra"]`` and replayed only to Anthropic.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import arguments, ir
from gatewayctl.protocols.anthropic._common import (
    FAMILY,
    b64encode_text,
    cache_control_pd,
)
from gatewayctl.protocols.fields import count_or_none, get_float, get_int, require_dict

# Top-level fields replayed verbatim to an Anthropic upstream only.
PASSTHROUGH_FIELDS = (
    "cache_control",
    "service_tier",
    "context_management",
    "container",
    "mcp_servers",
    "inference_geo",
    "speed",
)

# Tool keys the IR models; everything else on a custom tool rides in provider_data.
_TOOL_KEYS = {"type", "name", "description", "input_schema", "strict"}

ContentPart = ir.TextPart | ir.ImagePart | ir.FilePart


def parse_request(body: Any, *, count: bool = False) -> ir.Request:
    """A Messages (or, with ``count``, count_tokens) body → IR. Raises InvalidInput."""
    body = require_dict(body, "request body")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidInput("model: required, a non-empty string")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise InvalidInput("messages: required, an array of messages")

    req = ir.Request(model=model)
    req.system = _parse_system(body.get("system"), "system")
    _parse_messages(messages, req)

    req.tools = _parse_tools(body.get("tools"))
    req.tool_choice, req.parallel_tool_calls = _parse_tool_choice(body.get("tool_choice"))
    if not count:
        req.stream = body.get("stream") is True
        req.max_output_tokens = get_int(body, "max_tokens")
        req.temperature = _opt_number(body, "temperature")
        req.top_p = _opt_number(body, "top_p")
        req.top_k = get_int(body, "top_k")
        req.stop = _opt_str_list(body, "stop_sequences")
        req.user = _parse_user(body.get("metadata"))

    pd: dict[str, Any] = {}
    req.reasoning = _parse_reasoning(body, pd)
    req.response_format = _parse_output_format(body)
    extra = {k: body[k] for k in PASSTHROUGH_FIELDS if body.get(k) is not None}
    if extra:
        pd["extra"] = extra
    if pd:
        req.provider_data[FAMILY] = pd
    return req


# --------------------------------------------------------------------------------------
# scalars
# --------------------------------------------------------------------------------------


def _opt_number(body: dict[str, Any], key: str) -> float | None:
    value = get_float(body, key)
    return None if value is None else float(value)


def _opt_str_list(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise InvalidInput(f"{key}: must be an array of strings")
    return list(value)


def _parse_user(metadata: Any) -> str | None:
    if not isinstance(metadata, dict):
        return None
    user = metadata.get("user_id")
    return user if isinstance(user, str) and user else None


# --------------------------------------------------------------------------------------
# system and messages
# --------------------------------------------------------------------------------------


def _parse_system(value: Any, where: str) -> list[ir.TextPart]:
    if value is None:
        return []
    if isinstance(value, str):
        return [ir.TextPart(value)] if value else []
    if not isinstance(value, list):
        raise InvalidInput(f"{where}: must be a string or an array of text blocks")
    parts: list[ir.TextPart] = []
    for i, block in enumerate(value):
        block = require_dict(block, f"{where}[{i}]")
        if block.get("type") != "text" or not isinstance(block.get("text"), str):
            raise InvalidInput(f"{where}[{i}]: must be a text block with a string text")
        parts.append(ir.TextPart(block["text"], provider_data=cache_control_pd(block)))
    return parts


def _parse_messages(messages: list[Any], req: ir.Request) -> None:
    names: dict[str, str] = {}  # tool_use id → tool name, for ToolResultPart.name
    seen_turn = False
    for i, raw in enumerate(messages):
        msg = require_dict(raw, f"messages[{i}]")
        role = msg.get("role")
        where = f"messages[{i}]"
        if role == "system":
            parts = _parse_system(msg.get("content"), where + ".content")
            if seen_turn:
                req.messages.append(ir.Message("system", list(parts)))
            else:
                req.system.extend(parts)
            continue
        if role not in ("user", "assistant"):
            raise InvalidInput(f"{where}.role: must be 'user' or 'assistant', got {role!r}")
        seen_turn = True
        content = msg.get("content")
        if isinstance(content, str):
            req.messages.append(ir.Message(role, [ir.TextPart(content)]))
            continue
        if not isinstance(content, list):
            raise InvalidInput(f"{where}.content: must be a string or an array of blocks")
        parts_out: list[ir.Part] = []
        for j, block in enumerate(content):
            part = _parse_block(require_dict(block, f"{where}.content[{j}]"), names, where)
            if part is not None:
                parts_out.append(part)
        req.messages.append(ir.Message(role, parts_out))


def _parse_block(block: dict[str, Any], names: dict[str, str], where: str) -> ir.Part | None:
    btype = block.get("type")
    if not isinstance(btype, str):
        raise InvalidInput(f"{where}: every content block needs a string 'type'")
    if btype in ("text", "image", "document"):
        return _parse_content_block(block, where)
    if btype == "tool_use":
        call_id, name = block.get("id"), block.get("name")
        if not isinstance(call_id, str) or not isinstance(name, str):
            raise InvalidInput(f"{where}: tool_use blocks need string 'id' and 'name'")
        names[call_id] = name
        return ir.ToolCallPart(
            id=call_id,
            name=name,
            arguments=arguments.to_text(block.get("input", {})),
            provider_data=cache_control_pd(block),
        )
    if btype == "tool_result":
        return _parse_tool_result(block, names, where)
    if btype == "thinking":
        signature = block.get("signature")
        pd: ir.ProviderData = {}
        if isinstance(signature, str) and signature:
            pd = {FAMILY: {"signature": signature}}
        thinking = block.get("thinking")
        return ir.ReasoningPart(
            text=thinking if isinstance(thinking, str) else "", provider_data=pd
        )
    if btype == "redacted_thinking":
        data = block.get("data")
        if not isinstance(data, str):
            raise InvalidInput(f"{where}: redacted_thinking blocks need a string 'data'")
        return ir.ReasoningPart(redacted=True, provider_data={FAMILY: {"redacted_data": data}})
    # Server-tool blocks and block types from newer API versions: no IR form (module doc).
    return None


def _parse_content_block(block: dict[str, Any], where: str) -> ContentPart | None:
    """text / image / document blocks (the kinds a tool_result may also hold)."""
    btype = block.get("type")
    pd = cache_control_pd(block)
    if btype == "text":
        text = block.get("text")
        if not isinstance(text, str):
            raise InvalidInput(f"{where}: text blocks need a string 'text'")
        return ir.TextPart(text, provider_data=pd)
    source = require_dict(block.get("source"), f"{where}: {btype}.source")
    stype = source.get("type")
    if btype == "image":
        if stype == "base64":
            return ir.ImagePart(
                data=_str(source, "data", where),
                media_type=source.get("media_type"),
                provider_data=pd,
            )
        if stype == "url":
            return ir.ImagePart(url=_str(source, "url", where), provider_data=pd)
        if stype == "file":
            pd = {FAMILY: {**pd.get(FAMILY, {}), "block": "image"}}
            return ir.FilePart(file_id=_str(source, "file_id", where), provider_data=pd)
        raise InvalidInput(f"{where}: unknown image source type {stype!r}")
    if btype == "document":
        return _parse_document(block, source, where)
    return None


def _parse_document(block: dict[str, Any], source: dict[str, Any], where: str) -> ir.FilePart:
    pd_entry: dict[str, Any] = dict(cache_control_pd(block).get(FAMILY, {}))
    for key in ("context", "citations"):
        if block.get(key) is not None:
            pd_entry[key] = block[key]
    pd: ir.ProviderData = {FAMILY: pd_entry} if pd_entry else {}
    title = block.get("title") if isinstance(block.get("title"), str) else None
    stype = source.get("type")
    if stype == "base64":
        media = source.get("media_type") or "application/pdf"
        return ir.FilePart(
            data=_str(source, "data", where), media_type=media, filename=title, provider_data=pd
        )
    if stype == "url":
        # Anthropic's URL document source is a PDF source.
        return ir.FilePart(
            url=_str(source, "url", where),
            media_type="application/pdf",
            filename=title,
            provider_data=pd,
        )
    if stype == "text":
        return ir.FilePart(
            data=b64encode_text(_str(source, "data", where)),
            media_type=source.get("media_type") or "text/plain",
            filename=title,
            provider_data=pd,
        )
    if stype == "content":
        # A "custom content" document: its text blocks, read as one plain-text document.
        inner = source.get("content")
        if isinstance(inner, str):
            text = inner
        elif isinstance(inner, list):
            text = "\n\n".join(
                b["text"] for b in inner if isinstance(b, dict) and isinstance(b.get("text"), str)
            )
        else:
            raise InvalidInput(f"{where}: document content source needs 'content'")
        return ir.FilePart(
            data=b64encode_text(text), media_type="text/plain", filename=title, provider_data=pd
        )
    if stype == "file":
        return ir.FilePart(file_id=_str(source, "file_id", where), filename=title, provider_data=pd)
    raise InvalidInput(f"{where}: unknown document source type {stype!r}")


def _parse_tool_result(
    block: dict[str, Any], names: dict[str, str], where: str
) -> ir.ToolResultPart:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str):
        raise InvalidInput(f"{where}: tool_result blocks need a string 'tool_use_id'")
    content = block.get("content")
    parts: list[ContentPart] = []
    if isinstance(content, str):
        parts.append(ir.TextPart(content))
    elif isinstance(content, list):
        for k, inner in enumerate(content):
            inner = require_dict(inner, f"{where}.tool_result.content[{k}]")
            part = _parse_content_block(inner, where) if inner.get("type") in _CONTENT else None
            if part is not None:
                parts.append(part)
    elif content is not None:
        raise InvalidInput(f"{where}: tool_result content must be a string or an array")
    return ir.ToolResultPart(
        call_id=call_id,
        content=parts,
        name=names.get(call_id),
        is_error=block.get("is_error") is True,
        provider_data=cache_control_pd(block),
    )


_CONTENT = ("text", "image", "document")


def _str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: source.{key} must be a string")
    return value


# --------------------------------------------------------------------------------------
# tools
# --------------------------------------------------------------------------------------


def _parse_tools(value: Any) -> list[ir.Tool]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput("tools: must be an array")
    tools: list[ir.Tool] = []
    for i, raw in enumerate(value):
        tool = require_dict(raw, f"tools[{i}]")
        ttype = tool.get("type")
        if ttype in (None, "custom"):
            name = tool.get("name")
            if not isinstance(name, str) or not name:
                raise InvalidInput(f"tools[{i}].name: required string")
            schema = tool.get("input_schema")
            if schema is not None and not isinstance(schema, dict):
                raise InvalidInput(f"tools[{i}].input_schema: must be an object")
            desc = tool.get("description")
            strict = tool.get("strict")
            extra = {k: v for k, v in tool.items() if k not in _TOOL_KEYS}
            tools.append(
                ir.Tool(
                    name=name,
                    description=desc if isinstance(desc, str) else None,
                    parameters=schema,
                    strict=strict if isinstance(strict, bool) else None,
                    provider_data={FAMILY: extra} if extra else {},
                )
            )
        else:
            name = tool.get("name")
            tools.append(
                ir.Tool(
                    name=name if isinstance(name, str) and name else str(ttype),
                    kind="builtin",
                    provider_data={FAMILY: dict(tool)},
                )
            )
    return tools


def _parse_tool_choice(value: Any) -> tuple[ir.ToolChoice | None, bool | None]:
    if value is None:
        return None, None
    choice = require_dict(value, "tool_choice")
    ctype = choice.get("type")
    parallel: bool | None = None
    if isinstance(choice.get("disable_parallel_tool_use"), bool):
        parallel = not choice["disable_parallel_tool_use"]
    if ctype == "auto":
        return ir.ToolChoice("auto"), parallel
    if ctype == "any":
        return ir.ToolChoice("required"), parallel
    if ctype == "none":
        return ir.ToolChoice("none"), parallel
    if ctype == "tool":
        name = choice.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidInput("tool_choice.name: required when type is 'tool'")
        return ir.ToolChoice("tool", name), parallel
    raise InvalidInput(f"tool_choice.type: must be auto, any, tool or none, got {ctype!r}")


# --------------------------------------------------------------------------------------
# thinking, effort, structured output
# --------------------------------------------------------------------------------------


def _parse_reasoning(body: dict[str, Any], pd: dict[str, Any]) -> ir.ReasoningConfig | None:
    thinking = body.get("thinking")
    output_config = body.get("output_config")
    effort = output_config.get("effort") if isinstance(output_config, dict) else None
    if thinking is None and not isinstance(effort, str):
        return None
    cfg = ir.ReasoningConfig()
    if thinking is not None:
        thinking = require_dict(thinking, "thinking")
        ttype = thinking.get("type")
        if ttype == "enabled":
            budget = count_or_none(thinking.get("budget_tokens"))
            if budget is None:
                raise InvalidInput("thinking.budget_tokens: required integer when type is enabled")
            cfg.enabled, cfg.budget_tokens = True, budget
        elif ttype == "disabled":
            cfg.enabled = False
        elif isinstance(ttype, str):
            # adaptive (and newer modes such as between_tools): the model decides how much.
            cfg.enabled = True
            pd["thinking_type"] = ttype
        else:
            raise InvalidInput("thinking.type: required string")
        if isinstance(thinking.get("display"), str):
            pd["thinking_display"] = thinking["display"]
    if isinstance(effort, str):
        pd["effort"] = effort
        cfg.effort = "xhigh" if effort == "max" else effort
    return cfg


def _parse_output_format(body: dict[str, Any]) -> ir.ResponseFormat | None:
    output_config = body.get("output_config")
    fmt = output_config.get("format") if isinstance(output_config, dict) else None
    if fmt is None:
        fmt = body.get("output_format")  # the structured-outputs beta's spelling
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") != "json_schema":
        raise InvalidInput("output_config.format.type: must be 'json_schema'")
    schema = fmt.get("schema")
    if not isinstance(schema, dict):
        raise InvalidInput("output_config.format.schema: required object")
    return ir.ResponseFormat(kind="json_schema", schema=schema)
