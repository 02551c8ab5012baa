"""The translation bugs peers' users report (peers.md §4), one test each.

Every gateway that translates has shipped these; each test below reproduces the reported
situation with our real codecs — usually a quirky upstream stream written out by hand — and
checks the client gets what it needs, judged by the official SDKs where a client library
would be the one to choke. The issue each test answers is in its name and docstring.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.registry import get_codec
from gatewayctl.translate import (
    StreamTranslator,
    encoder_options,
    parse_request,
    translate_request,
    translate_response,
)
from gatewayctl.translate.streaming import synthesize_stream_body
from tests.protocols.api_rules import (
    assert_anthropic_request,
    assert_chat_request,
    assert_gemini_request,
    assert_responses_request,
)
from tests.translate.judges import STREAM_JUDGES, sse_payloads

PROTOCOLS = ("openai_chat", "openai_responses", "anthropic", "gemini")
OPTIONS = EncoderOptions(model="m", include_usage=True)


def chat_sse(*chunks: dict[str, Any], done: bool = True) -> bytes:
    """An upstream Chat stream: each chunk wrapped as a ``chat.completion.chunk``."""
    out = b""
    for delta_or_chunk in chunks:
        chunk = delta_or_chunk
        if "choices" not in chunk and "usage" not in chunk:
            finish = chunk.pop("finish_reason", None)
            chunk = {"choices": [{"index": 0, "delta": chunk, "finish_reason": finish}]}
        body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
        out += b"data: " + json.dumps({**body, **chunk}).encode() + b"\n\n"
    return out + (b"data: [DONE]\n\n" if done else b"")


def call_delta(index: int, args: str, *, call_id: str | None = None, name: str | None = None):
    frag: dict[str, Any] = {"index": index, "function": {"arguments": args}}
    if call_id:
        frag["id"] = call_id
        frag["type"] = "function"
    if name:
        frag["function"]["name"] = name
    return frag


def translate_stream(src: str, dst: str, raw: bytes, options: EncoderOptions = OPTIONS) -> bytes:
    tr = StreamTranslator(src, dst, options, strict=True)
    return tr.feed(raw) + tr.close()


def anthropic_events(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(d) for _, d in sse_payloads(raw)]


# -- LiteLLM ------------------------------------------------------------------------------


@pytest.mark.parametrize("dst", ["anthropic", "openai_responses", "gemini"])
def test_litellm_25321_streamed_tool_input_is_not_dropped(dst: str) -> None:
    """LiteLLM #25321 / CLIProxyAPI #3776: the /v1/messages adapter dropped ``tool_use`` input
    from a Chat upstream, and Claude Code looped on "required parameter missing" (Bash's
    ``command`` undefined). Arguments arrive in fragments, the id and name only on the first."""
    raw = chat_sse(
        {"role": "assistant", "content": None},
        {"tool_calls": [call_delta(0, "", call_id="call_1", name="Bash")]},
        {"tool_calls": [call_delta(0, '{"comm')]},
        {"tool_calls": [call_delta(0, 'and": "ls -la", "desc')]},
        {"tool_calls": [call_delta(0, 'ription": "List"}')]},
        {"finish_reason": "tool_calls"},
    )
    judged = STREAM_JUDGES[dst](translate_stream("openai_chat", dst, raw))
    assert judged.tool_calls == [("Bash", {"command": "ls -la", "description": "List"})]
    assert judged.stop == "tool_use"


@pytest.mark.parametrize("src", ["openai_chat", "openai_responses", "gemini"])
def test_litellm_24176_claude_code_can_read_the_usage(src: str) -> None:
    """LiteLLM #24176: Claude Code could not consume the stream, usage fields not aligned.
    ``message_start`` must carry integer input usage up front, ``message_delta`` the output."""
    response = ir.Response(
        id="r1",
        model="m",
        content=[ir.TextPart("hello")],
        stop_reason="end_turn",
        usage=ir.Usage(input_tokens=120, output_tokens=7, cache_read_tokens=100),
    )
    upstream = synthesize_stream_body(src, response, OPTIONS)
    out = translate_stream(src, "anthropic", upstream)
    events = anthropic_events(out)
    start = events[0]["message"]["usage"]
    for key in ("input_tokens", "output_tokens", "cache_read_input_tokens"):
        assert isinstance(start[key], int), key
    delta = next(e for e in events if e["type"] == "message_delta")
    assert delta["usage"]["output_tokens"] == 7
    judged = STREAM_JUDGES["anthropic"](out)
    assert (judged.input_tokens, judged.output_tokens, judged.cached_tokens) == (120, 7, 100)


@pytest.mark.parametrize("client", ["anthropic", "openai_responses", "openai_chat"])
def test_litellm_16893_gemini3_multi_turn_tool_use_is_accepted(client: str) -> None:
    """LiteLLM #16893 / #25322, CCR #1057: Gemini 3 ``thought_signature`` lost on multi-turn
    tool use; Gemini 3 then rejects the history. A Chat client round-trips the real signature
    (``extra_content.google.thought_signature``); clients whose protocol cannot carry it get
    Google's documented bypass on each history turn's first call — accepted either way."""
    answer = ir.Response(
        id="r1",
        model="gemini-3-pro-preview",
        content=[
            ir.ToolCallPart(
                "c1",
                "read_file",
                '{"path": "a"}',
                provider_data={"gemini": {"thoughtSignature": "c2lnbmF0dXJlLTE="}},
            )
        ],
        stop_reason="tool_use",
    )
    upstream = json.dumps(get_codec("gemini").emit_response(answer, OPTIONS)).encode()
    caller = {
        "anthropic": {
            "model": "gemini-3-pro-preview",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": "read a"}],
            "tools": [{"name": "read_file", "input_schema": {"type": "object"}}],
        },
        "openai_responses": {
            "model": "gemini-3-pro-preview",
            "input": "read a",
            "tools": [{"type": "function", "name": "read_file", "parameters": {}}],
        },
        "openai_chat": {
            "model": "gemini-3-pro-preview",
            "messages": [{"role": "user", "content": "read a"}],
            "tools": [{"type": "function", "function": {"name": "read_file"}}],
        },
    }[client]
    options = encoder_options(parse_request(client, caller))
    first = translate_response("gemini", client, 200, upstream, options=options).body
    # the client sends its history back with the tool result
    second = _next_turn(client, caller, first, "contents of a")
    body = translate_request(client, "gemini", second, model="gemini-3-pro-preview")
    assert_gemini_request(body, "gemini-3-pro-preview")
    signature = body["contents"][1]["parts"][0]["thoughtSignature"]
    expected = "c2lnbmF0dXJlLTE=" if client == "openai_chat" else "skip_thought_signature_validator"
    assert signature == expected


def _next_turn(
    client: str, caller: dict[str, Any], answer: dict[str, Any], result: str
) -> dict[str, Any]:
    """The client's next request: its history + the answer + the tool result."""
    nxt = json.loads(json.dumps(caller))
    if client == "anthropic":
        calls = [b for b in answer["content"] if b["type"] == "tool_use"]
        nxt["messages"] += [
            {"role": "assistant", "content": answer["content"]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": c["id"], "content": result}
                    for c in calls
                ],
            },
        ]
    elif client == "openai_responses":
        items = [{"type": "message", "role": "user", "content": nxt.pop("input")}]
        for item in answer["output"]:
            if item["type"] == "function_call":
                items.append({k: item[k] for k in ("type", "call_id", "name", "arguments")})
                out = {"type": "function_call_output", "call_id": item["call_id"], "output": result}
                items.append(out)
        nxt["input"] = items
    else:
        msg = answer["choices"][0]["message"]
        nxt["messages"].append({k: v for k, v in msg.items() if v is not None})
        for call in msg["tool_calls"]:
            nxt["messages"].append({"role": "tool", "tool_call_id": call["id"], "content": result})
    return nxt


