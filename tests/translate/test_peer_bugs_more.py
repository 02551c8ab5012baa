"""peers.md §4 continued: new-api, Bifrost, Portkey, and the cross-project checklist (usage,
empty text, orphan tool results, ``max_tokens`` vs thinking budget). See ``test_peer_bugs.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatewayctl.protocols import ir
from gatewayctl.translate import (
    translate_request,
)
from gatewayctl.translate.streaming import synthesize_stream_body
from tests.protocols.api_rules import (
    assert_anthropic_request,
    assert_chat_request,
    assert_gemini_request,
    assert_responses_request,
)
from tests.translate.judges import STREAM_JUDGES, sse_payloads
from tests.translate.peer_helpers import (
    OPTIONS,
    PROTOCOLS,
    anthropic_events,
    call_delta,
    chat_sse,
    translate_stream,
)

# -- new-api ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dst", PROTOCOLS[1:])
def test_new_api_4697_unterminated_upstream_still_terminates_the_client(dst: str) -> None:
    """new-api #4697: a Qwen stream lacked ``content_block_stop`` / ``message_stop`` and
    Claude Code hung. An upstream that stops without ``finish_reason`` or ``[DONE]`` still
    gives the client every closing event its protocol needs."""
    raw = chat_sse(
        {"role": "assistant", "content": "partial ans"},
        {"content": "wer"},
        {"tool_calls": [call_delta(0, '{"a": 1', call_id="call_1", name="f")]},
        done=False,
    )
    out = translate_stream("openai_chat", dst, raw)
    judged = STREAM_JUDGES[dst](out)  # each judge asserts its protocol's terminal events
    assert judged.text == "partial answer"
    assert [name for name, _ in judged.tool_calls] == ["f"]
    if dst == "anthropic":
        kinds = [e["type"] for e in anthropic_events(out)]
        assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 2
        assert kinds[-2:] == ["message_delta", "message_stop"]


# -- Bifrost ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dst", ["anthropic", "openai_responses", "gemini"])
def test_bifrost_1829_parallel_calls_are_not_merged(dst: str) -> None:
    """Bifrost #1829: parallel tool-call deltas merged into a bogus name
    (``search_circularsearch_circular…``) when the name was repeated per fragment and the
    calls interleaved."""
    raw = chat_sse(
        {"role": "assistant"},
        {"tool_calls": [call_delta(0, "", call_id="call_a", name="search_circular")]},
        {"tool_calls": [call_delta(1, "", call_id="call_b", name="search_circular")]},
        {"tool_calls": [call_delta(0, '{"q": "one"', name="search_circular")]},
        {"tool_calls": [call_delta(1, '{"q": "two"}', name="search_circular")]},
        {"tool_calls": [call_delta(0, "}", name="search_circular")]},
        {"finish_reason": "tool_calls"},
    )
    judged = STREAM_JUDGES[dst](translate_stream("openai_chat", dst, raw))
    assert judged.tool_calls == [
        ("search_circular", {"q": "one"}),
        ("search_circular", {"q": "two"}),
    ]


def test_bifrost_1982_chat_tool_index_counts_tools_not_blocks() -> None:
    """Bifrost PR #1982 (and protocols.md §7.10 A): a Chat client's ``tool_calls[].index`` is a
    running tool counter, not the Anthropic content-block index (thinking and text blocks
    come first)."""
    response = ir.Response(
        id="msg_1",
        model="claude",
        content=[
            ir.ReasoningPart("think", provider_data={"anthropic": {"signature": "sig"}}),
            ir.TextPart("Two calls."),
            ir.ToolCallPart("toolu_1", "a", "{}"),
            ir.ToolCallPart("toolu_2", "b", "{}"),
        ],
        stop_reason="tool_use",
    )
    upstream = synthesize_stream_body("anthropic", response, OPTIONS)
    out = translate_stream("anthropic", "openai_chat", upstream)
    indexes = [
        call["index"]
        for _, data in sse_payloads(out)
        if data != "[DONE]"
        for choice in json.loads(data).get("choices", [])
        for call in choice["delta"].get("tool_calls") or []
        if "id" in call
    ]
    assert indexes == [0, 1]
    assert [n for n, _ in STREAM_JUDGES["openai_chat"](out).tool_calls] == ["a", "b"]


@pytest.mark.parametrize("dst", ["openai_responses", "anthropic", "gemini"])
def test_bifrost_7235_every_tool_call_of_one_chunk_is_read(dst: str) -> None:
    """Bifrost PR #7235: the Chat → Responses converter looked only at
    ``delta.tool_calls[0]``; servers send several calls in one chunk."""
    raw = chat_sse(
        {"role": "assistant"},
        {
            "tool_calls": [
                call_delta(0, '{"x": 1}', call_id="call_1", name="f"),
                call_delta(1, '{"x": 2}', call_id="call_2", name="g"),
                call_delta(2, '{"x": 3}', call_id="call_3", name="h"),
            ]
        },
        {"finish_reason": "tool_calls"},
    )
    judged = STREAM_JUDGES[dst](translate_stream("openai_chat", dst, raw))
    assert judged.tool_calls == [("f", {"x": 1}), ("g", {"x": 2}), ("h", {"x": 3})]


def test_bifrost_3441_anthropic_blocks_never_overlap() -> None:
    """Bifrost PR #3441: overlapping content blocks and wrong stop reasons for Claude Code on
    OpenAI-compatible upstreams. Text, then interleaved parallel calls: each block is closed
    before the next starts, indexes count up, and the turn ends with ``tool_use``."""
    raw = chat_sse(
        {"role": "assistant", "content": "Looking."},
        {"tool_calls": [call_delta(0, '{"a"', call_id="call_1", name="f")]},
        {"tool_calls": [call_delta(1, '{"b": 2}', call_id="call_2", name="g")]},
        {"tool_calls": [call_delta(0, ": 1}")]},
        {"finish_reason": "stop"},  # some servers say stop after calls
    )
    events = anthropic_events(translate_stream("openai_chat", "anthropic", raw))
    open_block: int | None = None
    seen: list[int] = []
    for event in events:
        if event["type"] == "content_block_start":
            assert open_block is None, "a block started while another was open"
            open_block = event["index"]
            seen.append(event["index"])
        elif event["type"] in ("content_block_delta", "content_block_stop"):
            assert event["index"] == open_block
            if event["type"] == "content_block_stop":
                open_block = None
    assert seen == [0, 1, 2] and open_block is None
    delta = next(e for e in events if e["type"] == "message_delta")
    assert delta["delta"]["stop_reason"] == "tool_use"


def test_bifrost_1164_parallel_results_are_grouped() -> None:
    """Bifrost #1164: parallel tool results must be grouped into one user turn (Anthropic,
    Bedrock); Chat sends one ``tool`` message per result."""
    caller = {
        "model": "gpt",
        "messages": [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{}"},
                    }
                    for i in range(3)
                ],
            },
            *[{"role": "tool", "tool_call_id": f"call_{i}", "content": f"r{i}"} for i in range(3)],
            {"role": "user", "content": "next"},
        ],
    }
    body = translate_request("openai_chat", "anthropic", caller, model="claude")
    assert_anthropic_request(body)
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    last = body["messages"][2]["content"]
    assert [b["type"] for b in last] == ["tool_result"] * 3 + ["text"]


def test_bifrost_6342_thinking_replay_keeps_signed_blocks_first() -> None:
    """Bifrost #6342: thinking-block replay wedged multi-turn tool use on Opus. Through the IR
    the signed thinking block stays the first block of its assistant turn, signature intact,
    and thinking stays on."""
    caller = {
        "model": "claude-opus-4-8",
        "max_tokens": 4096,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "messages": [
            {"role": "user", "content": "ls"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "run ls", "signature": "EqQBsig=="},
                    {"type": "redacted_thinking", "data": "EmwKAhgB"},
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "Bash",
                        "input": {"command": "ls"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "a"}],
            },
        ],
        "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
    }
    body = translate_request("anthropic", "anthropic", caller, model="claude-opus-4-8")
    assert_anthropic_request(body)
    blocks = body["messages"][1]["content"]
    assert blocks[0] == {"type": "thinking", "thinking": "run ls", "signature": "EqQBsig=="}
    assert blocks[1] == {"type": "redacted_thinking", "data": "EmwKAhgB"}
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}


# -- Portkey ----------------------------------------------------------------------------------


@pytest.mark.parametrize("src", ["anthropic", "gemini", "openai_responses"])
def test_portkey_1399_first_chat_chunk_carries_the_role(src: str) -> None:
    """Portkey #1399: ``role`` missing from translated stream chunks."""
    response = ir.Response(id="r", model="m", content=[ir.TextPart("hi")], stop_reason="end_turn")
    out = translate_stream(src, "openai_chat", synthesize_stream_body(src, response, OPTIONS))
    first = json.loads(sse_payloads(out)[0][1])
    assert first["choices"][0]["delta"]["role"] == "assistant"


