"""Gemini stream decoder over every recorded stream and our own transcripts."""

from __future__ import annotations

import json
import random

import pytest

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import WireEvent
from gatewayctl.protocols.gemini import CODEC
from gatewayctl.protocols.gemini.stream import parse_json_path
from gatewayctl.protocols.sse import JsonStreamParser, SSEParser
from tests.protocols.test_gemini_support import (
    GEMINI_OWN,
    GEMINI_RECORDED,
    blocks,
    check_event_grammar,
    decode,
    exchange_segments,
    final_usage,
    json_array_bytes,
    parse_json_array,
    stream_payloads,
)

STREAMS = sorted(GEMINI_RECORDED.glob("*.sse")) + sorted(GEMINI_RECORDED.glob("*.chunks.jsonl"))


def _texts(payloads: list[dict], thought: bool) -> str:
    return "".join(
        p["text"]
        for chunk in payloads
        for cand in chunk.get("candidates", [])
        for p in cand.get("content", {}).get("parts", [])
        if "text" in p and bool(p.get("thought")) == thought
    )


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name)
def test_every_recorded_stream_decodes_to_a_valid_event_stream(path) -> None:
    payloads = stream_payloads(path)
    events = decode(payloads)
    check_event_grammar(events)
    built = blocks(events)
    text = "".join(
        b.text
        for b in built
        if isinstance(b, ir.TextPart) and not b.provider_data.get("gemini", {}).get("part")
    )
    assert text == _texts(payloads, thought=False)
    reasoning = "".join(b.text for b in built if isinstance(b, ir.ReasoningPart))
    assert reasoning == _texts(payloads, thought=True)


def test_text_stream_crlf() -> None:
    events = decode(stream_payloads(GEMINI_RECORDED / "text_stream.sse"))
    start = events[0]
    assert isinstance(start, ir.StreamStart) and start.model == "gemini-2.0-flash"
    [block] = blocks(events)
    assert block == ir.TextPart("The capital of Wyoming is **Cheyenne**.\n")
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "end_turn"
    assert end.usage == ir.Usage(input_tokens=7, output_tokens=10)


def test_thought_summary_then_answer() -> None:
    events = decode(stream_payloads(GEMINI_RECORDED / "thought_summary_stream.sse"))
    reasoning, text = blocks(events)
    assert isinstance(reasoning, ir.ReasoningPart)
    assert reasoning.text.startswith("**Exploring Sky Color**")
    assert isinstance(text, ir.TextPart) and text.text.startswith("The sky is blue because")
    assert final_usage(events) == ir.Usage(input_tokens=10, output_tokens=588, reasoning_tokens=540)


