"""Tool names across an exchange: renamed for the upstream, restored for the caller.

Covers the per-protocol name rules, the map's determinism and collision handling, Codex
``namespace`` tools flattened and restored, free-form (custom) tools unwrapped from the JSON
calls of JSON-only protocols — through the real translate API (request out, body and stream
back), judged by the official SDKs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.responses import Response as OAResponse

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.registry import get_codec
from gatewayctl.protocols.toolnames import RULES, flat_name
from gatewayctl.translate import (
    StreamTranslator,
    ToolNameMap,
    encoder_options,
    parse_request,
    translate_body_to_stream,
    translate_count_request,
    translate_request,
    translate_response,
    translate_stream_to_body,
)
from gatewayctl.translate.streaming import synthesize_stream_body
from gatewayctl.translate.toolnames import unwrap_input
from tests.translate.judges import BODY_JUDGES, STREAM_JUDGES, sse_payloads

PROTOCOLS = ("openai_chat", "openai_responses", "anthropic", "gemini")

# -- the rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "name", "ok"),
    [
        ("anthropic", "Bash", True),
        ("anthropic", "mcp__github__create_issue", True),
        ("anthropic", "server.read_file", False),
        ("anthropic", "a" * 128, True),
        ("anthropic", "a" * 129, False),
        ("openai_chat", "a" * 64, True),
        ("openai_chat", "a" * 65, False),
        ("openai_chat", "ns:tool", False),
        ("openai_responses", "has space", False),
        ("gemini", "server.read_file", True),
        ("gemini", "server:read-file", True),
        ("gemini", "1st_tool", False),
        ("gemini", "-tool", False),
        ("gemini", "_tool", True),
        ("gemini", "a" * 65, False),
    ],
)
def test_rules(protocol: str, name: str, ok: bool) -> None:
    assert RULES[protocol].accepts(name) is ok  # type: ignore[index]


def test_sanitize_never_changes_case_and_fits() -> None:
    """CLIProxyAPI #1741: lower-casing ``Bash`` broke Claude Code's tools."""
    assert RULES["openai_chat"].sanitize("Bash") == "Bash"
    assert RULES["anthropic"].sanitize("Server.ReadFile") == "Server_ReadFile"
    assert RULES["gemini"].sanitize("9lives") == "_9lives"
    long_a, long_b = "mcp__" + "x" * 70 + "_a", "mcp__" + "x" * 70 + "_b"
    a, b = RULES["openai_chat"].sanitize(long_a), RULES["openai_chat"].sanitize(long_b)
    assert len(a) == len(b) == 64 and a != b
    assert RULES["openai_chat"].accepts(a) and RULES["openai_chat"].accepts(b)


def test_flat_name_follows_codex() -> None:
    assert flat_name("multi_agent_v1", "spawn_agent") == "multi_agent_v1__spawn_agent"
    assert flat_name("mcp__calendar__", "__create_event") == "mcp__calendar__create_event"
    assert flat_name(None, "x") == "x"


def test_unwrap_input() -> None:
    assert unwrap_input('{"input": "*** Begin Patch\\n"}') == "*** Begin Patch\n"
    assert unwrap_input('{"patch": "x"}') == "x"
    assert unwrap_input("{}") == "" and unwrap_input("") == ""
    assert unwrap_input('{"input": "trunc') == '{"input": "trunc'  # a cut stream: kept as is
    assert unwrap_input('{"a": "1", "b": "2"}') == '{"a": "1", "b": "2"}'


# -- building the map ----------------------------------------------------------------------


def _request(*names: str, calls: tuple[str, ...] = ()) -> ir.Request:
    messages = [ir.Message("user", [ir.TextPart("go")])]
    if calls:
        messages.append(
            ir.Message("assistant", [ir.ToolCallPart(f"c{i}", n) for i, n in enumerate(calls)])
        )
        messages.append(
            ir.Message(
                "user",
                [ir.ToolResultPart(f"c{i}", [ir.TextPart("ok")], n) for i, n in enumerate(calls)],
            )
        )
    return ir.Request(model="m", messages=messages, tools=[ir.Tool(n) for n in names])


def test_valid_names_are_never_touched() -> None:
    req = _request("Bash", "Read", "mcp__github__create_issue", calls=("Bash",))
    for protocol in PROTOCOLS:
        names = ToolNameMap.build(req, protocol)
        assert names.identity
        assert names.apply(req) is req


