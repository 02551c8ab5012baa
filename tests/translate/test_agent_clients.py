"""Real coding-agent requests through every direction (agent-clients.md).

The fixtures are shaped exactly like what Claude Code 2.1, Codex CLI 0.171 and Gemini CLI 0.61
send mid-task (tool loops included). Each is translated into the three other protocols, and
the emitted request must be one the real API accepts — validated strictly against the target
SDK's request types and the API's rules (:mod:`tests.protocols.api_rules`) — and must keep the
meaning: the system text (including Claude Code's trailing ``role: "system"`` message and
Codex's developer messages), every tool under a name the target accepts that maps back to the
caller's, the tool history paired call-for-result, the last user text, the image inside a tool
result, and the thinking settings mapped through the shared effort table.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatewayctl.protocols.toolnames import RULES
from gatewayctl.translate import ToolNameMap, parse_request, translate_request
from tests.conftest import FIXTURES
from tests.protocols.api_rules import (
    assert_anthropic_request,
    assert_chat_request,
    assert_gemini_request,
    assert_responses_request,
)

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
CLIENTS: dict[str, tuple[str, str]] = {
    "claude_code": ("anthropic", "anthropic/claude_code_agent_turn_request.json"),
    "codex": ("openai_responses", "openai_responses/request_codex_agent_turn.json"),
    "gemini_cli": ("gemini", "gemini/requests/gemini_cli_agent_turn.json"),
}
TARGET_MODEL = {
    "openai_chat": "gpt-5.1",
    "openai_responses": "gpt-5.1-codex",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-3-pro-preview",
}
CASES = [
    (client, dst) for client, (src, _) in CLIENTS.items() for dst in TARGET_MODEL if dst != src
]

# What each client's request must keep, written out by hand from the fixtures.
SYSTEM_TEXTS = {
    "claude_code": [
        "x-anthropic-billing-header: cc_version=2.1.197",
        "You are Claude Code, Anthropic's official CLI for Claude.",
        "You are an interactive agent that helps users",
        "The user is running in a sandbox; prefer read-only tools",  # the trailing system message
    ],
    "codex": [
        "You are Codex, based on GPT-5.",
        "<permissions instructions>",
        "<collaboration_mode>default</collaboration_mode>",
    ],
    "gemini_cli": ["You are an interactive CLI agent specializing in software engineering"],
}
LAST_USER_TEXT = {
    "claude_code": "Looks good. Run the tests once more.",
    "codex": "Great. Run the tests again and wait for the agent.",
    "gemini_cli": "Find what is wrong with calc.add and check the docs server for its contract.",
}
TOOLS = {
    "claude_code": ["Bash", "Read", "Edit", "mcp__playwright__browser_take_screenshot"],
    "codex": [
        "exec_command",
        "apply_patch",
        "multi_agent_v1/spawn_agent",
        "multi_agent_v1/send_input",
        "multi_agent_v1/wait",
    ],
    "gemini_cli": ["list_directory", "read_file", "run_shell_command", "docs.search"],
}
CALLS = {"claude_code": 4, "codex": 3, "gemini_cli": 3}


def load(client: str) -> tuple[str, dict[str, Any]]:
    src, rel = CLIENTS[client]
    return src, json.loads((FIXTURES / rel).read_text())


def translated(client: str, dst: str) -> dict[str, Any]:
    src, body = load(client)
    return translate_request(src, dst, body, model=TARGET_MODEL[dst])


def assert_valid(dst: str, body: dict[str, Any]) -> None:
    if dst == "openai_chat":
        assert_chat_request(body)
    elif dst == "openai_responses":
        assert_responses_request(body)
    elif dst == "anthropic":
        assert_anthropic_request(body)
    else:
        assert_gemini_request(body, TARGET_MODEL[dst])


# -- reading a target body back -----------------------------------------------------------


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    out: list[str] = []
    for part in content or []:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            if part.get("type", "text") in ("text", "input_text", "output_text"):
                out.append(part["text"])
    return out


def system_text(dst: str, body: dict[str, Any]) -> str:
    if dst == "openai_chat":
        return "\n".join(
            t
            for m in body["messages"]
            if m["role"] in ("system", "developer")
            for t in _texts(m["content"])
        )
    if dst == "openai_responses":
        items = [
            t
            for i in body["input"]
            if i.get("role") in ("system", "developer")
            for t in _texts(i["content"])
        ]
        return "\n".join([body.get("instructions", ""), *items])
    if dst == "anthropic":
        system = body.get("system", "")
        return system if isinstance(system, str) else "\n".join(_texts(system))
    return "\n".join(p["text"] for p in body["systemInstruction"]["parts"])


def user_texts(dst: str, body: dict[str, Any]) -> list[str]:
    """The text of user turns, in order (tool results excluded)."""
    if dst == "openai_chat":
        return [t for m in body["messages"] if m["role"] == "user" for t in _texts(m["content"])]
    if dst == "openai_responses":
        return [
            t
            for i in body["input"]
            if i.get("type", "message") == "message" and i.get("role") == "user"
            for t in _texts(i["content"])
        ]
    if dst == "anthropic":
        return [
            t
            for m in body["messages"]
            if m["role"] == "user"
            for t in _texts([b for b in m["content"] if b["type"] == "text"])
        ]
    return [
        p["text"]
        for c in body["contents"]
        if c["role"] == "user"
        for p in c["parts"]
        if "text" in p
    ]


def tool_names(dst: str, body: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(namespace, name) of the callable (function/custom) tools the target sees."""
    out: list[tuple[str | None, str]] = []
    for tool in body.get("tools", []):
        if dst == "openai_chat":
            spec = tool.get(tool["type"], {})
            out.append((None, spec["name"]))
        elif dst == "openai_responses":
            if tool["type"] == "namespace":
                out += [(tool["name"], t["name"]) for t in tool["tools"]]
            elif tool["type"] in ("function", "custom"):
                out.append((None, tool["name"]))
        elif dst == "anthropic":
            if "input_schema" in tool:
                out.append((None, tool["name"]))
        else:
            out += [(None, d["name"]) for d in tool.get("functionDeclarations", [])]
    return out