def test_litellm_26167_responses_to_anthropic_second_tool_turn_pairs_ids() -> None:
    """LiteLLM #26167: the Responses → Anthropic bridge failed on the second tool turn (an
    id-namespace mismatch). The ``toolu_`` id Anthropic gave becomes the client's ``call_id``
    and pairs again when the client sends the result back."""
    caller = {
        "model": "claude-sonnet-4-5",
        "input": "list files",
        "tools": [{"type": "function", "name": "ls", "parameters": {"type": "object"}}],
    }
    answer = ir.Response(
        id="msg_1",
        model="claude",
        content=[ir.ToolCallPart("toolu_01XyZ", "ls", "{}")],
        stop_reason="tool_use",
    )
    upstream = json.dumps(get_codec("anthropic").emit_response(answer, OPTIONS)).encode()
    options = encoder_options(parse_request("openai_responses", caller))
    first = translate_response("anthropic", "openai_responses", 200, upstream, options=options)
    call = next(i for i in first.body["output"] if i["type"] == "function_call")
    assert call["call_id"] == "toolu_01XyZ"
    second = _next_turn("openai_responses", caller, first.body, "a.txt")
    body = translate_request("openai_responses", "anthropic", second, model="claude-sonnet-4-5")
    assert_anthropic_request(body)
    assert body["messages"][1]["content"][0]["id"] == "toolu_01XyZ"
    assert body["messages"][2]["content"][0]["tool_use_id"] == "toolu_01XyZ"


