"""Pure parts of the fakes: the answer rules and the wire helpers (no server)."""

from __future__ import annotations

import base64
import math
import struct

import pytest

from tests.conftest import RECORDED
from tests.fakes.plan import (
    Answer,
    Facts,
    Tool,
    ToolCall,
    Usage,
    decide,
    embedding,
    embedding_base64,
    estimate_tokens,
    prompt_chars,
    split_pieces,
    synth_args,
)
from tests.fakes.wire import Reply, replay, replay_exchange, split_events

WEATHER = Tool(
    "get_weather",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
        "required": ["city", "unit"],
    },
)
CLOCK = Tool("now", {"type": "object", "properties": {}})


def facts(**overrides: object) -> Facts:
    base: dict[str, object] = {
        "model": "m",
        "user_text": "hello world",
        "tool_result": None,
        "tools": (),
        "forced_tool": False,
        "tools_disabled": False,
        "thinking": False,
        "max_output_tokens": None,
        "prompt_chars": 40,
    }
    base.update(overrides)
    return Facts(**base)


def test_default_answer_echoes_the_last_user_text() -> None:
    plan = decide(facts(), None)
    assert plan.text == "echo: hello world"
    assert plan.pieces == ["echo:", " hello", " world"]
    assert plan.finish == "stop"
    assert plan.tool_calls == []
    assert plan.usage == Usage(input_tokens=10, output_tokens=3)


def test_tool_result_turn_is_answered_with_the_result() -> None:
    plan = decide(facts(user_text="", tool_result="18C", tools=(WEATHER,)), None)
    assert plan.text == "tool result: 18C"
    assert plan.tool_calls == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("please use a tool", "get_weather"),
        ("what does now say?", "now"),
        ("just chat", None),
    ],
)
def test_tool_call_when_the_user_text_asks(text: str, expected: str | None) -> None:
    plan = decide(facts(user_text=text, tools=(WEATHER, CLOCK)), None)
    assert [c.name for c in plan.tool_calls] == ([expected] if expected else [])
    if expected:
        assert plan.finish == "tool_calls"
        assert plan.text == ""


def test_forced_tool_choice_and_none_choice() -> None:
    forced = decide(facts(tools=(WEATHER, CLOCK), forced_tool="now"), None)
    assert [c.name for c in forced.tool_calls] == ["now"]
    any_tool = decide(facts(tools=(WEATHER, CLOCK), forced_tool=True), None)
    assert [c.name for c in any_tool.tool_calls] == ["get_weather"]
    disabled = decide(facts(user_text="use a tool", tools=(WEATHER,), tools_disabled=True), None)
    assert disabled.tool_calls == []


def test_tool_arguments_follow_the_schema_and_ids_use_the_prefix() -> None:
    plan = decide(facts(user_text="tool", tools=(WEATHER,)), None, call_prefix="toolu_01")
    (call,) = plan.tool_calls
    assert dict(call.arguments) == {"city": "test", "unit": "c"}
    assert call.id.startswith("toolu_01")


def test_answer_overrides_everything() -> None:
    answer = Answer(
        text="hi",
        tool_calls=[ToolCall("a", {"x": 1}, id="call_1"), ToolCall("b")],
        reasoning="hmm",
        usage=Usage(5, 6, cache_read_tokens=2),
        finish="stop",
        model="other",
    )
    plan = decide(facts(), answer)
    assert plan.text == "hi"
    assert [c.id for c in plan.tool_calls][0] == "call_1"
    assert plan.tool_calls[1].id.startswith("call_")
    assert plan.reasoning == "hmm"
    assert plan.usage == Usage(5, 6, cache_read_tokens=2)
    assert plan.finish == "stop"
    assert plan.model == "other"


def test_output_limit_truncates_and_finishes_with_length() -> None:
    plan = decide(facts(user_text="one two three four five", max_output_tokens=2), None)
    assert plan.pieces == ["echo:", " one"]
    assert plan.text == "echo: one"
    assert plan.finish == "length"
    assert plan.usage.output_tokens == 2