def test_thought_signature_on_function_call() -> None:
    path = GEMINI_RECORDED / "thought_summary_function_call_signature_stream.sse"
    payloads = stream_payloads(path)
    raw_sig = payloads[-1]["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
    events = decode(payloads)
    reasoning, call = blocks(events)
    assert isinstance(reasoning, ir.ReasoningPart) and "New Year" in reasoning.text
    assert isinstance(call, ir.ToolCallPart)
    assert (call.name, json.loads(call.arguments)) == ("now", {})
    assert call.provider_data == {"gemini": {"thoughtSignature": raw_sig}}
    assert call.id == "call_48SHaPHpHKbG-8YPtZCawAk_0"
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "tool_use"
    assert end.usage == ir.Usage(input_tokens=38, output_tokens=174, reasoning_tokens=168)


def test_gemini3_call_signature_then_empty_text() -> None:
    payloads = stream_payloads(
        GEMINI_RECORDED / "gemini3_function_call_thought_signature_stream.sse"
    )
    events = decode(payloads)
    [call] = blocks(events)  # the final empty text part opens no block
    assert isinstance(call, ir.ToolCallPart) and call.name == "get_country"
    sig = payloads[0]["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
    assert call.provider_data["gemini"]["thoughtSignature"] == sig
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "tool_use"
    assert end.usage == ir.Usage(input_tokens=29, output_tokens=212, reasoning_tokens=202)


def test_thinking_parts_merge_and_answer_signature() -> None:
    payloads = stream_payloads(GEMINI_RECORDED / "thinking_parts_stream.sse")
    events = decode(payloads)
    reasoning, text = blocks(events)
    assert isinstance(reasoning, ir.ReasoningPart) and reasoning.text.count("**") >= 8
    sig = payloads[4]["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
    assert text.provider_data == {"gemini": {"thoughtSignature": sig}}
    # the cumulative usage is reported as it grows, the last snapshot wins
    updates = [e.usage for e in events if isinstance(e, ir.UsageUpdate)]
    assert len(updates) > 10
    assert final_usage(events) == ir.Usage(
        input_tokens=34, output_tokens=1256, reasoning_tokens=787
    )


def test_vertex_text_with_signature_and_create_time() -> None:
    events = decode(stream_payloads(GEMINI_RECORDED / "vertex_text_stream.sse"))
    start = events[0]
    assert isinstance(start, ir.StreamStart) and start.created == 1774116715
    [text] = blocks(events)
    assert text.text == "OK" and "thoughtSignature" in text.provider_data["gemini"]
    assert final_usage(events) == ir.Usage(input_tokens=5, output_tokens=101, reasoning_tokens=100)


def test_vertex_parallel_partial_args_are_assembled_in_order() -> None:
    payloads = stream_payloads(GEMINI_RECORDED / "vertex_parallel_partial_args_stream.chunks.jsonl")
    events = decode(payloads)
    reasoning, *calls = blocks(events)
    assert isinstance(reasoning, ir.ReasoningPart)
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("read_theme", {}),
        ("read_screen", {"id": "A"}),
        ("read_screen", {"id": "B"}),
        ("read_screen", {"id": "C"}),
    ]
    assert len({c.id for c in calls}) == 4
    assert "thoughtSignature" in calls[0].provider_data["gemini"]
    assert all(not c.provider_data for c in calls[1:])
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "tool_use"
    assert end.usage == ir.Usage(input_tokens=249, output_tokens=241, reasoning_tokens=183)


def test_vertex_partial_function_args_exchange() -> None:
    status, segments = exchange_segments(
        GEMINI_RECORDED / "vertex_stream_partial_function_args.exchange.json"
    )
    assert status == 200
    events = decode(segments)
    check_event_grammar(events)
    [call] = blocks(events)
    assert isinstance(call, ir.ToolCallPart) and call.name == "getCurrentWeather"
    assert json.loads(call.arguments) == {
        "country": "USA",
        "location": "NewYorkCity",
        "purpose": "to know what to wear today",
        "unit": "C",
    }
    assert call.provider_data["gemini"]["thoughtSignature"].startswith("CiQB4/H/")
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "tool_use"
    assert end.usage == ir.Usage(input_tokens=36, output_tokens=126, reasoning_tokens=93)


def test_partial_args_nested_paths_numbers_and_split_strings() -> None:
    decoder = CODEC.stream_decoder()
    chunks = [
        {"functionCall": {"name": "plan", "willContinue": True}},
        {
            "functionCall": {
                "partialArgs": [
                    {"jsonPath": "$.trip.city", "stringValue": "San ", "willContinue": True}
                ],
                "willContinue": True,
            }
        },
        {
            "functionCall": {
                "partialArgs": [{"jsonPath": "$.trip.city", "stringValue": "Fran"}],
                "willContinue": True,
            }
        },
        {
            "functionCall": {
                "partialArgs": [
                    {"jsonPath": "$.trip.days[1]", "numberValue": 3},
                    {"jsonPath": "$.trip.days[0]", "numberValue": 2},
                ],
                "willContinue": True,
            }
        },
        {
            "functionCall": {
                "partialArgs": [
                    {"jsonPath": "$['a b']", "boolValue": True},
                    {"jsonPath": "$.note", "nullValue": "NULL_VALUE"},
                ]
            }
        },
    ]
    events = []
    for part in chunks:
        events += decoder.feed(
            WireEvent({"candidates": [{"content": {"role": "model", "parts": [part]}}]})
        )
    events += decoder.feed(
        WireEvent(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": "done"}]},
                        "finishReason": "STOP",
                    }
                ]
            }
        )
    )
    events += decoder.finish()
    check_event_grammar(events)
    call, text = blocks(events)
    assert json.loads(call.arguments) == {
        "trip": {"city": "San Fran", "days": [2, 3]},
        "a b": True,
        "note": None,
    }
    assert text.text == "done"


def test_json_path_parser() -> None:
    assert parse_json_path("$.foo.bar[0].data") == ("foo", "bar", 0, "data")
    assert parse_json_path("$['x.y'][\"z\"]") == ("x.y", "z")
    assert parse_json_path("$.unicodé") == ("unicodé",)