def test_renaming_is_deterministic_and_keeps_valid_names() -> None:
    req = _request("a.b", "a_b", "x:y", calls=("a.b",))
    first = ToolNameMap.build(req, "anthropic")
    second = ToolNameMap.build(req, "anthropic")
    wire = [first.wire_name(n) for n in ("a.b", "a_b", "x:y")]
    assert wire == [second.wire_name(n) for n in ("a.b", "a_b", "x:y")]
    assert wire[1] == "a_b"  # valid: reserved before anything is renamed
    assert wire[0] != "a_b" and wire[0].startswith("a_b_") and wire[2] == "x_y"
    assert len(set(wire)) == 3 and all(RULES["anthropic"].accepts(w) for w in wire)
    for name, w in zip(("a.b", "a_b", "x:y"), wire, strict=True):
        assert first.original(w) == (None, name)


def test_apply_renames_tools_choice_history_and_results_consistently() -> None:
    req = _request("server.read", "server.write", calls=("server.read",))
    req.tool_choice = ir.ToolChoice("tool", "server.write")
    out = ToolNameMap.build(req, "openai_chat").apply(req)
    assert [t.name for t in out.tools] == ["server_read", "server_write"]
    assert out.tool_choice == ir.ToolChoice("tool", "server_write")
    call = out.messages[1].parts[0]
    result = out.messages[2].parts[0]
    assert isinstance(call, ir.ToolCallPart) and call.name == "server_read"
    assert isinstance(result, ir.ToolResultPart) and result.name == "server_read"
    assert req.tools[0].name == "server.read"  # the caller's request is untouched
    assert req.messages[1].parts[0].name == "server.read"  # type: ignore[union-attr]


def test_builtin_tools_of_the_target_reserve_their_names() -> None:
    req = _request("web.search")
    req.tools.append(
        ir.Tool(
            "web_search",
            kind="builtin",
            provider_data={"anthropic": {"type": "web_search_20250305", "name": "web_search"}},
        )
    )
    names = ToolNameMap.build(req, "anthropic")
    assert names.wire_name("web.search") not in ("web_search", "web.search")


# -- end to end: a Gemini CLI caller with dotted MCP names ---------------------------------

GEMINI_CALLER = {
    "contents": [
        {"role": "user", "parts": [{"text": "read README.md"}]},
        {
            "role": "model",
            "parts": [{"functionCall": {"name": "fs.read_file", "args": {"path": "a"}}}],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "fs.read_file", "response": {"output": "A"}}},
            ],
        },
    ],
    "tools": [
        {
            "functionDeclarations": [
                {"name": "fs.read_file", "parametersJsonSchema": {"type": "object"}},
                {"name": "shell:run", "parametersJsonSchema": {"type": "object"}},
            ]
        }
    ],
}


def _upstream_answer(*calls: ir.ToolCallPart) -> ir.Response:
    return ir.Response(
        id="resp_1",
        model="m",
        content=[ir.TextPart("Calling."), *calls],
        stop_reason="tool_use",
        usage=ir.Usage(input_tokens=10, output_tokens=5),
    )


@pytest.mark.parametrize("upstream", ["openai_chat", "openai_responses", "anthropic"])
def test_gemini_names_survive_a_trip_through_a_stricter_upstream(upstream: str) -> None:
    body = translate_request("gemini", upstream, GEMINI_CALLER, model="m")
    text = json.dumps(body)
    assert "fs.read_file" not in text and "shell:run" not in text
    assert "fs_read_file" in text and "shell_run" in text
    request = parse_request("gemini", GEMINI_CALLER)
    request.model = "gemini-2.5-flash"
    options = encoder_options(request)
    answer = _upstream_answer(
        ir.ToolCallPart("t1", "fs_read_file", '{"path": "b"}'),
        ir.ToolCallPart("t2", "shell_run", '{"cmd": "ls"}'),
    )
    expected = [("fs.read_file", {"path": "b"}), ("shell:run", {"cmd": "ls"})]
    raw = json.dumps(get_codec(upstream).emit_response(answer, EncoderOptions())).encode()
    out = translate_response(upstream, "gemini", 200, raw, options=options)
    assert BODY_JUDGES["gemini"](out.body).tool_calls == expected
    stream = synthesize_stream_body(upstream, answer)
    tr = StreamTranslator(upstream, "gemini", options, strict=True)
    assert STREAM_JUDGES["gemini"](tr.feed(stream) + tr.close()).tool_calls == expected
    whole = translate_stream_to_body(upstream, "gemini", stream, options=options)
    assert BODY_JUDGES["gemini"](whole.body).tool_calls == expected
    data, response = translate_body_to_stream(upstream, "gemini", 200, raw, options=options)
    assert STREAM_JUDGES["gemini"](data).tool_calls == expected
    assert [p.name for p in response.content if isinstance(p, ir.ToolCallPart)] == [
        "fs.read_file",
        "shell:run",
    ]