@pytest.mark.parametrize("dst", ["openai_chat", "anthropic", "gemini"])
def test_litellm_17246_text_and_tool_call_in_one_response(dst: str) -> None:
    """LiteLLM #17246: the Responses → Chat stream dropped ``tool_calls`` when text and a tool
    call came in one response."""
    response = ir.Response(
        id="resp_1",
        model="m",
        content=[ir.TextPart("Let me check."), ir.ToolCallPart("call_1", "ls", '{"path": "."}')],
        stop_reason="tool_use",
    )
    upstream = synthesize_stream_body("openai_responses", response, OPTIONS)
    judged = STREAM_JUDGES[dst](translate_stream("openai_responses", dst, upstream))
    assert judged.text == "Let me check."
    assert judged.tool_calls == [("ls", {"path": "."})]
    assert judged.stop == "tool_use"


@pytest.mark.parametrize("dst", ["openai_chat", "openai_responses", "gemini"])
def test_litellm_25669_anthropic_tool_history_is_not_stripped(dst: str) -> None:
    """LiteLLM #25669: Anthropic content-block tool history was destroyed (results flagged as
    orphans and stripped). Results that share their user message with text stay paired."""
    caller = {
        "model": "claude",
        "max_tokens": 100,
        "messages": [
            {"role": "user", "content": "weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking both."},
                    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"c": "P"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "weather", "input": {"c": "R"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_2", "content": "21C"},
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
                    {"type": "text", "text": "And tomorrow?"},
                ],
            },
        ],
        "tools": [{"name": "weather", "input_schema": {"type": "object"}}],
    }
    body = translate_request("anthropic", dst, caller, model="m")
    text = json.dumps(body)
    assert "[tool result for" not in text, "no result was treated as an orphan"
    assert "18C" in text and "21C" in text and "And tomorrow?" in text
    if dst == "openai_chat":
        assert_chat_request(body)
        tools = [m for m in body["messages"] if m["role"] == "tool"]
        assert sorted(m["tool_call_id"] for m in tools) == ["toolu_1", "toolu_2"]
        assert body["messages"][-1] == {"role": "user", "content": "And tomorrow?"}
    elif dst == "openai_responses":
        assert_responses_request(body)
    else:
        assert_gemini_request(body)
        # Gemini answers in call order
        responses = body["contents"][2]["parts"]
        assert [p["functionResponse"]["response"] for p in responses[:2]] == [
            {"result": "18C"},
            {"result": "21C"},
        ]


@pytest.mark.parametrize("dst", ["openai_chat", "openai_responses", "gemini"])
def test_litellm_17737_server_tool_use_is_not_a_client_tool_call(dst: str) -> None:
    """LiteLLM #17737: Anthropic ``server_tool_use`` (a search the server ran itself) was
    converted to a ``tool_use`` the client then tried to run."""
    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [
            {
                "type": "server_tool_use",
                "id": "srvtoolu_1",
                "name": "web_search",
                "input": {"query": "weather"},
            },
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "text", "text": "It is sunny."},
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 3},
    }
    out = translate_response("anthropic", dst, 200, json.dumps(body).encode())
    text = json.dumps(out.body)
    assert "web_search" not in text and "srvtoolu_1" not in text
    assert "It is sunny." in text


