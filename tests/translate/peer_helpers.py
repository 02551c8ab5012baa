"""Helpers for the peers.md §4 regression tests: hand-written quirky upstream streams."""

from __future__ import annotations

import json
from typing import Any

from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.translate import StreamTranslator
from tests.translate.judges import sse_payloads

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


def call_delta(
    index: int, args: str, *, call_id: str | None = None, name: str | None = None
) -> dict[str, Any]:
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


def next_turn(
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
