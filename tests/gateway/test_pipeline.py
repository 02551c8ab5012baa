"""The gateway without a server: classify → handle, upstream mocked with pytest-httpx."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from gatewayctl.dispatch import default_dispatch
from gatewayctl.gateway.entrance import classify
from gatewayctl.gateway.pipeline import Gateway, Principal
from gatewayctl.gateway.recording import Recorder
from gatewayctl.gateway.response import GatewayResponse
from gatewayctl.services.snapshot import SnapshotCredential, SnapshotProvider
from tests.gateway.test_recording import Sink

BASE = "http://127.0.0.1:9"
CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hey"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


class Snap:
    def __init__(self, *keys: str) -> None:
        creds = tuple(
            SnapshotCredential(
                i + 1, 1, None, "builtin/openai", {"Builtin": {"OpenAi": {"api_key": k}}}, None
            )
            for i, k in enumerate(keys)
        )
        row = SnapshotProvider(
            1,
            "oai",
            "openai",
            {"base_url": BASE, "credential_round_robin_enabled": False},
            default_dispatch("openai"),
            creds,
        )
        self.providers = MappingProxyType({"oai": row})
        self.statuses = MappingProxyType({})


async def run(
    gateway: Gateway, snap: Snap, rest: str, body: dict[str, Any], **headers: str
) -> tuple[GatewayResponse, bytes]:
    entrance = classify(
        "POST", "v1", rest, provider="oai", headers=headers, body=json.dumps(body).encode()
    )
    answer = await gateway.handle(snap, entrance, Principal(1, 2), headers)
    if answer.stream is None:
        return answer, answer.body
    return answer, b"".join([chunk async for chunk in answer.stream])


@pytest.fixture
async def gateway() -> Any:
    client = httpx.AsyncClient()
    gw = Gateway(client, Recorder(Sink(), mask_bodies=lambda: False))
    yield gw
    await client.aclose()


async def test_network_error_fails_over(gateway: Gateway, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(
        httpx.ConnectError("refused"), match_headers={"authorization": "Bearer sk-one"}
    )
    httpx_mock.add_response(match_headers={"authorization": "Bearer sk-two"}, json=CHAT)
    snap = Snap("sk-one", "sk-two")
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    answer, data = await run(gateway, snap, "chat/completions", body)
    assert answer.status == 200
    assert json.loads(data)["choices"][0]["message"]["content"] == "hey"
    # the first credential cools down for that model only
    assert [c.id for c in gateway.pool.eligible("oai", "gpt-4o")] == [2]
    assert [c.id for c in gateway.pool.eligible("oai", "gpt-4o-mini")] == [1, 2]


async def test_passthrough_sends_the_callers_bytes(gateway: Gateway, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=CHAT)
    raw = b'{"model": "gpt-4o",   "messages": [{"role":"user","content":"hi"}], "x_extra": 1}'
    entrance = classify("POST", "v1", "chat/completions", provider="oai", body=raw)
    answer = await gateway.handle(Snap("sk-one"), entrance, Principal(1, 2), {})
    assert answer.status == 200
    sent = httpx_mock.get_requests()[0]
    assert sent.content == raw
    assert sent.headers["authorization"] == "Bearer sk-one"


async def test_upstream_stream_breaking_mid_way_ends_a_translated_stream_cleanly(
    gateway: Gateway, httpx_mock: HTTPXMock
) -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            yield (  # the openai channel serves Messages callers with Responses
                b"event: response.created\n"
                b'data: {"type":"response.created","response":{"id":"resp_1","object":'
                b'"response","created_at":1,"model":"m","status":"in_progress","output":[]}}\n\n'
                b"event: response.output_text.delta\n"
                b'data: {"type":"response.output_text.delta","item_id":"msg_1",'
                b'"output_index":0,"content_index":0,"delta":"par"}\n\n'
            )
            raise httpx.ReadError("connection reset")

    httpx_mock.add_response(stream=Broken(), headers={"content-type": "text/event-stream"})
    body = {
        "model": "gpt-4o",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    answer, data = await run(gateway, Snap("sk-one"), "messages", body)
    assert answer.status == 200
    text = data.decode()
    assert "par" in text
    assert "event: error" in text  # the Anthropic caller is told, in its own protocol


async def test_passthrough_stream_breaking_mid_way_cuts_the_connection(
    gateway: Gateway, httpx_mock: HTTPXMock
) -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            yield b'data: {"id":"c","choices":[]}\n\n'
            raise httpx.ReadError("connection reset")

    httpx_mock.add_response(stream=Broken(), headers={"content-type": "text/event-stream"})
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    entrance = classify(
        "POST", "v1", "chat/completions", provider="oai", body=json.dumps(body).encode()
    )
    answer = await gateway.handle(Snap("sk-one"), entrance, Principal(1, 2), {})
    assert answer.stream is not None
    received = []
    with pytest.raises(httpx.ReadError):
        async for chunk in answer.stream:
            received.append(chunk)
    assert received == [b'data: {"id":"c","choices":[]}\n\n']


RESPONSES_BODY = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "model": "gpt-4o",
    "status": "completed",
    "output": [
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "plain body", "annotations": []}],
        }
    ],
    "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
}


async def test_an_upstream_ignoring_stream_is_synthesized_into_a_stream(
    gateway: Gateway, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json=RESPONSES_BODY)  # JSON where SSE was asked for
    body = {
        "model": "gpt-4o",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    answer, data = await run(gateway, Snap("sk-one"), "messages", body)
    assert answer.status == 200
    assert answer.header("content-type") == "text/event-stream"
    text = data.decode()
    assert "event: message_start" in text and "plain body" in text
    assert "event: message_stop" in text


async def test_an_error_document_with_200_on_a_stream_route_is_an_error(
    gateway: Gateway, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"error": {"message": "quota", "type": "insufficient_quota"}})
    body = {
        "model": "gpt-4o",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    answer, data = await run(gateway, Snap("sk-one"), "messages", body)
    assert answer.status >= 400
    assert json.loads(data)["type"] == "error"  # Anthropic's error shape


async def test_a_stream_failing_at_its_first_event_is_an_http_error(
    gateway: Gateway, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        content=(
            b"event: error\n"
            b'data: {"type":"error","code":"server_error","message":"the model is overloaded",'
            b'"param":null,"sequence_number":0}\n\n'
        ),
        headers={"content-type": "text/event-stream"},
    )
    body = {
        "model": "gpt-4o",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    answer, data = await run(gateway, Snap("sk-one"), "messages", body)
    assert answer.stream is None
    assert answer.status >= 500
    error = json.loads(data)
    assert error["type"] == "error" and "overloaded" in error["error"]["message"]


RESPONSES_STREAM = (
    b"event: response.created\n"
    b'data: {"type":"response.created","response":{"id":"resp_1","object":"response",'
    b'"created_at":1,"model":"gpt-4o","status":"in_progress","output":[]}}\n\n'
    b"event: response.output_text.delta\n"
    b'data: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,'
    b'"content_index":0,"delta":"ok"}\n\n'
)


def message_start_input(data: bytes) -> int:
    for block in data.decode().split("\n\n"):
        if block.startswith("event: message_start"):
            doc = json.loads(block.split("data: ", 1)[1])
            return int(doc["message"]["usage"]["input_tokens"])
    raise AssertionError("no message_start")


@pytest.mark.parametrize("words", [40, 20_000])
async def test_message_start_states_an_input_estimate_for_translated_streams(
    gateway: Gateway, httpx_mock: HTTPXMock, words: int
) -> None:
    """An upstream that tells usage only at the end: the Anthropic caller's message_start
    still carries a sensible input count (the tokenizer for small bodies, ~4 bytes a token
    for big ones), not 0."""
    from gatewayctl.tokens import count_tokens
    from gatewayctl.translate import parse_request

    httpx_mock.add_response(content=RESPONSES_STREAM, headers={"content-type": "text/event-stream"})
    prompt = " ".join(f"word{i % 97}" for i in range(words))
    body = {
        "model": "gpt-4o",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
    }
    answer, data = await run(gateway, Snap("sk-one"), "messages", body)
    assert answer.status == 200
    stated = message_start_input(data)
    exact = count_tokens("gpt-4o", parse_request("Claude", body))
    assert exact > 0
    assert 0.5 * exact <= stated <= 2 * exact


@pytest.mark.parametrize(
    ("rest", "body"),
    [
        ("models/gpt-4o:generateContent", {"contents": [{"role": "user", "parts": 3}]}),
        ("models/gpt-4o:countTokens", {"contents": [{"role": "user", "parts": 3}]}),
    ],
)
async def test_a_malformed_caller_body_is_a_400_not_a_500(
    gateway: Gateway, rest: str, body: dict[str, Any]
) -> None:
    """Translated routes parse the caller's body: when a protocol parser trips over a
    malformed one, the caller gets a 400 naming the problem (nothing goes upstream)."""
    from gatewayctl.errors import InvalidInput

    entrance = classify("POST", "v1beta", rest, provider="oai", body=json.dumps(body).encode())
    with pytest.raises(InvalidInput, match=r"contents\[0\]\.parts must be an array"):
        await gateway.handle(Snap("sk-one"), entrance, Principal(1, 2), {})


@pytest.mark.parametrize("upstream", [b"<html>not json</html>", b"[1, 2]"])
async def test_an_unscoped_model_get_with_an_odd_upstream_body_is_relayed_as_is(
    gateway: Gateway, httpx_mock: HTTPXMock, upstream: bytes
) -> None:
    """The provider-prefixed id is put back only in a JSON object; anything else the
    upstream answers is passed through untouched (it used to be a 500)."""
    httpx_mock.add_response(content=upstream, headers={"content-type": "text/html"})
    entrance = classify("GET", "v1", "models/oai/gpt-4o")
    answer = await gateway.handle(Snap("sk-one"), entrance, Principal(1, 2), {})
    assert (answer.status, answer.body) == (200, upstream)
    assert answer.header("content-type") == "text/html"


async def test_an_unscoped_model_get_names_the_model_as_the_caller_did(
    gateway: Gateway, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"id": "gpt-4o", "object": "model", "owned_by": "openai"})
    entrance = classify("GET", "v1", "models/oai/gpt-4o")
    answer = await gateway.handle(Snap("sk-one"), entrance, Principal(1, 2), {})
    assert answer.status == 200
    assert json.loads(answer.body)["id"] == "oai/gpt-4o"


async def test_a_passthrough_compact_without_usage_records_an_input_estimate(
    gateway: Gateway, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"id": "cmp_1", "object": "response.compaction", "output": []})
    body = {"model": "gpt-4o", "input": "a long conversation to compact " * 20}
    answer, _ = await run(gateway, Snap("sk-one"), "responses/compact", body)
    assert answer.status == 200
    gateway.recorder.drain()
    sink = gateway.recorder._sink
    assert isinstance(sink, Sink)
    ((table, row),) = [(t, r) for t, r in sink.rows if t == "usages"]
    assert row["operation"] == "Compact"
    assert row["input_tokens"] > 20  # estimated from the caller's input (it was 0)


async def test_a_failed_attempt_whose_body_breaks_still_fails_over(
    gateway: Gateway, httpx_mock: HTTPXMock
) -> None:
    """A 500 whose body dies mid-way (read for the audit row before moving on) must not end
    the request: the next credential serves it."""

    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            yield b'{"error": {"message": "overloa'
            raise httpx.ReadError("connection reset")

    httpx_mock.add_response(
        status_code=500, stream=Broken(), match_headers={"authorization": "Bearer sk-one"}
    )
    httpx_mock.add_response(json=CHAT, match_headers={"authorization": "Bearer sk-two"})
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    answer, data = await run(gateway, Snap("sk-one", "sk-two"), "chat/completions", body)
    assert answer.status == 200
    assert json.loads(data)["choices"][0]["message"]["content"] == "hey"
    assert [c.id for c in gateway.pool.eligible("oai", "gpt-4o")] == [2]


async def test_a_body_breaking_off_after_the_status_is_a_502(
    gateway: Gateway, httpx_mock: HTTPXMock
) -> None:
    """Nothing was sent yet: the caller gets a 502 naming the problem, not a 500."""
    from gatewayctl.errors import GatewayError

    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            yield b'{"id": "chatcmpl-1", "choi'
            raise httpx.ReadError("connection reset")

    httpx_mock.add_response(stream=Broken())
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(GatewayError, match="upstream answer broke off: ReadError") as info:
        await run(gateway, Snap("sk-one"), "chat/completions", body)
    assert info.value.status == 502


async def test_large_bodies_are_parsed_and_translated_off_the_event_loop(
    gateway: Gateway, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from gatewayctl.gateway import entrance as entrance_module
    from gatewayctl.gateway import flows

    threads: dict[str, list[str]] = {"classify": [], "translate": []}

    def recorded(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            threads[name].append(threading.current_thread().name)
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(entrance_module, "classify", recorded("classify", entrance_module.classify))
    monkeypatch.setattr(flows, "parse_request", recorded("translate", flows.parse_request))
    loop_thread = threading.current_thread().name
    for size in (1_000, entrance_module.OFFLOAD_BYTES + 1):
        httpx_mock.add_response(json=RESPONSES_BODY)
        body = {
            "model": "gpt-4o",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "x" * size}],
        }
        raw = json.dumps(body).encode()
        entrance = await entrance_module.sized_call(
            len(raw), entrance_module.classify, "POST", "v1", "messages", provider="oai", body=raw
        )
        answer = await gateway.handle(Snap("sk-one"), entrance, Principal(1, 2), {})
        assert answer.status == 200
    assert threads["classify"][0] == loop_thread != threads["classify"][1]
    assert threads["translate"][0] == loop_thread != threads["translate"][1]
    sent = json.loads(httpx_mock.get_requests()[1].content)  # translated to Responses whole
    assert len(sent["input"][0]["content"][0]["text"]) == entrance_module.OFFLOAD_BYTES + 1


async def test_an_answer_is_closed_when_the_flow_fails_before_relaying_it(
    gateway: Gateway, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong between the upstream answering and the answer being handed to
    the client, the upstream connection is released (not left to the garbage collector)."""
    from gatewayctl.gateway import flows

    closed: list[bool] = []

    class Tracked(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            yield RESPONSES_STREAM

        async def aclose(self) -> None:
            closed.append(True)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug after the upstream answered")

    monkeypatch.setattr(flows, "StreamTranslator", broken)
    httpx_mock.add_response(stream=Tracked(), headers={"content-type": "text/event-stream"})
    body = {
        "model": "gpt-4o",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }
    with pytest.raises(RuntimeError, match="a bug after the upstream answered"):
        await run(gateway, Snap("sk-one"), "messages", body)
    assert closed == [True]