@pytest.mark.parametrize("upstream", ["openai_chat", "openai_responses", "anthropic"])
def test_count_requests_are_renamed_too(upstream: str) -> None:
    """A count-tokens request carries the tools and history: the upstream's count endpoint
    validates their names like generation does."""
    body = translate_count_request("gemini", upstream, GEMINI_CALLER, model="m")
    text = json.dumps(body)
    assert "fs.read_file" not in text and "fs_read_file" in text


def test_an_explicit_map_can_be_passed() -> None:
    request = parse_request("gemini", GEMINI_CALLER)
    names = ToolNameMap.build(request, "anthropic")
    assert names.wire_name("fs.read_file") == "fs_read_file"
    answer = _upstream_answer(ir.ToolCallPart("t1", "fs_read_file", "{}"))
    raw = json.dumps(get_codec("anthropic").emit_response(answer, EncoderOptions())).encode()
    out = translate_response("anthropic", "gemini", 200, raw, tool_names=names)
    assert BODY_JUDGES["gemini"](out.body).tool_calls == [("fs.read_file", {})]
    # without a request or a map nothing is renamed
    plain = translate_response("anthropic", "gemini", 200, raw)
    assert BODY_JUDGES["gemini"](plain.body).tool_calls == [("fs_read_file", {})]


# -- Codex: namespace tools and free-form tools ---------------------------------------------

CODEX = {
    "model": "gpt-5.1-codex",
    "instructions": "You are Codex.",
    "input": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]},
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "spawn_agent",
            "namespace": "multi_agent_v1",
            "arguments": '{"message":"explore"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": '{"agent_id":"a1"}'},
        {
            "type": "custom_tool_call",
            "call_id": "call_2",
            "name": "apply_patch",
            "input": "*** Begin Patch\n*** End Patch\n",
        },
        {"type": "custom_tool_call_output", "call_id": "call_2", "output": "Done"},
    ],
    "tools": [
        {"type": "custom", "name": "apply_patch", "description": "Edit files."},
        {
            "type": "namespace",
            "name": "multi_agent_v1",
            "description": "Sub-agents.",
            "tools": [
                {
                    "type": "function",
                    "name": "spawn_agent",
                    "strict": False,
                    "parameters": {"type": "object", "properties": {"message": {"type": "string"}}},
                },
                {"type": "function", "name": "wait", "parameters": {"type": "object"}},
            ],
        },
        {"type": "web_search"},
    ],
    "stream": True,
}
PATCH = "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+x = 2\n*** End Patch\n"


@pytest.mark.parametrize("upstream", ["openai_chat", "anthropic", "gemini"])
def test_codex_namespace_is_flattened_for_other_protocols(upstream: str) -> None:
    body = translate_request("openai_responses", upstream, CODEX, model="m")
    text = json.dumps(body)
    assert "multi_agent_v1__spawn_agent" in text and "multi_agent_v1__wait" in text
    assert '"spawn_agent"' not in text  # the bare member name would be ambiguous
    assert "namespace" not in text and "web_search" not in text  # hosted tool dropped


def test_codex_namespace_survives_responses_to_responses() -> None:
    body = translate_request("openai_responses", "openai_responses", CODEX, model="m")
    wrapper = next(t for t in body["tools"] if t["type"] == "namespace")
    assert wrapper["name"] == "multi_agent_v1" and wrapper["description"] == "Sub-agents."
    assert [t["name"] for t in wrapper["tools"]] == ["spawn_agent", "wait"]
    call = next(i for i in body["input"] if i.get("type") == "function_call")
    assert (call["name"], call["namespace"]) == ("spawn_agent", "multi_agent_v1")


def _responses_items_from_stream(raw: bytes) -> list[Any]:
    final = None
    for _, data in sse_payloads(raw):
        obj = json.loads(data)
        if obj["type"] in ("response.completed", "response.incomplete"):
            final = OAResponse.model_validate(obj["response"])
    assert final is not None
    return list(final.output)


def _codex_answer(upstream: str) -> ir.Response:
    wrapped = upstream != "openai_chat"  # Chat has free-form tools of its own
    patch = (
        ir.ToolCallPart("t2", "apply_patch", json.dumps({"input": PATCH}))
        if wrapped
        else ir.ToolCallPart("t2", "apply_patch", PATCH, kind="custom")
    )
    return _upstream_answer(
        ir.ToolCallPart("t1", "multi_agent_v1__spawn_agent", '{"message": "look"}'), patch
    )


