"""IR → Anthropic Messages request, shaped so the real API accepts it.

The Messages API is strict where other protocols are lax, so the emitter repairs what a
translated conversation commonly gets wrong (protocols.md §7.11):

* consecutive same-role messages are merged; ``Message(role="system")`` text is appended to
  the top-level ``system``; images/files/tool results are dropped from assistant turns and
  reasoning/tool calls from user turns (Anthropic has no place for them there);
* empty and whitespace-only text blocks are dropped, then messages left empty; the final
  assistant message (a prefill) loses trailing whitespace;
* in a user turn the ``tool_result`` blocks come first; a result whose id matches no
  ``tool_use`` of the assistant turn right before it (an orphan, e.g. after client-side
  history trimming) becomes user text ``[tool result for <id>]: …``; a ``tool_use`` with no
  result gets a synthesised ``"(no result)"`` result;
* ``tool_use`` ids are rewritten to ``^[a-zA-Z0-9_-]+$`` (same rewrite for the result, so
  pairs stay paired);
* a reasoning part is emitted only with its Anthropic ``signature`` (``thinking``) or
  ``redacted_data`` (``redacted_thinking``); foreign reasoning is dropped, never re-signed;
* a conversation with no messages but a system prompt sends that prompt as the user turn.

Reasoning: ``enabled=False`` or effort ``none`` → ``{"type":"disabled"}``; an Anthropic
``adaptive`` request round-trips as adaptive (+ ``output_config.effort``); otherwise
``{"type":"enabled","budget_tokens":B}`` with B the explicit budget (floored at Anthropic's
minimum of 1024; a dynamic ``-1`` budget counts as "medium") or, from an effort, the shared
table of :mod:`gatewayctl.protocols.reasoning` floored at 1024 (``minimal`` is 1024, ``max``
32768); no effort and no budget means medium. ``output_config.effort`` is sent when the
request came from an Anthropic client, or with adaptive thinking (it is rejected by models
without the effort feature).

``max_tokens`` is required: when absent it is :data:`DEFAULT_MAX_TOKENS` (8192), or budget + 4096
with a larger thinking budget, or :data:`ADAPTIVE_MAX_TOKENS` (32000) with adaptive thinking.
An explicit ``max_tokens`` that leaves no room for the budget shrinks the budget to
max(1024, max_tokens // 2), or turns thinking off when ``max_tokens`` ≤ 1024. With thinking on,
the API's constraints are applied: ``temperature`` other than 1 and ``top_k`` are dropped,
``top_p`` below 0.95 is dropped, and a forcing ``tool_choice`` (any/tool) becomes ``auto``;
thinking is turned off when the tool loop's last assistant turn has ``tool_use`` but no
signed thinking block to start it (the API would reject the request). ``temperature`` is
clamped to 0–1; whitespace-only stop sequences are dropped (the API rejects them).
Not expressible and dropped: seed, penalties, candidate_count, ``json_object`` response format,
builtin tools of other families; free-form (custom) tools become function tools taking
``{"input": string}`` (calls come back unwrapped by :mod:`gatewayctl.translate.toolnames`).
Tool names are taken as given: names Anthropic refuses are renamed by the translate layer.
"""

from __future__ import annotations

from typing import Any

from gatewayctl.errors import InvalidInput
from gatewayctl.protocols import arguments, ir
from gatewayctl.protocols.anthropic._common import (
    anthropic_data,
    b64decode_text,
    tool_id,
    with_cache_control,
)
from gatewayctl.protocols.fields import add_missing
from gatewayctl.protocols.media import parse_data_uri, sniff_media_type
from gatewayctl.protocols.reasoning import effort_to_budget, nearest_effort, normalize_effort

DEFAULT_MAX_TOKENS = 8192
ADAPTIVE_MAX_TOKENS = 32000
MIN_THINKING_BUDGET = 1024
_ANTHROPIC_EFFORTS = ("low", "medium", "high", "xhigh")

# Fields the count_tokens endpoint accepts (everything else is rejected there).
COUNT_FIELDS = (
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "thinking",
    "output_config",
    "cache_control",
    "context_management",
    "mcp_servers",
    "speed",
)

Block = dict[str, Any]


