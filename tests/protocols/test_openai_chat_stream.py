"""Chat Completions streams: recorded upstream streams decoded, our streams judged by the SDK.

The reference for every recorded stream is the ``openai`` SDK's own accumulator
(``ChatCompletionStreamState``) run over the recorded chunks: our decoder must rebuild the same
text, tool calls, finish reason and usage, and our encoder's output must make the SDK rebuild
them again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai import ContentFilterFinishReasonError, LengthFinishReasonError
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.openai_chat import CODEC
from gatewayctl.protocols.openai_chat.response import finish_from_stop
from gatewayctl.protocols.sse import SSEParser, encode_sse
from tests.conftest import FIXTURES, RECORDED

OPENAI = RECORDED / "openai"
OWN = FIXTURES / "openai_chat"
RECORDED_STREAMS = sorted(OPENAI.glob("chat_*_stream.sse"))
OWN_STREAMS = sorted(OWN.glob("*.sse"))
# streams that end normally (the error transcript has its own tests)
COMPLETE_STREAMS = RECORDED_STREAMS + [p for p in OWN_STREAMS if "error" not in p.name]

# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------


def wire_events(raw: bytes, step: int | None = None) -> list[WireEvent]:
    """De-frame SSE bytes (optionally fed ``step`` bytes at a time) into WireEvents."""
    parser = SSEParser()
    frames = []
    if step is None:
        frames += parser.feed(raw)
    else:
        for i in range(0, len(raw), step):
            frames += parser.feed(raw[i : i + step])
    frames += parser.close()
    out = []
    for frame in frames:
        if frame.comment:
            continue
        try:
            data: Any = json.loads(frame.data)
        except ValueError:
            data = frame.data
        out.append(WireEvent(data, frame.event))
    return out


def decode(raw: bytes, step: int | None = None) -> list[ir.StreamEvent]:
    dec = CODEC.stream_decoder()
    out: list[ir.StreamEvent] = []
    for event in wire_events(raw, step):
        out += dec.feed(event)
    out += dec.finish()
    return out


def check_invariants(events: list[ir.StreamEvent]) -> None:
    """The IR stream contract (ir.py): start first, distinct block indexes in order of first
    appearance, deltas inside their block, one terminal event last."""
    assert events, "no events"
    terminal = events[-1]
    assert isinstance(terminal, ir.StreamEnd | ir.StreamError)
    assert sum(isinstance(e, ir.StreamEnd | ir.StreamError) for e in events) == 1
    if not isinstance(events[0], ir.StreamError):
        assert isinstance(events[0], ir.StreamStart)
        assert sum(isinstance(e, ir.StreamStart) for e in events) == 1
    opened: list[int] = []
    closed: set[int] = set()
    for event in events:
        if isinstance(event, ir.BlockStart):
            assert event.index == len(opened), "block indexes must be 0, 1, 2… in order"
            opened.append(event.index)
        elif isinstance(event, ir.BlockDelta):
            assert event.index in opened and event.index not in closed
        elif isinstance(event, ir.BlockStop):
            assert event.index in opened and event.index not in closed
            closed.add(event.index)
    if isinstance(terminal, ir.StreamEnd):
        assert closed == set(opened), "every block is closed before the end"


def aggregate(events: list[ir.StreamEvent]) -> ir.Response:
    """A minimal stream→response fold (test-local; the real one lives in translate/)."""
    resp = ir.Response(id="", model="")
    parts: dict[int, Any] = {}
    for event in events:
        if isinstance(event, ir.StreamStart):
            resp.id, resp.model, resp.created = event.id, event.model, event.created
        elif isinstance(event, ir.BlockStart):
            parts[event.index] = event.part
        elif isinstance(event, ir.BlockDelta):
            part = parts[event.index]
            if isinstance(part, ir.ToolCallPart):
                part.arguments += event.arguments
            else:
                part.text += event.text
            for fam, data in (event.provider_data or {}).items():
                part.provider_data.setdefault(fam, {}).update(data)
        elif isinstance(event, ir.UsageUpdate):
            resp.usage = event.usage
        elif isinstance(event, ir.StreamEnd):
            resp.stop_reason = event.stop_reason
            if event.usage is not None:
                resp.usage = event.usage
    resp.content = [parts[i] for i in sorted(parts)]
    return resp


def sequential(resp: ir.Response, chunk: int = 7) -> list[ir.StreamEvent]:
    """IR events for a response with strictly sequential blocks (what encoders are fed)."""
    out: list[ir.StreamEvent] = [ir.StreamStart(resp.id, resp.model, resp.created)]
    for i, part in enumerate(resp.content):
        if isinstance(part, ir.ToolCallPart):
            out.append(
                ir.BlockStart(
                    i, ir.ToolCallPart(part.id, part.name, "", part.kind, dict(part.provider_data))
                )
            )
            for j in range(0, len(part.arguments), chunk):
                out.append(ir.BlockDelta(i, arguments=part.arguments[j : j + chunk]))
        else:
            assert isinstance(part, ir.TextPart | ir.ReasoningPart)
            skeleton = (
                type(part)(provider_data=dict(part.provider_data))
                if isinstance(part, ir.ReasoningPart)
                else ir.TextPart("", dict(part.provider_data))
            )
            out.append(ir.BlockStart(i, skeleton))
            for j in range(0, len(part.text), chunk):
                out.append(ir.BlockDelta(i, text=part.text[j : j + chunk]))
        out.append(ir.BlockStop(i))
    out.append(ir.UsageUpdate(resp.usage))
    out.append(ir.StreamEnd(resp.stop_reason))
    return out


def encode(events: list[ir.StreamEvent], **opts: Any) -> list[WireEvent]:
    enc = CODEC.stream_encoder(EncoderOptions(**opts))
    out: list[WireEvent] = []
    for event in events:
        out += enc.feed(event)
    out += enc.finish()
    return out


def sdk_final(wire: list[WireEvent]) -> ChatCompletion:
    """What the openai SDK rebuilds from these chunks (errors and [DONE] skipped)."""
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for event in wire:
        if isinstance(event.data, dict) and "error" not in event.data:
            state.handle_chunk(ChatCompletionChunk.model_validate(event.data))
    try:
        return state.get_final_completion()
    except (LengthFinishReasonError, ContentFilterFinishReasonError) as exc:
        # the SDK refuses to *parse* such completions but has accumulated them fine
        assert exc.completion is not None
        return exc.completion


def summary(completion: ChatCompletion) -> dict[str, Any]:
    choice = completion.choices[0]
    usage = completion.usage
    return {
        "content": choice.message.content or "",
        "refusal": choice.message.refusal,
        "tool_calls": [
            (c.id, c.function.name, c.function.arguments)  # type: ignore[union-attr]
            for c in choice.message.tool_calls or []
        ],
        "finish_reason": choice.finish_reason,
        "usage": usage.model_dump(exclude_none=True) if usage else None,
    }


def ir_summary(resp: ir.Response) -> dict[str, Any]:
    texts = [p for p in resp.content if isinstance(p, ir.TextPart)]
    refusal = "".join(
        p.text for p in texts if p.provider_data.get("openai_chat", {}).get("refusal")
    )
    calls = [p for p in resp.content if isinstance(p, ir.ToolCallPart)]
    return {
        "content": "".join(p.text for p in texts if not p.provider_data.get("openai_chat")),
        "refusal": refusal or None,
        "tool_calls": [(c.id, c.name, c.arguments) for c in calls],
        "finish_reason": finish_from_stop(
            resp.stop_reason, has_tool_calls=bool(calls), has_refusal=bool(refusal)
        ),
    }


# ----------------------------------------------------------------------------------------
# decoder over recorded and own streams
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", COMPLETE_STREAMS, ids=lambda p: p.name)
def test_decoder_matches_sdk_accumulator(path: Path) -> None:
    raw = path.read_bytes()
    events = decode(raw)
    check_invariants(events)
    assert isinstance(events[-1], ir.StreamEnd)
    reference = summary(sdk_final(wire_events(raw)))
    resp = aggregate(events)
    mine = ir_summary(resp)
    if path.name == "stream_compat_index_reuse_truncated.sse":
        # the SDK merges calls that reuse index 0 into one bogus call; we keep them apart
        assert mine["tool_calls"] == [
            ("call_a", "read_file", '{"path":"a.py"}'),
            ("call_b", "read_file", '{"path":"b.py"}'),
        ]
        assert reference["tool_calls"] != mine["tool_calls"]
        return
    for key in ("content", "refusal", "tool_calls", "finish_reason"):
        assert mine[key] == reference[key], key
    if reference["usage"] is not None:
        usage = reference["usage"]
        assert resp.usage.input_tokens == usage["prompt_tokens"]
        assert resp.usage.output_tokens == usage["completion_tokens"]
        assert resp.usage.reasoning_tokens == usage.get("completion_tokens_details", {}).get(
            "reasoning_tokens"
        )
        assert resp.usage.cache_read_tokens == usage.get("prompt_tokens_details", {}).get(
            "cached_tokens"
        )


@pytest.mark.parametrize("path", RECORDED_STREAMS + OWN_STREAMS, ids=lambda p: p.name)
def test_decoder_same_for_any_byte_split(path: Path) -> None:
    raw = path.read_bytes()
    whole = decode(raw)
    for step in (1, 2, 3, 5, 64):
        assert _stable(decode(raw, step)) == _stable(whole)


def _stable(events: list[ir.StreamEvent]) -> list[ir.StreamEvent]:
    """Generated call ids differ between runs; blank them for comparison."""
    out = []
    for e in events:
        if (
            isinstance(e, ir.BlockStart)
            and isinstance(e.part, ir.ToolCallPart)
            and e.part.id.startswith("call_")
            and len(e.part.id) == 29
        ):
            e = ir.BlockStart(
                e.index,
                ir.ToolCallPart(
                    "", e.part.name, e.part.arguments, e.part.kind, e.part.provider_data
                ),
            )
        out.append(e)
    return out


def test_recorded_text_stream_details() -> None:
    events = decode((OPENAI / "chat_text_stream.sse").read_bytes())
    start = events[0]
    assert start == ir.StreamStart(
        "chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL", "gpt-4o-2024-08-06", 1727346168
    )
    resp = aggregate(events)
    assert len(resp.content) == 1
    assert isinstance(resp.content[0], ir.TextPart)
    assert resp.content[0].text.startswith("I'm unable to provide real-time weather updates.")
    assert resp.stop_reason == "end_turn"
    assert resp.usage == ir.Usage(input_tokens=14, output_tokens=30, reasoning_tokens=0)
    # usage arrives after the finish chunk: StreamEnd waits for it
    kinds = [type(e).__name__ for e in events[-3:]]
    assert kinds == ["BlockStop", "UsageUpdate", "StreamEnd"]


def test_recorded_parallel_tool_calls_stream() -> None:
    resp = aggregate(decode((OPENAI / "chat_parallel_tool_calls_stream.sse").read_bytes()))
    calls = [p for p in resp.content if isinstance(p, ir.ToolCallPart)]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("GetWeatherArgs", {"city": "Edinburgh", "country": "GB", "units": "c"}),
        ("get_stock_price", {"ticker": "AAPL", "exchange": "NASDAQ"}),
    ]
    assert all(c.id.startswith("call_") for c in calls)
    assert resp.stop_reason == "tool_use"


def test_recorded_refusal_stream() -> None:
    resp = aggregate(decode((OPENAI / "chat_refusal_stream.sse").read_bytes()))
    assert resp.stop_reason == "refusal"
    assert len(resp.content) == 1
    part = resp.content[0]
    assert isinstance(part, ir.TextPart) and part.provider_data == {
        "openai_chat": {"refusal": True}
    }
    assert part.text == "I'm sorry, I can't assist with that request."


def test_recorded_n3_follows_choice_zero() -> None:
    raw = (OPENAI / "chat_n3_choices_stream.sse").read_bytes()
    reference = sdk_final(wire_events(raw))
    assert len(reference.choices) == 3
    resp = aggregate(decode(raw))
    assert len(resp.content) == 1
    assert isinstance(resp.content[0], ir.TextPart)
    assert resp.content[0].text == reference.choices[0].message.content


def test_recorded_moderation_chunk_after_usage_is_ignored() -> None:
    events = decode((OPENAI / "chat_gpt5_obfuscation_moderation_stream.sse").read_bytes())
    check_invariants(events)
    assert isinstance(events[-1], ir.StreamEnd)
    usages = [e for e in events if isinstance(e, ir.UsageUpdate)]
    assert len(usages) == 1 and usages[0].usage.input_tokens


def test_own_reasoning_interleaved_tools() -> None:
    events = decode((OWN / "stream_reasoning_interleaved_tools.sse").read_bytes())
    check_invariants(events)
    starts = [e for e in events if isinstance(e, ir.BlockStart)]
    assert [type(s.part).__name__ for s in starts] == [
        "ReasoningPart",
        "TextPart",
        "ToolCallPart",
        "ToolCallPart",
    ]
    # the second call's block opens while the first is still open (interleaved deltas)
    idx = {id(e): n for n, e in enumerate(events)}
    first_stop = next(e for e in events if isinstance(e, ir.BlockStop) and e.index == 2)
    assert idx[id(starts[3])] < idx[id(first_stop)]
    resp = aggregate(events)
    reasoning, text, paris, oslo = resp.content
    assert isinstance(reasoning, ir.ReasoningPart) and reasoning.text == "Two cities, two calls."
    assert isinstance(text, ir.TextPart) and text.text == "Checking both."
    assert isinstance(paris, ir.ToolCallPart) and (paris.id, paris.arguments) == (
        "call_p",
        '{"city":"Paris"}',
    )
    assert isinstance(oslo, ir.ToolCallPart) and (oslo.id, oslo.arguments) == (
        "call_o",
        '{"city":"Oslo"}',
    )
    assert resp.usage == ir.Usage(
        input_tokens=1200, output_tokens=300, cache_read_tokens=1024, reasoning_tokens=250
    )
    assert resp.stop_reason == "tool_use"


def test_error_mid_stream() -> None:
    events = decode((OWN / "stream_error_midstream.sse").read_bytes())
    check_invariants(events)
    err = events[-1]
    assert isinstance(err, ir.StreamError)
    assert (err.error.kind, err.error.status) == ("api_error", 500)
    assert "server had an error" in err.error.message
    assert not any(isinstance(e, ir.BlockStop) for e in events)  # nothing after the error
    text = "".join(e.text for e in events if isinstance(e, ir.BlockDelta))
    assert text == "Partial answer"


def test_truncated_stream_is_closed_by_finish() -> None:
    raw = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\n\n'
    events = decode(raw)
    check_invariants(events)
    assert events[-1] == ir.StreamEnd(stop_reason=None, usage=None)
    assert decode(b"") == [ir.StreamStart("", ""), ir.StreamEnd(None)]


def test_decoder_tolerates_oddities() -> None:
    dec = CODEC.stream_decoder()
    base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    out = dec.feed(WireEvent({**base, "choices": [], "obfuscation": "xx"}))
    assert out == [ir.StreamStart("c", "m", 1)]
    assert dec.feed(WireEvent("not json")) == []
    assert (
        dec.feed(WireEvent({**base, "choices": [{"index": 0, "delta": {"content": None}}]})) == []
    )
    # arguments before the name: buffered until the call can start; no index: the last call
    assert (
        dec.feed(
            WireEvent(
                {
                    **base,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {
                                "tool_calls": [{"index": 0, "function": {"arguments": '{"a"'}}]
                            },
                        }
                    ],
                }
            )
        )
        == []
    )
    out = dec.feed(
        WireEvent(
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "call_x",
                                    "function": {"name": "f", "arguments": ":1"},
                                }
                            ]
                        },
                    }
                ],
            }
        )
    )
    assert out == [
        ir.BlockStart(0, ir.ToolCallPart("call_x", "f")),
        ir.BlockDelta(0, arguments='{"a":1'),
    ]
    out = dec.feed(
        WireEvent(
            {
                **base,
                "choices": [
                    {"index": 0, "delta": {"tool_calls": [{"function": {"arguments": "}"}}]}}
                ],
            }
        )
    )
    assert out == [ir.BlockDelta(0, arguments="}")]
    out = dec.feed(
        WireEvent({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    )
    assert out == [ir.BlockStop(0)]
    out = dec.feed(WireEvent("[DONE]"))
    assert out == [ir.StreamEnd("tool_use")]
    assert dec.feed(WireEvent("[DONE]")) == [] and dec.finish() == []


def test_decoder_keeps_gemini_signature_on_tool_call() -> None:
    dec = CODEC.stream_decoder()
    base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gemini-2.5-pro"}
    frag = {
        "index": 0,
        "id": "call_g",
        "type": "function",
        "function": {"name": "f", "arguments": "{}"},
        "extra_content": {"google": {"thought_signature": "sig=="}},
    }
    out = dec.feed(WireEvent({**base, "choices": [{"index": 0, "delta": {"tool_calls": [frag]}}]}))
    start = out[1]
    assert isinstance(start, ir.BlockStart) and isinstance(start.part, ir.ToolCallPart)
    assert start.part.provider_data == {"gemini": {"thoughtSignature": "sig=="}}


# ----------------------------------------------------------------------------------------
# encoder judged by the SDK
# ----------------------------------------------------------------------------------------

SINGLE_CHOICE = [p for p in COMPLETE_STREAMS if p.name != "chat_n3_choices_stream.sse"]


@pytest.mark.parametrize("path", SINGLE_CHOICE, ids=lambda p: p.name)
def test_reencoded_stream_rebuilds_the_same_completion(path: Path) -> None:
    raw = path.read_bytes()
    events = decode(raw)
    resp = aggregate(events)
    wire = encode(sequential(resp), include_usage=True)
    ours = sdk_final(wire)
    assert summary(ours)["content"] == ir_summary(resp)["content"]
    assert summary(ours)["refusal"] == ir_summary(resp)["refusal"]
    assert summary(ours)["tool_calls"] == ir_summary(resp)["tool_calls"]
    assert summary(ours)["finish_reason"] == ir_summary(resp)["finish_reason"]
    assert ours.usage is not None
    assert ours.usage.prompt_tokens == (resp.usage.input_tokens or 0)
    assert ours.usage.completion_tokens == (resp.usage.output_tokens or 0)
    if path in RECORDED_STREAMS:
        # and it is what the SDK rebuilt from the original recording
        reference = summary(sdk_final(wire_events(raw)))
        for key in ("content", "refusal", "tool_calls", "finish_reason"):
            assert summary(ours)[key] == reference[key], key
    # and our own decoder reads our own stream back to the same response
    again = aggregate(
        decode(
            b"".join(
                encode_sse(e.data if isinstance(e.data, str) else json.dumps(e.data)) for e in wire
            )
        )
    )
    assert ir_summary(again) == ir_summary(resp)
    assert again.usage == _usage_as_emitted(resp.usage)


def _usage_as_emitted(u: ir.Usage) -> ir.Usage:
    return ir.Usage(
        u.input_tokens or 0,
        u.output_tokens or 0,
        u.cache_read_tokens,
        u.cache_creation_tokens,
        u.reasoning_tokens,
    )


def test_encoder_wire_shape() -> None:
    resp = ir.Response(
        id="msg_1",
        model="claude-x",
        created=1700000000,
        content=[
            ir.ReasoningPart("think", provider_data={"anthropic": {"signature": "s"}}),
            ir.TextPart("Hi"),
            ir.ToolCallPart("toolu_1", "f", '{"a":1}'),
            ir.ToolCallPart(
                "toolu_2", "g", '{"b":2}', provider_data={"gemini": {"thoughtSignature": "gs"}}
            ),
        ],
        stop_reason="tool_use",
        usage=ir.Usage(10, 5, cache_read_tokens=2, reasoning_tokens=1),
    )
    wire = encode(sequential(resp, chunk=100), model="alias", include_usage=True)
    chunks = [w.data for w in wire]
    assert chunks[-1] == "[DONE]"
    dicts = [c for c in chunks if isinstance(c, dict)]
    assert {(c["id"], c["created"], c["model"], c["object"]) for c in dicts} == {
        ("msg_1", 1700000000, "alias", "chat.completion.chunk")
    }
    assert dicts[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    deltas = [c["choices"][0]["delta"] for c in dicts[1:-2]]
    assert deltas == [
        {"reasoning_content": "think"},
        {"content": "Hi"},
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "f", "arguments": ""},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"a":1}'}}]},
        {
            "tool_calls": [
                {
                    "index": 1,
                    "id": "toolu_2",
                    "type": "function",
                    "function": {"name": "g", "arguments": ""},
                    "extra_content": {"google": {"thought_signature": "gs"}},
                }
            ]
        },
        {"tool_calls": [{"index": 1, "function": {"arguments": '{"b":2}'}}]},
    ]
    assert "signature" not in json.dumps(dicts).replace("thought_signature", "")
    finish = dicts[-2]
    assert finish["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "tool_calls",
    }
    usage_chunk = dicts[-1]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"] == {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "prompt_tokens_details": {"cached_tokens": 2},
        "completion_tokens_details": {"reasoning_tokens": 1},
    }
    final = sdk_final(wire)
    assert final.choices[0].message.model_extra is not None
    assert final.choices[0].message.model_extra.get("reasoning_content") == "think"
    assert [c.id for c in final.choices[0].message.tool_calls or []] == ["toolu_1", "toolu_2"]


def test_encoder_without_include_usage_has_no_usage_chunk() -> None:
    resp = ir.Response(
        id="x", model="m", content=[ir.TextPart("ok")], stop_reason="end_turn", usage=ir.Usage(1, 1)
    )
    wire = encode(sequential(resp))
    assert wire[-1].data == "[DONE]"
    assert all("usage" not in w.data for w in wire if isinstance(w.data, dict))
    assert all(w.data["choices"] for w in wire if isinstance(w.data, dict))


def test_encoder_error() -> None:
    events: list[ir.StreamEvent] = [
        ir.StreamStart("c", "m", 1),
        ir.BlockStart(0, ir.TextPart("")),
        ir.BlockDelta(0, text="par"),
        ir.StreamError(ir.ErrorInfo(529, "overloaded", "Overloaded")),
        ir.BlockDelta(0, text="ignored"),
    ]
    wire = encode(events, include_usage=True)
    assert wire[-2].data == {
        "error": {"message": "Overloaded", "type": "server_error", "param": None, "code": None}
    }
    assert wire[-1].data == "[DONE]"
    assert [w.data for w in wire].count("[DONE]") == 1
    # our decoder reads it back (Chat's in-stream error has no status: "server_error" → 500)
    back = decode(
        b"".join(
            encode_sse(w.data if isinstance(w.data, str) else json.dumps(w.data)) for w in wire
        )
    )
    assert isinstance(back[-1], ir.StreamError)
    assert (back[-1].error.kind, back[-1].error.message) == ("api_error", "Overloaded")


@pytest.mark.parametrize(
    "events",
    [
        [],
        [ir.StreamStart("c", "m", 1)],
        [
            ir.StreamStart("c", "m", 1),
            ir.BlockStart(0, ir.TextPart("")),
            ir.BlockDelta(0, text="cut"),
        ],
    ],
    ids=["nothing", "start-only", "mid-block"],
)
def test_encoder_finish_always_terminates(events: list[ir.StreamEvent]) -> None:
    wire = encode(events, include_usage=True)
    assert wire[-1].data == "[DONE]"
    assert [w.data for w in wire].count("[DONE]") == 1
    final = sdk_final(wire)
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None and final.usage.total_tokens == 0


def test_encoder_refusal_and_anthropic_refusal() -> None:
    chat_refusal = ir.Response(
        id="c",
        model="m",
        content=[ir.TextPart("No.", {"openai_chat": {"refusal": True}})],
        stop_reason="refusal",
    )
    final = sdk_final(encode(sequential(chat_refusal)))
    assert final.choices[0].message.refusal == "No." and final.choices[0].finish_reason == "stop"
    claude_refusal = ir.Response(
        id="c", model="m", content=[ir.TextPart("I won't.")], stop_reason="refusal"
    )
    final = sdk_final(encode(sequential(claude_refusal)))
    assert final.choices[0].message.content == "I won't."
    assert final.choices[0].finish_reason == "content_filter"


def test_encoder_uses_usage_update_when_end_has_none_and_end_usage_wins() -> None:
    base: list[ir.StreamEvent] = [ir.StreamStart("c", "m", 1), ir.UsageUpdate(ir.Usage(3, 4))]
    wire = encode([*base, ir.StreamEnd("end_turn")], include_usage=True)
    assert wire[-2].data["usage"]["total_tokens"] == 7  # type: ignore[index]
    wire = encode([*base, ir.StreamEnd("end_turn", usage=ir.Usage(5, 5))], include_usage=True)
    assert wire[-2].data["usage"]["total_tokens"] == 10  # type: ignore[index]