def test_thinking_adds_reasoning_counted_in_output() -> None:
    plan = decide(facts(thinking=True), None)
    assert plan.reasoning == "Thinking about: hello world"
    assert plan.usage.reasoning_tokens == len(plan.reasoning_pieces) == 4
    assert plan.usage.output_tokens == 3 + 4


def test_usage_views() -> None:
    usage = Usage(100, 20, cache_read_tokens=60, cache_write_tokens=10, reasoning_tokens=5)
    assert usage.total_tokens == 120
    assert usage.uncached_input_tokens == 30


def test_helpers() -> None:
    assert estimate_tokens(0) == 1
    assert estimate_tokens(9) == 3
    assert prompt_chars({"ab": ["cd", {"e": "fgh"}]}, None, 3) == 2 + 2 + 1 + 3
    assert split_pieces("a  b\nc") == ["a", "  b", "\nc"]
    assert split_pieces("") == []
    assert synth_args({"type": "OBJECT", "properties": {"n": {"type": "INTEGER"}}}) == {"n": 1}
    assert synth_args(
        {"anyOf": [{"type": "object", "properties": {"b": {"type": "boolean"}}}]}
    ) == {"b": True}


def test_embedding_is_deterministic_and_unit_length() -> None:
    first, again, other = embedding("x", 16), embedding("x", 16), embedding("y", 16)
    assert first == again != other
    assert math.isclose(sum(v * v for v in first), 1.0, abs_tol=1e-4)
    decoded = struct.unpack("<16f", base64.b64decode(embedding_base64(first)))
    assert all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(decoded, first, strict=True))


def test_split_events_keeps_every_byte() -> None:
    for path in [
        RECORDED / "openai" / "chat_text_stream.sse",
        RECORDED / "anthropic" / "text_stream.sse",
        RECORDED / "gemini" / "text_stream.sse",
        RECORDED / "gemini" / "prompt_blocked_safety_stream.sse",
    ]:
        raw = path.read_bytes()
        pieces = split_events(raw)
        assert b"".join(pieces) == raw
        assert len(pieces) > 1 or raw.count(b"data:") == 1


def test_replay_status_content_type_and_split() -> None:
    err = replay(RECORDED / "anthropic" / "error_429_rate_limit_error.json")
    assert err.status == 429
    assert dict(err.header_list())[b"content-type"] == b"application/json"
    ok = replay(RECORDED / "openai" / "chat_text_stream.sse")
    assert ok.status == 200
    raw = (RECORDED / "openai" / "chat_text_stream.sse").read_bytes()
    assert ok.streamed
    assert len(ok.chunk_list()) == raw.count(b"data: ")
    sized = replay(RECORDED / "openai" / "chat_text_stream.sse", split=100)
    assert {len(c.data) for c in sized.chunk_list()[:-1]} == {100}
    cut = replay(RECORDED / "openai" / "chat_text_stream.sse", abort_after=2)
    assert cut.abort and len(cut.chunk_list()) == 2
    with pytest.raises(ValueError, match="don't know how to replay"):
        replay(RECORDED / "README.md")


def test_replay_reframes_chunk_files() -> None:
    reply = replay(RECORDED / "openai" / "responses_error_event_failed.chunks.jsonl")
    body = b"".join(c.data for c in reply.chunk_list())
    assert body.startswith(b"event: response.created\ndata: {")
    assert b"event: response.failed\n" in body


def test_replay_exchange_keeps_statuses_and_headers() -> None:
    replies = replay_exchange(RECORDED / "anthropic" / "exchange_429_429_then_200_stream.json")
    assert [r.status for r in replies] == [429, 429, 200]
    assert dict(replies[0].header_list())[b"x-should-retry"] == b"true"
    assert replies[2].streamed
    gemini = replay_exchange(RECORDED / "gemini" / "stream_404_model_not_found.exchange.json")
    assert gemini[0].status == 404
    assert gemini[0].json["error"]["status"] == "NOT_FOUND"


def test_reply_headers() -> None:
    reply = Reply(status=429, json={}, retry_after=2.0, headers={"X-Extra": "1"})
    headers = dict(reply.header_list())
    assert headers[b"retry-after"] == b"2"
    assert headers[b"x-extra"] == b"1"
    assert Reply(retry_after=0.5).header_list() == [(b"retry-after", b"0.5")]