def emit_request(req: ir.Request) -> dict[str, Any]:
    """IR → a Messages body the API accepts."""
    system, messages = _emit_conversation(req)
    body: dict[str, Any] = {"model": req.model}
    pd = anthropic_data(req.provider_data)

    thinking = _emit_thinking(req, pd)
    if thinking is not None and thinking.get("type") != "disabled":
        if _tool_loop_lacks_thinking(messages):
            thinking = None
    max_tokens = req.max_output_tokens
    if thinking is not None and thinking.get("type") == "enabled":
        budget = thinking["budget_tokens"]
        if max_tokens is None:
            max_tokens = max(DEFAULT_MAX_TOKENS, budget + 4096)
        elif budget >= max_tokens:
            if max_tokens <= MIN_THINKING_BUDGET:
                thinking = None
            else:
                thinking["budget_tokens"] = max(MIN_THINKING_BUDGET, max_tokens // 2)
    if max_tokens is None:
        adaptive = thinking is not None and thinking.get("type") not in ("enabled", "disabled")
        max_tokens = ADAPTIVE_MAX_TOKENS if adaptive else DEFAULT_MAX_TOKENS
    body["max_tokens"] = max(1, max_tokens)
    body["messages"] = messages
    if system:
        only = system[0]
        body["system"] = only["text"] if len(system) == 1 and len(only) == 2 else system

    thinking_on = thinking is not None and thinking.get("type") != "disabled"
    _emit_sampling(req, body, thinking_on)
    tools = _emit_tools(req.tools)
    if tools:
        body["tools"] = tools
        choice = _emit_tool_choice(req.tool_choice, req.parallel_tool_calls, thinking_on)
        if choice is not None:
            body["tool_choice"] = choice
    if thinking is not None:
        body["thinking"] = thinking
    output_config = _emit_output_config(req, pd, thinking)
    if output_config:
        body["output_config"] = output_config
    if req.user:
        body["metadata"] = {"user_id": req.user}
    if req.stream:
        body["stream"] = True
    extra = pd.get("extra")
    add_missing(body, extra)
    return body


def emit_count_request(req: ir.Request) -> dict[str, Any]:
    """IR → a count_tokens body: the Messages body without generation parameters."""
    body = emit_request(req)
    return {k: v for k, v in body.items() if k in COUNT_FIELDS}


# --------------------------------------------------------------------------------------
# sampling, tools, reasoning, output
# --------------------------------------------------------------------------------------


def _emit_sampling(req: ir.Request, body: dict[str, Any], thinking_on: bool) -> None:
    if req.temperature is not None:
        temperature = min(1.0, max(0.0, req.temperature))
        if not thinking_on or temperature == 1.0:
            body["temperature"] = temperature
    if req.top_p is not None and (not thinking_on or req.top_p >= 0.95):
        body["top_p"] = req.top_p
    if req.top_k is not None and not thinking_on:
        body["top_k"] = req.top_k
    stops = [s for s in req.stop if s.strip()]
    if stops:
        body["stop_sequences"] = stops


def _emit_tools(tools: list[ir.Tool]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in tools:
        pd = anthropic_data(tool.provider_data)
        if tool.kind == "builtin":
            if pd:
                out.append(dict(pd))
            continue
        if tool.kind == "custom":
            schema: dict[str, Any] = {
                "type": "object",
                "properties": {"input": {"type": "string"}},
                "required": ["input"],
            }
        else:
            schema = dict(tool.parameters) if tool.parameters else {}
            if "type" not in schema:
                schema = {"type": "object", "properties": {}, **schema}
        item: dict[str, Any] = {"name": tool.name}
        if tool.description:
            item["description"] = tool.description
        item["input_schema"] = schema
        if tool.strict:
            item["strict"] = True
        add_missing(item, pd)
        out.append(item)
    return out


def _emit_tool_choice(
    choice: ir.ToolChoice | None, parallel: bool | None, thinking_on: bool
) -> dict[str, Any] | None:
    mode = choice.mode if choice is not None else None
    if thinking_on and mode in ("required", "tool"):
        mode = "auto"  # the API allows only auto/none with thinking on
    if mode is None:
        if parallel is False:
            return {"type": "auto", "disable_parallel_tool_use": True}
        return None
    if mode == "none":
        return {"type": "none"}
    out: dict[str, Any]
    if mode == "required":
        out = {"type": "any"}
    elif mode == "tool" and choice is not None and choice.name:
        out = {"type": "tool", "name": choice.name}
    else:
        out = {"type": "auto"}
    if parallel is not None:
        out["disable_parallel_tool_use"] = not parallel
    return out


def _emit_thinking(req: ir.Request, pd: dict[str, Any]) -> dict[str, Any] | None:
    cfg = req.reasoning
    if cfg is None:
        return None
    if cfg.enabled is False or normalize_effort(cfg.effort) == "none":
        return {"type": "disabled"}
    ttype = pd.get("thinking_type")
    out: dict[str, Any]
    if isinstance(ttype, str) and cfg.budget_tokens is None:
        out = {"type": ttype}
    elif cfg.budget_tokens is not None and cfg.budget_tokens == 0:
        return {"type": "disabled"}
    elif cfg.budget_tokens is not None and cfg.budget_tokens > 0:
        out = {"type": "enabled", "budget_tokens": max(MIN_THINKING_BUDGET, cfg.budget_tokens)}
    elif cfg.effort is not None or cfg.enabled or cfg.budget_tokens is not None:
        # an effort, a bare "on", or a dynamic budget (Gemini's -1): budget from the table
        budget = max(MIN_THINKING_BUDGET, effort_to_budget(cfg.effort))
        out = {"type": "enabled", "budget_tokens": budget}
    else:
        return None  # e.g. only Gemini includeThoughts / a Responses summary mode
    if isinstance(pd.get("thinking_display"), str):
        out["display"] = pd["thinking_display"]
    return out


def _emit_output_config(
    req: ir.Request, pd: dict[str, Any], thinking: dict[str, Any] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    effort = pd.get("effort")
    if isinstance(effort, str):
        out["effort"] = effort
    elif thinking is not None and thinking.get("type") == "adaptive" and req.reasoning:
        level = normalize_effort(req.reasoning.effort)
        if level is not None and level != "none":
            out["effort"] = nearest_effort(level, _ANTHROPIC_EFFORTS)
    fmt = req.response_format
    if fmt is not None and fmt.kind == "json_schema" and fmt.schema is not None:
        out["format"] = {"type": "json_schema", "schema": fmt.schema}
    return out


def _tool_loop_lacks_thinking(messages: list[dict[str, Any]]) -> bool:
    """True when the conversation ends in tool results for an assistant turn that has
    ``tool_use`` but does not start with a (signed) thinking block."""
    if len(messages) < 2 or messages[-1]["role"] != "user":
        return False
    if not any(b["type"] == "tool_result" for b in messages[-1]["content"]):
        return False
    assistant = messages[-2]
    if assistant["role"] != "assistant":
        return False
    blocks = assistant["content"]
    if not any(b["type"] == "tool_use" for b in blocks):
        return False
    return blocks[0]["type"] not in ("thinking", "redacted_thinking")


# --------------------------------------------------------------------------------------
# conversation
# --------------------------------------------------------------------------------------


def _emit_conversation(req: ir.Request) -> tuple[list[Block], list[dict[str, Any]]]:
    system = [_text_block(p) for p in req.system if p.text.strip()]
    turns: list[tuple[str, list[Block]]] = []
    for msg in req.messages:
        if msg.role == "system":
            system.extend(
                _text_block(p) for p in msg.parts if isinstance(p, ir.TextPart) and p.text.strip()
            )
            continue
        blocks = [b for part in msg.parts for b in _emit_part(part, msg.role)]
        if not blocks:
            continue
        if turns and turns[-1][0] == msg.role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((msg.role, blocks))

    messages = _pair_tool_calls(turns)
    _strip_final_assistant(messages)
    if not messages and system:
        messages = [{"role": "user", "content": system}]
        system = []
    return system, messages


def _text_block(part: ir.TextPart) -> Block:
    return with_cache_control({"type": "text", "text": part.text}, part.provider_data)


def _emit_part(part: ir.Part, role: str) -> list[Block]:
    if isinstance(part, ir.TextPart):
        return [_text_block(part)] if part.text.strip() else []
    if role == "assistant":
        if isinstance(part, ir.ToolCallPart):
            block = {
                "type": "tool_use",
                "id": tool_id(part.id),
                "name": part.name,
                "input": arguments.to_object(part.arguments, part.kind),
            }
            return [with_cache_control(block, part.provider_data)]
        if isinstance(part, ir.ReasoningPart):
            return _emit_reasoning(part)
        return []  # media and tool results have no place in an assistant turn
    if isinstance(part, ir.ImagePart | ir.FilePart):
        media = _emit_media(part)
        return [media] if media is not None else []
    if isinstance(part, ir.ToolResultPart):
        return [_emit_tool_result(part)]
    return []  # reasoning / tool calls in a user turn


def _emit_reasoning(part: ir.ReasoningPart) -> list[Block]:
    pd = anthropic_data(part.provider_data)
    data = pd.get("redacted_data")
    if isinstance(data, str) and data:
        return [{"type": "redacted_thinking", "data": data}]
    signature = pd.get("signature")
    if isinstance(signature, str) and signature and not part.redacted:
        return [{"type": "thinking", "thinking": part.text, "signature": signature}]
    return []  # foreign or unsigned reasoning: never sent to Anthropic


def _emit_media(part: ir.ImagePart | ir.FilePart) -> Block | None:
    """An image or file part → an image/document block (None when Anthropic has no form)."""
    pd = part.provider_data
    if isinstance(part, ir.ImagePart):
        source = _image_source(part.url, part.data, part.media_type)
        return (
            None if source is None else with_cache_control({"type": "image", "source": source}, pd)
        )
    media = (part.media_type or "").lower()
    data, url = part.data, part.url
    if url and url.startswith("data:"):
        data, url = url, None
    if data and data.startswith("data:"):
        inline = _data_uri(data)
        if inline is None:
            return None
        media, data = inline[0].lower(), inline[1]
    if not media and data:
        media = sniff_media_type(data, "")
    if part.file_id:
        kind = (
            "image" if media.startswith("image/") or anthropic_data(pd).get("block") else "document"
        )
        block: Block = {"type": kind, "source": {"type": "file", "file_id": part.file_id}}
    elif media.startswith("image/"):
        source = _image_source(url, data, media)
        return (
            None if source is None else with_cache_control({"type": "image", "source": source}, pd)
        )
    elif data and media.startswith("text/"):
        text = b64decode_text(data)
        if text is None:
            return None
        block = {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": text},
        }
    elif data and media == "application/pdf":
        block = {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": data},
        }
    elif url and media in ("", "application/pdf"):
        block = {"type": "document", "source": {"type": "url", "url": url}}
    else:
        return None  # audio, video, office files…: Anthropic has no input for them
    if block["type"] == "document":
        if part.filename:
            block["title"] = part.filename
        for key in ("context", "citations"):
            if key in anthropic_data(pd):
                block[key] = anthropic_data(pd)[key]
    return with_cache_control(block, pd)


def _image_source(url: str | None, data: str | None, media_type: str | None) -> Block | None:
    inline = _data_uri(data or url or "")
    if inline is not None:
        media_type, data = inline
    if data:
        return {
            "type": "base64",
            "media_type": media_type or sniff_media_type(data),
            "data": data,
        }
    if url:
        return {"type": "url", "url": url}
    return None


def _data_uri(value: str) -> tuple[str, str] | None:
    """(media type, base64) of a data URI; None for anything else or a malformed one."""
    try:
        return parse_data_uri(value)
    except InvalidInput:
        return None


def _emit_tool_result(part: ir.ToolResultPart) -> Block:
    content: list[Block] = []
    for item in part.content:
        if isinstance(item, ir.TextPart):
            if item.text.strip():
                content.append(_text_block(item))
        else:
            media = _emit_media(item)
            if media is not None:
                content.append(media)
    block: Block = {"type": "tool_result", "tool_use_id": tool_id(part.call_id)}
    if content:
        block["content"] = content
    if part.is_error:
        block["is_error"] = True
    return with_cache_control(block, part.provider_data)


def _pair_tool_calls(turns: list[tuple[str, list[Block]]]) -> list[dict[str, Any]]:
    """Put every tool_result right after its tool_use turn; repair orphans and dangling calls."""
    out: list[dict[str, Any]] = []
    open_calls: list[str] = []  # tool_use ids of the assistant turn just emitted
    for role, blocks in turns:
        if role == "assistant":
            if open_calls:
                out.append({"role": "user", "content": _no_results(open_calls)})
            out.append({"role": "assistant", "content": blocks})
            open_calls = [b["id"] for b in blocks if b["type"] == "tool_use"]
            continue
        results: list[Block] = []
        orphans: list[Block] = []
        rest: list[Block] = []
        answered: set[str] = set()
        for block in blocks:
            if block["type"] != "tool_result":
                rest.append(block)
            elif block["tool_use_id"] in open_calls and block["tool_use_id"] not in answered:
                answered.add(block["tool_use_id"])
                results.append(block)
            else:
                orphans += _orphan_blocks(block)
        results += _no_results([c for c in open_calls if c not in answered])
        open_calls = []
        content = results + orphans + rest
        if content:
            out.append({"role": "user", "content": content})
    if open_calls:
        out.append({"role": "user", "content": _no_results(open_calls)})
    return out


def _no_results(call_ids: list[str]) -> list[Block]:
    return [{"type": "tool_result", "tool_use_id": c, "content": "(no result)"} for c in call_ids]


def _orphan_blocks(result: Block) -> list[Block]:
    """An unmatched tool_result as plain user content."""
    content = result.get("content", [])
    texts = [b["text"] for b in content if b["type"] == "text"]
    label = "[tool error for" if result.get("is_error") else "[tool result for"
    text = f"{label} {result['tool_use_id']}]: " + "\n".join(texts)
    return [{"type": "text", "text": text}] + [b for b in content if b["type"] != "text"]


def _strip_final_assistant(messages: list[dict[str, Any]]) -> None:
    """The API rejects a final assistant message whose text ends in whitespace."""
    while messages and messages[-1]["role"] == "assistant":
        blocks = messages[-1]["content"]
        while blocks and blocks[-1]["type"] == "text":
            blocks[-1]["text"] = blocks[-1]["text"].rstrip()
            if blocks[-1]["text"]:
                return
            blocks.pop()
        if blocks:
            return
        messages.pop()
