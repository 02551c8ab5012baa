"""Error classification: which upstream answers fail over and what they cost the credential."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from gatewayctl.channels import build_channel
from gatewayctl.channels.outcome import (
    RATE_LIMIT_COOLDOWN_MS,
    TRANSIENT_COOLDOWN_MS,
    classify_exception,
    classify_status,
)


@pytest.mark.parametrize(
    ("status", "action", "cooldown"),
    [
        (200, "success", 0),
        (201, "success", 0),
        (204, "success", 0),
        (401, "dead", 0),
        (403, "dead", 0),
        (429, "cooldown", RATE_LIMIT_COOLDOWN_MS),
        (500, "transient", TRANSIENT_COOLDOWN_MS),
        (502, "transient", TRANSIENT_COOLDOWN_MS),
        (503, "transient", TRANSIENT_COOLDOWN_MS),
        (504, "transient", TRANSIENT_COOLDOWN_MS),
        (400, "return", 0),
        (404, "return", 0),
        (408, "return", 0),
        (413, "return", 0),
        (422, "return", 0),
        (501, "return", 0),
        (529, "return", 0),
    ],
)
def test_status_table(status: int, action: str, cooldown: int) -> None:
    outcome = classify_status(status, {})
    assert outcome.action == action
    assert outcome.status == status
    assert outcome.cooldown_ms == cooldown
    assert outcome.fails_over == (action in ("dead", "cooldown", "transient"))
    if outcome.fails_over:
        assert outcome.error == f"upstream status {status}"
    else:
        assert outcome.error is None


def test_429_uses_retry_after_seconds_any_header_case() -> None:
    assert classify_status(429, {"retry-after": "7"}).cooldown_ms == 7000
    assert classify_status(429, {"Retry-After": "2"}).cooldown_ms == 2000
    assert classify_status(429, httpx.Headers({"Retry-After": "3"})).cooldown_ms == 3000


def test_429_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    outcome = classify_status(429, {"retry-after": date}, now=lambda: now)
    assert outcome.cooldown_ms == 30_000


def test_429_unreadable_retry_after_falls_back_to_default() -> None:
    for value in ("soon", "", "-5", "nan"):
        assert classify_status(429, {"retry-after": value}).cooldown_ms == RATE_LIMIT_COOLDOWN_MS


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
        ConnectionResetError(),
    ],
)
def test_network_errors_are_transient(exc: BaseException) -> None:
    outcome = classify_exception(exc)
    assert outcome.action == "transient"
    assert outcome.status is None
    assert outcome.cooldown_ms == TRANSIENT_COOLDOWN_MS
    assert outcome.error and type(exc).__name__ in outcome.error


def test_every_channel_classifies_with_the_shared_table() -> None:
    for channel in (
        "openai",
        "anthropic",
        "aistudio",
        "vertexexpress",
        "nvidia",
        "deepseek",
        "groq",
    ):
        adapter = build_channel(channel)
        assert adapter.classify(429, {"retry-after": "5"}).cooldown_ms == 5000
        assert adapter.classify(401).action == "dead"
