"""Requests A → B → A keep every field both protocols can express (12 directed pairs).

Inputs are the codec helpers' real-shaped request fixtures (tests/fixtures/<protocol>/).
``ir1 = A.parse(body)``; ``ir3 = A.parse(A.emit(B.parse(B.emit(ir1))))``; a projection of the
two, restricted to what both A and B carry, must be equal. What each protocol cannot carry is
listed in :data:`CAPS` (from protocols.md §7) — a field outside a protocol's set is allowed to
be lost, nothing else is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatewayctl.protocols import ir
from gatewayctl.protocols.openai_common import user_field
from gatewayctl.protocols.registry import get_codec
from tests.translate.recorded import PROTOCOLS, request_fixtures

ALL = set(PROTOCOLS)
CAPS: dict[str, set[str]] = {
    "top_k": {"anthropic", "gemini"},
    "stop": {"openai_chat", "anthropic", "gemini"},
    "seed": {"openai_chat", "gemini"},
    "presence_penalty": {"openai_chat", "gemini"},
    "frequency_penalty": {"openai_chat", "gemini"},
    "parallel_tool_calls": {"openai_chat", "openai_responses", "anthropic"},
    "candidate_count": {"openai_chat", "gemini"},
    "user": {"openai_chat", "openai_responses", "anthropic"},
    "tool_result_error": {"anthropic", "gemini"},
    "file_id": {"openai_chat", "openai_responses", "anthropic"},
    "audio": {"openai_chat", "gemini"},
}
FIXTURES = request_fixtures()
CASES = [(a, path, b) for a, path in FIXTURES for b in PROTOCOLS if b != a]


def both(field: str, a: str, b: str) -> bool:
    caps = CAPS.get(field, ALL)
    return a in caps and b in caps


def _args(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text


def project_part(part: ir.Part, a: str, b: str) -> Any:
    chat = "openai_chat" in (a, b)
    if isinstance(part, ir.TextPart):
        return ("text", part.text) if part.text.strip() else None
    if isinstance(part, ir.ImagePart | ir.FilePart) and part.data is None and part.url:
        # A media URL: Chat has no file URLs at all (passed as text); an image URL stays an
        # image everywhere (Gemini's fileData gets an image MIME type).
        if chat and isinstance(part, ir.FilePart):
            return ("text", part.url)
        return ("media-url", part.url)
    if isinstance(part, ir.ImagePart):
        return ("image", part.data, part.media_type)
    if isinstance(part, ir.FilePart):
        if part.file_id is not None and not both("file_id", a, b):
            return None
        media = (part.media_type or "").split("/")[0]
        if media in ("audio", "video") and not both("audio", a, b):
            return None
        return ("file", part.data, part.file_id)
    if isinstance(part, ir.ToolCallPart):
        args = _args(part.arguments)
        if part.kind == "custom":
            args = {"__free_form__": part.arguments}
        elif isinstance(args, dict) and len(args) == 1 and set(args) <= {"input", "raw"}:
            # a free-form (custom) call wrapped for a JSON-only protocol
            value = next(iter(args.values()))
            args = {"__free_form__": value} if isinstance(value, str) else args
        return ("call", part.id, part.name, args)
    if isinstance(part, ir.ToolResultPart):
        content = [_json_text(project_part(p, a, b)) for p in part.content]
        content = [c for c in content if c is not None]
        flag = part.is_error if both("tool_result_error", a, b) else None
        if flag is None:
            content = _strip_error_prefix(content)
        return ("result", part.call_id, content, flag)
    return None  # reasoning: family-specific, kept only within a family


def _json_text(item: Any) -> Any:
    """A result text that is a JSON object compares as the object: Gemini carries it as one
    (its spacing is not kept)."""
    if item is None or item[0] != "text":
        return item
    try:
        doc = json.loads(item[1])
    except ValueError:
        return item
    return ("text", json.dumps(doc, sort_keys=True)) if isinstance(doc, dict) else item


def _strip_error_prefix(content: list[Any]) -> list[Any]:
    """An error result crossing a protocol without an error flag is marked with an
    ``Error:`` prefix (protocols.md §7.3); compare without it."""
    if content and content[0][0] == "text":
        text = content[0][1]
        if text.strip() == "Error:":
            return content[1:]
        if text.startswith("Error: "):
            return [("text", text[len("Error: ") :]), *content[1:]]
    return content


def _normalise_ids(turns: list[tuple[str, list[Any]]]) -> None:
    """Gemini requests carry no call ids: compare the pairing, not the id strings."""
    ids: dict[str, str] = {}
    for _, parts in turns:
        for i, p in enumerate(parts):
            if p[0] in ("call", "result"):
                new = ids.setdefault(p[1], f"id{len(ids)}")
                parts[i] = (p[0], new, *p[2:])


def _hoist_result_media(turns: list[tuple[str, list[Any]]]) -> None:
    """Chat tool messages are text only and Gemini function responses are JSON: media of a
    result moves to sibling parts after the results."""
    for _, parts in turns:
        moved: list[Any] = []
        for i, p in enumerate(parts):
            if p[0] == "result":
                media = [c for c in p[2] if c[0] != "text"]
                if media:
                    parts[i] = (p[0], p[1], [c for c in p[2] if c[0] == "text"], p[3])
                    moved.extend(media)
        if moved:
            last = max(i for i, p in enumerate(parts) if p[0] == "result")
            parts[last + 1 : last + 1] = moved


def _schema(schema: Any, a: str, b: str) -> Any:
    """Gemini's schema subset drops ``additionalProperties`` (protocols.md §7.6)."""
    if "gemini" not in (a, b):
        return schema
    if isinstance(schema, dict):
        return {k: _schema(v, a, b) for k, v in schema.items() if k != "additionalProperties"}
    if isinstance(schema, list):
        return [_schema(v, a, b) for v in schema]
    return schema


