"""Recording: usage rows (reported, read later, estimated), audit rows, masking."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pytest

from gatewayctl.gateway.estimate import body_usage, embedding_body_usage, stream_output_text
from gatewayctl.gateway.recording import Recorder, UsageKey
from gatewayctl.protocols import ir
from gatewayctl.store.logrows import normalize_log_row
from gatewayctl.store.models import StatusRow

KEY = UsageKey(7, 8, 1, 2, "GenerateContent", "Claude", "models/claude-x")


class Sink:
    def __init__(self) -> None:
        self.rows: list[tuple[str, dict[str, Any]]] = []
        self.statuses: list[StatusRow] = []
        self.event = threading.Event()

    def submit(self, table: str, row: Mapping[str, Any]) -> bool:
        normalize_log_row(table, row)  # what the writer would do: validates the columns
        self.rows.append((table, dict(row)))
        self.event.set()
        return True

    def submit_status(self, row: StatusRow) -> None:
        self.statuses.append(row)


def wait_row(sink: Sink) -> dict[str, Any]:
    assert sink.event.wait(5)
    table, row = sink.rows[-1]
    assert table == "usages"
    return row


def test_reported_usage_is_queued_at_once() -> None:
    sink = Sink()
    recorder = Recorder(sink, mask_bodies=lambda: True)
    usage = ir.Usage(
        input_tokens=100, output_tokens=20, cache_read_tokens=30, cache_creation_tokens=10
    )
    recorder.usage(KEY, usage)
    row = wait_row(sink)
    assert row | {"at": 0} == {
        "at": 0,
        "provider_id": 7,
        "credential_id": 8,
        "user_id": 1,
        "user_key_id": 2,
        "operation": "GenerateContent",
        "protocol": "Claude",
        "model": "claude-x",
        "input_tokens": 100,
        "output_tokens": 20,
        "cache_read_input_tokens": 30,
        "cache_creation_input_tokens": 10,
    }


def test_missing_output_is_estimated_off_the_caller_thread() -> None:
    sink = Sink()
    recorder = Recorder(sink, mask_bodies=lambda: True)
    threads: list[str] = []

    def estimate() -> ir.Usage:
        threads.append(threading.current_thread().name)
        return ir.Usage(input_tokens=999, output_tokens=5)

    recorder.usage(KEY, ir.Usage(input_tokens=40), estimate=estimate)
    row = wait_row(sink)
    assert (row["input_tokens"], row["output_tokens"]) == (40, 5)  # reported input wins
    assert threads and threads[0] != threading.current_thread().name
    recorder.close()


def test_lazy_usage_that_fails_still_records_a_row() -> None:
    sink = Sink()
    recorder = Recorder(sink, mask_bodies=lambda: True)

    def boom() -> ir.Usage | None:
        raise ValueError("unreadable")

    recorder.usage(KEY, boom)
    row = wait_row(sink)
    assert row["input_tokens"] is None and row["operation"] == "GenerateContent"
    recorder.close()


@pytest.mark.parametrize("masked", [True, False])
def test_audit_rows_keep_bodies_only_unmasked(masked: bool) -> None:
    sink = Sink()
    recorder = Recorder(sink, mask_bodies=lambda: masked)
    recorder.upstream(
        provider_id=1,
        credential_id=2,
        method="POST",
        url="https://up/v1/x?key=sk-…abcd",
        headers={"authorization": "Bearer sk-…abcd"},
        request_body=b"{}",
        status=200,
        response_headers=[("content-type", "application/json")],
        response_body=b'{"ok":1}',
    )
    recorder.downstream(
        user_id=1,
        user_key_id=2,
        method="POST",
        path="/oai/v1/chat/completions",
        query="key=secret",
        headers=[("x-api-key", "u1_secret")],
        request_body=b"{}",
        status=200,
        response_headers=[],
        response_body=b"{}",
    )
    (_, up), (_, down) = sink.rows
    assert (up["request_body"] is None) is masked
    assert (down["response_body"] is None) is masked
    assert down["internal"] is True  # scoped routes are "internal" in gproxy's sense
    normalized = normalize_log_row("downstream_requests", down)
    assert "u1_secret" not in normalized["request_headers_json"]
    assert "secret" not in (normalized["request_query"] or "")


def test_usage_readers() -> None:
    chat = b'{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}'
    usage = body_usage("OpenAiChatCompletion", chat)
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (5, 2)
    assert body_usage("OpenAiChatCompletion", b"not json") is None
    emb = embedding_body_usage(b'{"usage":{"prompt_tokens":4,"total_tokens":4}}')
    assert emb is not None and (emb.input_tokens, emb.output_tokens) == (4, 0)
    cut_short = (
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"content":"partial answ"},"finish_reason":null}]}\n\n'
    )
    assert stream_output_text("OpenAiChatCompletion", cut_short) == "partial answ"