def test_code_execution_parts_become_opaque_blocks() -> None:
    events = decode(stream_payloads(GEMINI_RECORDED / "code_execution_stream.sse"))
    first, code, result, last = blocks(events)
    assert first.text.endswith("sum using a Python tool:\n\n")
    assert "executableCode" in code.provider_data["gemini"]["part"]
    assert "```python\nprime_numbers = [2, 3, 5, 7, 11]" in code.text
    assert "codeExecutionResult" in result.provider_data["gemini"]["part"]
    assert "is: 28" in result.text
    assert last.text == "The sum of the first 5 prime numbers is 28."
    # toolUsePromptTokenCount is input: 21 + 243
    assert final_usage(events) == ir.Usage(input_tokens=264, output_tokens=221, reasoning_tokens=95)


def test_url_context_and_grounding_usage() -> None:
    url = decode(stream_payloads(GEMINI_RECORDED / "url_context_stream.sse"))
    assert final_usage(url) == ir.Usage(input_tokens=1057, output_tokens=120, reasoning_tokens=39)
    search = decode(stream_payloads(GEMINI_RECORDED / "google_search_grounding_stream.sse"))
    assert final_usage(search) == ir.Usage(
        input_tokens=119, output_tokens=653, reasoning_tokens=412
    )
    citations = decode(stream_payloads(GEMINI_RECORDED / "citations_stream.sse"))
    [text] = blocks(citations)
    assert text.text.startswith("Okay, let's break down quantum mechanics.")
    assert text.text.endswith("Good luck on your learning journey!\n")


def test_recitation_and_blocked_prompt_are_content_filter() -> None:
    recitation = decode(stream_payloads(GEMINI_RECORDED / "recitation_stream.sse"))
    [text] = blocks(recitation)
    assert text.text == "".join(f"text{i}" for i in range(1, 9))
    assert recitation[-1] == ir.StreamEnd(
        stop_reason="content_filter", usage=ir.Usage(input_tokens=9, output_tokens=261)
    )
    blocked = decode(stream_payloads(GEMINI_RECORDED / "prompt_blocked_safety_stream.sse"))
    assert [type(e) for e in blocked] == [ir.StreamStart, ir.StreamEnd]
    assert blocked[-1] == ir.StreamEnd(stop_reason="content_filter")


def test_empty_parts_chunk_and_output_image() -> None:
    events = decode(stream_payloads(GEMINI_RECORDED / "empty_parts_image_stream.sse"))
    text, image = blocks(events)
    assert text.text == "Here's a cute cartoon kitten playing with a ball of yarn for you! "
    inline = image.provider_data["gemini"]["part"]["inlineData"]
    assert inline["mimeType"] == "image/png" and image.text == ""


def test_gemini3_builtin_tool_parts() -> None:
    payloads = stream_payloads(GEMINI_RECORDED / "gemini3_builtin_tool_call_response_stream.sse")
    events = decode(payloads)
    call, response, text = blocks(events)
    assert "toolCall" in call.provider_data["gemini"]["part"]
    assert "toolResponse" in response.provider_data["gemini"]["part"]
    assert text.text.startswith("The capital of France is **Paris**.")
    final_sig = payloads[-1]["candidates"][0]["content"]["parts"][0]["thoughtSignature"]
    assert text.provider_data == {"gemini": {"thoughtSignature": final_sig}}
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "end_turn"


def test_404_stream_exchange_is_an_error() -> None:
    status, segments = exchange_segments(
        GEMINI_RECORDED / "stream_404_model_not_found.exchange.json"
    )
    assert status == 404
    info = CODEC.parse_error(status, json.dumps(segments[0]).encode())
    assert (info.status, info.kind) == (404, "not_found")
    assert "custom-gemini-2.0-flash is not found" in info.message
    # the same object arriving as a stream chunk after a 200
    events = decode(segments)
    # no StreamStart is invented in front of an error that is the first event
    assert len(events) == 1
    assert isinstance(events[0], ir.StreamError) and events[0].error.kind == "not_found"