def project(req: ir.Request, a: str, b: str) -> dict[str, Any]:
    """The parts of ``req`` that must survive A → B → A."""
    system = [p.text for p in req.system if p.text.strip()]
    turns: list[tuple[str, list[Any]]] = []
    for msg in req.messages:
        if msg.role == "system":  # mid-conversation instructions: Anthropic/Gemini hoist them
            system.extend(p.text for p in msg.parts if isinstance(p, ir.TextPart) and p.text)
            continue
        parts = [x for x in (project_part(p, a, b) for p in msg.parts) if x is not None]
        if not parts:
            continue
        if turns and turns[-1][0] == msg.role:  # Anthropic/Gemini merge same-role turns
            turns[-1][1].extend(parts)
        else:
            turns.append((msg.role, parts))
    if "gemini" in (a, b):
        _normalise_ids(turns)
    if {"openai_chat", "gemini"} & {a, b}:  # media in results move to sibling parts
        _hoist_result_media(turns)
    out: dict[str, Any] = {
        "system": "\n".join(system),
        "turns": turns,
        "tools": [(t.name, t.description) for t in req.tools if t.kind != "builtin"],
        "tool_choice": (req.tool_choice.mode, req.tool_choice.name) if req.tool_choice else None,
        "max_output_tokens": req.max_output_tokens,
        "temperature": req.temperature,
        "top_p": req.top_p,
        "format": (req.response_format.kind, _schema(req.response_format.schema, a, b))
        if req.response_format and req.response_format.kind != "text"
        else None,
    }
    for name in CAPS:
        if hasattr(req, name) and both(name, a, b):
            value = getattr(req, name)
            out[name] = value or None
    return out


def round_trip(
    a: str, b: str, body: dict[str, Any]
) -> tuple[ir.Request, ir.Request, dict[str, Any]]:
    ca, cb = get_codec(a), get_codec(b)
    ir1 = ca.parse_request(body)
    ir1.model = ir1.model or "test-model"
    body_b = cb.emit_request(ir1)
    ir2 = cb.parse_request(body_b)
    ir2.model = ir2.model or ir1.model
    ir3 = ca.parse_request(ca.emit_request(ir2))
    ir3.model = ir3.model or ir1.model
    return ir1, ir3, body_b


def anthropic_constraints(before: dict[str, Any], body_b: dict[str, Any]) -> None:
    """What the Anthropic API refuses, which its emitter drops or adjusts (protocols.md §7.4,
    §7.11): temperature is 0–1; with thinking on, temperature other than 1, top_k, top_p below
    0.95 and a forcing tool_choice; whitespace-only stop sequences."""
    if before["temperature"] is not None:
        before["temperature"] = min(1.0, before["temperature"])
    if (body_b.get("thinking") or {}).get("type") in ("enabled", "adaptive"):
        if before["temperature"] != 1.0:
            del before["temperature"]
        before.pop("top_k", None)
        if (before["top_p"] or 1.0) < 0.95:
            del before["top_p"]
        if before["tool_choice"] not in (None, ("auto", None), ("none", None)):
            del before["tool_choice"]
    if before.get("stop"):
        before["stop"] = [x for x in before["stop"] if x.strip()] or None


@pytest.mark.parametrize(
    ("a", "path", "b"),
    CASES,
    ids=[f"{p.parent.name}/{p.name}->{b}" for _, p, b in CASES],
)
def test_request_round_trip(a: str, path: Path, b: str) -> None:
    body = json.loads(path.read_text())
    ir1, ir3, body_b = round_trip(a, b, body)
    assert ir3.model == ir1.model
    before, after = project(ir1, a, b), project(ir3, a, b)
    if b == "anthropic" and before["max_output_tokens"] is None:
        del before["max_output_tokens"]  # Anthropic requires max_tokens: a default is added
    if b == "anthropic":
        anthropic_constraints(before, body_b)
    if b.startswith("openai") and before.get("user"):
        before["user"] = user_field(before["user"])  # OpenAI's 64-character limit: hashed
    for key in before:
        assert after[key] == before[key], f"{key} changed through {b}: {json.dumps(body_b)[:600]}"


def test_there_are_fixtures_for_every_protocol() -> None:
    assert {a for a, _ in FIXTURES} == ALL


def test_gemini_result_wrapper_round_trip() -> None:
    req = ir.Request(
        model="m",
        messages=[
            ir.Message("user", [ir.TextPart("weather?")]),
            ir.Message("assistant", [ir.ToolCallPart("c1", "get_weather", "{}")]),
            ir.Message(
                "user", [ir.ToolResultPart("c1", [ir.TextPart("18C sunny")], "get_weather")]
            ),
        ],
    )
    gemini = get_codec("gemini")
    back = gemini.parse_request(gemini.emit_request(req))
    result = back.messages[2].parts[0]
    assert isinstance(result, ir.ToolResultPart)
    assert result.content == [ir.TextPart("18C sunny")]
