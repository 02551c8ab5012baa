"""Real codecs through the StreamTranslator: keep-alives, failures mid-stream, errors first."""

from __future__ import annotations

import json

import pytest

from gatewayctl.protocols import ir
from gatewayctl.protocols.base import EncoderOptions
from gatewayctl.protocols.sse import SSEParser
from gatewayctl.translate.streaming import StreamTranslator
from tests.conftest import RECORDED
from tests.translate.judges import STREAM_JUDGES

PROTOCOLS = ["openai_chat", "openai_responses", "anthropic", "gemini"]
TEXT_STREAMS = {
    "anthropic": RECORDED / "anthropic" / "text_stream.sse",
    "openai_chat": RECORDED / "openai" / "chat_text_stream.sse",
    "openai_responses": RECORDED / "openai" / "responses_text_stream.sse",
    "gemini": RECORDED / "gemini" / "text_stream.sse",
}
OPTIONS = EncoderOptions(model="m", include_usage=True)


def comments(raw: bytes) -> list[str]:
    parser = SSEParser()
    return [e.data for e in parser.feed(raw) + parser.close() if e.comment]


def test_anthropic_pings_become_comments_for_openai_clients_only() -> None:
    raw = TEXT_STREAMS["anthropic"].read_bytes()
    assert b"event: ping" in raw
    to_chat = StreamTranslator("anthropic", "openai_chat", OPTIONS, strict=True)
    out = to_chat.feed(raw) + to_chat.close()
    assert comments(out) == ["ping"]
    to_gemini = StreamTranslator("anthropic", "gemini", OPTIONS, strict=True)
    out = to_gemini.feed(raw) + to_gemini.close()
    assert comments(out) == []
    assert not any(line.startswith(b":") for line in out.splitlines())


def test_heartbeat() -> None:
    tr = StreamTranslator("gemini", "anthropic", OPTIONS, strict=True)
    assert tr.heartbeat() == b": keep-alive\n\n"
    assert StreamTranslator("anthropic", "gemini", OPTIONS).heartbeat() == b""
    assert StreamTranslator("anthropic", "GeminiNDJson", OPTIONS).heartbeat() == b""
    tr.close()
    assert tr.heartbeat() == b""


@pytest.mark.parametrize("dst", PROTOCOLS)
@pytest.mark.parametrize("src", PROTOCOLS)
def test_transport_failure_mid_stream(src: str, dst: str) -> None:
    raw = TEXT_STREAMS[src].read_bytes()
    tr = StreamTranslator(src, dst, OPTIONS, strict=True)
    out = tr.feed(raw[: len(raw) // 2])
    err = ir.ErrorInfo(status=502, kind="api_error", message="upstream connection reset")
    out += tr.fail(err)
    assert tr.close() == b"" and tr.feed(raw) == b""
    judged = STREAM_JUDGES[dst](out)
    assert judged.error is not None and "connection reset" in judged.error
    assert tr.tap.error == err


@pytest.mark.parametrize("dst", PROTOCOLS)
def test_error_as_first_upstream_event(dst: str) -> None:
    exchange = json.loads(
        (RECORDED / "gemini" / "stream_404_model_not_found.exchange.json").read_text()
    )
    segments = exchange["interactions"][0]["response"]["bodySegments"]
    raw = b"".join(b"data: " + json.dumps(seg).encode() + b"\r\n\r\n" for seg in segments)
    tr = StreamTranslator("gemini", dst, OPTIONS, strict=True)
    out = tr.feed(raw) + tr.close()
    assert tr.tap.error_before_start
    assert tr.tap.error is not None and tr.tap.error.status == 404
    assert tr.tap.response_id is None  # no start was invented for the failed stream
    judged = STREAM_JUDGES[dst](out)
    assert judged.error is not None


FIRST_EVENT_ERRORS: dict[str, tuple[str | None, dict[str, object]]] = {
    "openai_chat": (None, {"error": {"message": "slow down", "type": "rate_limit_exceeded"}}),
    "openai_responses": (
        "error",
        {"type": "error", "code": "rate_limit_exceeded", "message": "slow down"},
    ),
    "anthropic": (
        "error",
        {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
    ),
    "gemini": (
        None,
        {"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}},
    ),
}


@pytest.mark.parametrize("src", PROTOCOLS)
def test_no_decoder_invents_a_start_before_a_first_event_error(src: str) -> None:
    """Every decoder reports an error that is the first event alone, so the gateway (having
    sent nothing) can answer with a real HTTP status instead of a 200 stream."""
    from gatewayctl.protocols.base import WireEvent
    from gatewayctl.protocols.registry import get_codec

    name, data = FIRST_EVENT_ERRORS[src]
    decoder = get_codec(src).stream_decoder()
    events = decoder.feed(WireEvent(data, name)) + decoder.finish()
    assert len(events) == 1 and isinstance(events[0], ir.StreamError), events
    assert events[0].error.kind == "rate_limit" and "slow down" in events[0].error.message


@pytest.mark.parametrize("dst", PROTOCOLS)
@pytest.mark.parametrize("src", PROTOCOLS)
def test_truncated_upstream_is_terminated(src: str, dst: str) -> None:
    """The upstream closes mid-stream without its terminal event: the client still gets a
    well-formed, terminated stream with the text that arrived."""
    raw = TEXT_STREAMS[src].read_bytes()
    cut = raw[: int(len(raw) * 0.6)]
    cut = cut[: cut.rfind(b"\n\n") + 2]  # whole events only
    tr = StreamTranslator(src, dst, OPTIONS, strict=True)
    out = tr.feed(cut) + tr.close()
    judged = STREAM_JUDGES[dst](out)  # the judges assert terminal events
    assert judged.error is None
    assert judged.text == tr.tap.output_text


def test_done_sentinel_after_responses_stream_is_tolerated() -> None:
    raw = TEXT_STREAMS["openai_responses"].read_bytes() + b"data: [DONE]\n\n"
    tr = StreamTranslator("openai_responses", "anthropic", OPTIONS, strict=True)
    judged = STREAM_JUDGES["anthropic"](tr.feed(raw) + tr.close())
    assert judged.error is None and judged.text


@pytest.mark.parametrize("dst", PROTOCOLS)
def test_gemini_json_array_upstream(dst: str) -> None:
    """Gemini without alt=sse streams one JSON array: read with NDJSON/array framing."""
    sse = TEXT_STREAMS["gemini"].read_bytes()
    chunks = [
        line[len(b"data: ") :] for line in sse.split(b"\r\n\r\n") if line.startswith(b"data: ")
    ]
    array = b"[" + b"\r\n,".join(chunks) + b"]"
    via_sse = StreamTranslator("gemini", dst, OPTIONS, strict=True)
    expected = STREAM_JUDGES[dst](via_sse.feed(sse) + via_sse.close())
    tr = StreamTranslator("gemini", dst, OPTIONS, src_framing="ndjson", strict=True)
    out = b"".join(tr.feed(array[i : i + 9]) for i in range(0, len(array), 9)) + tr.close()
    judged = STREAM_JUDGES[dst](out)
    assert judged.text == expected.text and judged.text
    assert judged.output_tokens == expected.output_tokens