def test_error_midstream_keeps_what_came_before() -> None:
    payloads = stream_payloads(GEMINI_OWN / "streams" / "parallel_calls_error_midstream.sse")
    events = decode(payloads)
    check_event_grammar(events)
    reasoning, text, paris, tokyo = blocks(events)
    assert reasoning.text.startswith("**Choosing tools**")
    assert text.text == "Checking the weather in both cities."
    assert text.provider_data == {"gemini": {"thoughtSignature": "c2lnLXRleHQ="}}
    assert json.loads(paris.arguments) == {"city": "Paris"}
    assert paris.provider_data == {"gemini": {"thoughtSignature": "c2lnLWNhbGw="}}
    assert json.loads(tokyo.arguments) == {"city": "Tōkyō", "when": {"days": [1, 2]}}
    assert paris.id != tokyo.id
    err = events[-1]
    assert isinstance(err, ir.StreamError)
    assert (err.error.status, err.error.kind, err.error.retry_after_s) == (429, "rate_limit", 27.0)


def test_cached_tokens_and_max_tokens() -> None:
    events = decode(stream_payloads(GEMINI_OWN / "streams" / "cached_usage_stream.sse"))
    end = events[-1]
    assert isinstance(end, ir.StreamEnd) and end.stop_reason == "max_tokens"
    assert end.usage == ir.Usage(
        input_tokens=2100, output_tokens=129, cache_read_tokens=2048, reasoning_tokens=120
    )


def test_truncated_stream_still_ends_and_ignores_noise() -> None:
    decoder = CODEC.stream_decoder()
    events = decoder.feed(WireEvent("keep-alive"))
    events += decoder.feed(
        WireEvent(
            {
                "candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}}],
                "responseId": "r",
            }
        )
    )
    events += decoder.feed(WireEvent({"unknownThing": 1}))
    events += decoder.finish()
    check_event_grammar(events)
    assert events[-1] == ir.StreamEnd(stop_reason=None)
    assert decoder.finish() == [] and decoder.feed(WireEvent({"candidates": []})) == []


def test_empty_upstream_stream() -> None:
    events = CODEC.stream_decoder().finish()
    assert [type(e) for e in events] == [ir.StreamStart, ir.StreamEnd]


# -- framing: any split of the bytes gives the same IR events -------------------------------

OWN_SSE = sorted((GEMINI_OWN / "streams").glob("*.sse"))


def _decode_bytes(chunks: list[bytes]) -> list[ir.StreamEvent]:
    parser = SSEParser()
    decoder = CODEC.stream_decoder()
    events: list[ir.StreamEvent] = []
    for chunk in chunks:
        for sse in parser.feed(chunk):
            events += decoder.feed(WireEvent(json.loads(sse.data)))
    for sse in parser.close():
        events += decoder.feed(WireEvent(json.loads(sse.data)))
    return events + decoder.finish()


@pytest.mark.parametrize("path", OWN_SSE, ids=lambda p: p.name)
def test_own_transcripts_any_split_same_events(path) -> None:
    raw = path.read_bytes()
    whole = _decode_bytes([raw])
    assert _decode_bytes([raw[i : i + 1] for i in range(len(raw))]) == whole
    for cut in range(1, len(raw)):
        assert _decode_bytes([raw[:cut], raw[cut:]]) == whole, cut


def test_json_array_framing_any_split() -> None:
    payloads = stream_payloads(
        GEMINI_RECORDED / "thought_summary_function_call_signature_stream.sse"
    )
    raw = json_array_bytes([WireEvent(p) for p in payloads])
    assert parse_json_array(raw) == payloads
    rng = random.Random(4)
    for cut in rng.sample(range(1, len(raw)), 300):
        parser = JsonStreamParser()
        assert parser.feed(raw[:cut]) + parser.feed(raw[cut:]) + parser.close() == payloads


def test_other_candidates_are_ignored_in_streams() -> None:
    decoder = CODEC.stream_decoder()
    events = decoder.feed(
        WireEvent(
            {"candidates": [{"index": 1, "content": {"role": "model", "parts": [{"text": "B"}]}}]}
        )
    )
    events += decoder.feed(
        WireEvent(
            {
                "candidates": [
                    {
                        "index": 0,
                        "content": {"role": "model", "parts": [{"text": "A"}]},
                        "finishReason": "STOP",
                    },
                    {
                        "index": 1,
                        "content": {"role": "model", "parts": [{"text": "b"}]},
                        "finishReason": "MAX_TOKENS",
                    },
                ]
            }
        )
    )
    events += decoder.finish()
    assert [b.text for b in blocks(events)] == ["A"]
    assert events[-1] == ir.StreamEnd(stop_reason="end_turn")