# -- CLIProxyAPI ------------------------------------------------------------------------------


@pytest.mark.parametrize("dst", ["openai_chat", "openai_responses", "gemini"])
def test_cliproxyapi_1741_tool_names_keep_their_case(dst: str) -> None:
    """CLIProxyAPI #1741: ``SanitizeFunctionName`` lower-cased Claude Code's tools (``Bash``
    became ``bash``) and the calls no longer matched."""
    caller = {
        "model": "m",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [
            {"name": "Bash", "input_schema": {"type": "object"}},
            {"name": "WebFetch", "input_schema": {"type": "object"}},
        ],
    }
    body = translate_request("anthropic", dst, caller, model="m")
    text = json.dumps(body)
    assert '"Bash"' in text and '"WebFetch"' in text and '"bash"' not in text


def test_cliproxyapi_1579_no_duplicate_or_empty_tool_use_blocks() -> None:
    """CLIProxyAPI PR #1579: duplicate or empty ``tool_use`` blocks in OpenAI → Claude
    streaming, from servers that repeat the id, type and name on every fragment."""
    raw = chat_sse(
        {"role": "assistant", "content": ""},
        {"tool_calls": [call_delta(0, '{"pa', call_id="call_1", name="read")]},
        {"tool_calls": [call_delta(0, 'th": "a"}', call_id="call_1", name="read")]},
        {"tool_calls": [call_delta(1, '{"path": "b"}', call_id="call_2", name="read")]},
        {"tool_calls": [call_delta(1, "", call_id="call_2", name="read")]},
        {"finish_reason": "tool_calls"},
    )
    out = translate_stream("openai_chat", "anthropic", raw)
    starts = [
        e["content_block"] for e in anthropic_events(out) if e["type"] == "content_block_start"
    ]
    assert [(b["type"], b["id"]) for b in starts] == [
        ("tool_use", "call_1"),
        ("tool_use", "call_2"),
    ]
    judged = STREAM_JUDGES["anthropic"](out)
    assert judged.tool_calls == [("read", {"path": "a"}), ("read", {"path": "b"})]


@pytest.mark.parametrize("src", ["openai_chat", "gemini", "openai_responses"])
def test_cliproxyapi_1620_text_streams_as_it_comes(src: str) -> None:
    """CLIProxyAPI #1620: output did not appear streamed in Claude Code. Each upstream chunk
    is translated when it arrives: the first text reaches the client before the upstream
    has finished."""
    response = ir.Response(
        id="r1", model="m", content=[ir.TextPart("first part")], stop_reason="end_turn"
    )
    upstream = synthesize_stream_body(src, response, OPTIONS)
    payloads = upstream.split(b"\n\n")
    tr = StreamTranslator(src, "anthropic", OPTIONS, strict=True)
    got = b""
    for i, payload in enumerate(payloads):
        got += tr.feed(payload + b"\n\n")
        if b"first part" in got:
            assert i < len(payloads) - 2, "text arrived only with the end of the stream"
            break
    assert b"text_delta" in got and b"first part" in got
    assert b"message_stop" not in got


def test_quotio_529_deferred_tool_loading_is_kept_for_anthropic() -> None:
    """quotio #529: Claude Code's ``defer_loading`` tools were not forwarded (MCP tools then
    cost ~15x the tokens). Tool fields the IR does not model replay to Anthropic."""
    caller = {
        "model": "claude",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [
            {"name": "mcp__x__y", "input_schema": {"type": "object"}, "defer_loading": True},
            {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
        ],
    }
    body = translate_request("anthropic", "anthropic", caller, model="claude")
    assert body["tools"][0]["defer_loading"] is True
    assert body["tools"][1]["type"] == "tool_search_tool_regex_20251119"


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