# -- the brief's own list ---------------------------------------------------------------------


@pytest.mark.parametrize("src", PROTOCOLS)
@pytest.mark.parametrize("dst", PROTOCOLS)
def test_usage_reaches_every_client(src: str, dst: str) -> None:
    """Usage missing: whatever the upstream, the client's terminal event carries the usage
    (Chat: the usage chunk, as the caller asked with ``include_usage``)."""
    response = ir.Response(
        id="r",
        model="m",
        content=[ir.TextPart("hi")],
        stop_reason="end_turn",
        usage=ir.Usage(input_tokens=11, output_tokens=4, reasoning_tokens=1),
    )
    out = translate_stream(src, dst, synthesize_stream_body(src, response, OPTIONS))
    judged = STREAM_JUDGES[dst](out)
    assert (judged.input_tokens, judged.output_tokens) == (11, 4)


@pytest.mark.parametrize("src", ["openai_chat", "openai_responses", "gemini"])
def test_empty_text_never_reaches_anthropic(src: str) -> None:
    """Empty text blocks: Anthropic rejects ``text`` blocks that are empty or whitespace. An
    assistant turn of tool calls with ``content: ""`` and a whitespace user text vanish."""
    callers = {
        "openai_chat": {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "go"}, {"type": "text", "text": " "}],
                },
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": ""},
            ],
        },
        "openai_responses": {
            "model": "m",
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "go"}],
                },
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "\n"}],
                },
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": ""},
                {"type": "function_call_output", "call_id": "c1", "output": ""},
            ],
        },
        "gemini": {
            "contents": [
                {"role": "user", "parts": [{"text": "go"}, {"text": ""}]},
                {
                    "role": "model",
                    "parts": [{"text": "  "}, {"functionCall": {"name": "f", "args": {}}}],
                },
                {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
            ]
        },
    }
    body = translate_request(src, "anthropic", callers[src], model="claude")
    assert_anthropic_request(body)  # no empty or whitespace text block anywhere


