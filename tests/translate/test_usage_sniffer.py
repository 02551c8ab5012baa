"""UsageSniffer on passthrough bytes: same usage as a full decode, any split, few events kept."""

from __future__ import annotations

import json

import pytest

from gatewayctl.protocols import ir
from gatewayctl.protocols.registry import get_codec
from gatewayctl.translate.aggregate import StreamFailed
from gatewayctl.translate.streaming import aggregate_stream_body
from gatewayctl.translate.usage import UsageSniffer
from tests.translate.recorded import BodyFixture, StreamFixture, body_fixtures, stream_fixtures

STREAMS = stream_fixtures()
BODIES = [b for b in body_fixtures() if b.status == 200]


def full_decode(fx: StreamFixture) -> ir.Response:
    return decode_with_error(fx)[0]


def decode_with_error(fx: StreamFixture) -> tuple[ir.Response, bool]:
    try:
        return aggregate_stream_body(fx.protocol, fx.raw()), False
    except StreamFailed as exc:
        return exc.partial, True


def _known(usage: ir.Usage | None) -> ir.Usage | None:
    if usage is None or usage == ir.Usage():
        return None
    return usage


@pytest.mark.parametrize("fx", STREAMS, ids=[f.id for f in STREAMS])
def test_stream_usage_matches_full_decode(fx: StreamFixture) -> None:
    expected, errored = decode_with_error(fx)
    raw = fx.raw()
    for step in (len(raw), 7, 1 if len(raw) < 4000 else 3):
        sniffer = UsageSniffer(fx.protocol, stream=True)
        for i in range(0, len(raw), step):
            sniffer.feed(raw[i : i + step])
        sniffer.close()
        if errored:  # the sniffer ignores error events: only the usage reported before counts
            got = sniffer.usage
            assert (got.input_tokens if got else None) == expected.usage.input_tokens
        else:
            assert sniffer.usage == _known(expected.usage)
        assert sniffer.model == (expected.model or None)
        assert len(sniffer._kept) <= 2  # only usage-bearing events are kept


def test_usage_available_mid_stream() -> None:
    fx = next(f for f in STREAMS if f.path.name == "text_stream.sse" and f.protocol == "anthropic")
    raw = fx.raw()
    sniffer = UsageSniffer("Claude", stream=True)
    first_event_end = raw.index(b"\n\n") + 2
    sniffer.feed(raw[:first_event_end])
    early = sniffer.usage
    assert early is not None and early.input_tokens is not None  # message_start's input usage
    sniffer.feed(raw[first_event_end:])
    assert sniffer.usage is not None and sniffer.usage.output_tokens is not None


def test_gemini_ndjson_stream() -> None:
    fx = next(f for f in STREAMS if f.id == "gemini/text_stream.sse")
    expected = full_decode(fx)
    chunks = [
        json.loads(line[len(b"data: ") :])
        for line in fx.raw().split(b"\r\n\r\n")
        if line.startswith(b"data: ")
    ]
    body = ("[" + ",\r\n".join(json.dumps(c) for c in chunks) + "]").encode()
    sniffer = UsageSniffer("GeminiNDJson", stream=True)
    for i in range(0, len(body), 5):
        sniffer.feed(body[i : i + 5])
    sniffer.close()
    assert sniffer.usage == expected.usage


@pytest.mark.parametrize("fx", BODIES, ids=[b.id for b in BODIES])
def test_body_usage_matches_parse(fx: BodyFixture) -> None:
    raw = fx.path.read_bytes()
    expected = get_codec(fx.protocol).parse_response(json.loads(raw))
    sniffer = UsageSniffer(fx.protocol, stream=False)
    for i in range(0, len(raw), 100):
        sniffer.feed(raw[i : i + 100])
    assert sniffer.usage == _known(expected.usage)
    assert sniffer.model == (expected.model or None)


def test_garbage_never_raises() -> None:
    for proto in ("openai_chat", "openai_responses", "anthropic", "gemini"):
        body = UsageSniffer(proto, stream=False)
        body.feed(b"<html>502 Bad Gateway</html>")
        assert body.usage is None and body.model is None
        stream = UsageSniffer(proto, stream=True)
        stream.feed(b'data: {"usage": {"nonsense": true}, "usageMetadata": 5}\n\ndata: [DONE]\n\n')
        stream.close()
        assert stream.usage is None or isinstance(stream.usage, ir.Usage)
    nd = UsageSniffer("GeminiNDJson", stream=True)
    nd.feed(b'[{"a": "\xff\xfe unterminated')
    nd.close()
    assert nd.usage is None
