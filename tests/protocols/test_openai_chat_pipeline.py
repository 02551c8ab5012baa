"""The Chat codec inside the real translate pipeline (deframer → decoder → sequencer →
encoder → framing), judged by the openai SDK: every recorded and own Chat stream, fed in
small byte chunks, comes out as a Chat stream the SDK rebuilds to the same completion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openai.types.chat import ChatCompletion

from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.openai_chat import CODEC
from gatewayctl.translate.streaming import (
    StreamTranslator,
    aggregate_stream_body,
    synthesize_stream_body,
)
from tests.conftest import RECORDED
from tests.protocols.test_openai_chat_stream import (
    COMPLETE_STREAMS,
    OWN,
    sdk_final,
    summary,
    wire_events,
)

SINGLE_CHOICE = [p for p in COMPLETE_STREAMS if p.name != "chat_n3_choices_stream.sse"]


def translate(raw: bytes, step: int, include_usage: bool = True) -> bytes:
    tr = StreamTranslator(
        "openai_chat", "openai_chat", EncoderOptions(include_usage=include_usage), strict=True
    )
    out = bytearray()
    for i in range(0, len(raw), step):
        out += tr.feed(raw[i : i + step])
    out += tr.close()
    return bytes(out)


@pytest.mark.parametrize("path", SINGLE_CHOICE, ids=lambda p: p.name)
def test_chat_to_chat_stream_through_pipeline(path: Path) -> None:
    raw = path.read_bytes()
    out = translate(raw, step=7)
    assert out.endswith(b"data: [DONE]\n\n")
    wire = wire_events(out)
    assert sum(1 for w in wire if w.data == "[DONE]") == 1
    ours = summary(sdk_final(wire))
    if path.name == "stream_compat_index_reuse_truncated.sse":
        assert ours["tool_calls"] == [
            ("call_a", "read_file", '{"path":"a.py"}'),
            ("call_b", "read_file", '{"path":"b.py"}'),
        ]
        assert ours["finish_reason"] == "tool_calls"
        return
    reference = summary(sdk_final(wire_events(raw)))
    for key in ("content", "refusal", "tool_calls", "finish_reason"):
        assert ours[key] == reference[key], key
    if reference["usage"] is not None:
        assert ours["usage"]["prompt_tokens"] == reference["usage"]["prompt_tokens"]
        assert ours["usage"]["completion_tokens"] == reference["usage"]["completion_tokens"]


def test_interleaved_tool_calls_come_out_sequential() -> None:
    out = translate((OWN / "stream_reasoning_interleaved_tools.sse").read_bytes(), step=3)
    frags = [
        tc
        for w in wire_events(out)
        if isinstance(w.data, dict) and w.data.get("choices")
        for tc in w.data["choices"][0]["delta"].get("tool_calls", [])
    ]
    indexes = [f["index"] for f in frags]
    assert indexes == sorted(indexes)  # all of call 0, then all of call 1
    final = sdk_final(wire_events(out))
    calls = final.choices[0].message.tool_calls or []
    assert [(c.id, json.loads(c.function.arguments)) for c in calls] == [  # type: ignore[union-attr]
        ("call_p", {"city": "Paris"}),
        ("call_o", {"city": "Oslo"}),
    ]
    assert final.choices[0].message.model_extra == {"reasoning_content": "Two cities, two calls."}
    assert final.usage is not None and final.usage.prompt_tokens_details is not None
    assert final.usage.prompt_tokens_details.cached_tokens == 1024


def test_error_mid_stream_through_pipeline() -> None:
    out = translate((OWN / "stream_error_midstream.sse").read_bytes(), step=5)
    wire = wire_events(out)
    assert wire[-1].data == "[DONE]"
    err = wire[-2].data
    assert isinstance(err, dict) and err["error"]["type"] == "server_error"
    texts = [
        w.data["choices"][0]["delta"].get("content")
        for w in wire
        if isinstance(w.data, dict) and w.data.get("choices")
    ]
    assert "".join(t for t in texts if t) == "Partial answer"


@pytest.mark.parametrize("path", SINGLE_CHOICE, ids=lambda p: p.name)
def test_aggregate_then_synthesize_round_trip(path: Path) -> None:
    """Stream-only upstream → non-stream client, and back (gateway's two fallbacks)."""
    response = aggregate_stream_body("openai_chat", path.read_bytes())
    body = CODEC.emit_response(response, EncoderOptions())
    completion = ChatCompletion.model_validate(body)
    streamed = synthesize_stream_body(
        "openai_chat", CODEC.parse_response(body), EncoderOptions(include_usage=True)
    )
    rebuilt = sdk_final(wire_events(streamed))
    assert summary(rebuilt)["content"] == (completion.choices[0].message.content or "")
    assert summary(rebuilt)["finish_reason"] == completion.choices[0].finish_reason
    assert [c[:2] for c in summary(rebuilt)["tool_calls"]] == [
        (c.id, c.function.name)  # type: ignore[union-attr]
        for c in completion.choices[0].message.tool_calls or []
    ]


@pytest.mark.parametrize(
    "name",
    ["chat_text.json", "chat_parallel_tool_calls.json", "chat_refusal.json"],
)
def test_recorded_body_synthesized_as_stream(name: str) -> None:
    body = json.loads((RECORDED / "openai" / name).read_text())
    original = ChatCompletion.model_validate(body)
    raw = synthesize_stream_body(
        "openai_chat", CODEC.parse_response(body), EncoderOptions(include_usage=True)
    )
    rebuilt = sdk_final(wire_events(raw))
    mine, theirs = rebuilt.choices[0], original.choices[0]
    # our first chunk always says content "" (we cannot know yet that no text will follow)
    assert (mine.message.content or None) == theirs.message.content
    assert mine.message.refusal == theirs.message.refusal
    assert mine.finish_reason == theirs.finish_reason
    assert [(c.id, c.function.arguments) for c in mine.message.tool_calls or []] == [  # type: ignore[union-attr]
        (c.id, c.function.arguments)  # type: ignore[union-attr]
        for c in theirs.message.tool_calls or []
    ]
    assert rebuilt.usage is not None and original.usage is not None
    assert rebuilt.usage.total_tokens == original.usage.total_tokens