def history_calls(dst: str, body: dict[str, Any]) -> list[str]:
    """Names of the tool calls in the history."""
    if dst == "openai_chat":
        return [
            c["function"]["name"] if c["type"] == "function" else c["custom"]["name"]
            for m in body["messages"]
            for c in m.get("tool_calls") or []
        ]
    if dst == "openai_responses":
        return [
            i["name"]
            for i in body["input"]
            if i.get("type") in ("function_call", "custom_tool_call")
        ]
    if dst == "anthropic":
        return [
            b["name"] for m in body["messages"] for b in m["content"] if b["type"] == "tool_use"
        ]
    return [
        p["functionCall"]["name"]
        for c in body["contents"]
        for p in c["parts"]
        if "functionCall" in p
    ]


def reasoning_of(dst: str, body: dict[str, Any]) -> Any:
    if dst == "openai_chat":
        return body.get("reasoning_effort")
    if dst == "openai_responses":
        return body.get("reasoning")
    if dst == "anthropic":
        return body.get("thinking"), body.get("output_config", {}).get("effort")
    return body.get("generationConfig", {}).get("thinkingConfig")


# What each client's thinking request becomes (protocols.md §7.4; the shared effort table).
# Claude Code: adaptive + effort high; Codex: effort high + summary auto; Gemini CLI: HIGH +
# includeThoughts. Gemini CLI → Anthropic: the request continues a tool loop whose assistant
# turn has no Anthropic-signed thinking, which the API rejects with thinking on (documented
# in the Anthropic emitter), so thinking is off there.
REASONING = {
    ("claude_code", "openai_chat"): "high",
    ("claude_code", "openai_responses"): {"effort": "high"},
    ("claude_code", "gemini"): {"thinkingLevel": "HIGH", "includeThoughts": True},
    ("codex", "openai_chat"): "high",
    ("codex", "anthropic"): ({"type": "enabled", "budget_tokens": 24576}, None),
    ("codex", "gemini"): {"thinkingLevel": "HIGH", "includeThoughts": True},
    ("gemini_cli", "openai_chat"): "high",
    ("gemini_cli", "openai_responses"): {"effort": "high", "summary": "auto"},
    ("gemini_cli", "anthropic"): (None, None),
}


# -- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize(("client", "dst"), CASES, ids=[f"{c}->{d}" for c, d in CASES])
def test_translated_request_is_accepted_and_keeps_its_meaning(client: str, dst: str) -> None:
    body = translated(client, dst)
    assert_valid(dst, body)

    system = system_text(dst, body)
    for text in SYSTEM_TEXTS[client]:
        assert text in system, f"system text lost: {text!r}"

    assert user_texts(dst, body)[-1] == LAST_USER_TEXT[client]

    src, raw = load(client)
    names = ToolNameMap.build(parse_request(src, raw), dst)
    seen = tool_names(dst, body)
    assert all(RULES[dst].accepts(name) for _, name in seen)  # type: ignore[index]
    restored = [names.original(name, ns) for ns, name in seen]
    expected = [tuple(t.split("/")) if "/" in t else (None, t) for t in TOOLS[client]]
    assert restored == expected

    calls = history_calls(dst, body)
    assert len(calls) == CALLS[client]
    declared = {name for _, name in seen}
    assert set(calls) <= declared, "history calls use the names the tools are declared with"

    assert reasoning_of(dst, body) == REASONING[(client, dst)]


