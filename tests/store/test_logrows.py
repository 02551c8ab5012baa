from __future__ import annotations

import json

import pytest

from gatewayctl.store.logrows import normalize_log_row, redact_headers, redact_url


def test_sensitive_headers_are_redacted() -> None:
    h = redact_headers(
        {"Authorization": "Bearer sk-secret", "X-Api-Key": ["k"], "Content-Type": "a/b"}
    )
    assert h == {
        "authorization": ["[redacted]"],
        "x-api-key": ["[redacted]"],
        "content-type": ["a/b"],
    }
    assert redact_headers([("x-goog-api-key", "g"), ("accept", "x")]) == {
        "x-goog-api-key": ["[redacted]"],
        "accept": ["x"],
    }


def test_key_query_parameters_are_redacted() -> None:
    assert redact_url("https://h/p?key=abc&alt=sse") == "https://h/p?key=[redacted]&alt=sse"
    assert redact_url("alt=sse&key=abc") == "alt=sse&key=[redacted]"
    assert redact_url("key=abc") == "key=[redacted]"
    assert redact_url("https://h/p?monkey=1") == "https://h/p?monkey=1"


def test_normalize_fills_defaults_and_encodes() -> None:
    row = normalize_log_row(
        "upstream_requests",
        {
            "request_method": "POST",
            "request_headers_json": json.dumps({"authorization": ["Bearer x"]}),
            "request_body": "é",
            "internal": True,
        },
    )
    assert row["internal"] == 1
    assert row["request_body"] == "é".encode()
    assert json.loads(row["request_headers_json"]) == {"authorization": ["[redacted]"]}
    assert row["response_headers_json"] == "{}"
    assert isinstance(row["at"], int) and isinstance(row["created_at"], int)


def test_normalize_rejects_bad_rows() -> None:
    with pytest.raises(ValueError, match="unknown log table"):
        normalize_log_row("providers", {})
    with pytest.raises(ValueError, match="unknown columns"):
        normalize_log_row("usages", {"operation": "x", "protocol": "y", "cost": 1})
    with pytest.raises(ValueError, match="`protocol` is required"):
        normalize_log_row("usages", {"operation": "x"})
