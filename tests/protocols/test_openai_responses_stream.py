"""Responses streams: the decoder over every recorded and hand-written transcript, the
encoder judged by the SDK's own ``ResponseStreamState``, and the edge cases (errors mid-stream,
truncation, Codex's empty ``response.completed.output``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions, WireEvent
from gatewayctl.protocols.openai_responses import CODEC
from gatewayctl.protocols.sse import SSEParser
from tests.protocols.test_openai_responses_support import (
    OPENAI,
    OWN,
    aggregate,
    check_ir_stream,
    decode,
    encode,
    final_response,
    sdk_judge,
    wire_events,
)

FAMILY = "openai_responses"

RECORDED_STREAMS = sorted(p.name for p in OPENAI.glob("responses_*_stream.sse"))
OWN_STREAMS = sorted(p.name for p in OWN.glob("stream_*.sse"))
ALL_STREAMS = [OPENAI / n for n in RECORDED_STREAMS] + [OWN / n for n in OWN_STREAMS]
COMPLETED_STREAMS = [p for p in ALL_STREAMS if p.name not in ("stream_error_midstream.sse",)]


def _terminal(path: Path) -> dict[str, Any]:
    return wire_events(path)[-1].data  # type: ignore[return-value]


def _strip_encrypted(parts: list[ir.Part]) -> list[ir.Part]:
    out = copy.deepcopy(parts)
    for part in out:
        part.provider_data.get(FAMILY, {}).pop("encrypted_content", None)
    return out


def _usage_counts(usage: ir.Usage | None) -> tuple[int, ...]:
    """Usage as numbers (an unreported count and 0 are the same on the Responses wire, which
    always carries every field)."""
    u = usage or ir.Usage()
    fields = (
        u.input_tokens,
        u.output_tokens,
        u.cache_read_tokens,
        u.cache_creation_tokens,
        u.reasoning_tokens,
    )
    return tuple(v or 0 for v in fields)


def _done_items(path: Path) -> list[dict[str, Any]]:
    return [
        e.data["item"]
        for e in wire_events(path)
        if isinstance(e.data, dict) and e.data.get("type") == "response.output_item.done"
    ]


# --------------------------------------------------------------------------------------
# Decoder
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_STREAMS, ids=lambda p: p.name)
def test_decoded_streams_keep_the_ir_contract(path: Path) -> None:
    check_ir_stream(decode(wire_events(path)))


@pytest.mark.parametrize("path", COMPLETED_STREAMS, ids=lambda p: p.name)
def test_decoded_stream_matches_the_final_response_object(path: Path) -> None:
    """What the deltas built equals what ``response.completed`` says (when it says it)."""
    events = decode(wire_events(path))
    end = events[-1]
    assert isinstance(end, ir.StreamEnd)
    final = CODEC.parse_response(_terminal(path)["response"])
    if final.content:  # Codex-style terminal events carry no output
        assert _strip_encrypted(aggregate(events)) == _strip_encrypted(final.content)
        assert end.stop_reason == final.stop_reason
    assert end.usage == final.usage


@pytest.mark.parametrize("path", COMPLETED_STREAMS, ids=lambda p: p.name)
def test_reasoning_keeps_the_encrypted_content_of_output_item_done(path: Path) -> None:
    parts = aggregate(decode(wire_events(path)))
    reasoning = [p for p in parts if isinstance(p, ir.ReasoningPart)]
    done = [i for i in _done_items(path) if i["type"] == "reasoning"]
    assert len(reasoning) == len(done)
    for part, item in zip(reasoning, done, strict=True):
        assert part.provider_data[FAMILY]["id"] == item["id"]
        assert part.provider_data[FAMILY].get("encrypted_content") == item.get("encrypted_content")


def test_recorded_function_call_stream() -> None:
    events = decode(wire_events(OPENAI / "responses_function_call_stream.sse"))
    parts = aggregate(events)
    assert len(parts) == 1 and isinstance(parts[0], ir.ToolCallPart)
    call = parts[0]
    assert (call.id, call.name, call.arguments) == (
        "call_kL0PCQV7M2WMoVX8V8OtYSAL",
        "get_capital",
        '{"country":"France"}',
    )
    assert call.provider_data[FAMILY]["id"] == "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2"
    # five argument fragments, in order, each its own delta
    fragments = [e.arguments for e in events if isinstance(e, ir.BlockDelta) and e.arguments]
    assert fragments == ['{"', "country", '":"', "France", '"}']
    assert isinstance(events[-1], ir.StreamEnd) and events[-1].stop_reason == "tool_use"


def test_recorded_reasoning_summary_and_hosted_tools() -> None:
    path = OPENAI / "responses_reasoning_summary_code_interpreter_stream.sse"
    parts = aggregate(decode(wire_events(path)))
    kinds = [type(p).__name__ for p in parts]
    assert kinds == ["ReasoningPart", "TextPart"]  # three code_interpreter_call items skipped
    assert parts[0].text.startswith("**Calculating a large integer**\n\nI need to compute")
    assert parts[1].text.startswith("123456^123 equals:\n18030210630404480750")
    end = decode(wire_events(path))[-1]
    assert isinstance(end, ir.StreamEnd)
    assert end.usage == ir.Usage(3727, 347, cache_read_tokens=3200, reasoning_tokens=128)


def test_recorded_phase_and_annotations() -> None:
    parts = aggregate(
        decode(wire_events(OPENAI / "responses_phase_text_then_function_call_stream.sse"))
    )
    assert parts[1].provider_data[FAMILY]["phase"] == "commentary"
    parts = aggregate(decode(wire_events(OPENAI / "responses_web_search_annotations_stream.sse")))
    notes = parts[0].provider_data[FAMILY]["annotations"]
    assert notes[0]["type"] == "url_citation" and notes[0]["start_index"] == 94


def test_recorded_error_event_then_failed() -> None:
    events = decode(wire_events(OPENAI / "responses_error_event_failed.chunks.jsonl"))
    assert [type(e).__name__ for e in events] == ["StreamStart", "StreamError"]
    error = events[1]
    assert isinstance(error, ir.StreamError)
    assert (error.error.kind, error.error.status, error.error.code) == (
        "rate_limit",
        429,
        "insufficient_quota",
    )
    assert error.error.message.startswith("You exceeded your current quota")


def test_own_parallel_calls_stream() -> None:
    events = decode(wire_events(OWN / "stream_reasoning_parallel_calls.sse"))
    reasoning, text, zrh, rom = aggregate(events)
    assert isinstance(reasoning, ir.ReasoningPart)
    assert (
        reasoning.text
        == "**Planning**\n\nTwo cities need two calls.\n\n**Calling**\n\nCall both at once."
    )
    assert reasoning.provider_data[FAMILY]["encrypted_content"] == "gAAAAAB_final_ENC"
    assert isinstance(text, ir.TextPart) and text.text == "Checking Zürich and Rome — one moment."
    assert isinstance(zrh, ir.ToolCallPart) and isinstance(rom, ir.ToolCallPart)
    assert [(c.id, c.arguments) for c in (zrh, rom)] == [
        ("call_ZRH", '{"city":"Zürich","unit":"c"}'),
        ("call_ROM", '{"city":"Rome","unit":"c"}'),
    ]
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "tool_use"
    assert end.usage == ir.Usage(2048, 180, cache_read_tokens=1536, reasoning_tokens=128)
    assert any(isinstance(e, ir.UsageUpdate) for e in events)


def test_own_error_midstream() -> None:
    events = decode(wire_events(OWN / "stream_error_midstream.sse"))
    text = aggregate(events)[0]
    assert isinstance(text, ir.TextPart) and text.text == "Hello, wor"
    error = events[-1]
    assert isinstance(error, ir.StreamError)
    assert (error.error.kind, error.error.status) == ("api_error", 500)
    assert sum(isinstance(e, ir.StreamError) for e in events) == 1  # response.failed ignored


def test_codex_empty_completed_output_rebuilds_from_items() -> None:
    events = decode(wire_events(OWN / "stream_codex_empty_completed.sse"))
    reasoning, patch = aggregate(events)
    assert isinstance(reasoning, ir.ReasoningPart) and reasoning.text == ""
    assert reasoning.provider_data[FAMILY]["encrypted_content"] == "gAAAAAB_codex_enc"
    assert isinstance(patch, ir.ToolCallPart) and patch.kind == "custom"
    assert patch.arguments.endswith("*** End Patch\n")
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "tool_use"
    assert end.usage is not None and end.usage.cache_read_tokens == 8192


def test_incomplete_and_refusal_streams() -> None:
    end = decode(wire_events(OWN / "stream_incomplete_max_tokens.sse"))[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "max_tokens"
    events = decode(wire_events(OWN / "stream_refusal.sse"))
    part = aggregate(events)[0]
    assert isinstance(part, ir.TextPart) and part.text == "I can't help with that."
    assert part.provider_data[FAMILY]["refusal"] is True
    assert isinstance(events[-1], ir.StreamEnd) and events[-1].stop_reason == "refusal"


def test_truncated_stream_is_closed_by_finish() -> None:
    wires = wire_events(OWN / "stream_reasoning_parallel_calls.sse")
    cut = next(
        i
        for i, w in enumerate(wires)
        if isinstance(w.data, dict) and w.data.get("item_id") == "fc_68d1a0f1"
    )
    events = decode(wires[: cut + 2])  # two argument fragments of the first call, then EOF
    check_ir_stream(events)
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "tool_use"
    call = aggregate(events)[-1]
    assert isinstance(call, ir.ToolCallPart) and call.arguments == '{"city":"'


def test_stream_without_any_event_is_an_error() -> None:
    events = decode([])
    assert [type(e).__name__ for e in events] == ["StreamError"]  # no start is invented


def test_decoder_tolerates_noise_and_missing_lifecycle() -> None:
    item = {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": ""}
    wires = [
        WireEvent({"type": "response.output_item.added", "output_index": 0, "item": item}),
        WireEvent({"type": "response.keepalive"}),
        WireEvent({"type": "response.web_search_call.searching", "output_index": 5}),
        WireEvent(
            {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": '{"a":'}
        ),
        WireEvent(
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {**item, "arguments": '{"a":1}'},
            }
        ),
        WireEvent(
            {
                "type": "response.output_item.done",
                "output_index": 1,
                "item": {
                    "type": "message",
                    "id": "m1",
                    "content": [{"type": "output_text", "text": "done-only"}],
                },
            }
        ),
        WireEvent("[DONE]"),
    ]
    events = decode(wires)
    check_ir_stream(events)
    call, text = aggregate(events)
    assert isinstance(call, ir.ToolCallPart) and call.arguments == '{"a":1}'
    assert isinstance(text, ir.TextPart) and text.text == "done-only"
    decoder = CODEC.stream_decoder()
    for w in wire_events(OWN / "stream_refusal.sse"):
        decoder.feed(w)
    assert decoder.feed(WireEvent({"type": "response.output_text.delta", "delta": "late"})) == []
    assert decoder.finish() == []


@pytest.mark.parametrize(
    "name", ["stream_error_midstream.sse", "stream_refusal.sse", "stream_incomplete_max_tokens.sse"]
)
def test_any_byte_split_gives_the_same_events(name: str) -> None:
    raw = (OWN / name).read_bytes()
    parser = SSEParser()
    whole = parser.feed(raw) + parser.close()
    for cut in range(1, len(raw)):
        p = SSEParser()
        assert p.feed(raw[:cut]) + p.feed(raw[cut:]) + p.close() == whole


def test_byte_at_a_time_multibyte_transcript_decodes_the_same() -> None:
    raw = (OWN / "stream_reasoning_parallel_calls.sse").read_bytes()
    parser = SSEParser()
    events = []
    for i in range(len(raw)):
        events.extend(parser.feed(raw[i : i + 1]))
    events.extend(parser.close())
    wires = [WireEvent(e.json(), e.event) for e in events if not e.comment]
    assert aggregate(decode(wires)) == aggregate(
        decode(wire_events(OWN / "stream_reasoning_parallel_calls.sse"))
    )


# --------------------------------------------------------------------------------------
# Encoder, judged by the SDK
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", COMPLETED_STREAMS, ids=lambda p: p.name)
def test_reencoded_streams_rebuild_in_the_sdk(path: Path) -> None:
    ir_events = decode(wire_events(path))
    parts = aggregate(copy.deepcopy(ir_events))
    end = ir_events[-1]
    assert isinstance(end, ir.StreamEnd)
    wires = encode(copy.deepcopy(ir_events), EncoderOptions(model="gw/alias"))
    state, _ = sdk_judge(wires)
    terminal = wires[-1].data
    assert isinstance(terminal, dict)
    if end.stop_reason in ("max_tokens", "content_filter"):
        assert terminal["type"] == "response.incomplete"
        return
    response = final_response(state)
    assert response.model == "gw/alias"
    assert response.id.startswith("resp_")
    texts = [
        p.text
        for p in parts
        if isinstance(p, ir.TextPart) and not p.provider_data.get(FAMILY, {}).get("refusal")
    ]
    assert response.output_text == "".join(texts)
    calls = [
        (p.id, p.name, p.arguments)
        for p in parts
        if isinstance(p, ir.ToolCallPart) and p.kind == "function"
    ]
    got = [(o.call_id, o.name, o.arguments) for o in response.output if o.type == "function_call"]
    assert got == calls
    customs = [
        (p.id, p.arguments) for p in parts if isinstance(p, ir.ToolCallPart) and p.kind == "custom"
    ]
    assert [
        (o.call_id, o.input) for o in response.output if o.type == "custom_tool_call"
    ] == customs
    reasoning = [p for p in parts if isinstance(p, ir.ReasoningPart)]
    got_reasoning = [o for o in response.output if o.type == "reasoning"]
    assert [o.encrypted_content for o in got_reasoning] == [
        p.provider_data[FAMILY].get("encrypted_content") for p in reasoning
    ]
    assert ["\n\n".join(s.text for s in o.summary) for o in got_reasoning] == [
        p.text for p in reasoning
    ]
    assert response.usage is not None and end.usage is not None
    assert response.usage.input_tokens == end.usage.input_tokens
    assert response.usage.output_tokens == end.usage.output_tokens
    assert response.usage.input_tokens_details.cached_tokens == (end.usage.cache_read_tokens or 0)
    assert response.usage.output_tokens_details.reasoning_tokens == (
        end.usage.reasoning_tokens or 0
    )


@pytest.mark.parametrize("path", ALL_STREAMS, ids=lambda p: p.name)
def test_decode_encode_decode_is_stable(path: Path) -> None:
    first = decode(wire_events(path))
    second = decode(encode(copy.deepcopy(first)))
    assert aggregate(second) == aggregate(first)
    assert type(second[-1]) is type(first[-1])
    if isinstance(first[-1], ir.StreamEnd) and isinstance(second[-1], ir.StreamEnd):
        assert second[-1].stop_reason == first[-1].stop_reason
        assert _usage_counts(second[-1].usage) == _usage_counts(first[-1].usage)


def _anthropic_like_stream() -> list[ir.StreamEvent]:
    """What an Anthropic upstream decodes into: thinking with a signature delta, text, two
    tool calls with streamed argument fragments, usage at the end."""
    return [
        ir.StreamStart(id="msg_01ABC", model="claude-sonnet-4-5", usage=ir.Usage(input_tokens=50)),
        ir.BlockStart(0, ir.ReasoningPart()),
        ir.BlockDelta(0, text="Two lookups "),
        ir.BlockDelta(0, text="needed."),
        ir.BlockDelta(0, provider_data={"anthropic": {"signature": "EqQBCkYIBxgCKkA"}}),
        ir.BlockStop(0),
        ir.BlockStart(1, ir.TextPart("")),
        ir.BlockDelta(1, text="Looking up "),
        ir.BlockDelta(1, text="both."),
        ir.BlockStop(1),
        ir.BlockStart(2, ir.ToolCallPart("toolu_01", "get_weather")),
        ir.BlockDelta(2, arguments=""),
        ir.BlockDelta(2, arguments='{"city": "Pa'),
        ir.BlockDelta(2, arguments='ris"}'),
        ir.BlockStop(2),
        ir.BlockStart(3, ir.ToolCallPart("toolu_02", "get_time")),
        ir.BlockStop(3),
        ir.UsageUpdate(ir.Usage(input_tokens=50, output_tokens=10)),
        ir.StreamEnd(
            "tool_use", usage=ir.Usage(70, 40, cache_read_tokens=20, cache_creation_tokens=0)
        ),
    ]


def test_foreign_stream_encodes_the_full_event_sequence() -> None:
    wires = encode(_anthropic_like_stream(), EncoderOptions(model="claude-sonnet-4-5"))
    types = [w.data["type"] for w in wires if isinstance(w.data, dict)]
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    state, _ = sdk_judge(wires)
    response = final_response(state)
    assert response.id == "resp_msg_01ABC"
    assert response.output_text == "Looking up both."
    reasoning = response.output[0]
    assert reasoning.type == "reasoning" and reasoning.id.startswith("rs_")
    assert reasoning.encrypted_content is None  # an Anthropic signature is not ours to carry
    assert [s.text for s in reasoning.summary] == ["Two lookups needed."]
    calls = [o for o in response.output if o.type == "function_call"]
    assert [(c.call_id, c.name, c.arguments) for c in calls] == [
        ("toolu_01", "get_weather", '{"city": "Paris"}'),
        ("toolu_02", "get_time", "{}"),
    ]
    assert all(c.id is not None and c.id.startswith("fc_") for c in calls)
    assert response.output[1].type == "message" and response.output[1].id.startswith("msg_")
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (70, 40)
    assert response.usage.input_tokens_details.cached_tokens == 20


def test_indexes_are_consistent_across_events() -> None:
    wires = encode(_anthropic_like_stream())
    items: dict[int, str] = {}
    for w in wires:
        data = w.data
        assert isinstance(data, dict)
        if data["type"] == "response.output_item.added":
            assert data["output_index"] == len(items)
            items[data["output_index"]] = data["item"]["id"]
        elif "item_id" in data:
            assert items[data["output_index"]] == data["item_id"]
        elif data["type"] == "response.output_item.done":
            assert items[data["output_index"]] == data["item"]["id"]
    done = [
        w.data for w in wires if isinstance(w.data, dict) and w.data["type"] == "response.completed"
    ]
    assert [o["id"] for o in done[0]["response"]["output"]] == list(items.values())


def test_error_mid_stream_becomes_error_then_failed() -> None:
    events: list[ir.StreamEvent] = [
        ir.StreamStart(id="chatcmpl-1", model="gpt-4o"),
        ir.BlockStart(0, ir.TextPart("")),
        ir.BlockDelta(0, text="Hel"),
        ir.StreamError(ir.ErrorInfo(529, "overloaded", "Overloaded", code=None)),
        ir.BlockDelta(0, text="ignored"),
    ]
    wires = encode(events)
    state, parsed = sdk_judge(wires)
    assert [w.data["type"] for w in wires[-2:] if isinstance(w.data, dict)] == [
        "error",
        "response.failed",
    ]
    error = wires[-2].data
    assert isinstance(error, dict) and error["message"] == "Overloaded"
    failed = parsed[-1]
    assert failed.type == "response.failed"
    assert failed.response.status == "failed" and failed.response.error.code == "server_error"
    assert state._completed_response is None


def test_upstream_error_code_kept_in_error_event() -> None:
    wires = encode(decode(wire_events(OPENAI / "responses_error_event_failed.chunks.jsonl")))
    sdk_judge(wires)
    error, failed = wires[-2].data, wires[-1].data
    assert isinstance(error, dict) and isinstance(failed, dict)
    assert error["code"] == "insufficient_quota"
    assert failed["response"]["error"]["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize(
    ("stop", "terminal", "reason"),
    [
        ("max_tokens", "response.incomplete", "max_output_tokens"),
        ("content_filter", "response.incomplete", "content_filter"),
        ("end_turn", "response.completed", None),
        ("refusal", "response.completed", None),
        ("error", "response.failed", None),
        (None, "response.completed", None),
    ],
)
def test_stop_reason_picks_the_terminal_event(
    stop: ir.StopReason | None, terminal: str, reason: str | None
) -> None:
    events: list[ir.StreamEvent] = [
        ir.StreamStart(id="x", model="m"),
        ir.BlockStart(0, ir.TextPart("")),
        ir.BlockDelta(0, text="partial"),
        ir.BlockStop(0),
        ir.StreamEnd(stop, usage=ir.Usage(5, 3)),
    ]
    wires = encode(events)
    sdk_judge(wires)
    last = wires[-1].data
    assert isinstance(last, dict) and last["type"] == terminal
    details = last["response"]["incomplete_details"]
    assert (details or {}).get("reason") == reason
    assert last["response"]["output"][0]["content"][0]["text"] == "partial"


def test_finish_terminates_an_unfinished_stream_once() -> None:
    encoder = CODEC.stream_encoder(EncoderOptions())
    out = encoder.feed(ir.StreamStart(id="", model="m"))
    out += encoder.feed(ir.BlockStart(0, ir.ToolCallPart("c1", "f")))
    out += encoder.feed(ir.BlockDelta(0, arguments='{"x"'))
    out += encoder.finish()
    assert [w.data["type"] for w in out[-2:] if isinstance(w.data, dict)] == [
        "error",
        "response.failed",
    ]
    sdk_judge(out)
    assert encoder.finish() == [] and encoder.feed(ir.StreamEnd("end_turn")) == []


def test_usage_known_at_start_fills_what_the_end_leaves_out() -> None:
    events: list[ir.StreamEvent] = [
        ir.StreamStart(
            id="msg_1", model="claude", usage=ir.Usage(input_tokens=321, cache_read_tokens=300)
        ),
        ir.BlockStart(0, ir.TextPart("")),
        ir.BlockDelta(0, text="ok"),
        ir.BlockStop(0),
        ir.StreamEnd("end_turn", usage=ir.Usage(output_tokens=9)),
    ]
    state, _ = sdk_judge(encode(events))
    usage = final_response(state).usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (321, 9, 330)
    assert usage.input_tokens_details.cached_tokens == 300


def test_stream_without_start_event_still_opens_with_created() -> None:
    wires = encode(
        [
            ir.BlockStart(0, ir.TextPart("")),
            ir.BlockDelta(0, text="hi"),
            ir.BlockStop(0),
            ir.StreamEnd("end_turn"),
        ]
    )
    state, _ = sdk_judge(wires)
    assert final_response(state).output_text == "hi"


def test_request_echo_in_created_and_completed() -> None:
    request = CODEC.parse_request(json.loads((OWN / "request_multimodal_tools.json").read_text()))
    wires = encode(
        [ir.StreamStart(id="resp_9", model="gpt-5"), ir.StreamEnd("end_turn")],
        EncoderOptions(request=request),
    )
    created = wires[0].data
    assert isinstance(created, dict)
    assert created["response"]["instructions"] == "You are terse."
    assert created["response"]["tools"][0]["name"] == "get_weather"
    assert created["response"]["status"] == "in_progress" and created["response"]["usage"] is None
    state, _ = sdk_judge(wires)
    assert final_response(state).id == "resp_9"


def test_custom_tool_call_and_reasoning_text_blocks() -> None:
    events: list[ir.StreamEvent] = [
        ir.StreamStart(id="resp_c", model="gpt-oss"),
        ir.BlockStart(0, ir.ReasoningPart(provider_data={FAMILY: {"id": "rs_c", "summary": True}})),
        ir.BlockDelta(0, provider_data={FAMILY: {"summary": False}}),
        ir.BlockDelta(0, text="raw chain of thought"),
        ir.BlockStop(0),
        ir.BlockStart(1, ir.ToolCallPart("call_p", "apply_patch", kind="custom")),
        ir.BlockDelta(1, arguments="*** Begin Patch\n"),
        ir.BlockDelta(1, arguments="*** End Patch\n"),
        ir.BlockStop(1),
        ir.StreamEnd("tool_use"),
    ]
    wires = encode(events)
    types = [w.data["type"] for w in wires if isinstance(w.data, dict)]
    assert (
        "response.reasoning_text.delta" in types and "response.custom_tool_call_input.done" in types
    )
    state, _ = sdk_judge(wires)
    response = final_response(state)
    reasoning = response.output[0]
    assert reasoning.type == "reasoning" and reasoning.id == "rs_c"
    assert reasoning.content is not None and reasoning.content[0].text == "raw chain of thought"
    custom = response.output[1]
    assert custom.type == "custom_tool_call" and custom.input == "*** Begin Patch\n*** End Patch\n"
    again = aggregate(decode(wires))
    assert again[0].provider_data[FAMILY]["summary"] is False
    assert again[0].text == "raw chain of thought"