@pytest.mark.parametrize("dst", ["openai_chat", "openai_responses", "gemini"])
def test_claude_code_specifics(dst: str) -> None:
    """The image inside a tool result survives, the error result stays marked as one, the
    billing header stays system text, and the JSON-string user id fits OpenAI's limit."""
    body = translated("claude_code", dst)
    text = json.dumps(body)
    assert PNG in text, "the screenshot in the tool result is kept"
    if dst == "gemini":
        responses = [
            p["functionResponse"]
            for c in body["contents"]
            for p in c["parts"]
            if "functionResponse" in p
        ]
        assert "error" in responses[0]["response"]  # is_error
        assert "1 failed" in responses[0]["response"]["error"]
    else:
        assert "Error: FAILED test_calc.py::test_add" in text
        user = body.get("user")
        assert user is not None and len(user) <= 64  # a hash of the 150-character JSON id
    if dst == "openai_chat":
        assert body["messages"][-1]["role"] == "system"  # mid-conversation system stays put
        assert body["messages"][0]["role"] == "system"


def test_claude_code_to_anthropic_shape_is_untouched_where_it_can_be() -> None:
    """Through the IR to Anthropic itself (a gateway TransformTo the same protocol): the
    trailing system message joins the top-level system (accepted without the beta), the
    Anthropic-only fields replay."""
    _, raw = load("claude_code")
    body = translate_request("anthropic", "anthropic", raw, model="claude-opus-4-8")
    assert_anthropic_request(body)
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": "high"}
    assert body["context_management"] == raw["context_management"]
    assert body["metadata"] == raw["metadata"]
    assert body["system"][-1]["text"].startswith("The user is running in a sandbox")
    assert [m["role"] for m in body["messages"]] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]


@pytest.mark.parametrize("dst", ["openai_chat", "anthropic", "gemini"])
def test_codex_specifics(dst: str) -> None:
    """Hosted web_search and Responses-only fields are dropped; the namespace is flattened the
    way Codex itself flattens it; the free-form patch in history is kept verbatim."""
    body = translated("codex", dst)
    text = json.dumps(body)
    assert "web_search" not in text
    for field in ("client_metadata", "prompt_cache_key", "include", "store", "encrypted_content"):
        assert f'"{field}"' not in text
    assert "multi_agent_v1__spawn_agent" in text
    assert "*** Begin Patch\\n*** Update File: calc.py" in text
    assert "gAAAAABpZ_enc" not in text  # encrypted reasoning never leaves its family


def test_codex_to_responses_keeps_everything_replayable() -> None:
    _, raw = load("codex")
    body = translate_request("openai_responses", "openai_responses", raw, model="gpt-5.1-codex")
    assert_responses_request(body)
    for field in ("client_metadata", "prompt_cache_key", "include", "store"):
        assert body[field] == raw[field]
    reasoning = [i for i in body["input"] if i.get("type") == "reasoning"]
    assert [r["encrypted_content"] for r in reasoning] == [
        i["encrypted_content"] for i in raw["input"] if i.get("type") == "reasoning"
    ]
    wrapper = next(t for t in body["tools"] if t["type"] == "namespace")
    assert wrapper == raw["tools"][2] | {"tools": wrapper["tools"]}
    assert [t["name"] for t in wrapper["tools"]] == ["spawn_agent", "send_input", "wait"]
    assert {"type": "web_search"} in body["tools"]


@pytest.mark.parametrize("dst", ["openai_chat", "openai_responses", "anthropic"])
def test_gemini_cli_specifics(dst: str) -> None:
    """The dotted MCP name is renamed consistently (declaration, call, result), Gemini CLI's
    ``{"output": …}`` results arrive as plain text, its error result as an error."""
    body = translated("gemini_cli", dst)
    text = json.dumps(body)
    assert "docs.search" not in text and "docs_search" in text
    assert '\\"output\\"' not in text  # no {"output": …} wrapper left inside a result
    assert "def add(a, b):\\n    return a - b" in text
    assert "MCP server 'docs' is not connected" in text
    if dst == "anthropic":
        results = [b for m in body["messages"] for b in m["content"] if b["type"] == "tool_result"]
        assert [r.get("is_error", False) for r in results] == [False, False, True]
    assert "Z2VtaW5p" not in text  # Gemini thought signatures never leave their family


def test_gemini_cli_to_gemini_keeps_its_signatures_and_wrappers() -> None:
    _, raw = load("gemini_cli")
    body = translate_request("gemini", "gemini", raw, model="gemini-3-pro-preview")
    assert_gemini_request(body, "gemini-3-pro-preview")
    assert body["contents"] == raw["contents"]
    assert body["systemInstruction"]["parts"] == raw["systemInstruction"]["parts"]