def _check_codex_items(items: list[Any]) -> None:
    calls = [i for i in items if i.type in ("function_call", "custom_tool_call")]
    assert [(c.type, c.name) for c in calls] == [
        ("function_call", "spawn_agent"),
        ("custom_tool_call", "apply_patch"),
    ]
    assert calls[0].namespace == "multi_agent_v1"
    assert json.loads(calls[0].arguments) == {"message": "look"}
    assert calls[1].input == PATCH and calls[1].namespace is None


@pytest.mark.parametrize("upstream", ["openai_chat", "anthropic", "gemini"])
def test_codex_calls_come_back_with_namespace_and_raw_patch(upstream: str) -> None:
    request = parse_request("openai_responses", CODEX)
    options = encoder_options(request)
    answer = _codex_answer(upstream)
    raw = json.dumps(get_codec(upstream).emit_response(answer, EncoderOptions())).encode()
    out = translate_response(upstream, "openai_responses", 200, raw, options=options)
    _check_codex_items(list(OAResponse.model_validate(out.body).output))
    stream = synthesize_stream_body(upstream, answer)
    for chunk_size in (len(stream), 7):  # whole, and split at odd boundaries
        tr = StreamTranslator(upstream, "openai_responses", options, strict=True)
        got = b"".join(
            tr.feed(stream[i : i + chunk_size]) for i in range(0, len(stream), chunk_size)
        )
        got += tr.close()
        STREAM_JUDGES["openai_responses"](got)  # the SDK accumulator accepts it
        _check_codex_items(_responses_items_from_stream(got))
    whole = translate_stream_to_body(upstream, "openai_responses", stream, options=options)
    _check_codex_items(list(OAResponse.model_validate(whole.body).output))


def test_custom_call_arguments_held_until_the_call_is_complete() -> None:
    """A JSON-only upstream streams ``{"input": "..."}`` in fragments: the caller gets the raw
    text once, when the call is complete, and never a fragment of JSON."""
    request = parse_request("openai_responses", CODEX)
    names = ToolNameMap.build(request, "anthropic")
    restorer = names.stream_restorer()
    assert restorer is not None
    args = json.dumps({"input": PATCH})
    events: list[ir.StreamEvent] = [ir.BlockStart(0, ir.ToolCallPart("t", "apply_patch"))]
    events += [ir.BlockDelta(0, arguments=args[i : i + 5]) for i in range(0, len(args), 5)]
    events += [ir.BlockDelta(0, provider_data={"anthropic": {"x": 1}}), ir.BlockStop(0)]
    out = [o for e in events for o in restorer.feed(e)]
    start = out[0]
    assert isinstance(start, ir.BlockStart) and isinstance(start.part, ir.ToolCallPart)
    assert start.part.kind == "custom" and start.part.arguments == ""
    deltas = [e for e in out if isinstance(e, ir.BlockDelta) and e.arguments]
    assert [d.arguments for d in deltas] == [PATCH]
    assert any(isinstance(e, ir.BlockDelta) and e.provider_data for e in out)
    assert isinstance(out[-1], ir.BlockStop)


def test_a_chat_caller_gets_its_custom_tool_back_from_anthropic() -> None:
    chat = {
        "model": "gpt-5",
        "messages": [{"role": "user", "content": "patch it"}],
        "tools": [{"type": "custom", "custom": {"name": "apply_patch"}}],
    }
    body = translate_request("openai_chat", "anthropic", chat, model="claude")
    schema = body["tools"][0]["input_schema"]
    assert schema["properties"] == {"input": {"type": "string"}}
    options = encoder_options(parse_request("openai_chat", chat))
    answer = _upstream_answer(ir.ToolCallPart("t", "apply_patch", json.dumps({"input": PATCH})))
    raw = json.dumps(get_codec("anthropic").emit_response(answer, EncoderOptions())).encode()
    out = translate_response("anthropic", "openai_chat", 200, raw, options=options)
    call = out.body["choices"][0]["message"]["tool_calls"][0]
    assert call["type"] == "custom" and call["custom"] == {"name": "apply_patch", "input": PATCH}
    tr = StreamTranslator("anthropic", "openai_chat", options, strict=True)
    got = tr.feed(synthesize_stream_body("anthropic", answer)) + tr.close()
    assert STREAM_JUDGES["openai_chat"](got).tool_calls == [("apply_patch", PATCH)]