ORPHAN_CASES = [
    (src, dst)
    for src in ("openai_chat", "openai_responses", "anthropic")
    for dst in PROTOCOLS
    if src != dst
]


@pytest.mark.parametrize(("src", "dst"), ORPHAN_CASES)
def test_orphan_tool_results_become_text(src: str, dst: str) -> None:
    """Orphan tool results (history trimmed by Codex compaction or ``/compact``): a result
    whose call is gone is kept as user text, never sent as a result (400 everywhere)."""
    callers = {
        "openai_chat": {
            "model": "m",
            "messages": [
                {"role": "user", "content": "continue"},
                {"role": "tool", "tool_call_id": "gone_1", "content": "old output"},
                {"role": "user", "content": "and now?"},
            ],
        },
        "openai_responses": {
            "model": "m",
            "input": [
                {"type": "function_call_output", "call_id": "gone_1", "output": "old output"},
                {"type": "message", "role": "user", "content": "and now?"},
            ],
        },
        "anthropic": {
            "model": "m",
            "max_tokens": 10,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "gone_1", "content": "old output"},
                        {"type": "text", "text": "and now?"},
                    ],
                }
            ],
        },
    }
    body = translate_request(src, dst, callers[src], model="m")
    {
        "openai_chat": assert_chat_request,
        "openai_responses": assert_responses_request,
        "anthropic": assert_anthropic_request,
        "gemini": assert_gemini_request,
    }[dst](body)
    text = json.dumps(body)
    assert "old output" in text and "and now?" in text


@pytest.mark.parametrize(
    ("max_tokens", "effort", "thinking"),
    [
        (1000, "high", None),  # no room for the minimum budget: thinking off
        (4000, "high", {"type": "enabled", "budget_tokens": 2000}),
        (None, "high", {"type": "enabled", "budget_tokens": 24576}),
        (64000, "xhigh", {"type": "enabled", "budget_tokens": 32768}),
    ],
)
def test_max_tokens_leaves_room_for_the_thinking_budget(
    max_tokens: int | None, effort: str, thinking: dict[str, Any] | None
) -> None:
    """``max_tokens`` vs thinking budget: Anthropic requires budget < max_tokens (and ≥ 1024)."""
    caller: dict[str, Any] = {
        "model": "gpt",
        "messages": [{"role": "user", "content": "think"}],
        "reasoning_effort": effort,
    }
    if max_tokens is not None:
        caller["max_completion_tokens"] = max_tokens
    body = translate_request("openai_chat", "anthropic", caller, model="claude")
    assert_anthropic_request(body)
    assert body.get("thinking") == thinking
    if thinking:
        assert body["max_tokens"] > thinking["budget_tokens"]
